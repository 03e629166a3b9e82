import { spawn } from "node:child_process";
import { hash } from "node:crypto";
import { availableParallelism, cpus } from "node:os";
import { fileURLToPath } from "node:url";
import type { Batch } from "../engine/batch.ts";
import { accuracy } from "../engine/evaluate.ts";
import { buildStepGraph, isParameter, stateLayout } from "../engine/graph.ts";
import type { SessionOptions } from "../engine/onnx/session.ts";
import { referenceRunner } from "../engine/reference.ts";
import type { StepRunner } from "../engine/runner.ts";
import { initialState, type TrainingState } from "../engine/state.ts";
import { commitState } from "../commitment/stateRoot.ts";
import { train } from "../training/train.ts";
import { mnistSpec } from "../training/mnistJob.ts";
import { contenderPair, drawBatches, MODELS, type ModelName, parseModels } from "./contenderPair.ts";
import { cpuMs, interleave, type PairFigures, type Timing } from "./interleavedTiming.ts";
import { median, report, round } from "./report.ts";
import { measureWorkers } from "./workers.ts";

/**
 * npm run bench:engine — the price of determinism: the deterministic ONNX step against a plain float32
 * onnxruntime step of the same model and batch (same onnxruntime, same session options, same work per step:
 * bench/float32Mlp.ts, float32Cnn.ts, float32CharLm.ts), for the MLP at batch 64/128/256 and for every
 * default model (mlp, cnn, charlm) at its own batch size; the cost of a state root, the cost of a traced
 * step, and the held-out accuracy of the default job.
 *
 * How the ratio is measured (docs/benchmarks.md, bench:engine): the measurement runs BENCH_RUNS times (3),
 * each in a fresh child process. In a child, for each MLP batch size and then each model, both contenders
 * get one intra-op thread and run in alternating blocks of BENCH_BLOCK steps (5), BENCH_BLOCKS blocks each
 * (200, after warm-up; the CNN: BENCH_CNN_BLOCK 2, BENCH_CNN_BLOCKS 100, its step being ~40 times the
 * MLP's); a block is timed in CPU time of the process (process.cpuUsage: every thread of it), which other
 * tenants of a shared machine do not inflate the way they inflate wall time (bench/interleavedTiming.ts). A
 * round is one block of each, back to back; the ratio of a run is the median over rounds of float32's block
 * time over the deterministic one's; the metric is the median of the runs' ratios, and the spread (max - min
 * over the runs) is printed next to it. Step times are lower quartiles of the blocks. The wall-clock ratio of
 * the same blocks is kept as `det_vs_float32_ratio_wall` (it moves with the machine's load). Env:
 * BENCH_RUNS, BENCH_BLOCKS, BENCH_BLOCK, BENCH_BATCHES (default 64,128,256), BENCH_MODELS (default
 * mlp,cnn,charlm; also cnn_ce), BENCH_CNN_BLOCKS, BENCH_CNN_BLOCK, BENCH_TRAIN_STEPS (accuracy run, default 2000),
 * BENCH_WORKER_STEPS and BENCH_WORKER_ROUNDS (the workers measurement, 40 and 5).
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 200);
const BLOCK = Number(process.env.BENCH_BLOCK ?? 5);
const BATCHES = (process.env.BENCH_BATCHES ?? "64,128,256").split(",").filter(Boolean).map(Number);
const MODEL_LIST = parseModels(process.env.BENCH_MODELS ?? MODELS.join(","));
const TRAIN_STEPS = Number(process.env.BENCH_TRAIN_STEPS ?? 2000);
const CHECKPOINT_INTERVAL = 100;
/** Both contenders' sessions: one intra-op thread (the CPU-time measurement needs no idle spinning). */
const SESSION: SessionOptions = { threads: 1 };
const CHILD_FLAG = "--measure";

function positiveInt(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return n;
}

/**
 * Rounds per model. The CNN's deterministic step is about 17 ms of CPU (about 40 times the MLP's), so it runs
 * fewer, shorter rounds: 100 rounds of 2-step blocks after 3 warm-up rounds, about 7 s per run (60 rounds
 * left the spread of its ratio over 3 runs at 0.05-0.07, about 5% of a ratio near 1.1).
 */
const TIMING: Record<ModelName, Timing> = {
  mlp: { blocks: BLOCKS, block: BLOCK, warmup: 20 },
  cnn: { blocks: positiveInt("BENCH_CNN_BLOCKS", 100), block: positiveInt("BENCH_CNN_BLOCK", 2), warmup: 3 },
  cnn_ce: { blocks: positiveInt("BENCH_CNN_BLOCKS", 100), block: positiveInt("BENCH_CNN_BLOCK", 2), warmup: 3 },
  charlm: { blocks: BLOCKS, block: BLOCK, warmup: 20 },
};

const log = (msg: string) => process.stderr.write(`[bench:engine] ${msg}\n`);

/** One run's figures for one batch size of the MLP (times in ms per step). */
interface BatchFigures extends PairFigures {
  readonly batch: number;
}

