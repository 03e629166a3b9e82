import { spawn } from "node:child_process";
import { hash } from "node:crypto";
import { availableParallelism, cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { sampleBatch, type Batch } from "../engine/batch.ts";
import { accuracy } from "../engine/evaluate.ts";
import { buildStepGraph, isParameter, stateLayout } from "../engine/graph.ts";
import { onnxRunner } from "../engine/onnx/runner.ts";
import type { SessionOptions } from "../engine/onnx/session.ts";
import { nextRng } from "../engine/random.ts";
import { referenceRunner } from "../engine/reference.ts";
import type { StepRunner } from "../engine/runner.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { initialState, type TrainingState } from "../engine/state.ts";
import type { Tensor } from "../engine/tensor.ts";
import { commitState } from "../commitment/stateRoot.ts";
import { train } from "../training/train.ts";
import { mnistSpec } from "../training/mnistJob.ts";
import { floatBatch, float32Mlp } from "./float32Mlp.ts";
import { median, report, round } from "./report.ts";
import { measureWorkers } from "./workers.ts";

/**
 * npm run bench:engine — the price of determinism: the deterministic ONNX step against a plain float32
 * onnxruntime MLP of the same shape and batch (same onnxruntime, same session options, same work per step),
 * the cost of a state root, the cost of a traced step, and the held-out accuracy of the default job.
 *
 * How the ratio is measured (docs/benchmarks.md, bench:engine): the measurement runs BENCH_RUNS times (3),
 * each in a fresh child process. In a child, for each batch size, both contenders get one intra-op thread
 * and run in alternating blocks of BENCH_BLOCK steps (5), BENCH_BLOCKS blocks each (200, after warm-up);
 * a block is timed in CPU time of the process (process.cpuUsage: every thread of it), which other tenants
 * of a shared machine do not inflate the way they inflate wall time. A round is one block of each, back to
 * back; the ratio of a run is the median over rounds of float32's block time over the deterministic one's;
 * the metric is the median of the runs' ratios, and the spread (max - min over the runs) is printed next to
 * it. Step times are lower quartiles of the blocks. The wall-clock ratio of the same blocks is kept as
 * `det_vs_float32_ratio_wall` (it moves with the machine's load). Env: BENCH_RUNS, BENCH_BLOCKS,
 * BENCH_BLOCK, BENCH_BATCHES (default 64,128,256), BENCH_TRAIN_STEPS (accuracy run, default 2000), BENCH_WORKER_STEPS and BENCH_WORKER_ROUNDS (the workers measurement, 40 and 5).
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 200);
const BLOCK = Number(process.env.BENCH_BLOCK ?? 5);
const BATCHES = (process.env.BENCH_BATCHES ?? "64,128,256").split(",").filter(Boolean).map(Number);
const TRAIN_STEPS = Number(process.env.BENCH_TRAIN_STEPS ?? 2000);
const CHECKPOINT_INTERVAL = 100;
/** Both contenders' sessions: one intra-op thread (the CPU-time measurement needs no idle spinning). */
const SESSION: SessionOptions = { threads: 1 };
const CHILD_FLAG = "--measure";

const log = (msg: string) => process.stderr.write(`[bench:engine] ${msg}\n`);

/** One run's figures for one batch size (times in ms per step). */
interface BatchFigures {
  readonly batch: number;
  readonly ratio: number;
  readonly ratioWall: number;
  readonly detMs: number;
  readonly f32Ms: number;
  readonly detWallMs: number;
  readonly f32WallMs: number;
}

interface RunFigures {
  readonly batches: BatchFigures[];
  /** A traced step (every tensor out, the dispute's op trace) at the first batch size, CPU ms. */
  readonly traceMs: number;
  readonly traceLeanMs: number;
}

function quantile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(p * (s.length - 1))]!;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** The real learning rate of the spec's integer one (docs/engine.md, "Scales"); gradients are batch sums. */
function realLearningRate(spec: TrainingSpec): number {
  const q = spec.quant, o = spec.optimizer;
  return (o.lrNum / 2 ** o.lrShift) * 2 ** (2 * (8 - q.inputShift) - q.weightShift - q.errShift);
}

function drawBatches(spec: TrainingSpec, data: ReturnType<typeof mnistSpec>["data"], n: number): Batch[] {
  let rng = initialState(spec).rng;
  return Array.from({ length: n }, () => {
    const b = sampleBatch(data.train, rng, spec);
    rng = nextRng(rng);
    return b;
  });
}

