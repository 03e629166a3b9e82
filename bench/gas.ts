import { network } from "hardhat";
import { decodeFunctionData, type Hash, type Hex, parseEventLogs } from "viem";
import { disputeGameAbi, jobMarketAbi } from "../chain/generated/contracts.ts";
import { datasetRoot } from "../commitment/dataset.ts";
import { toHex } from "../commitment/hash.ts";
import { buildProgram } from "../commitment/program.ts";
import { commitState } from "../commitment/stateRoot.ts";
import { buildTrace, type OpTrace } from "../commitment/trace.ts";
import { sampleBatch } from "../engine/batch.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { nextRng } from "../engine/random.ts";
import { executeReference } from "../engine/reference.ts";
import { makeSpec } from "../engine/spec.ts";
import { initialState, type TrainingState } from "../engine/state.ts";
import { syntheticDataset } from "../test/vectors/generate.ts";
import { deviate, type World } from "../test/contracts/helpers/gameWorld.ts";
import { deployGroth16Verifier, GasRecorder } from "../test/contracts/helpers/gamePlayer.ts";
import { HistoryView } from "../test/contracts/helpers/historyView.ts";
import { level1Rounds } from "../dispute/dissection.ts";
import { Reason } from "../dispute/gameState.ts";
import { playGame, type PlayProgress, readGame } from "../dispute/playGame.ts";
import { sliceOf } from "../dispute/settleCall.ts";
import { DESCENT_LEVELS } from "../dispute/treeNodes.ts";
import type { ComputationView } from "../dispute/view.ts";
import { proveKernel, shutdownProver } from "../settlement/prover.ts";
import { accumulationTerms, operandValues, partialSums, settlementOperands } from "../settlement/operands.ts";
import type { Dataset } from "../engine/batch.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { getJob, JobStatus, send } from "../test/contracts/helpers/market.ts";
import { challenge, commit, committedHistory, deployProtocolFixture, jobParams, postJob } from "../test/contracts/helpers/protocol.ts";
import { report } from "./report.ts";
import { operandIndices } from "../settlement/operandRule.ts";
import { floorBinds, floorProbe, floorsOfBlocks, gasAtFloor } from "./calldataFloor.ts";

/**
 * npm run bench:gas — gas of the protocol's transactions, measured from receipts on an in-process Hardhat
 * network with the real JobMarket + DisputeGame + RecomputeKernelVerifier (deployed by chain/deploy.ts): posting,
 * bidding, committing a real history, and a full dispute over one checkpoint interval of 1,024 steps of a
 * [64, 64, 64, 10] MLP (batch 4: 36 ops, 40 trace entries; l1.w is 64x64 = 4,096 elements) in which the
 * solver changed one element of l1.w's sgd_update output at step BENCH_DEV_STEP (default 700) and
 * propagated it; the honest challenger disputes (level 1: 8-ary dissection, 4 rounds for 1,024 steps); both sides
 * play with the production player (dispute/playGame.ts, over views of the two histories), and the honest
 * challenger settles through the RecomputeKernelVerifier.
 * A second job on the same chain runs the DEFAULT model (784-128-10, batch 64) for 1,024 steps; the solver
 * changed one element of the first layer's matmul output l0.z = x . W0 (K = 784 products) at step 700: the
 * dispute goes through level 4 (terms) down to a slice of TERM_SLICE products, settled by the recomputing verifier; the same
 * final slice is also proved (Groth16) and both verifiers' trueValue gas is reported.
 * EIP-7623: every transaction of both jobs' flows (post to resolution) against its calldata floor (21,000 + 10
 * per token; bench/calldataFloor.ts): how many the floor binds, and both disputes priced at max(gasUsed, floor);
 * a floor-bound probe transfer checks that the chain's receipts bill the floor (they must, for any figure here
 * to be a Prague chain's).
 * Env: BENCH_STEPS (default 1024), BENCH_DEV_STEP (default 700), BENCH_DEV_ELEMENT (default 2023);
 * BENCH_MM_STEPS (default 1024), BENCH_MM_DEV_STEP (default 700), BENCH_MM_DEV_ELEMENT (default 4321).
 */