interface RunFigures {
  readonly batches: BatchFigures[];
  /** Each model at its own batch size. */
  readonly models: Partial<Record<ModelName, BatchFigures>>;
  /** A traced step (every tensor out, the dispute's op trace) at the first batch size, CPU ms. */
  readonly traceMs: number;
  readonly traceLeanMs: number;
}

const describe = (f: PairFigures, t: Timing) =>
  `deterministic ${f.detMs.toFixed(3)} ms/step, float32 ${f.f32Ms.toFixed(3)} (CPU, lower quartiles of ${t.blocks} blocks of ${t.block}); median of the rounds' ratios ${f.ratio.toFixed(3)}, wall ${f.ratioWall.toFixed(3)}`;

/** One child's measurement: every MLP batch size, then every model at its own, both contenders interleaved block by block. */
async function measure(): Promise<RunFigures> {
  const figures: BatchFigures[] = [];
  let traceMs = 0, traceLeanMs = 0;
  for (const batch of BATCHES) {
    const pair = await contenderPair("mlp", SESSION, batch);
    const f = await interleave(pair.detStep, pair.f32Step, TIMING.mlp);
    figures.push({ batch, ...f });
    log(`mlp batch ${batch}: ${describe(f, TIMING.mlp)}`);
    if (batch === BATCHES[0]) {
      // The dispute's op trace comes from a second session, built on the first traced step: time it against
      // lean steps in the same blocks. Normal training never builds it.
      const { runner, batches } = pair, state = pair.state();
      await runner.run(state, batches[0]!, { trace: true });
      const tr: number[] = [], ln: number[] = [];
      for (let r = 0; r < 30; r++) {
        let c0 = cpuMs();
        await runner.run(state, batches[r % batches.length]!, { trace: true });
        tr.push(cpuMs() - c0);
        c0 = cpuMs();
        await runner.run(state, batches[r % batches.length]!);
        ln.push(cpuMs() - c0);
      }
      traceMs = median(tr);
      traceLeanMs = median(ln);
    }
    await pair.close();
  }
  const models: Partial<Record<ModelName, BatchFigures>> = {};
  for (const model of MODEL_LIST) {
    const pair = await contenderPair(model, SESSION);
    const batch = pair.spec.training.batchSize;
    // The MLP at its own batch size is a point of the sweep above: the same measurement, not taken twice.
    const swept = model === "mlp" ? figures.find((b) => b.batch === batch) : undefined;
    if (swept) {
      await pair.close();
      models[model] = swept;
      continue;
    }
    const f = await interleave(pair.detStep, pair.f32Step, TIMING[model]);
    await pair.close();
    models[model] = { batch, ...f };
    log(`${model} (batch ${batch}): ${describe(f, TIMING[model])}`);
  }
  return { batches: figures, models, traceMs, traceLeanMs };
}

