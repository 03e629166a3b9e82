import { hash } from "node:crypto";
import { availableParallelism, cpus } from "node:os";
import { sampleBatch } from "../engine/batch.ts";
import { accuracy } from "../engine/evaluate.ts";
import { buildStepGraph, stateLayout } from "../engine/graph.ts";
import { onnxRunner } from "../engine/onnx/runner.ts";
import { nextRng } from "../engine/random.ts";
import { referenceRunner } from "../engine/reference.ts";
import type { StepRunner } from "../engine/runner.ts";
import { initialState, type TrainingState } from "../engine/state.ts";
import { commitState } from "../commitment/stateRoot.ts";
import { train } from "../training/train.ts";
import { mnistSpec } from "../training/mnistJob.ts";
import { floatBatch, float32Mlp } from "./float32Mlp.ts";
import { median, report, round } from "./report.ts";

/**
 * npm run bench:engine — speed of the deterministic engine against a plain float32 onnxruntime MLP (same
 * model, batch and work per step, measured in the same process, interleaved rounds), the cost of a state
 * root, and the held-out accuracy of the default job. Env: BENCH_STEPS (timed steps per round, default
 * 100), BENCH_ROUNDS (default 15), BENCH_TRAIN_STEPS (accuracy run, default 2000), BENCH_EXTRA_BATCHES (ratio at other batch sizes, default 128,256).
 */
const STEPS = Number(process.env.BENCH_STEPS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const TRAIN_STEPS = Number(process.env.BENCH_TRAIN_STEPS ?? 2000);
const EXTRA_BATCHES = (process.env.BENCH_EXTRA_BATCHES ?? "128,256").split(",").filter(Boolean).map(Number);
const CHECKPOINT_INTERVAL = 100;

const { spec, data } = mnistSpec();
const B = spec.training.batchSize;
const graph = buildStepGraph(spec);
const log = (msg: string) => process.stderr.write(`[bench:engine] ${msg}\n`);

// Batches are drawn up front so that every contender times the same work on the same examples.
const batches = (() => {
  let rng = initialState(spec).rng;
  return Array.from({ length: STEPS }, () => {
    const b = sampleBatch(data.train, rng, spec);
    rng = nextRng(rng);
    return b;
  });
})();

async function timeRunner(runner: StepRunner, state: TrainingState, steps: number): Promise<{ msPerStep: number; state: TrainingState }> {
  let tensors = state.tensors;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) tensors = (await runner.run(tensors, batches[i % batches.length]!)).state;
  return { msPerStep: (performance.now() - t0) / steps, state: { ...state, tensors } };
}

const det = await onnxRunner(graph);
const ref = referenceRunner(graph);
// The real learning rate of the spec's integer one: weight gradients carry 2 * (8 - inputShift) - weightShift
// - errShift fractional bits more than master weights (docs/engine.md, "Scales"); gradients are batch sums.
const q = spec.quant;
const realLr = (spec.optimizer.lrNum / 2 ** spec.optimizer.lrShift) * 2 ** (2 * (8 - q.inputShift) - q.weightShift - q.errShift);
const f32 = await float32Mlp(spec.model.layers, B, realLr, spec.optimizer.momentumNum / 2 ** spec.optimizer.momentumShift);
const fbatches = batches.map((b) => floatBatch(data.train, b));
let detState = initialState(spec);
// Warm-up: first runs allocate and tune.
detState = (await timeRunner(det, detState, 50)).state;
for (let i = 0; i < 50; i++) await f32.step(fbatches[i]!);

