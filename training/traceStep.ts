import type { Dataset } from "../engine/batch.ts";
import { sampleBatch } from "../engine/batch.ts";
import { nextRng } from "../engine/random.ts";
import type { StepRunner } from "../engine/runner.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";
import type { Tensor } from "../engine/tensor.ts";
import { commitState, type StateCommitment } from "../commitment/stateRoot.ts";
import { buildTrace, type OpTrace } from "../commitment/trace.ts";

/**
 * Re-executes one step from `pre` with every intermediate tensor kept, and returns its op trace (anchored
 * to the pre- and post-state roots) and the post-state: what a party needs to play levels 2 and 3 of a
 * dispute about this step.
 */
export interface TracedStep {
  /** Every tensor of the executed step, by graph tensor id. */
  readonly all: readonly Tensor[];
  readonly pre: StateCommitment;
  readonly post: TrainingState;
  readonly postCommitment: StateCommitment;
  readonly trace: OpTrace;
}

export async function traceStep(runner: StepRunner, spec: TrainingSpec, dataset: Dataset, pre: TrainingState): Promise<TracedStep> {
  const batch = sampleBatch(dataset, pre.rng, spec);
  const r = await runner.run(pre.tensors, batch, { trace: true });
  const post: TrainingState = { specHash: pre.specHash, step: pre.step + 1, dataCursor: pre.dataCursor + spec.training.batchSize, rng: nextRng(pre.rng), tensors: r.state };
  const preC = commitState(spec, pre), postC = commitState(spec, post);
  return { all: r.all!, pre: preC, post, postCommitment: postC, trace: buildTrace(runner.graph, r.all!, preC.root, postC.root) };
}
