import { readFile } from "node:fs/promises";
import { datasetRoot } from "../commitment/dataset.ts";
import type { Dataset } from "../engine/batch.ts";
import { decodeDataset } from "../engine/datasetFile.ts";
import { DatasetError, FileReadError } from "../engine/errors.ts";
import { stateAccuracy } from "../engine/evaluate.ts";
import { loadMnist } from "../engine/mnist.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";

/** A model's accuracy on examples it was not trained on, and on which. */
export interface HeldoutEvaluation {
  readonly heldoutAccuracy: number;
  readonly heldoutExamples: number;
  /** "mnist" (the shipped digits held out from the MNIST training split), or the dataset file given. */
  readonly heldoutDataset: string;
}

/** A held-out dataset file (--heldout, a .vtds dataset file: engine/datasetFile.ts), read and decoded. */
export async function readHeldoutFile(file: string): Promise<Dataset> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new FileReadError(`cannot read --heldout ${file}: ${(e as Error).message}`, { path: file });
  }
  try {
    return decodeDataset(bytes);
  } catch (e) {
    if (e instanceof DatasetError) throw new DatasetError(`--heldout ${file}: ${e.message}`);
    throw e;
  }
}

/**
 * Evaluates a verified model on the held-out split of its spec's training set: the given dataset (--heldout),
 * else, when the spec trains on the shipped MNIST training split (its data root says so), the MNIST digits
 * held out from it. Any other training set has no known held-out split: the reason is returned instead.
 */
export async function evaluateHeldout(spec: TrainingSpec, state: TrainingState, given?: { dataset: Dataset; file: string }): Promise<HeldoutEvaluation | { heldoutNotEvaluated: string }> {
  let dataset: Dataset, name: string;
  if (given) {
    const d = given.dataset;
    if (d.features !== spec.data.features || d.classes !== spec.data.classes) {
      throw new DatasetError(`--heldout ${given.file} has ${d.features} features and ${d.classes} classes, the job's spec ${spec.data.features} and ${spec.data.classes}`);
    }
    if (datasetRoot(d).toString("hex") === spec.data.root) throw new DatasetError(`--heldout ${given.file} is the job's training set itself, not a held-out split`);
    dataset = d;
    name = given.file;
  } else {
    const mnist = loadMnist();
    if (datasetRoot(mnist.train).toString("hex") !== spec.data.root) {
      return { heldoutNotEvaluated: `the job trains on dataset root ${spec.data.root}, not the shipped MNIST split: give its held-out split with --heldout <file.vtds>` };
    }
    dataset = mnist.heldout;
    name = "mnist";
  }
  return { heldoutAccuracy: await stateAccuracy(spec, state, dataset), heldoutExamples: dataset.count, heldoutDataset: name };
}
