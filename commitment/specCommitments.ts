import { VeritrainError } from "../core/errors.ts";
import { bareHex, type Root, toRoot } from "../core/root.ts";
import type { Dataset } from "../engine/batch.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { specHash, type TrainingSpec } from "../engine/spec.ts";
import { initialState } from "../engine/state.ts";
import { datasetRoot } from "./dataset.ts";
import { buildProgram } from "./program.ts";
import { stateRoot } from "./stateRoot.ts";

/**
 * The four commitments a job posts about what it trains (IJobMarket.JobParams), computed by the engine from a
 * spec and its dataset: the spec hash, the step program's root, the initial state's root and the dataset root.
 * A client posts them (client/postJob.ts); a solver or a verifier checks a job against the spec it fetched.
 */
export interface SpecCommitments {
  readonly specHash: Root;
  readonly programRoot: Root;
  readonly initialRoot: Root;
  readonly datasetRoot: Root;
}

export const COMMITMENT_FIELDS = ["specHash", "programRoot", "initialRoot", "datasetRoot"] as const;

/** The dataset given with a spec is not the one the spec commits to (its root differs from `spec.data.root`). */
export class DatasetRootMismatchError extends VeritrainError {
  override name = "DatasetRootMismatchError";
  readonly expected: string;
  readonly actual: string;
  constructor(expected: string, actual: string) {
    super(`the dataset's root ${actual} is not the spec's data root ${expected}: this is not the dataset the spec names`, { expected, actual });
    this.expected = expected;
    this.actual = actual;
  }
}

/** A job's committed values are not those of the spec (and dataset) it is checked against; `field` names the first. */
export class CommitmentMismatchError extends VeritrainError {
  override name = "CommitmentMismatchError";
  readonly field: string;
  constructor(field: string, message: string) {
    super(message, { field });
    this.field = field;
  }
}

/** The commitments of `spec` trained on `dataset`; throws DatasetRootMismatchError when the dataset is not the spec's. */
export function specCommitments(spec: TrainingSpec, dataset: Dataset): SpecCommitments {
  const dRoot = toRoot(datasetRoot(dataset));
  if (bareHex(dRoot) !== spec.data.root) throw new DatasetRootMismatchError(spec.data.root, bareHex(dRoot));
  return {
    specHash: toRoot(specHash(spec)),
    programRoot: toRoot(buildProgram(spec, buildStepGraph(spec)).root),
    initialRoot: toRoot(stateRoot(spec, initialState(spec))),
    datasetRoot: dRoot,
  };
}

/**
 * Checks that a job's committed spec hash, program, initial state and dataset roots are those of `spec` and
 * `dataset`; throws a CommitmentMismatchError whose message starts with `what` (e.g. "job 7") and names the
 * first field that differs (or why the commitments could not be computed).
 */
export function checkCommitments(job: { readonly [K in (typeof COMMITMENT_FIELDS)[number]]: string }, spec: TrainingSpec, dataset: Dataset, what = "the job"): void {
  let c: SpecCommitments;
  try {
    c = specCommitments(spec, dataset);
  } catch (e) {
    throw new CommitmentMismatchError(e instanceof DatasetRootMismatchError ? "datasetRoot" : "spec", `${what}: ${(e as Error).message}`);
  }
  for (const k of COMMITMENT_FIELDS) {
    if (c[k] !== toRoot(job[k], `the job's ${k}`)) throw new CommitmentMismatchError(k, `${what}: its ${k} ${job[k]} is not the spec's ${c[k]}`);
  }
}