const STEPS = Number(process.env.BENCH_STEPS ?? 1024);
const DEV_STEP = Number(process.env.BENCH_DEV_STEP ?? 700);
const DEV_ELEMENT = Number(process.env.BENCH_DEV_ELEMENT ?? 2023);
const MM_STEPS = Number(process.env.BENCH_MM_STEPS ?? 1024);
const MM_DEV_STEP = Number(process.env.BENCH_MM_DEV_STEP ?? 700);
const MM_DEV_ELEMENT = Number(process.env.BENCH_MM_DEV_ELEMENT ?? 4321);
const TARGETS = { max_tx_gas: 2 ** 24, bisect_move_gas_max: 100_000, full_dispute_gas: 3_000_000, terms_move_gas_max: 100_000, matmul_dispute_gas: 3_000_000, settle_gas_recompute_dot_slice: 400_000, full_dispute_gas_at_floor: 3_000_000, matmul_dispute_gas_at_floor: 3_000_000 } as const;
const log = (msg: string) => process.stderr.write(`[bench:gas] ${msg}\n`);
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

// ------------------------------------------------------------------ the chain (one deployment, two disputes)

const { viem } = await network.create();
const p = await deployProtocolFixture(viem);
const pc = p.pc;
log(`deployed: market ${p.deployment.jobMarket}, game ${p.deployment.disputeGame}, verifier ${p.deployment.kernelVerifier} (gas ${p.deployment.gasUsed.total})`);
const [rival, verifier] = p.others;

interface Scenario {
  readonly name: string;
  readonly spec: TrainingSpec;
  readonly dataset: Dataset;
  readonly steps: number;
  readonly devStep: number;
  /** The op whose output the solver changes (by its output tensor's name). */
  readonly tensor: string;
  readonly element: number;
}

/**
 * One game played to its end by the production player (dispute/playGame.ts) on both sides at once, the solver
 * over `solverView`, the challenger over `challengerView`; around it, the gas of every transaction it sent,
 * recorded in the order sent by its move's label, marked when the move ended the game or reached settlement
 * (the settle call as "settle").
 */
async function dispute(gameId: bigint, solverView: ComputationView, challengerView: ComputationView) {
  const sent: { label: string; tx: Hash; gasUsed: bigint }[] = [];
  const record = (side: string) => (e: PlayProgress) => {
    if (e.kind === "move") sent.push({ label: e.label, tx: e.tx, gasUsed: e.gasUsed });
    else if (e.kind === "settle") sent.push({ label: "settle", tx: e.tx, gasUsed: e.gasUsed });
    else if (e.kind === "stuck") log(`  ${side}: no move (${e.reason})`);
    else throw new Error(`${side}: unexpected ${e.kind} in game ${gameId}: ${JSON.stringify(e, (_, v) => (typeof v === "bigint" ? String(v) : v))}`);
  };
  const common = { game: p.game.address, gameId, kernel: "recompute" as const, pollMs: 5 };
  const [outcome] = await Promise.all([
    playGame({ ...common, client: p.solver, side: "solver", view: solverView, onProgress: record("solver") }),
    playGame({ ...common, client: verifier!, side: "challenger", view: challengerView, onProgress: record("challenger") }),
  ]);
  const gas = new GasRecorder();
  const receipts = await Promise.all(sent.map((x) => pc.getTransactionReceipt({ hash: x.tx })));
  for (const i of sent.map((_, i) => i).sort((a, b) => Number(receipts[a]!.blockNumber - receipts[b]!.blockNumber))) {
    const names = parseEventLogs({ abi: disputeGameAbi, logs: receipts[i]!.logs }).map((l) => l.eventName);
    const { label, gasUsed } = sent[i]!;
    gas.record(label !== "settle" && names.includes("GameResolved") ? `${label} +resolve` : names.includes("ReachedSettlement") ? `${label} +to settlement` : label, gasUsed);
  }
  return { outcome, end: await readGame(pc, p.game.address, gameId), gas, txs: sent.length };
}

/**
 * Runs the honest history of `steps` steps, a solver that changed one element of `tensor` at `devStep`
 * (propagated), and a whole job through the market: post, two bids, close, commit, one challenge of the
 * single checkpoint interval, and the dispute played to the end by the production player (settled by the
 * RecomputeKernelVerifier).
 */
