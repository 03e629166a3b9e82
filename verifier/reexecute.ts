import type { Dataset } from "../engine/batch.ts";
import type { BackendName, StepRunner } from "../engine/runner.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";
import { train } from "../training/train.ts";

/**
 * Re-executes a job's steps from a trusted state up to `toStep` with the deterministic engine (either
 * backend: the roots are bit-identical), reporting progress at most every `progressMs`. Cancellable.
 */
export interface ReexecuteOptions {
  readonly spec: TrainingSpec;
  readonly dataset: Dataset;
  readonly start: TrainingState;
  readonly toStep: number;
  readonly backend: BackendName;
  /** A runner to reuse across intervals (its session is created once per job, not per interval). */
  readonly runner?: StepRunner;
  readonly signal?: AbortSignal;
  readonly progressMs?: number;
  readonly onProgress?: (p: { step: number; toStep: number; stepsPerSecond: number }) => void;
}

export async function reexecute(o: ReexecuteOptions): Promise<{ state: TrainingState; seconds: number }> {
  const steps = o.toStep - o.start.step;
  if (!Number.isSafeInteger(steps) || steps < 0) throw new RangeError(`cannot re-execute from step ${o.start.step} to ${o.toStep}`);
  const t0 = performance.now();
  if (steps === 0) return { state: o.start, seconds: 0 };
  let last = t0;
  const r = await train({
    spec: o.spec, dataset: o.dataset, steps, checkpointInterval: steps, backend: o.backend, start: o.start, ...(o.runner ? { runner: o.runner } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    onStep: (i) => {
      const now = performance.now();
      if (o.onProgress && now - last >= (o.progressMs ?? 10_000)) {
        last = now;
        o.onProgress({ step: i.step, toStep: o.toStep, stepsPerSecond: (i.step - o.start.step) / ((now - t0) / 1000) });
      }
    },
  });
  return { state: r.state, seconds: (performance.now() - t0) / 1000 };
}
