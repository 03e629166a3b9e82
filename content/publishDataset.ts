import { pathToFileURL } from "node:url";
import { datasetRoot } from "../commitment/dataset.ts";
import type { Dataset } from "../engine/batch.ts";
import { encodeDataset } from "../engine/datasetFile.ts";
import { writeContentAddressed } from "./contentAddressed.ts";
import { DatasetPublishError } from "../client/errors.ts";

export interface PublishDatasetParameters {
  readonly dataset: Dataset;
  /** The directory the datasets are published in (created if missing). */
  readonly dir: string;
}

export interface PublishDatasetReturnType {
  /** file:// URI of the published dataset file (engine/datasetFile.ts). */
  readonly uri: string;
  readonly path: string;
  /** Hex, no 0x: the spec's data.root and the job's datasetRoot (with 0x). */
  readonly root: string;
}

/**
 * Publishes a training set content-addressed: its dataset file (engine/datasetFile.ts) is written to
 * `<dir>/<dataset root>.vtds`, so that a solver holding the file can check it against the root the job
 * committed to (solver config `accept.datasets`). Same write rules as publishSpec.
 */
export async function publishDataset(p: PublishDatasetParameters): Promise<PublishDatasetReturnType> {
  const bytes = encodeDataset(p.dataset);
  const root = datasetRoot(p.dataset).toString("hex");
  const file = await writeContentAddressed(p.dir, `${root}.vtds`, bytes, (m, d) => new DatasetPublishError(`dataset ${root}: ${m}`, d));
  return { uri: pathToFileURL(file).href, path: file, root };
}