async function runScenario(sc: Scenario) {
  const { spec, dataset } = sc;
  const graph = buildStepGraph(spec);
  const program = buildProgram(spec, graph);
  const states: TrainingState[] = [initialState(spec)];
  for (let t = 1; t <= sc.steps; t++) {
    const s = states[t - 1]!;
    const all = executeReference(graph, s.tensors, sampleBatch(dataset, s.rng, spec));
    states.push({ specHash: s.specHash, step: t, dataCursor: s.dataCursor + spec.training.batchSize, rng: nextRng(s.rng), tensors: graph.stateOut.map((id) => all[id]!) });
  }
  const roots = states.map((s) => commitState(spec, s).root);
  log(`${sc.name}: honest run: ${sc.steps} steps, ${roots.length} state roots (${elapsed()})`);
  // Op traces are built on demand (a party needs the trace of the one step the bisection lands on).
  const traces: OpTrace[] = [];
  const traceOf = (t: number): OpTrace | undefined => {
    if (t < 1 || t > sc.steps) return undefined;
    if (!traces[t]) {
      const pre = states[t - 1]!;
      traces[t] = buildTrace(graph, executeReference(graph, pre.tensors, sampleBatch(dataset, pre.rng, spec)), roots[t - 1]!, roots[t]!);
    }
    return traces[t];
  };
  // gameWorld's World; `kind` is only a label (neither deviate nor the views read it).
  const world: World = { kind: "wide", dataset, spec, graph, program, states, roots, traces, entries: program.header.entries, trace: traceOf };
  const opIndex = graph.ops.findIndex((op) => graph.tensors[op.output]!.name === sc.tensor);
  if (opIndex < 0) throw new Error(`${sc.name}: no op computes ${sc.tensor}`);
  const entry = 3 + opIndex;
  const op = graph.ops[opIndex]!;
  const outShape = graph.tensors[op.output]!.shape;
  // A changed element can vanish (a ReLU or a requantization absorbs it): the next element is taken then.
  let element = sc.element;
  let lie = deviate(world, { kind: "op", step: sc.devStep, entry, element, delta: 1 << 20 });
  while (lie.roots[sc.steps]!.equals(roots[sc.steps]!)) {
    element++;
    if (element >= sc.element + 64) throw new Error(`${sc.name}: no change of ${sc.tensor} reaches the final state`);
    lie = deviate(world, { kind: "op", step: sc.devStep, entry, element, delta: 1 << 20 });
  }
  log(`${sc.name}: dishonest solver: entry ${entry} (${op.kind} -> ${sc.tensor}, [${outShape}]) element ${element} changed (+2^20) at step ${sc.devStep}, propagated to step ${sc.steps} (${elapsed()})`);

  const jp = jobParams(spec, dataset, { steps: BigInt(sc.steps), checkpointInterval: BigInt(sc.steps), firstCome: false, bidDuration: 600n, clockDuration: 3_600n, challengeWindow: 86_400n });
  const escrow = 10n ** 18n;
  const firstBlock = (await pc.getBlockNumber()) + 1n;
  const posted = await postJob(p, jp, escrow);
  const jobId = posted.jobId;
  const bid1 = await send(p, p.market.write.bid([jobId, escrow - 1_000n], { account: rival!.account, value: jp.requiredBond }));
  const bid2 = await send(p, p.market.write.bid([jobId, escrow / 2n], { account: p.solver.account, value: jp.requiredBond }));
  await p.clock.at((await getJob(p.market, jobId)).postedAt + jp.bidDuration);
  const close = await send(p, p.market.write.closeBidding([jobId], { account: p.anyone.account }));
  const ch = committedHistory(lie, sc.steps, sc.steps);
  const committed = await commit(p, jobId, p.solver, ch);
  log(`${sc.name}: job ${jobId}: posted, bid, outbid, closed, committed (${ch.count} checkpoints) (${elapsed()})`);

  const claimed = toHex(roots[sc.steps]!);
  const opened = await challenge(p, jobId, ch, 1, claimed, verifier!, jp.challengeBond);
  const d = await dispute(opened.gameId, new HistoryView(world, lie), new HistoryView(world));
  const { outcome: out, end } = d;
  const job = await getJob(p.market, jobId);
  if (out.solverWon || out.reason !== Reason.Settled || job.status !== JobStatus.Failed || end.entry !== entry) {
    throw new Error(`${sc.name}: unexpected dispute outcome: ${JSON.stringify({ ...out, settledAt: end.entry, status: job.status })}`);
  }
  log(`${sc.name}: dispute: ${d.txs} moves, settled on entry ${end.entry} element ${end.element}${sliceOf(end) ? ` terms [${end.termLo}, ${end.termHi}) of K = ${end.termCount}` : ""}; job failed (${elapsed()})`);

  const kinds = [...d.gas.byKind.entries()];
  const maxOf = (pred: (k: string) => boolean) => kinds.filter(([k]) => pred(k)).flatMap(([, xs]) => xs).reduce((a, b) => (b > a ? b : a), 0n);
  const sumAll = kinds.flatMap(([, xs]) => xs).reduce((a, b) => a + b, 0n);
  const fullDispute = opened.receipt.gasUsed + sumAll;
  const rounds = 1 + d.txs;
  const level1Moves = kinds.filter(([k]) => /^(bisectStep|respondStep)/.test(k)).reduce((a, [, xs]) => a + xs.length, 0);
  const bounds = level1Rounds(sc.steps);
  if (level1Moves < 2 * bounds.min || level1Moves > 2 * bounds.max) throw new Error(`${sc.name}: level 1 took ${level1Moves} moves, expected ${2 * bounds.min} .. ${2 * bounds.max}`);

  // Cross-check against the chain: every block from the challenge's to the last holds only the dispute's txs.
  const last = await pc.getBlockNumber();
  let chainGas = 0n, chainTxs = 0;
  for (let b = opened.receipt.blockNumber; b <= last; b++) {
    const block = await pc.getBlock({ blockNumber: b });
    chainGas += block.gasUsed;
    chainTxs += block.transactions.length;
  }
  if (chainGas !== fullDispute || chainTxs !== rounds) throw new Error(`${sc.name}: receipt sums disagree with the blocks: ${fullDispute} gas / ${rounds} txs vs ${chainGas} / ${chainTxs}`);
  // EIP-7623: every transaction of the job's flow (post to resolution) against its calldata floor.
  const floors = await floorsOfBlocks(pc, firstBlock, last);
  const disputeFloors = floors.filter((t) => t.block >= opened.receipt.blockNumber);
  if (disputeFloors.length !== rounds) throw new Error(`${sc.name}: ${disputeFloors.length} dispute transactions in the blocks, ${rounds} sent`);
  log(`${sc.name}: gas per move kind:\n${d.gas.table()}`);
  return { sc, world, lie, element, graph, program, entry, outShape, posted, bid1, bid2, close, committed, opened, d, kinds, maxOf, fullDispute, rounds, level1Moves, end, floors, disputeFloors };
}

