// Writes docs/specs/charlm.json: the default character-LM spec (training/charlmJob.ts), its data root computed
// from the random-name corpus. Rerun after changing the job's defaults or the corpus.
//   node scripts/write-charlm-spec.ts [--dataset <file.vtds>]   also writes the training split as a dataset file
import { writeFileSync } from "node:fs";
import { encodeDataset } from "../engine/datasetFile.ts";
import { charlmJob } from "../training/charlmJob.ts";

const { spec, corpus } = charlmJob();
writeFileSync(new URL("../docs/specs/charlm.json", import.meta.url), JSON.stringify(spec, null, 2) + "\n");
console.log(`docs/specs/charlm.json: ${spec.data.count} training examples, root ${spec.data.root}`);
const i = process.argv.indexOf("--dataset");
if (i >= 0) {
  const file = process.argv[i + 1];
  if (!file) throw new Error("--dataset needs a file name");
  writeFileSync(file, encodeDataset(corpus.train));
  console.log(`${file}: the training split (${corpus.train.count} examples of ${corpus.train.features} character indices)`);
}
