import { datasetRoot } from "../commitment/dataset.ts";
import type { Dataset } from "../engine/batch.ts";
import { loadMnist } from "../engine/mnist.ts";
import { SolverConfigError } from "./errors.ts";

/**
 * The datasets this solver can train on, by name (config `accept.datasets`), each known by its dataset root:
 * a job is only considered when its committed dataset root is one of them. Loaded and hashed once.
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
    const load = LOADERS[name];
    if (!load) throw new SolverConfigError("accept.datasets", `unknown dataset ${JSON.stringify(name)} (known: ${Object.keys(LOADERS).join(", ")})`);
    const dataset = load();
    const root = datasetRoot(dataset).toString("hex");
    out.set(root, { name, root, dataset });
  }
  return out;
}