function runChild(i: number): Promise<RunFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), CHILD_FLAG], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`measurement run ${i + 1} exited with code ${code}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").at(-1)!) as RunFigures);
      } catch (e) {
        reject(new Error(`measurement run ${i + 1} printed no figures: ${(e as Error).message}`));
      }
    });
  });
}

async function timeRunner(runner: StepRunner, state: TrainingState, batches: readonly Batch[], steps: number): Promise<number> {
  let tensors = state.tensors;
  const c0 = cpuMs();
  for (let i = 0; i < steps; i++) tensors = (await runner.run(tensors, batches[i % batches.length]!)).state;
  return (cpuMs() - c0) / steps;
}

if (process.argv.includes(CHILD_FLAG)) {
  process.stdout.write(JSON.stringify(await measure()) + "\n");
  process.exit(0);
}

const runs: RunFigures[] = [];
for (let i = 0; i < RUNS; i++) {
  log(`measurement run ${i + 1}/${RUNS} (fresh process)`);
  runs.push(await runChild(i));
}
const perBatch: Record<string, number> = {};
for (const [j, b] of BATCHES.entries()) {
  const suffix = j === 0 && b === 64 ? "" : `_b${b}`;
  const ratios = runs.map((r) => r.batches[j]!.ratio), walls = runs.map((r) => r.batches[j]!.ratioWall);
  perBatch[`det_vs_float32_ratio${suffix}`] = round(median(ratios), 3);
  perBatch[`det_vs_float32_ratio_spread${suffix}`] = round(Math.max(...ratios) - Math.min(...ratios), 3);
  perBatch[`det_vs_float32_ratio_wall${suffix}`] = round(median(walls), 3);
  log(`batch ${b}: ratios ${ratios.map((r) => r.toFixed(3)).join(", ")} (wall ${walls.map((r) => r.toFixed(3)).join(", ")})`);
}
// Per model at its own batch size: det_vs_float32_ratio_<model> (+ _spread_, _wall_) and the step times.
const perModel: Record<string, number> = {};
for (const model of MODEL_LIST) {
  const figs = runs.map((r) => r.models[model]!);
  const ratios = figs.map((f) => f.ratio), walls = figs.map((f) => f.ratioWall);
  const med = (f: (x: BatchFigures) => number) => round(median(figs.map(f)), 3);
  Object.assign(perModel, {
    [`det_vs_float32_ratio_${model}`]: round(median(ratios), 3),
    [`det_vs_float32_ratio_spread_${model}`]: round(Math.max(...ratios) - Math.min(...ratios), 3),
    [`det_vs_float32_ratio_wall_${model}`]: round(median(walls), 3),
    [`det_step_ms_${model}`]: med((f) => f.detMs),
    [`det_step_wall_ms_${model}`]: med((f) => f.detWallMs),
    [`float32_step_ms_${model}`]: med((f) => f.f32Ms),
    [`float32_step_wall_ms_${model}`]: med((f) => f.f32WallMs),
    [`batch_size_${model}`]: figs[0]!.batch,
    [`blocks_${model}`]: TIMING[model].blocks,
    [`steps_per_block_${model}`]: TIMING[model].block,
  });
  log(`${model}: ratios ${ratios.map((r) => r.toFixed(3)).join(", ")} (wall ${walls.map((r) => r.toFixed(3)).join(", ")})`);
}
const first = (f: (b: BatchFigures) => number) => median(runs.map((r) => f(r.batches[0]!)));
const detStep = first((b) => b.detMs), f32Step = first((b) => b.f32Ms);
const allRatios = runs.flatMap((r) => r.batches.map((b) => b.ratio));

const { spec, data } = mnistSpec();
const graph = buildStepGraph(spec);
const refBatches = drawBatches(spec, data.train);
const refMs = await timeRunner(referenceRunner(graph), initialState(spec), refBatches, 20);
log(`reference ${refMs.toFixed(3)} ms/step`);

// State root cost on a trained state (values spread over their ranges, as in a real checkpoint), in CPU
// time like the step it is compared with.
log(`accuracy run: ${TRAIN_STEPS} steps`);
const t0 = performance.now();
const trained = await train({ spec, dataset: data.train, steps: TRAIN_STEPS, checkpointInterval: CHECKPOINT_INTERVAL, backend: "onnx" });
const trainS = (performance.now() - t0) / 1000;
const commitMs: number[] = [];
let stateBytes = 0;
for (let i = 0; i < 30; i++) {
  const c0 = cpuMs();
  const c = commitState(spec, trained.state);
  commitMs.push(cpuMs() - c0);
  stateBytes = c.tensors.reduce((a, t) => a + t.bytes.length, 0);
}
const hashBuf = Buffer.alloc(64 << 20, 0x5a);
const hashMs: number[] = [];
for (let i = 0; i < 3; i++) {
  const c0 = performance.now();
  hash("sha256", hashBuf, "buffer");
  hashMs.push(performance.now() - c0);
}
const nWeights = stateLayout(spec).filter((s) => isParameter(s.name)).length;
const acc = await accuracy(spec, trained.state.tensors.slice(0, nWeights), data.heldout, "onnx");

// Data-parallel workers (engine/parallel): throughput per N against one process using every core, and
// whether every N reached the same state roots over the same steps in this run (bench/workers.ts).
log("workers: N = 1, 2, 4 against one process");
const workers = await measureWorkers({ spec, dataset: data.train, steps: Number(process.env.BENCH_WORKER_STEPS ?? 40), rounds: Number(process.env.BENCH_WORKER_ROUNDS ?? 5), log });

const commit = median(commitMs);
const traceMs = median(runs.map((r) => r.traceMs)), traceLeanMs = median(runs.map((r) => r.traceLeanMs));
report("engine", {
  det_steps_per_s: round(1000 / detStep, 1),
  ref_steps_per_s: round(1000 / refMs, 1),
  float32_steps_per_s: round(1000 / f32Step, 1),
  ...perBatch,
  ...perModel,
  det_vs_float32_ratio_min: round(Math.min(...allRatios), 3),
  det_step_ms: round(detStep, 3),
  float32_step_ms: round(f32Step, 3),
  trace_step_ms: round(traceMs, 3),
  trace_vs_lean_step: round(traceMs / traceLeanMs, 2),
  commit_ms: round(commit, 3),
  commit_fraction_of_step: round(commit / detStep, 3),
  commit_fraction_amortized: round(commit / (detStep * CHECKPOINT_INTERVAL), 5),
  checkpoint_interval: CHECKPOINT_INTERVAL,
  state_bytes: stateBytes,
  commit_mb_per_s: round(stateBytes / 1e6 / (commit / 1000), 1),
  hash_mb_per_s: round((64 * 1.048576) / (median(hashMs) / 1000), 0),
  heldout_accuracy: round(acc, 4),
  train_steps: TRAIN_STEPS,
  train_s: round(trainS, 2),
  batch_size: BATCHES[0]!,
  runs: RUNS,
  ...workers,
}, { layers: spec.model.layers, cpus: availableParallelism(), cpu: cpus()[0]?.model, runs: RUNS, blocks: BLOCKS, stepsPerBlock: BLOCK, batches: BATCHES, models: MODEL_LIST, timing: TIMING, sessionThreads: SESSION.threads, perRun: runs });
