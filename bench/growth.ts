import { network } from "hardhat";
import { decodeFunctionData, keccak256, toHex as hexOf } from "viem";
import { disputeGameAbi, jobMarketAbi } from "../chain/generated/contracts.ts";
import { toHex } from "../commitment/hash.ts";
import { buildProgram } from "../commitment/program.ts";
import { commitState } from "../commitment/stateRoot.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { referenceRunner } from "../engine/reference.ts";
import { initialState, type TrainingState } from "../engine/state.ts";
import type { Dataset } from "../engine/batch.ts";
import type { StepRunner } from "../engine/runner.ts";
import { makeSpec, type TrainingSpec } from "../engine/spec.ts";
import { datasetRoot } from "../commitment/dataset.ts";
import { deviatingStepper } from "../dispute/deviation.ts";
import { level1Rounds } from "../dispute/dissection.ts";
import { Phase, Reason } from "../dispute/gameState.ts";
import { playGame, type PlayProgress } from "../dispute/playGame.ts";
import { engineStepper, type Stepper } from "../dispute/replayView.ts";
import { createRunner, train } from "../training/train.ts";
import { mnistSpec } from "../training/mnistJob.ts";
import { reexecute } from "../verifier/reexecute.ts";
import { pickIntervals, sampleSize } from "../verifier/sampling.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { getJob, JobStatus, makeHistory, send } from "../test/contracts/helpers/market.ts";
import { challenge, commit, deployProtocolFixture, jobParams, postJob } from "../test/contracts/helpers/protocol.ts";
import { floorsOfBlocks, gasAtFloor, type TxFloor } from "./calldataFloor.ts";
import { fitLine } from "./fitLine.ts";
import { median, report, round } from "./report.ts";
import { Trajectory, TrajectoryView, type TrajectoryWorld } from "./trajectoryView.ts";

/**
 * npm run bench:growth — how the protocol's costs grow with the work, all measured but one figure named
 * `_derived` (the default model's dispute over 2^20 steps, from its measured parts):
 *  1. dispute vs interval length: one real training run of a tiny MLP ([6, 8, 3], batch 4; test/vectors'
 *     tinySpec) for 2^20 steps with the reference engine; for each interval length L = 2^6 .. 2^20 a job of L
 *     steps in ONE checkpoint interval, posted, taken and committed on an in-process Hardhat chain (the real
 *     JobMarket + DisputeGame + RecomputeKernelVerifier) by a solver that changed one element of the first
 *     layer's weight update at step floor(0.7 L) (+2^20) and ran every later step on from it (its roots are
 *     real for its own lie); the honest challenger disputes the interval and both sides play it to the end
 *     with the production player (dispute/playGame.ts). Every root either side posts is the engine's. The
 *     same on the DEFAULT model (784-128-10, batch 64, onnx backend) for L = 64, 512, 1,024 and 8,192, with
 *     bench:gas's matmul scenario (its data, seed and lie: l0.z element 4321, at step 700 of 1,024): level 1
 *     carries state roots only, so its gas is the tiny model's; what lies outside level 1 is the model's. A
 *     first dispute on the fresh deployment is played apart (it pays for first writes of market storage).
 *  2. commit vs checkpoint count N (2 .. 2,048, the market's maximum): jobs of the same 2^20-step run cut in
 *     N - 1 intervals of floor(2^20 / (N - 1)) steps, committed with the run's real roots, and a challenge of
 *     the middle interval (its two checkpoint openings are Merkle paths of log2 N nodes; the claimed root is
 *     made up: the game is opened, not played, and opening it costs the same whoever is right).
 *  3. verifier compute vs sampling rate: the default job (784-128-10 on MNIST, onnx backend) trained for
 *     BENCH_GROWTH_VERIFY_STEPS (default 2,000) steps with a checkpoint every 10 (200 intervals); at each rate
 *     the verifier re-executes its sample (verifier/sampling.ts's pick, verifier/reexecute.ts) from the
 *     solver's checkpoint states (checked against the committed roots) and compares the roots; 3 rounds, the
 *     median, against the solver's training time in the same process.
 * Env: BENCH_GROWTH_MAX_LOG2 (default 20: the longest interval and the commit series' run length),
 * BENCH_GROWTH_VERIFY_STEPS (default 2,000). About 6 minutes on the 2-core development machine.
 */
