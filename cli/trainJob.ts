import { toHex } from "../commitment/hash.ts";
import { DatasetError } from "../engine/errors.ts";
import { stateAccuracy } from "../engine/evaluate.ts";
import type { BackendName } from "../engine/runner.ts";
import { specHash, type TrainingSpec } from "../engine/spec.ts";
import { encodeState } from "../engine/stateFile.ts";
import type { MnistSplit } from "../engine/mnist.ts";
import { train } from "../training/train.ts";
import type { Logger } from "../log/logger.ts";
import { checkWritable, writeOutFile } from "./outFile.ts";
import { createProgress } from "./progress.ts";

export interface TrainJobOptions {
  readonly spec: TrainingSpec;
  readonly data: MnistSplit;
  readonly steps: number;
  readonly checkpointInterval: number;
  readonly backend: BackendName;
  /** Data-parallel gradient workers (train()'s workers); default 1. */
  readonly workers?: number;
  readonly out?: string;
  readonly signal?: AbortSignal;
}

export interface TrainJobSummary {
  readonly specHash: string;
  readonly backend: BackendName;
  readonly steps: number;
  readonly checkpoints: number;
  readonly trainSeconds: number;
  readonly heldoutAccuracy: number;
  readonly heldoutExamples: number;
  readonly finalStateRoot: string;
  readonly historyRoot: string;
  readonly stateFile?: string;
}

/** Trains a job on the MNIST split with progress, evaluates it on the held-out digits, returns the roots. */
export async function runTrainJob(log: Logger, o: TrainJobOptions): Promise<TrainJobSummary> {
  if (o.spec.data.count !== o.data.train.count) {
    throw new DatasetError(`the spec expects ${o.spec.data.count} training examples, the MNIST training split has ${o.data.train.count}`);
  }
  if (o.out) await checkWritable("--out", o.out);
  const hash = specHash(o.spec);
  log.info({ specHash: hash, layers: o.spec.model.layers, batchSize: o.spec.training.batchSize, steps: o.steps, backend: o.backend, workers: o.workers ?? 1 }, "training");
  const progress = createProgress(log, "train", o.steps);
  const t0 = performance.now();
  let lossAvg = NaN;
  const result = await train({
    spec: o.spec, dataset: o.data.train, steps: o.steps, checkpointInterval: o.checkpointInterval, backend: o.backend,
    ...(o.workers === undefined ? {} : { workers: o.workers }),
    ...(o.signal ? { signal: o.signal } : {}),
    onStep: (i) => {
      lossAvg = Number.isNaN(lossAvg) ? i.loss : 0.98 * lossAvg + 0.02 * i.loss;
      progress.update(i.step, { loss: lossAvg.toFixed(4) });
    },
    onCheckpoint: (c) => void log.debug({ step: c.step, root: toHex(c.root) }, "checkpoint"),
  });
  progress.stop();
  const trainSeconds = (performance.now() - t0) / 1000;
  const acc = await stateAccuracy(o.spec, result.state, o.data.heldout, o.backend);
  const last = result.checkpoints[result.checkpoints.length - 1]!;
  if (o.out) {
    await writeOutFile("--out", o.out, encodeState(o.spec, result.state), "trained, but ");
    log.info({ file: o.out, step: result.state.step }, "state written");
  }
  return {
    specHash: hash, backend: o.backend, steps: o.steps, checkpoints: result.checkpoints.length,
    trainSeconds: Math.round(trainSeconds * 1000) / 1000, heldoutAccuracy: acc, heldoutExamples: o.data.heldout.count,
    finalStateRoot: toHex(last.root), historyRoot: toHex(result.historyRoot), ...(o.out ? { stateFile: o.out } : {}),
  };
}

export function printSummary(s: TrainJobSummary): void {
  const lines = [
    `spec hash           0x${s.specHash}`,
    `backend             ${s.backend}`,
    `steps               ${s.steps} in ${s.trainSeconds.toFixed(2)} s (${(s.steps / s.trainSeconds).toFixed(0)} steps/s)`,
    `held-out accuracy   ${(100 * s.heldoutAccuracy).toFixed(2)}% of ${s.heldoutExamples} MNIST digits`,
    `final state root    ${s.finalStateRoot}`,
    `history root        ${s.historyRoot} (${s.checkpoints} checkpoints)`,
  ];
  if (s.stateFile) lines.push(`state file          ${s.stateFile}`);
  process.stdout.write(lines.join("\n") + "\n");
}
