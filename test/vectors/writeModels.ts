import { writeFileSync } from "node:fs";
import { modelJobVectors, modelOpVectors } from "./generateModels.ts";

/** Rewrites ops.v2.models.json. Run it only when a change of semantics of spec v2 or ops 10-14 is intended. */
const file = new URL("ops.v2.models.json", import.meta.url);
writeFileSync(file, JSON.stringify({ ops: modelOpVectors(), job: await modelJobVectors() }, null, 1) + "\n");
console.log("wrote test/vectors/ops.v2.models.json");