const MAX_LOG2 = Number(process.env.BENCH_GROWTH_MAX_LOG2 ?? 20);
const MIN_LOG2 = 6;
if (!Number.isInteger(MAX_LOG2) || MAX_LOG2 < MIN_LOG2 + 2 || MAX_LOG2 > 24) throw new RangeError(`BENCH_GROWTH_MAX_LOG2 must be an integer in [${MIN_LOG2 + 2}, 24], got ${process.env.BENCH_GROWTH_MAX_LOG2}`);
const W = 2 ** MAX_LOG2;
const SIZES = Array.from({ length: MAX_LOG2 - MIN_LOG2 + 1 }, (_, i) => 2 ** (MIN_LOG2 + i));
const COUNTS = [2, 8, 32, 128, 512, 2048].filter((n) => n - 1 <= 2 ** MAX_LOG2);
const RATES_BPS = [100, 200, 500, 1_000, 2_000];
const VERIFY_STEPS = Number(process.env.BENCH_GROWTH_VERIFY_STEPS ?? 2_000);
const VERIFY_INTERVAL = 10;
if (!Number.isInteger(VERIFY_STEPS) || VERIFY_STEPS < 100 || VERIFY_STEPS % VERIFY_INTERVAL !== 0) throw new RangeError(`BENCH_GROWTH_VERIFY_STEPS must be a multiple of ${VERIFY_INTERVAL} of at least 100, got ${process.env.BENCH_GROWTH_VERIFY_STEPS}`);
const VERIFY_ROUNDS = 3;
/** A state kept every KEEP steps of each run: any other state is at most KEEP - 1 steps of replay away. */
const KEEP = 1_024;
/** The default model's intervals (about 3 ms a step here: 2^20 steps would take an hour). */
const DEFAULT_SIZES = [64, 512, 1_024, 8_192].filter((L) => L <= 2 ** MAX_LOG2);
const log = (msg: string) => process.stderr.write(`[bench:growth] ${msg}\n`);
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
const fnName = (input: `0x${string}`) => decodeFunctionData({ abi: [...jobMarketAbi, ...disputeGameAbi], data: input }).functionName;
const metrics: Record<string, number> = {};

// ------------------------------------------------------------------ the models and their honest runs

/** A model whose honest run the disputes are played over, and where its lying solver changes a value. */
interface Model {
  readonly name: string;
  readonly world: TrajectoryWorld;
  readonly stepper: Stepper;
  readonly honest: Trajectory;
  readonly keep: number;
  /** The lie: element `element` (or the next that reaches the end) of the output `tensor`, +2^20, at step floor(0.7 L). */
  readonly tensor: string;
  readonly element: number;
}

function makeModel(name: string, spec: TrainingSpec, dataset: Dataset, runner: StepRunner, keep: number, tensor: string, element: number): Model {
  const graph = buildStepGraph(spec);
  const world = { spec, dataset, graph, program: buildProgram(spec, graph) };
  const stepper = engineStepper(runner, spec, dataset);
  return { name, world, stepper, honest: new Trajectory(world, stepper, keep, initialState(spec)), keep, tensor, element };
}

/** Runs a model's honest run to `to` in chunks (progress), recording the roots of `rootsAt` on the way. */
async function runHonest(m: Model, to: number, rootsAt: ReadonlySet<number>): Promise<number> {
  const r0 = performance.now();
  for (let s = 0; s < to; ) {
    s = Math.min(to, s + 2 ** 17);
    await m.honest.runTo(s, rootsAt);
    log(`${m.name}: honest run: ${s} / ${to} steps (${elapsed()})`);
  }
  const seconds = (performance.now() - r0) / 1000;
  log(`${m.name}: honest run of [${m.world.spec.model.layers}] (batch ${m.world.spec.training.batchSize}): ${to} steps in ${seconds.toFixed(1)} s`);
  return seconds;
}

// The tiny model (test/vectors' tinySpec, reference kernels: about 40 us a step here): 2^MAX_LOG2 steps.
const tinyData = syntheticDataset(12, 6, 3);
const tinyGraph = buildStepGraph(tinySpec(tinyData));
const tiny = makeModel("tiny", tinySpec(tinyData), tinyData, referenceRunner(tinyGraph), KEEP, "l0.w'", 0);
const intervalOf = (n: number) => Math.floor(W / (n - 1));
const rootsAt = new Set([0, ...SIZES, ...COUNTS.flatMap((n) => Array.from({ length: n }, (_, i) => i * intervalOf(n)))]);
const honestRunS = await runHonest(tiny, W, rootsAt);

