import { writeFileSync } from "node:fs";
import { lmOpVectors } from "../test/vectors/generateLm.ts";

/** Rewrites test/vectors/ops.v2.lm.json (ops 15-19). Run it only when a change of semantics is intended. */
writeFileSync(new URL("../test/vectors/ops.v2.lm.json", import.meta.url), JSON.stringify(lmOpVectors(), null, 1) + "\n");
console.log("wrote test/vectors/ops.v2.lm.json");