// The first scenario: a [64, 64, 64, 10] MLP, the lie in l1.w's sgd_update output.
const dataset = syntheticDataset(256, 64, 10);
const spec = makeSpec({
  layers: [64, 64, 64, 10], batchSize: 4, seed: "0b".repeat(32),
  data: { root: datasetRoot(dataset).toString("hex"), count: dataset.count, features: dataset.features, classes: dataset.classes },
});
const r = await runScenario({ name: "sgd", spec, dataset, steps: STEPS, devStep: DEV_STEP, tensor: "l1.w'", element: DEV_ELEMENT });
const { graph, program, entry, outShape, posted, bid1, bid2, close, committed, opened, d, kinds, maxOf, fullDispute, rounds, level1Moves } = r;
const bisectMax = maxOf((k) => /^(bisectStep|respondStep|revealNodes)/.test(k));
const settleGas = maxOf((k) => k === "settle");

// The second scenario: the DEFAULT model (784-128-10, batch 64), the lie in an element of the first layer's
// matmul x . W0 (K = 784 terms): levels 1-3, then level 4 down to a slice of TERM_SLICE terms.
const mmData = syntheticDataset(256, 784, 10);
const mmSpec = makeSpec({ seed: "0c".repeat(32), data: { root: datasetRoot(mmData).toString("hex"), count: mmData.count, features: mmData.features, classes: mmData.classes } });
const mm = await runScenario({ name: "matmul", spec: mmSpec, dataset: mmData, steps: MM_STEPS, devStep: MM_DEV_STEP, tensor: "l0.z", element: MM_DEV_ELEMENT });
if (!sliceOf(mm.end) || mm.end.termCount !== 784n) throw new Error(`matmul: the dispute did not end on a slice of K = 784 (${mm.end.termLo}, ${mm.end.termHi}, ${mm.end.termCount})`);
const termsMax = mm.maxOf((k) => /Terms/.test(k));