// The default model (784-128-10, batch 64) on bench:gas's matmul scenario: the same synthetic data, seed and
// lie (l0.z element 4321 at step 700 of 1,024), so that its 1,024-step dispute is bench:gas's; onnx backend.
const mmData = syntheticDataset(256, 784, 10);
const mmSpec = makeSpec({ seed: "0c".repeat(32), data: { root: datasetRoot(mmData).toString("hex"), count: mmData.count, features: mmData.features, classes: mmData.classes } });
const mmRunner = await createRunner(buildStepGraph(mmSpec), "onnx");
// A state every 64 steps (408 KB each): a root the game asks for is at most 63 steps (about 0.2 s) away.
const dflt = makeModel("default", mmSpec, mmData, mmRunner, 64, "l0.z", 4321);
const defaultRunS = await runHonest(dflt, Math.max(...DEFAULT_SIZES), new Set([0, ...DEFAULT_SIZES]));

// ------------------------------------------------------------------ 1. dispute gas and rounds vs interval length

const { viem } = await network.create();
const p = await deployProtocolFixture(viem);
const pc = p.pc;
const [verifier] = p.others;
const escrow = 10n ** 18n;

/** A job of `steps` steps every `interval` of model `m`, posted by the client and taken by the solver. */
async function takenJob(m: Model, steps: number, interval: number) {
  const jp = jobParams(m.world.spec, m.world.dataset, { steps: BigInt(steps), checkpointInterval: BigInt(interval), clockDuration: 3_600n, challengeWindow: 86_400n });
  const { jobId } = await postJob(p, jp, escrow);
  await send(p, p.market.write.take([jobId], { account: p.solver.account, value: jp.requiredBond }));
  return { jobId, jp };
}

interface DisputeRun {
  readonly L: number;
  readonly txs: readonly TxFloor[];
  readonly names: readonly string[];
  readonly gas: number;
  readonly level1Rounds: number;
  readonly level1Gas: number;
  readonly solverSteps: number;
}

/** One job of L steps in one checkpoint interval, committed by the lying solver, disputed to its end. */
async function disputeOver(m: Model, L: number): Promise<DisputeRun> {
  const { world, honest } = m;
  const what = `${m.name}, L = ${L}`;
  const opIndex = world.graph.ops.findIndex((op) => world.graph.tensors[op.output]!.name === m.tensor);
  if (opIndex < 0) throw new Error(`${what}: no op computes ${m.tensor}`);
  const entry = 3 + opIndex;
  const devStep = Math.max(2, Math.floor((L * 700) / 1024));
  const honestFinal = await honest.root(L);
  // A changed value can be absorbed (a clamp, a ReLU): the next element is taken then, as bench:gas does.
  let liar: Trajectory | undefined;
  for (let element = m.element; element < m.element + 64 && !liar; element++) {
    const t = new Trajectory(world, deviatingStepper(m.stepper, world, [{ kind: "op", step: devStep, entry, element, delta: 1 << 20 }]), m.keep, { from: honest, until: devStep });
    if (!(await t.root(L)).equals(honestFinal)) liar = t;
  }
  if (!liar) throw new Error(`${what}: no change of ${m.tensor} at step ${devStep} reaches step ${L}`);
  const { jobId, jp } = await takenJob(m, L, L);
  const lieFinal = toHex(await liar.root(L));
  const history = makeHistory(L, L, toHex(await honest.root(0)), () => lieFinal);
  await commit(p, jobId, p.solver, history);
  const opened = await challenge(p, jobId, history, 1, toHex(honestFinal), verifier!, jp.challengeBond);
  const stuck = (side: string) => (e: PlayProgress) => {
    // The liar facing settlement has no move (its claim is not the true value): it waits to lose.
    if (e.kind === "stuck" && side === "solver" && e.phase === Phase.Settlement) return;
    if (e.kind === "stuck" || e.kind === "error" || e.kind === "timeout") throw new Error(`${what}: ${side}: ${e.kind} ${JSON.stringify(e, (_, v) => (typeof v === "bigint" ? String(v) : v))}`);
  };
  const common = { game: p.game.address, gameId: opened.gameId, kernel: "recompute" as const, pollMs: 5 };
  const [out] = await Promise.all([
    playGame({ ...common, client: p.solver, side: "solver", view: new TrajectoryView(liar, L), onProgress: stuck("solver") }),
    playGame({ ...common, client: verifier!, side: "challenger", view: new TrajectoryView(honest, L), onProgress: stuck("challenger") }),
  ]);
  const job = await getJob(p.market, jobId);
  if (out.solverWon || out.reason !== Reason.Settled || job.status !== JobStatus.Failed) throw new Error(`${what}: unexpected outcome ${JSON.stringify(out)} (job status ${job.status})`);
  // Every block from the challenge's on holds only this game's transactions (automine, one sender at a time).
  const txs = await floorsOfBlocks(pc, opened.receipt.blockNumber, await pc.getBlockNumber());
  const names = txs.map((t) => fnName(t.input));
  const gas = txs.reduce((a, t) => a + t.gasUsed, 0n);
  if (gasAtFloor(txs) !== gas) throw new Error(`${what}: a receipt below its floor`);
  const isLevel1 = (n: string) => n === "bisectStep" || n === "respondStep";
  const level1Moves = names.filter(isLevel1).length;
  const bounds = level1Rounds(L);
  if (level1Moves < 2 * bounds.min || level1Moves > 2 * bounds.max) throw new Error(`${what}: level 1 took ${level1Moves} moves, expected ${2 * bounds.min} .. ${2 * bounds.max}`);
  const level1Gas = Number(txs.filter((_, i) => isLevel1(names[i]!)).reduce((a, t) => a + t.gasUsed, 0n));
  const d = { L, txs, names, gas: Number(gas), level1Rounds: level1Moves / 2, level1Gas, solverSteps: liar.stepsRun };
  log(`${what}: ${txs.length} transactions (level 1: ${d.level1Rounds} rounds, ${level1Gas} gas), ${gas} gas (${d.gas - level1Gas} outside level 1); the liar ran ${d.solverSteps} steps of its own (${elapsed()})`);
  return d;
}

