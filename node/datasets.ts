import { pathToFileURL } from "node:url";
import { datasetRoot } from "../commitment/dataset.ts";
import { DATASET_MAX_BYTES, datasetUriRoot, fetchDataset } from "../content/fetchDataset.ts";
import { readUri } from "../content/readUri.ts";
import type { Dataset } from "../engine/batch.ts";
import { decodeDataset } from "../engine/datasetFile.ts";
import { VeritrainError } from "../core/errors.ts";
import { loadMnist } from "../engine/mnist.ts";
import { ConfigError } from "./config.ts";

/**
 * The datasets this solver can train on (config `accept.datasets`), each known by its dataset root: a job is
 * only considered when its committed dataset root is one of them. An entry is a shipped dataset's name
 * ("mnist"), a dataset file (engine/datasetFile.ts: a path or a file:// URL, e.g. one a client published
 * with publishDataset as <root>.vtds), or a dataset published for other machines: an http(s):// URL or an
 * ipfs://CID (through config `ipfsGateway`) that names its root, as `.../<root>.vtds` (what `client publish`
 * prints) or with a `#<root>` fragment. Every dataset goes through the content reader (content/readUri.ts);
 * one whose name gives a root must hash to it; a remote one is cached by root under the node's data dir, so
 * a restart does not download it again. Loaded and hashed once.
 */
const LOADERS: Record<string, () => Dataset> = {
  mnist: () => loadMnist().train,
};

export interface LocalDataset {
  readonly name: string;
  /** Hex, no 0x (as in a spec's data.root). */
  readonly root: string;
  readonly dataset: Dataset;
}

export interface LoadDatasetsOptions {
  /** The IPFS gateway ipfs:// entries are read through. */
  readonly ipfsGateway?: string | undefined;
  /** The content cache remote datasets are kept in (by root). */
  readonly cacheDir?: string | undefined;
  readonly signal?: AbortSignal;
}

const isRemote = (entry: string): boolean => /^(https?|ipfs):\/\//i.test(entry);
const isFile = (entry: string): boolean => entry.startsWith("file://") || entry.endsWith(".vtds");

export async function loadDatasets(names: readonly string[], o: LoadDatasetsOptions = {}): Promise<Map<string, LocalDataset>> {
  const out = new Map<string, LocalDataset>();
  for (const name of names) {
    const dataset = LOADERS[name] ? LOADERS[name]() : isRemote(name) || isFile(name) ? await loadUri(name, o) : undefined;
    if (!dataset) throw new ConfigError("accept.datasets", `unknown dataset ${JSON.stringify(name)} (known: ${Object.keys(LOADERS).join(", ")}, a .vtds dataset file, or an http(s):// or ipfs:// URI naming its root)`);
    const root = datasetRoot(dataset).toString("hex");
    out.set(root, { name, root, dataset });
  }
  return out;
}

async function loadUri(entry: string, o: LoadDatasetsOptions): Promise<Dataset> {
  let uri = entry;
  if (!isRemote(entry) && !entry.startsWith("file://")) uri = pathToFileURL(entry).href;
  const root = datasetUriRoot(uri);
  if (isRemote(entry) && root === undefined) {
    throw new ConfigError("accept.datasets", `${JSON.stringify(entry)} does not name its dataset root: publish it as <root>.vtds (veritrain client publish) or add #<root> to the URI, so that what is fetched can be checked`);
  }
  try {
    if (root !== undefined) {
      const got = await fetchDataset({ uri, root, ipfsGateway: o.ipfsGateway, ...(isRemote(entry) && o.cacheDir ? { cacheDir: o.cacheDir } : {}), ...(o.signal ? { signal: o.signal } : {}) });
      return got.dataset;
    }
    const bytes = await readUri(uri, { what: "the dataset", maxBytes: DATASET_MAX_BYTES });
    try {
      return decodeDataset(bytes);
    } catch (e) {
      if (e instanceof VeritrainError) throw new ConfigError("accept.datasets", `the dataset at ${uri} is not a dataset file: ${e.message}`);
      throw e;
    }
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    if (e instanceof VeritrainError) throw new ConfigError("accept.datasets", e.message);
    throw e;
  }
}
