import { pathToFileURL } from "node:url";
import { datasetRoot } from "../commitment/dataset.ts";
import { bareHex, type Root, toRoot } from "../core/root.ts";
import type { Dataset } from "../engine/batch.ts";
import { encodeDataset } from "../engine/datasetFile.ts";
import { writeContentAddressed } from "./contentAddressed.ts";
import { DatasetPublishError } from "./errors.ts";
import type { ContentDocument } from "./publishSpec.ts";

export interface PublishDatasetParameters {
  readonly dataset: Dataset;
  /** The directory the datasets are published in (created if missing). */
  readonly dir: string;
}

export interface PublishDatasetReturnType {
  /** file:// URI of the published dataset file (engine/datasetFile.ts). */
  readonly uri: string;
  readonly path: string;
  /** The dataset root: the job's datasetRoot (the spec's data.root is its bareHex). */
  readonly root: Root;
}

/**
 * Publishes a training set content-addressed: its dataset file (engine/datasetFile.ts) is written to
 * `<dir>/<dataset root>.vtds`, so that a solver holding the file can check it against the root the job
 * committed to (solver config `accept.datasets`). Same write rules as publishSpec.
 */
export async function publishDataset(p: PublishDatasetParameters): Promise<PublishDatasetReturnType> {
  const doc = datasetDocument(p.dataset);
  const file = await writeContentAddressed(p.dir, doc.name, doc.bytes, (m, d) => new DatasetPublishError(`dataset ${bareHex(doc.hash)}: ${m}`, d));
  return { uri: pathToFileURL(file).href, path: file, root: doc.hash };
}

/** The dataset as published: `<dataset root>.vtds` holding its dataset file. */
export function datasetDocument(dataset: Dataset): ContentDocument {
  const root = toRoot(datasetRoot(dataset));
  return { name: `${bareHex(root)}.vtds`, bytes: encodeDataset(dataset), hash: root };
}