const moves: Record<string, string[]> = {};
const record = (prefix: string, d: DisputeRun) => {
  moves[`${prefix}${d.L}`] = d.txs.map((t, i) => `${d.names[i]} ${t.gasUsed}`);
  metrics[`${prefix}dispute_gas_i${d.L}`] = d.gas;
  metrics[`${prefix}dispute_rounds_i${d.L}`] = d.txs.length;
  metrics[`${prefix}dispute_level1_rounds_i${d.L}`] = d.level1Rounds;
  metrics[`${prefix}dispute_level1_gas_i${d.L}`] = d.level1Gas;
};
// The first dispute on a fresh deployment pays for storage slots written from zero for the first time (the
// market's challenger-bond total, the first payouts): measured apart, so the series compares like with like.
const first = await disputeOver(tiny, SIZES[0]!);
metrics.dispute_gas_first_on_deployment = first.gas;
moves.first = first.txs.map((t, i) => `${first.names[i]} ${t.gasUsed}`);
const series: DisputeRun[] = [];
for (const L of SIZES) {
  const d = await disputeOver(tiny, L);
  series.push(d);
  record("", d);
}
const dSeries: DisputeRun[] = [];
for (const L of DEFAULT_SIZES) {
  const d = await disputeOver(dflt, L);
  dSeries.push(d);
  record("default_", d);
}
await mmRunner.close();
// Level 1 carries state roots only: the same gas for any model (up to the roots' zero bytes).
const level1Diffs = dSeries.flatMap((d) => {
  const t = series.find((s) => s.L === d.L);
  return t ? [Math.abs(d.level1Gas - t.level1Gas)] : [];
});
metrics.level1_gas_model_difference_max = Math.max(...level1Diffs);
// Not a run: the default model's dispute over 2^MAX_LOG2 steps, derived from its longest measured one plus
// the tiny model's level-1 gas between the two lengths (level 1 is model-independent: the line above).
const dLong = dSeries.at(-1)!, tLong = series.find((t) => t.L === dLong.L)!, tMax = series.at(-1)!;
if (tMax.L > dLong.L) {
  metrics[`default_dispute_gas_i${tMax.L}_derived`] = dLong.gas - tLong.level1Gas + tMax.level1Gas;
  metrics[`default_dispute_rounds_i${tMax.L}_derived`] = dLong.txs.length + 2 * (tMax.level1Rounds - tLong.level1Rounds);
}
const dFit = fitLine(series.map((s) => Math.log2(s.L)), series.map((s) => s.gas));
const level1Total = series.reduce((a, s) => a + s.level1Gas, 0), level1RoundsTotal = series.reduce((a, s) => a + s.level1Rounds, 0);
const rest = series.map((s) => s.gas - s.level1Gas);
metrics.dispute_gas_slope_per_doubling = Math.round(dFit.slope);
metrics.dispute_gas_fit_r2 = round(dFit.r2, 4);
metrics.dispute_gas_per_level1_round = Math.round(level1Total / level1RoundsTotal);
metrics.dispute_gas_outside_level1_min = Math.min(...rest);
metrics.dispute_gas_outside_level1_max = Math.max(...rest);
metrics.dispute_gas_ratio_longest_to_shortest = round(series.at(-1)!.gas / series[0]!.gas, 4);
metrics.dispute_work_ratio_longest_to_shortest = series.at(-1)!.L / series[0]!.L;
metrics.max_interval_steps = W;
metrics.honest_run_s = round(honestRunS, 1);
metrics.default_honest_run_s = round(defaultRunS, 1);
metrics.default_max_interval_steps = Math.max(...DEFAULT_SIZES);