// The same final slice settled by Groth16KernelVerifier (a real proof under the game's context) and by the
// recomputing verifier, each called directly (eth_estimateGas of trueValue: openings + proof check, or recomputation).
async function sliceSettleGas() {
  const end = mm.end;
  const slice = sliceOf(end)!;
  // The solver's operands: the agreed pre-state and its trace of the disputed step.
  const src = new HistoryView(mm.world, mm.lie).sourceAt(Number(end.hiStep));
  const p0 = mm.program.entries[end.entry]!;
  const inputs = operandValues(src, end.entry);
  const idx = operandIndices(p0.code, p0.attrs, p0.shape, inputs.map((x) => x.shape), Number(end.element), slice);
  const a = idx[0]!.map((i) => BigInt(inputs[0]!.data[i]!));
  const b = p0.code === 1 ? idx[1]!.map((i) => BigInt(inputs[1]!.data[i]!)) : undefined;
  const P = partialSums(accumulationTerms(p0.code, p0.attrs, p0.shape, inputs, Number(end.element)));
  const ctx = {
    programRoot: end.programRoot, datasetRoot: end.datasetRoot, preStateRoot: end.agreedRoot, traceRoot: end.solverTrace, entry: end.entry,
    element: end.element, termLo: end.termLo, termHi: end.termHi, termCount: end.termCount, accIn: end.accIn,
  };
  if (ctx.accIn !== P[slice.lo]) throw new Error("matmul: the agreed accIn is not the true partial sum");
  const enc = settlementOperands(src, end.entry, Number(end.element), slice);
  const { verifier: groth } = await deployGroth16Verifier(viem);
  const { proof } = await proveKernel({ code: p0.code, attrs: p0.attrs, ctx, operands: [], output: P[slice.hi]!, slice: { a, ...(b ? { b } : {}) } });
  const zk = await pc.estimateContractGas({ address: groth.address, abi: groth.abi, functionName: "trueValue", args: [ctx, enc, proof] });
  const re = await pc.estimateContractGas({ address: p.verifier.address, abi: p.verifier.abi, functionName: "trueValue", args: [ctx, enc, "0x"] });
  await shutdownProver();
  return { groth16: Number(zk), mock: Number(re) };
}
const sliceGas = await sliceSettleGas();
const mmBisectMax = mm.maxOf((k) => /^(bisectStep|respondStep|revealNodes|postTerms|respondTerms)/.test(k));

// The largest transaction of the flow (deployment aside): each must fit the per-transaction cap of 2^24 gas
// (EIP-7825). The network runs prague, so every receipt already bills EIP-7623's calldata floor where it binds.
const maxTxGas = [posted.gasUsed, bid1.gasUsed, bid2.gasUsed, close.gasUsed, committed.gasUsed, opened.receipt.gasUsed, ...[...kinds, ...mm.kinds].flatMap(([, xs]) => xs)]
  .reduce((a, b) => (b > a ? b : a), 0n);

// EIP-7623 over both flows (each job's post to its resolution): where the floor binds, and the disputes with
// every transaction priced at max(gasUsed, floor). The probe checks that the chain bills the floor where it
// binds (a transfer carrying 4,096 calldata bytes must be charged exactly its floor), so that the receipts,
// and every figure above, already include it.
const probe = await floorProbe(pc, (data) => p.anyone.sendTransaction({ to: p.treasury.account.address, data }));
const flowFloors = [...r.floors, ...mm.floors];
const floorBound = flowFloors.filter(floorBinds);
const floorRatio = (t: { floor: bigint; gasUsed: bigint }) => Number(t.floor) / Number(t.gasUsed);
const maxRatio = flowFloors.reduce((a, t) => (floorRatio(t) > floorRatio(a) ? t : a));
const fnName = (input: Hex) => {
  try {
    return decodeFunctionData({ abi: [...jobMarketAbi, ...disputeGameAbi], data: input }).functionName;
  } catch {
    return input.slice(0, 10);
  }
};
// Per transaction of the first dispute: what it paid against its floor.
log(`EIP-7623 per transaction of the first dispute (gasUsed / floor):\n${r.disputeFloors.map((t) => `  ${fnName(t.input).padEnd(14)} ${String(t.gasUsed).padStart(7)} / ${String(t.floor).padStart(7)} (${t.calldataBytes} bytes)${floorBinds(t) ? "  floor-bound" : ""}`).join("\n")}`);
const boundNames = floorBound.map((t) => `${fnName(t.input)} (${t.calldataBytes} bytes, ${t.gasUsed} gas)`);