/** One child's measurement: every batch size, both contenders interleaved block by block. */
async function measure(): Promise<RunFigures> {
  const figures: BatchFigures[] = [];
  let traceMs = 0, traceLeanMs = 0;
  for (const batch of BATCHES) {
    const { spec, data } = mnistSpec({ batchSize: batch });
    const graph = buildStepGraph(spec);
    const det = await onnxRunner(graph, SESSION);
    const o = spec.optimizer;
    const f32 = await float32Mlp(spec.model.layers, batch, realLearningRate(spec), o.momentumNum / 2 ** o.momentumShift, SESSION);
    // Batches drawn up front: both contenders run the same examples, and neither pays for sampling.
    const batches = drawBatches(spec, data, 20);
    const fbatches = batches.map((b) => floatBatch(data.train, b));
    let state: readonly Tensor[] = initialState(spec).tensors;
    let k = 0;
    const detBlock = async () => {
      for (let i = 0; i < BLOCK; i++) state = (await det.run(state, batches[k++ % batches.length]!)).state;
    };
    const f32Block = async () => {
      for (let i = 0; i < BLOCK; i++) await f32.step(fbatches[k++ % fbatches.length]!);
    };
    for (let i = 0; i < 20; i++) { await detBlock(); await f32Block(); } // warm-up: allocation, caches
    const cpu = { det: [] as number[], f32: [] as number[] }, wall = { det: [] as number[], f32: [] as number[] };
    for (let r = 0; r < BLOCKS; r++) {
      // Alternate which contender goes first, so that neither always runs in the other's wake.
      for (const who of r % 2 ? (["f32", "det"] as const) : (["det", "f32"] as const)) {
        const c0 = cpuMs(), w0 = performance.now();
        await (who === "det" ? detBlock() : f32Block());
        wall[who].push((performance.now() - w0) / BLOCK);
        cpu[who].push((cpuMs() - c0) / BLOCK);
      }
    }
    const detMs = quantile(cpu.det, 0.25), f32Ms = quantile(cpu.f32, 0.25);
    const detWallMs = quantile(wall.det, 0.25), f32WallMs = quantile(wall.f32, 0.25);
    // Each round's two blocks ran back to back, under the same load: the median of their ratios.
    const ratio = median(cpu.f32.map((f, r) => f / cpu.det[r]!)), ratioWall = median(wall.f32.map((f, r) => f / wall.det[r]!));
    figures.push({ batch, ratio, ratioWall, detMs, f32Ms, detWallMs, f32WallMs });
    log(`batch ${batch}: deterministic ${detMs.toFixed(3)} ms/step, float32 ${f32Ms.toFixed(3)} (CPU, lower quartiles of ${BLOCKS} blocks of ${BLOCK}, ratio ${(f32Ms / detMs).toFixed(3)}); median of the rounds' ratios ${ratio.toFixed(3)}, wall ${ratioWall.toFixed(3)}`);
    if (batch === BATCHES[0]) {
      // The dispute's op trace comes from a second session, built on the first traced step: time it against
      // lean steps in the same blocks. Normal training never builds it.
      await det.run(state, batches[0]!, { trace: true });
      const tr: number[] = [], ln: number[] = [];
      for (let r = 0; r < 30; r++) {
        let c0 = cpuMs();
        await det.run(state, batches[r % batches.length]!, { trace: true });
        tr.push(cpuMs() - c0);
        c0 = cpuMs();
        await det.run(state, batches[r % batches.length]!);
        ln.push(cpuMs() - c0);
      }
      traceMs = median(tr);
      traceLeanMs = median(ln);
    }
    await det.close();
    await f32.close();
  }
  return { batches: figures, traceMs, traceLeanMs };
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
const first = (f: (b: BatchFigures) => number) => median(runs.map((r) => f(r.batches[0]!)));
const detStep = first((b) => b.detMs), f32Step = first((b) => b.f32Ms);
const allRatios = runs.flatMap((r) => r.batches.map((b) => b.ratio));

const { spec, data } = mnistSpec();
const graph = buildStepGraph(spec);
const refBatches = drawBatches(spec, data, 20);
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
}, { layers: spec.model.layers, cpus: availableParallelism(), cpu: cpus()[0]?.model, runs: RUNS, blocks: BLOCKS, stepsPerBlock: BLOCK, batches: BATCHES, sessionThreads: SESSION.threads, perRun: runs });
