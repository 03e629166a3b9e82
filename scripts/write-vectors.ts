import { writeFileSync } from "node:fs";
import { commitmentVectors, opVectors } from "../test/vectors/generate.ts";
import { engineGolden } from "../test/vectors/golden.ts";

/** Rewrites the shared test vectors. Run it only when a change of semantics or encoding is intended. */
const dir = new URL("../test/vectors/", import.meta.url);
const write = (name: string, v: unknown) => {
  writeFileSync(new URL(name, dir), JSON.stringify(v, null, 1) + "\n");
  console.log(`wrote test/vectors/${name}`);
};
write("commitments.v1.json", commitmentVectors());
write("ops.v1.json", opVectors());
write("engine-golden.v1.json", await engineGolden());