// ------------------------------------------------------------------ 2. commit gas vs checkpoint count

const cSeries: { n: number; commit: number; floor: number; challenge: number }[] = [];
for (const n of COUNTS) {
  const interval = intervalOf(n), steps = (n - 1) * interval;
  const roots = await Promise.all(Array.from({ length: n }, (_, i) => tiny.honest.root(i * interval)));
  const { jobId, jp } = await takenJob(tiny, steps, interval);
  const history = makeHistory(steps, interval, toHex(roots[0]!), (i) => toHex(roots[i]!));
  if (history.count !== n) throw new Error(`${n} checkpoints expected, the schedule has ${history.count}`);
  const committed = await commit(p, jobId, p.solver, history);
  const [cf] = await floorsOfBlocks(pc, committed.blockNumber, committed.blockNumber);
  const hi = Math.ceil((n - 1) / 2);
  const opened = await challenge(p, jobId, history, hi, keccak256(hexOf(`a made-up claim ${n}`)), verifier!, jp.challengeBond);
  cSeries.push({ n, commit: Number(committed.gasUsed), floor: Number(cf!.floor), challenge: Number(opened.receipt.gasUsed) });
  metrics[`commit_gas_c${n}`] = Number(committed.gasUsed);
  metrics[`commit_floor_gas_c${n}`] = Number(cf!.floor);
  metrics[`challenge_gas_c${n}`] = Number(opened.receipt.gasUsed);
  log(`N = ${n}: ${steps} steps every ${interval}: commit ${committed.gasUsed} gas (EIP-7623 floor ${cf!.floor}), challenge of interval ${hi - 1} ${opened.receipt.gasUsed} (${elapsed()})`);
}
const perRoot = fitLine(cSeries.map((c) => c.n), cSeries.map((c) => c.commit));
// N = 2 is left out of the challenge's fit: its only interval starts at the initial checkpoint (step 0),
// which the game's creation stores differently; from N = 8 on the challenged interval is an inner one.
const inner = cSeries.filter((c) => c.n > 2);
const chFit = fitLine(inner.map((c) => Math.log2(c.n)), inner.map((c) => c.challenge));
metrics.commit_gas_per_root = Math.round(perRoot.slope);
metrics.commit_gas_fit_r2 = round(perRoot.r2, 6);
metrics.challenge_gas_slope_per_doubling = Math.round(chFit.slope);
metrics.challenge_gas_fit_r2 = round(chFit.r2, 4);

// ------------------------------------------------------------------ 3. verifier compute vs sampling rate

