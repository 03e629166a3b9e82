import type { Hash } from "../commitment/hash.ts";
import { buildProgram, type Program } from "../commitment/program.ts";
import type { StateCommitment } from "../commitment/stateRoot.ts";
import type { OpTrace } from "../commitment/trace.ts";
import type { Dataset } from "../engine/batch.ts";
import { buildStepGraph, type StepGraph } from "../engine/graph.ts";
import { referenceRunner } from "../engine/reference.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";
import type { Tensor } from "../engine/tensor.ts";
import { traceStep } from "../training/traceStep.ts";

/** What a party holds about the disputed step: enough to open any operand of any entry. */
export interface SettlementSource {
  readonly spec: TrainingSpec;
  readonly graph: StepGraph;
  readonly program: Program;
  /** The agreed pre-state and its commitment (commitState). */
  readonly pre: TrainingState;
  readonly preCommitment: StateCommitment;
  /** The honest trace of the step (training/traceStep.ts): the agreed prefix is its prefix. */
  readonly trace: OpTrace;
  readonly dataset: Dataset;
}

/** A step re-executed from `pre` (reference backend) with what settling any of its entries needs. */
export interface SettlementStep {
  readonly src: SettlementSource;
  /** Every tensor of the step, by graph tensor id (the honest values). */
  readonly all: readonly Tensor[];
  readonly post: TrainingState;
  readonly postRoot: Hash;
}

/** Re-executes the step from `pre` with the reference backend (the definition every backend matches), traced. */
export async function settlementStep(spec: TrainingSpec, dataset: Dataset, pre: TrainingState): Promise<SettlementStep> {
  const graph = buildStepGraph(spec);
  const t = await traceStep(referenceRunner(graph), spec, dataset, pre);
  return {
    src: { spec, graph, program: buildProgram(spec, graph), pre, preCommitment: t.pre, trace: t.trace, dataset },
    all: t.all, post: t.post, postRoot: t.postCommitment.root,
  };
}
