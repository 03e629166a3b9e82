import { sampleBatch, type Dataset } from "../engine/batch.ts";
import { buildStepGraph, type StepGraph } from "../engine/graph.ts";
import { onnxRunner } from "../engine/onnx/runner.ts";
import { WorkersError } from "../engine/parallel/errors.ts";
import { MAX_WORKERS, parallelRunner } from "../engine/parallel/parallelRunner.ts";
import { nextRng } from "../engine/random.ts";
import { referenceRunner } from "../engine/reference.ts";
import type { BackendName, StepRunner } from "../engine/runner.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { initialState, type TrainingState } from "../engine/state.ts";
import type { Tensor } from "../engine/tensor.ts";
import { ceLossNats } from "../engine/ops/ceLoss.ts";
import { logitFracBits } from "../engine/specLm.ts";
import { type Checkpoint, historyRoot } from "../commitment/history.ts";
import { stateRoot } from "../commitment/stateRoot.ts";
import type { Hash } from "../commitment/hash.ts";

/**
 * Runs a training job: steps from a start state, a state root at step 0, at every `checkpointInterval`
 * steps and at the end, and the history root over those checkpoints. Roots do not depend on the backend.
 */
export interface TrainOptions {
  readonly spec: TrainingSpec;
  readonly dataset: Dataset;
  readonly steps: number;
  readonly checkpointInterval: number;
  readonly backend?: BackendName;
  /**
   * Data-parallel gradient workers (engine/parallel/): each batch is split over this many threads, each with
   * its own onnxruntime session; roots are bit-identical for any count. Default 1: one in-process runner.
   */
  readonly workers?: number;
  /** Resume from this state instead of the spec's initial state. */
  readonly start?: TrainingState;
  /** A runner of this spec's graph to use (and leave open) instead of creating one per call. */
  readonly runner?: StepRunner;
  readonly signal?: AbortSignal;
  readonly onStep?: (info: StepInfo) => void;
  readonly onCheckpoint?: (c: Checkpoint, state: TrainingState) => void | Promise<void>;
  /**
   * Test-only adversaries (solver/adversary.ts): a post-state to use instead of the engine's step from `pre`
   * (undefined: the engine's step). Honest training never sets it.
   */
  readonly override?: (pre: TrainingState) => TrainingState | undefined;
}

export interface StepInfo {
  readonly step: number;
  readonly steps: number;
  /**
   * The batch's loss in real units (display only: not committed): mean squared error, or the cross-entropy
   * in nats under a softmax_ce spec.
   */
  readonly loss: number;
}

export interface TrainResult {
  readonly state: TrainingState;
  readonly checkpoints: readonly Checkpoint[];
  readonly historyRoot: Hash;
}

export async function createRunner(graph: StepGraph, backend: BackendName = "onnx", workers = 1): Promise<StepRunner> {
  if (!Number.isSafeInteger(workers) || workers < 1 || workers > MAX_WORKERS) throw new WorkersError(`workers must be an integer in [1, ${MAX_WORKERS}], got ${workers}`);
  if (workers > 1) {
    if (backend !== "onnx") throw new WorkersError(`workers > 1 runs the onnx backend in each worker; the ${backend} backend trains in one process (use workers = 1)`);
    return parallelRunner(graph, { workers });
  }
  return backend === "onnx" ? onnxRunner(graph) : referenceRunner(graph);
}

/** Applies one step to a state (the pure state transition the dispute game re-executes). */
export async function applyStep(runner: StepRunner, spec: TrainingSpec, dataset: Dataset, s: TrainingState): Promise<{ state: TrainingState; logits: Tensor; labels: Tensor }> {
  const batch = sampleBatch(dataset, s.rng, spec);
  const r = await runner.run(s.tensors, batch);
  return {
    state: { specHash: s.specHash, step: s.step + 1, dataCursor: s.dataCursor + spec.training.batchSize, rng: nextRng(s.rng), tensors: r.state },
    logits: r.logits,
    labels: batch.labels,
  };
}

export function batchLoss(logits: Tensor, labels: Tensor, one: number): number {
  const [m, n] = logits.shape as [number, number];
  let sum = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const e = logits.data[i * n + j]! / one - (labels.data[i] === j ? 1 : 0);
      sum += e * e;
    }
  }
  return sum / m;
}

/** The loss a spec trains on, of one batch's logits, for display (stepLoss: the loss of StepInfo). */
export function stepLoss(spec: TrainingSpec, logits: Tensor, labels: Tensor): number {
  if (spec.version === 2 && spec.model.loss === "softmax_ce") return ceLossNats(logits, labels, logitFracBits(spec.quant.targetOne));
  return batchLoss(logits, labels, spec.quant.targetOne);
}

export async function train(o: TrainOptions): Promise<TrainResult> {
  if (!Number.isSafeInteger(o.steps) || o.steps < 1) throw new RangeError(`steps must be a positive integer, got ${o.steps}`);
  if (!Number.isSafeInteger(o.checkpointInterval) || o.checkpointInterval < 1) {
    throw new RangeError(`checkpointInterval must be a positive integer, got ${o.checkpointInterval}`);
  }
  const runner = o.runner ?? (await createRunner(buildStepGraph(o.spec), o.backend, o.workers));
  let s = o.start ?? initialState(o.spec);
  const checkpoints: Checkpoint[] = [];
  const checkpoint = async () => {
    const c = { step: s.step, root: stateRoot(o.spec, s) };
    checkpoints.push(c);
    await o.onCheckpoint?.(c, s);
  };
  try {
    await checkpoint();
    const end = s.step + o.steps;
    while (s.step < end) {
      o.signal?.throwIfAborted();
      const forced = o.override?.(s);
      if (forced) {
        s = forced;
        o.onStep?.({ step: s.step, steps: end, loss: Number.NaN });
      } else {
        const r = await applyStep(runner, o.spec, o.dataset, s);
        s = r.state;
        o.onStep?.({ step: s.step, steps: end, loss: stepLoss(o.spec, r.logits, r.labels) });
      }
      if (s.step % o.checkpointInterval === 0 || s.step === end) await checkpoint();
    }
  } finally {
    if (!o.runner) await runner.close();
  }
  return { state: s, checkpoints, historyRoot: historyRoot(checkpoints) };
}