const metrics = {
  max_tx_gas: Number(maxTxGas),
  post_job_gas: Number(posted.gasUsed),
  bid_gas: Number(bid1.gasUsed),
  bid_outbid_gas: Number(bid2.gasUsed),
  close_bidding_gas: Number(close.gasUsed),
  commit_gas: Number(committed.gasUsed),
  challenge_gas: Number(opened.receipt.gasUsed),
  bisect_move_gas_max: Number(bisectMax),
  reveal_nodes_solver_gas_max: Number(maxOf((k) => k.startsWith("revealNodes(solver)"))),
  reveal_nodes_challenger_gas_max: Number(maxOf((k) => k.startsWith("revealNodes(challenger)"))),
  reveal_nodes_moves: kinds.filter(([k]) => k.startsWith("revealNodes")).reduce((a, [, xs]) => a + xs.length, 0),
  move_gas_max: Number(maxOf((k) => k !== "settle")),
  settle_gas_recompute: Number(settleGas),
  full_dispute_gas: Number(fullDispute),
  full_dispute_rounds: rounds,
  level1_moves: level1Moves,
  deploy_gas_total: Number(p.deployment.gasUsed.total),
  interval_steps: STEPS,
  step_ops: graph.ops.length,
  trace_entries: program.header.entries,
  output_elements: outShape.reduce((a, b) => a * b, 1),
  matmul_dispute_gas: Number(mm.fullDispute),
  matmul_dispute_rounds: mm.rounds,
  matmul_level1_moves: mm.level1Moves,
  matmul_bisect_move_gas_max: Number(mmBisectMax),
  matmul_move_gas_max: Number(mm.maxOf((k) => k !== "settle")),
  matmul_reveal_nodes_moves: mm.kinds.filter(([k]) => k.startsWith("revealNodes")).reduce((a, [, xs]) => a + xs.length, 0),
  terms_move_gas_max: Number(termsMax),
  terms_moves: mm.kinds.filter(([k]) => /Terms/.test(k)).reduce((a, [, xs]) => a + xs.length, 0),
  settle_gas_recompute_dot_slice: Number(mm.maxOf((k) => k === "settle")),
  matmul_interval_steps: MM_STEPS,
  matmul_terms: Number(mm.end.termCount),
  matmul_slice_terms: Number(mm.end.termHi - mm.end.termLo),
  dot_slice_trueValue_gas_recompute: sliceGas.mock,
  dot_slice_trueValue_gas_groth16: sliceGas.groth16,
  flow_txs: flowFloors.length,
  floor_bound_txs: floorBound.length,
  floor_to_gas_ratio_max: Math.round(floorRatio(maxRatio) * 1e4) / 1e4,
  full_dispute_gas_at_floor: Number(gasAtFloor(r.disputeFloors)),
  full_dispute_floor_gas: Number(r.disputeFloors.reduce((a, t) => a + t.floor, 0n)),
  matmul_dispute_gas_at_floor: Number(gasAtFloor(mm.disputeFloors)),
  matmul_dispute_floor_gas: Number(mm.disputeFloors.reduce((a, t) => a + t.floor, 0n)),
  floor_probe_gas: Number(probe.gasUsed),
  floor_probe_standard_gas: Number(probe.standard),
  // The game's settle around trueValue (the same slice and operands, recomputing verifier), and the largest
  // settlement of the flow with either verifier: the Groth16 one is its trueValue plus that bookkeeping.
  settle_bookkeeping_gas: Number(mm.maxOf((k) => k === "settle")) - sliceGas.mock,
  max_settle_gas: Math.max(Number(settleGas), Number(mm.maxOf((k) => k === "settle")), sliceGas.groth16 + Number(mm.maxOf((k) => k === "settle")) - sliceGas.mock),
};

