import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { datasetRoot } from "../commitment/dataset.ts";
import type { Dataset } from "../engine/batch.ts";
import { decodeDataset } from "../engine/datasetFile.ts";
import { VeritrainError } from "../core/errors.ts";
import { loadMnist } from "../engine/mnist.ts";
import { ConfigError } from "./config.ts";

/**
 * The datasets this solver can train on (config `accept.datasets`), each known by its dataset root: a job is
 * only considered when its committed dataset root is one of them. An entry is a shipped dataset's name
 * ("mnist") or a dataset file (engine/datasetFile.ts: a path or a file:// URL, e.g. one a client published
 * with publishDataset as <root>.vtds). Loaded and hashed once; a file named <64 hex>.vtds must hash to that root.
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

export function loadDatasets(names: readonly string[]): Map<string, LocalDataset> {
  const out = new Map<string, LocalDataset>();
  for (const name of names) {
    const load = LOADERS[name] ?? (isFile(name) ? () => loadFile(name) : undefined);
    if (!load) throw new ConfigError("accept.datasets", `unknown dataset ${JSON.stringify(name)} (known: ${Object.keys(LOADERS).join(", ")}, or a .vtds dataset file)`);
    const dataset = load();
    const root = datasetRoot(dataset).toString("hex");
    const named = /([0-9a-f]{64})\.vtds$/.exec(name)?.[1];
    if (named && named !== root) throw new ConfigError("accept.datasets", `${name} hashes to dataset root ${root}, not to the root its name gives`);
    out.set(root, { name, root, dataset });
  }
  return out;
}

const isFile = (entry: string): boolean => entry.startsWith("file://") || entry.endsWith(".vtds");

function loadFile(entry: string): Dataset {
  let file: string;
  try {
    file = entry.startsWith("file://") ? fileURLToPath(entry) : entry;
  } catch (e) {
    throw new ConfigError("accept.datasets", `${JSON.stringify(entry)} is not a usable file URL: ${(e as Error).message}`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new ConfigError("accept.datasets", `cannot read the dataset file ${file}: ${(e as Error).message}`);
  }
  try {
    return decodeDataset(bytes);
  } catch (e) {
    if (e instanceof VeritrainError) throw new ConfigError("accept.datasets", `${file}: ${e.message}`);
    throw e;
  }
}
