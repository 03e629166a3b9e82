import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { toHex } from "../commitment/hash.ts";
import { stateRoot } from "../commitment/stateRoot.ts";
import { sampleBatch, type Batch, type Dataset } from "../engine/batch.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { onnxRunner } from "../engine/onnx/runner.ts";
import { defaultThreads, parallelRunner } from "../engine/parallel/parallelRunner.ts";
import { nextRng } from "../engine/random.ts";
import type { StepRunner } from "../engine/runner.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { initialState } from "../engine/state.ts";
import type { Tensor } from "../engine/tensor.ts";
import { charlmJob } from "../training/charlmJob.ts";
import { mnistCnnSpec, mnistSpec } from "../training/mnistJob.ts";
import { median, report, round } from "./report.ts";

/**
 * npm run bench:workers — throughput of data-parallel training (engine/parallel/) with N = 1, 2, 4 gradient
 * worker threads (each its own onnxruntime session, max(1, floor(cores / N)) intra-op threads) against one
 * in-process runner using every core; and whether all of them reached the same state roots over the same
 * steps in this run. Contenders run interleaved rounds of the same batches, each continuing its own state.
 * Then the same for the MNIST CNN (6 steps x 3 rounds) and the char LM (20 steps x 5 rounds), prefixed cnn_ and charlm_.
 * Env: BENCH_STEPS (MLP steps per round, default 40), BENCH_ROUNDS (default 7), BENCH_BATCH (default: the spec's 64).
 */
export interface WorkersMetrics {
  readonly workers_steps_per_s_1: number;
  readonly workers_steps_per_s_2: number;
  readonly workers_steps_per_s_4: number;
  /** N = 2 with the workers syncing by the summed cut (what a remote worker would use) instead of the state. */
  readonly workers_advance_steps_per_s_2: number;
  readonly single_process_steps_per_s: number;
  /** N = 2 over the single process (both on this machine's cores). */
  readonly workers_speedup_2: number;
  /** Every contender's state root after the same steps was the same. */
  readonly roots_identical_across_workers: boolean;
}

export interface MeasureOptions {
  readonly spec?: TrainingSpec;
  readonly dataset?: Dataset;
  readonly steps?: number;
  readonly rounds?: number;
  readonly log?: (msg: string) => void;
}

export async function measureWorkers(o: MeasureOptions = {}): Promise<WorkersMetrics> {
  const base = o.spec && o.dataset ? { spec: o.spec, data: { train: o.dataset } } : mnistSpec();
  const spec = o.spec ?? base.spec, dataset = o.dataset ?? base.data.train;
  const steps = o.steps ?? 40, rounds = o.rounds ?? 7;
  const graph = buildStepGraph(spec);
  const batches: Batch[] = [];
  for (let i = 0, rng = initialState(spec).rng; i < steps; i++, rng = nextRng(rng)) batches.push(sampleBatch(dataset, rng, spec));

  const contenders: { name: string; runner: StepRunner; state: readonly Tensor[]; ms: number[] }[] = [];
  const start = initialState(spec);
  try {
    const add = async (name: string, make: () => Promise<StepRunner>) => contenders.push({ name, runner: await make(), state: start.tensors, ms: [] });
    await add("single", () => onnxRunner(graph));
    for (const n of [1, 2, 4]) await add(`workers${n}`, () => parallelRunner(graph, { workers: n }));
    await add("advance2", () => parallelRunner(graph, { workers: 2, sync: "advance" }));
    // Round 0 warms every session up and is not timed; every contender runs the same steps on the same batches.
    for (let r = 0; r <= rounds; r++) {
      for (const c of contenders) {
        const t0 = performance.now();
        for (const b of batches) c.state = (await c.runner.run(c.state, b)).state;
        if (r > 0) c.ms.push((performance.now() - t0) / steps);
      }
      o.log?.(`round ${r}/${rounds}: ${contenders.map((c) => `${c.name} ${c.ms.length ? (1000 / c.ms.at(-1)!).toFixed(0) : "warm-up"}`).join(", ")} steps/s`);
    }
  } finally {
    await Promise.allSettled(contenders.map((c) => c.runner.close()));
  }
  const sps = (name: string) => 1000 / median(contenders.find((c) => c.name === name)!.ms);
  const roots = contenders.map((c) => toHex(stateRoot(spec, { ...start, tensors: c.state })));
  const single = sps("single"), two = sps("workers2");
  return {
    workers_steps_per_s_1: round(sps("workers1"), 1),
    workers_steps_per_s_2: round(two, 1),
    workers_steps_per_s_4: round(sps("workers4"), 1),
    workers_advance_steps_per_s_2: round(sps("advance2"), 1),
    single_process_steps_per_s: round(single, 1),
    workers_speedup_2: round(two / single, 3),
    roots_identical_across_workers: roots.every((r) => r === roots[0]) && roots[0] !== toHex(stateRoot(spec, start)),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const batchSize = process.env.BENCH_BATCH ? Number(process.env.BENCH_BATCH) : undefined;
  const steps = Number(process.env.BENCH_STEPS ?? 40), rounds = Number(process.env.BENCH_ROUNDS ?? 7);
  const log = (msg: string) => process.stderr.write(`[bench:workers] ${msg}\n`);
  const { spec, data } = mnistSpec(batchSize ? { batchSize } : {});
  const metrics: Record<string, number | boolean> = { ...(await measureWorkers({ spec, dataset: data.train, steps, rounds, log })) };
  // The spec-v2 models, with fewer steps (a CNN step is ~50x the MLP's): their figures prefixed by the model.
  const cnn = mnistCnnSpec();
  const lm = charlmJob();
  const more = [
    { name: "cnn", spec: cnn.spec, dataset: cnn.data.train, steps: 6, rounds: 3 },
    { name: "charlm", spec: lm.spec, dataset: lm.corpus.train, steps: 20, rounds: 5 },
  ];
  for (const m of more) {
    log(`${m.name}: ${m.steps} steps x ${m.rounds} rounds`);
    const r = await measureWorkers({ spec: m.spec, dataset: m.dataset, steps: m.steps, rounds: m.rounds, log });
    for (const [k, v] of Object.entries(r)) metrics[`${m.name}_${k}`] = v;
  }
  report("workers", metrics, {
    cores: availableParallelism(), batchSize: spec.training.batchSize, layers: spec.model.layers, steps, rounds,
    models: Object.fromEntries(more.map((m) => [m.name, { batchSize: m.spec.training.batchSize, steps: m.steps, rounds: m.rounds }])),
    threadsPerWorker: Object.fromEntries([1, 2, 4].map((n) => [n, defaultThreads(n)])),
  });
}