const { spec: mSpec, data } = mnistSpec();
const mGraph = buildStepGraph(mSpec);
const runner = await createRunner(mGraph, "onnx");
try {
  // A few steps first: a fresh onnxruntime session runs its first steps several times slower (bench:dispute).
  await train({ spec: mSpec, dataset: data.train, steps: 20, checkpointInterval: 20, runner });
  const states: TrainingState[] = [];
  const sT0 = performance.now();
  const trained = await train({ spec: mSpec, dataset: data.train, steps: VERIFY_STEPS, checkpointInterval: VERIFY_INTERVAL, runner, onCheckpoint: (_c, s) => void states.push(s) });
  const solverS = (performance.now() - sT0) / 1000;
  const n = trained.checkpoints.length - 1;
  if (states.length !== n + 1) throw new Error(`${states.length} checkpoint states for ${n + 1} checkpoints`);
  log(`default job: ${VERIFY_STEPS} steps, ${n} intervals of ${VERIFY_INTERVAL}, trained in ${solverS.toFixed(2)} s (${elapsed()})`);
  const times = new Map<number, number[]>(RATES_BPS.map((r) => [r, []]));
  for (let r = 0; r < VERIFY_ROUNDS; r++) {
    for (const rate of r % 2 ? [...RATES_BPS].reverse() : RATES_BPS) {
      const picked = pickIntervals(keccak256(hexOf(`bench growth ${rate} ${r}`)), n, sampleSize(n, rate));
      const v0 = performance.now();
      for (const i of picked) {
        const start = states[i]!;
        // What the verifier does with a start state it fetched: check it against the committed root first.
        if (!commitState(mSpec, start).root.equals(trained.checkpoints[i]!.root)) throw new Error(`checkpoint ${i}: the start state is not the committed root`);
        const { state } = await reexecute({ spec: mSpec, dataset: data.train, start, toStep: trained.checkpoints[i + 1]!.step, backend: "onnx", runner });
        if (!commitState(mSpec, state).root.equals(trained.checkpoints[i + 1]!.root)) throw new Error(`interval ${i}: the re-executed root differs from the committed one`);
      }
      times.get(rate)!.push((performance.now() - v0) / 1000);
    }
  }
  const vSeries = RATES_BPS.map((rate) => ({ rate, k: sampleSize(n, rate), s: median(times.get(rate)!) }));
  for (const v of vSeries) {
    const tag = `${v.rate / 100}pct`;
    metrics[`verifier_s_rate_${tag}`] = round(v.s, 3);
    metrics[`verifier_ratio_rate_${tag}`] = round(v.s / solverS, 4);
    metrics[`sampled_intervals_rate_${tag}`] = v.k;
    metrics[`detection_probability_rate_${tag}`] = round(v.k / n, 4);
    log(`rate ${v.rate / 100}%: ${v.k} of ${n} intervals (${v.k * VERIFY_INTERVAL} steps) re-executed in ${v.s.toFixed(3)} s (runs ${times.get(v.rate)!.map((x) => x.toFixed(3)).join(", ")}), ${(v.s / solverS).toFixed(4)} of the solver's time`);
  }
  const vFit = fitLine(vSeries.map((v) => v.k * VERIFY_INTERVAL), vSeries.map((v) => v.s));
  metrics.verifier_s_per_sampled_step = round(vFit.slope, 6);
  metrics.verifier_s_fit_r2 = round(vFit.r2, 4);
  metrics.solver_s = round(solverS, 3);
  metrics.solver_s_per_step = round(solverS / VERIFY_STEPS, 6);
  metrics.verify_job_steps = VERIFY_STEPS;
} finally {
  await runner.close();
}

log(`default model: ${dSeries.map((d) => `${d.L}: ${d.gas} (${d.txs.length} tx, level 1 ${d.level1Gas})`).join(", ")}; level-1 gas differs from the tiny model's by at most ${metrics.level1_gas_model_difference_max}`);
if (tMax.L > dLong.L) log(`  derived, not run: the default model over ${tMax.L} steps ${metrics[`default_dispute_gas_i${tMax.L}_derived`]} gas, ${metrics[`default_dispute_rounds_i${tMax.L}_derived`]} transactions`);
log(`dispute: ${series.map((s) => `${s.L}: ${s.gas} (${s.txs.length} tx)`).join(", ")}`);
log(`  ${metrics.dispute_gas_slope_per_doubling} gas per doubling of the interval (r2 ${metrics.dispute_gas_fit_r2}); a level-1 round ${metrics.dispute_gas_per_level1_round}; outside level 1 ${metrics.dispute_gas_outside_level1_min} .. ${metrics.dispute_gas_outside_level1_max}; x${metrics.dispute_work_ratio_longest_to_shortest} the work, x${metrics.dispute_gas_ratio_longest_to_shortest} the gas`);
log(`commit: ${cSeries.map((c) => `${c.n}: ${c.commit}`).join(", ")}: ${metrics.commit_gas_per_root} per root (r2 ${metrics.commit_gas_fit_r2}); challenge: ${cSeries.map((c) => `${c.n}: ${c.challenge}`).join(", ")}: ${metrics.challenge_gas_slope_per_doubling} per doubling of N (${elapsed()})`);
report("growth", metrics, { sizes: SIZES, defaultSizes: DEFAULT_SIZES, counts: COUNTS, ratesBps: RATES_BPS, keep: KEEP, lie: { tiny: "l0.w'", default: "l0.z", at: "floor(0.7 L)", delta: 2 ** 20 }, moves });