// Interleaved rounds, so that both contenders see the same machine load; the ratio is the median of the
// per-round ratios (robust to a noisy neighbour on a shared machine).
const detMs: number[] = [], f32Ms: number[] = [], ratios: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const d = await timeRunner(det, detState, STEPS);
  detState = d.state;
  detMs.push(d.msPerStep);
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) await f32.step(fbatches[i]!);
  f32Ms.push((performance.now() - t0) / STEPS);
  ratios.push(f32Ms[r]! / d.msPerStep);
  log(`round ${r + 1}/${ROUNDS}: deterministic ${d.msPerStep.toFixed(3)} ms/step, float32 ${f32Ms[r]!.toFixed(3)} ms/step`);
}
// The same comparison at larger batches: determinism's cost is per weight (exact rounding of the update),
// the float work per example, so the ratio depends on the batch size.
const extraRatios: Record<string, number> = {};
for (const eb of EXTRA_BATCHES) {
  const { spec: es } = mnistSpec({ batchSize: eb });
  const eg = buildStepGraph(es);
  const erun = await onnxRunner(eg);
  const ef = await float32Mlp(es.model.layers, eb, realLr, 0);
  let rng = initialState(es).rng;
  const eBatches = Array.from({ length: 20 }, () => {
    const b = sampleBatch(data.train, rng, es);
    rng = nextRng(rng);
    return b;
  });
  const eF = eBatches.map((b) => floatBatch(data.train, b));
  let st = initialState(es).tensors;
  const rs: number[] = [];
  for (let r = 0; r < 7; r++) {
    let t0 = performance.now();
    for (let i = 0; i < 40; i++) st = (await erun.run(st, eBatches[i % 20]!)).state;
    const dMs = performance.now() - t0;
    t0 = performance.now();
    for (let i = 0; i < 40; i++) await ef.step(eF[i % 20]!);
    if (r > 0) rs.push((performance.now() - t0) / dMs); // round 0 warms up
  }
  extraRatios[`det_vs_float32_ratio_b${eb}`] = round(median(rs), 3);
  log(`batch ${eb}: ratio ${extraRatios[`det_vs_float32_ratio_b${eb}`]}`);
  await erun.close();
  await ef.close();
}

const refRun = await timeRunner(ref, initialState(spec), Math.max(20, Math.floor(STEPS / 10)));
log(`reference ${refRun.msPerStep.toFixed(3)} ms/step`);
await det.close();
await f32.close();

// State root cost on a trained state (values spread over their ranges, as in a real checkpoint).
const commitMs: number[] = [];
let stateBytes = 0;
for (let i = 0; i < 30; i++) {
  const t0 = performance.now();
  const c = commitState(spec, detState);
  commitMs.push(performance.now() - t0);
  stateBytes = c.tensors.reduce((a, t) => a + t.bytes.length, 0);
}
const hashBuf = Buffer.alloc(64 << 20, 0x5a);
const hashMs: number[] = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  hash("sha256", hashBuf, "buffer");
  hashMs.push(performance.now() - t0);
}

log(`accuracy run: ${TRAIN_STEPS} steps`);
const t0 = performance.now();
const trained = await train({ spec, dataset: data.train, steps: TRAIN_STEPS, checkpointInterval: CHECKPOINT_INTERVAL, backend: "onnx" });
const trainS = (performance.now() - t0) / 1000;
const nWeights = stateLayout(spec).filter((s) => !s.name.endsWith(".v")).length;
const acc = await accuracy(spec, trained.state.tensors.slice(0, nWeights), data.heldout, "onnx");

const detStep = median(detMs), f32Step = median(f32Ms), commit = median(commitMs);
report("engine", {
  det_steps_per_s: round(1000 / detStep, 1),
  ref_steps_per_s: round(1000 / refRun.msPerStep, 1),
  float32_steps_per_s: round(1000 / f32Step, 1),
  det_vs_float32_ratio: round(median(ratios), 3),
  det_step_ms: round(detStep, 3),
  float32_step_ms: round(f32Step, 3),
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
  batch_size: B,
  ...extraRatios,
}, { layers: spec.model.layers, cpus: availableParallelism(), cpu: cpus()[0]?.model, rounds: ROUNDS, stepsPerRound: STEPS });
