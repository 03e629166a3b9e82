import { datasetRoot } from "../commitment/dataset.ts";
import { VeritrainError } from "../core/errors.ts";
import { bareHex, type Root, toRoot } from "../core/root.ts";
import type { Dataset } from "../engine/batch.ts";
import { decodeDataset } from "../engine/datasetFile.ts";
import { ContentError, ContentHashMismatchError, ContentReadError, DatasetFetchError } from "./errors.ts";
import { fetchContent } from "./fetchContent.ts";
import { shownUri } from "./readUri.ts";

/** Largest dataset file fetched (MNIST's training split is 47 MB as a dataset file). */
export const DATASET_MAX_BYTES = 1 << 30;

/**
 * A dataset file (engine/datasetFile.ts) by URI (file://, http(s)://, ipfs://), returned only when its dataset
 * root is `root`, whatever the transport; cached under `<root>.vtds` when a cache directory is given. The root
 * comes from where the dataset is named: a job's committed dataset root, or the `<root>.vtds` name a
 * `client publish` gave it (datasetUriRoot).
 */
export interface FetchDatasetParameters {
  readonly uri: string;
  readonly root: string;
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly ipfsGateway?: string | undefined;
  readonly cacheDir?: string | undefined;
  readonly signal?: AbortSignal;
}

export interface FetchedDataset {
  readonly dataset: Dataset;
  readonly root: Root;
  readonly source: "cache" | "uri";
  readonly cacheNote?: string;
}

export async function fetchDataset(p: FetchDatasetParameters): Promise<FetchedDataset> {
  const expected = toRoot(p.root, "the dataset root");
  let dataset: Dataset | undefined;
  const hash = (bytes: Uint8Array): Root => {
    try {
      dataset = decodeDataset(bytes);
    } catch (e) {
      if (e instanceof VeritrainError) throw new DatasetFetchError(`the dataset at ${shownUri(new URL(p.uri))} is not a dataset file: ${e.message}`, { uri: p.uri });
      throw e;
    }
    return toRoot(datasetRoot(dataset));
  };
  try {
    const got = await fetchContent({
      uri: p.uri, what: "the dataset", expected, hash, cacheDir: p.cacheDir, cacheName: `${bareHex(expected)}.vtds`, ipfsGateway: p.ipfsGateway,
      maxBytes: p.maxBytes ?? DATASET_MAX_BYTES, ...(p.timeoutMs !== undefined ? { timeoutMs: p.timeoutMs } : {}), ...(p.retries !== undefined ? { retries: p.retries } : {}),
      ...(p.signal ? { signal: p.signal } : {}),
    });
    return { dataset: dataset!, root: expected, source: got.source, ...(got.cacheNote ? { cacheNote: got.cacheNote } : {}) };
  } catch (e) {
    if (e instanceof DatasetFetchError) throw e;
    if (e instanceof ContentHashMismatchError) throw new DatasetFetchError(e.message, e.details);
    if (e instanceof ContentReadError) throw new DatasetFetchError(e.message, { ...e.details, transient: e.transient });
    if (e instanceof ContentError) throw new DatasetFetchError(e.message, e.details);
    throw e;
  }
}

/**
 * The dataset root a dataset URI names: its last path segment `<64 hex>.vtds` (as `client publish` names it),
 * or a `#<64 hex>` fragment (for an ipfs://CID, whose name says nothing of the root). Undefined when neither.
 */
export function datasetUriRoot(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  const frag = /^#(?:0x)?([0-9a-fA-F]{64})$/.exec(url.hash)?.[1];
  if (frag) return frag.toLowerCase();
  return /(?:^|\/)([0-9a-fA-F]{64})\.vtds$/.exec(url.pathname)?.[1]?.toLowerCase();
}
