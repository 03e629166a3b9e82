import { type Root, rootBytes, toRoot } from "../core/root.ts";
import type { Checkpoint } from "../commitment/history.ts";
import type { Dataset } from "../engine/batch.ts";
import type { BackendName } from "../engine/runner.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";
import { train } from "../training/train.ts";
import type { SolverDb } from "./db.ts";
import { SolverError } from "./errors.ts";
import type { StateStore } from "../node/store.ts";

/**
 * Trains a won job to its last step, resumable: it starts from the latest checkpoint recorded in the database
 * (its state file read back from the store and checked against its root), so work up to that checkpoint is
 * never redone, and records each new checkpoint (state file first, then the row) as it is reached. Each call
 * is a "training run" row (its start step) so a resume is visible. The history is the same as an
 * uninterrupted run's: checkpoints are at absolute steps and the step function is deterministic.
 */
export interface TrainJobOptions {
  readonly db: SolverDb;
  readonly store: StateStore;
  readonly jobId: bigint;
  readonly spec: TrainingSpec;
  readonly dataset: Dataset;
  readonly steps: number;
  readonly checkpointInterval: number;
  readonly backend: BackendName;
  /** Data-parallel gradient workers (train()'s workers; the solver config's `workers`). */
  readonly workers?: number;
  readonly signal?: AbortSignal;
  readonly onCheckpoint?: (c: { step: number; root: Root; index: number }) => void;
  readonly onResume?: (fromStep: number) => void;
  /** Test-only adversaries (solver/adversary.ts): train()'s override. */
  readonly override?: (pre: TrainingState) => TrainingState | undefined;
}

export interface TrainedJob {
  readonly checkpoints: readonly Checkpoint[];
  /** Steps actually computed by this call. */
  readonly stepsRun: number;
  readonly startStep: number;
  readonly seconds: number;
}

export async function trainJob(o: TrainJobOptions): Promise<TrainedJob> {
  const stored = o.db.checkpoints(o.jobId);
  stored.forEach((c, i) => {
    if (c.idx !== i) throw new SolverError(`job ${o.jobId}: checkpoint rows are not contiguous (index ${c.idx} at position ${i})`);
  });
  const last = stored.at(-1);
  const asCheckpoints = () => o.db.checkpoints(o.jobId).map((c) => ({ step: c.step, root: rootBytes(c.root) }));
  if (last && last.step >= o.steps) return { checkpoints: asCheckpoints(), stepsRun: 0, startStep: last.step, seconds: 0 };
  const start = last ? await o.store.get(o.spec, last.root) : undefined;
  if (start && start.step !== last!.step) throw new SolverError(`job ${o.jobId}: stored state ${last!.root} is at step ${start.step}, its row says ${last!.step}`);
  const startStep = last?.step ?? 0;
  if (last) o.onResume?.(startStep);
  const run = o.db.startTrainRun(o.jobId, startStep);
  let index = stored.length;
  const t0 = performance.now();
  await train({
    spec: o.spec, dataset: o.dataset, steps: o.steps - startStep, checkpointInterval: o.checkpointInterval, backend: o.backend,
    ...(o.workers === undefined ? {} : { workers: o.workers }),
    ...(start ? { start } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.override ? { override: o.override } : {}),
    onCheckpoint: async (c, state) => {
      const root = toRoot(c.root);
      // The resumed start is already recorded: train() re-announces it as its first checkpoint.
      if (last && c.step === last.step) {
        if (root !== last.root) throw new SolverError(`job ${o.jobId}: resumed state root ${root} is not the stored ${last.root}`);
        return;
      }
      const put = await o.store.put(o.spec, state);
      if (put.root !== root) throw new SolverError(`job ${o.jobId}: stored root ${put.root} differs from the checkpoint's ${root}`);
      o.db.putCheckpoint(o.jobId, index, c.step, root);
      o.onCheckpoint?.({ step: c.step, root, index });
      index++;
    },
  });
  o.db.endTrainRun(run, o.steps);
  return { checkpoints: asCheckpoints(), stepsRun: o.steps - startStep, startStep, seconds: (performance.now() - t0) / 1000 };
}