const verdict = (name: keyof typeof TARGETS) => `${name} = ${metrics[name].toLocaleString("en-US")} (target <= ${TARGETS[name].toLocaleString("en-US")}: ${metrics[name] <= TARGETS[name] ? "met" : "MISSED"})`;
log(`summary: interval ${STEPS} steps, ${graph.ops.length} ops/step (${program.header.entries} trace entries), ${metrics.output_elements}-element output, RecomputeKernelVerifier`);
log(`  ${verdict("bisect_move_gas_max")}`);
log(`  ${verdict("max_tx_gas")}: the largest transaction of both disputes, the job's posting, bids and commit`);
log(`  ${verdict("full_dispute_gas")} over ${rounds} transactions (challenge included; level 1: ${level1Moves} moves, descents: ${metrics.reveal_nodes_moves} revealNodes)`);
log(`  revealNodes (up to ${2 ** DESCENT_LEVELS} nodes): solver <= ${metrics.reveal_nodes_solver_gas_max}, challenger <= ${metrics.reveal_nodes_challenger_gas_max}`);
log(`matmul: default model (784-128-10, batch 64), interval ${MM_STEPS} steps, ${mm.graph.ops.length} ops/step, the lie in l0.z element ${MM_DEV_ELEMENT} (K = ${metrics.matmul_terms}, settled on the slice [${mm.end.termLo}, ${mm.end.termHi}))`);
log(`  ${verdict("matmul_dispute_gas")} over ${metrics.matmul_dispute_rounds} transactions (level 1: ${metrics.matmul_level1_moves} moves, descents: ${metrics.matmul_reveal_nodes_moves} revealNodes, level 4: ${metrics.terms_moves} moves; largest move ${metrics.matmul_move_gas_max})`);
log(`  ${verdict("terms_move_gas_max")}; every bisection move of this dispute <= ${metrics.matmul_bisect_move_gas_max}`);
log(`  ${verdict("settle_gas_recompute_dot_slice")}`);
log(`  the same slice, trueValue called directly: RecomputeKernelVerifier ${metrics.dot_slice_trueValue_gas_recompute}, Groth16KernelVerifier ${metrics.dot_slice_trueValue_gas_groth16} (a real proof under the game's context)`);
log(`  ${verdict("full_dispute_gas_at_floor")}; ${verdict("matmul_dispute_gas_at_floor")}`);
log(`EIP-7623: ${metrics.floor_bound_txs} of the ${metrics.flow_txs} transactions of both flows are floor-bound${boundNames.length ? ` (${boundNames.join(", ")})` : ""}; largest floor/gasUsed ${metrics.floor_to_gas_ratio_max} (${fnName(maxRatio.input)}, ${maxRatio.calldataBytes} calldata bytes); full_dispute_gas_at_floor ${metrics.full_dispute_gas_at_floor} (floors alone ${metrics.full_dispute_floor_gas}), matmul ${metrics.matmul_dispute_gas_at_floor} (${metrics.matmul_dispute_floor_gas}); probe: a 4,096-byte transfer billed ${metrics.floor_probe_gas} (standard ${metrics.floor_probe_standard_gas})`);
log(`  post ${metrics.post_job_gas}, bid ${metrics.bid_gas} (outbid ${metrics.bid_outbid_gas}), commit ${metrics.commit_gas}, challenge ${metrics.challenge_gas}, settle ${metrics.settle_gas_recompute}, largest move ${metrics.move_gas_max} (${elapsed()})`);
report("gas", metrics, {
  devStep: DEV_STEP, devElement: DEV_ELEMENT, entry, targets: TARGETS, moves: Object.fromEntries(kinds.map(([k, xs]) => [k, xs.map(Number)])),
  floorBound: boundNames,
  floors: flowFloors.map((t) => ({ fn: fnName(t.input), gasUsed: Number(t.gasUsed), floor: Number(t.floor), bytes: t.calldataBytes })),
  matmul: { devStep: MM_DEV_STEP, devElement: MM_DEV_ELEMENT, entry: mm.entry, moves: Object.fromEntries(mm.kinds.map(([k, xs]) => [k, xs.map(Number)])) },
});
