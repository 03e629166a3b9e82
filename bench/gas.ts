import { network } from "hardhat";
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
import { level1Rounds, Reason } from "../test/contracts/helpers/gamePlayer.ts";
import { getJob, JobStatus, send } from "../test/contracts/helpers/market.ts";
import { challenge, commit, committedHistory, deployProtocolFixture, Dispute, jobParams, postJob } from "../test/contracts/helpers/protocol.ts";
import { report } from "./report.ts";

/**
 * npm run bench:gas — gas of the protocol's transactions, measured from receipts on an in-process Hardhat
 * network with the real JobMarket + DisputeGame + MockKernelVerifier (deployed by chain/deploy.ts): posting,
 * bidding, committing a real history, and a full dispute over one checkpoint interval of 1,024 steps of a
 * [64, 64, 64, 10] MLP (batch 4: 36 ops, 40 trace entries; l1.w is 64x64 = 4,096 elements) in which the
 * solver changed one element of l1.w's sgd_update output at step BENCH_DEV_STEP (default 700) and
 * propagated it; the honest challenger disputes (level 1: 8-ary dissection, 4 rounds for 1,024 steps); the game
 * is settled by the MockKernelVerifier.
 * Env: BENCH_STEPS (default 1024), BENCH_DEV_STEP (default 700), BENCH_DEV_ELEMENT (default 2023).
 */
const STEPS = Number(process.env.BENCH_STEPS ?? 1024);
const DEV_STEP = Number(process.env.BENCH_DEV_STEP ?? 700);
const DEV_ELEMENT = Number(process.env.BENCH_DEV_ELEMENT ?? 2023);
const TARGETS = { bisect_move_gas_max: 100_000, full_dispute_gas: 3_000_000 } as const;
const log = (msg: string) => process.stderr.write(`[bench:gas] ${msg}\n`);
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

// ------------------------------------------------------------------ the honest world (1,025 state roots)

const dataset = syntheticDataset(256, 64, 10);
const spec = makeSpec({
  layers: [64, 64, 64, 10], batchSize: 4, seed: "0b".repeat(32),
  data: { root: datasetRoot(dataset).toString("hex"), count: dataset.count, features: dataset.features, classes: dataset.classes },
});
const graph = buildStepGraph(spec);
const program = buildProgram(spec, graph);
const states: TrainingState[] = [initialState(spec)];
for (let t = 1; t <= STEPS; t++) {
  const s = states[t - 1]!;
  const all = executeReference(graph, s.tensors, sampleBatch(dataset, s.rng, spec));
  states.push({ specHash: s.specHash, step: t, dataCursor: s.dataCursor + spec.training.batchSize, rng: nextRng(s.rng), tensors: graph.stateOut.map((id) => all[id]!) });
}
const roots = states.map((s) => commitState(spec, s).root);
log(`honest run: ${STEPS} steps, ${roots.length} state roots (${elapsed()})`);
// Op traces are built on demand (a party needs the trace of the one step the bisection lands on).
const traces: OpTrace[] = [];
const traceOf = (t: number): OpTrace | undefined => {
  if (t < 1 || t > STEPS) return undefined;
  if (!traces[t]) {
    const pre = states[t - 1]!;
    traces[t] = buildTrace(graph, executeReference(graph, pre.tensors, sampleBatch(dataset, pre.rng, spec)), roots[t - 1]!, roots[t]!);
  }
  return traces[t];
};
// gameWorld's World; `kind` is only a label (neither deviate nor the Players read it).
const world: World = { kind: "wide", dataset, spec, graph, program, states, roots, traces, entries: program.header.entries, trace: traceOf };

const opIndex = graph.ops.findIndex((op) => op.kind === "sgd_update" && graph.tensors[op.output]!.name === "l1.w'");
const entry = 3 + opIndex;
const outShape = graph.tensors[graph.ops[opIndex]!.output]!.shape;
const lie = deviate(world, { kind: "op", step: DEV_STEP, entry, element: DEV_ELEMENT });
log(`dishonest solver: entry ${entry} (sgd_update -> l1.w', [${outShape}]) element ${DEV_ELEMENT} changed at step ${DEV_STEP}, propagated to step ${STEPS} (${elapsed()})`);

// ------------------------------------------------------------------ the chain

const { viem } = await network.create();
const p = await deployProtocolFixture(viem);
const pc = p.pc;
log(`deployed: market ${p.deployment.jobMarket}, game ${p.deployment.disputeGame}, verifier ${p.deployment.kernelVerifier} (gas ${p.deployment.gasUsed.total})`);

const jp = jobParams(spec, dataset, { steps: BigInt(STEPS), checkpointInterval: BigInt(STEPS), firstCome: false, bidDuration: 600n, clockDuration: 3_600n, challengeWindow: 86_400n });
const escrow = 10n ** 18n;
const posted = await postJob(p, jp, escrow);
const jobId = posted.jobId;
const [rival, verifier] = p.others;
const bid1 = await send(p, p.market.write.bid([jobId, escrow - 1_000n], { account: rival!.account, value: jp.requiredBond }));
const bid2 = await send(p, p.market.write.bid([jobId, escrow / 2n], { account: p.solver.account, value: jp.requiredBond }));
await p.clock.at((await getJob(p.market, jobId)).postedAt + jp.bidDuration);
const close = await send(p, p.market.write.closeBidding([jobId], { account: p.anyone.account }));
const ch = committedHistory(lie, STEPS, STEPS);
const committed = await commit(p, jobId, p.solver, ch);
log(`job ${jobId}: posted, bid, outbid, closed, committed (${ch.count} checkpoints) (${elapsed()})`);

const claimed = toHex(roots[STEPS]!);
const opened = await challenge(p, jobId, ch, 1, claimed, verifier!, jp.challengeBond);
const d = new Dispute(p, world, opened.gameId, { wallet: p.solver, history: lie }, { wallet: verifier!, history: world });
const out = await d.play();
const job = await getJob(p.market, jobId);
if (out.solverWon || out.reason !== Reason.Settled || job.status !== JobStatus.Failed || out.settledAt?.entry !== entry) {
  throw new Error(`unexpected dispute outcome: ${JSON.stringify({ ...out, settledAt: String(out.settledAt?.entry), status: job.status })}`);
}
log(`dispute: ${out.txs} moves, settled on entry ${out.settledAt.entry} element ${out.settledAt.element}; job failed (${elapsed()})`);

// ------------------------------------------------------------------ metrics

const kinds = [...d.gas.byKind.entries()];
const maxOf = (pred: (k: string) => boolean) => kinds.filter(([k]) => pred(k)).flatMap(([, xs]) => xs).reduce((a, b) => (b > a ? b : a), 0n);
const sumAll = kinds.flatMap(([, xs]) => xs).reduce((a, b) => a + b, 0n);
const bisectMax = maxOf((k) => /^(bisectStep|respondStep|revealChildren)/.test(k));
const settleGas = maxOf((k) => k === "settle");
const fullDispute = opened.receipt.gasUsed + sumAll;
const rounds = 1 + d.txs;
const level1Moves = kinds.filter(([k]) => /^(bisectStep|respondStep)/.test(k)).reduce((a, [, xs]) => a + xs.length, 0);
const bounds = level1Rounds(STEPS);
if (level1Moves < 2 * bounds.min || level1Moves > 2 * bounds.max) throw new Error(`level 1 took ${level1Moves} moves, expected ${2 * bounds.min} .. ${2 * bounds.max}`);

// Cross-check against the chain: every block from the challenge's to the last holds only the dispute's txs.
const last = await pc.getBlockNumber();
let chainGas = 0n, chainTxs = 0;
for (let b = opened.receipt.blockNumber; b <= last; b++) {
  const block = await pc.getBlock({ blockNumber: b });
  chainGas += block.gasUsed;
  chainTxs += block.transactions.length;
}
if (chainGas !== fullDispute || chainTxs !== rounds) throw new Error(`receipt sums disagree with the blocks: ${fullDispute} gas / ${rounds} txs vs ${chainGas} / ${chainTxs}`);

const metrics = {
  post_job_gas: Number(posted.gasUsed),
  bid_gas: Number(bid1.gasUsed),
  bid_outbid_gas: Number(bid2.gasUsed),
  close_bidding_gas: Number(close.gasUsed),
  commit_gas: Number(committed.gasUsed),
  challenge_gas: Number(opened.receipt.gasUsed),
  bisect_move_gas_max: Number(bisectMax),
  move_gas_max: Number(maxOf((k) => k !== "settle")),
  settle_gas_mock: Number(settleGas),
  full_dispute_gas: Number(fullDispute),
  full_dispute_rounds: rounds,
  level1_moves: level1Moves,
  deploy_gas_total: Number(p.deployment.gasUsed.total),
  interval_steps: STEPS,
  step_ops: graph.ops.length,
  trace_entries: program.header.entries,
  output_elements: outShape.reduce((a, b) => a * b, 1),
};

log(`gas per move kind (this dispute):\n${d.gas.table()}`);
const verdict = (name: keyof typeof TARGETS) => `${name} = ${metrics[name].toLocaleString("en-US")} (target <= ${TARGETS[name].toLocaleString("en-US")}: ${metrics[name] <= TARGETS[name] ? "met" : "MISSED"})`;
log(`summary: interval ${STEPS} steps, ${graph.ops.length} ops/step (${program.header.entries} trace entries), ${metrics.output_elements}-element output, MockKernelVerifier`);
log(`  ${verdict("bisect_move_gas_max")}`);
log(`  ${verdict("full_dispute_gas")} over ${rounds} transactions (challenge included; level 1: ${level1Moves} moves)`);
log(`  post ${metrics.post_job_gas}, bid ${metrics.bid_gas} (outbid ${metrics.bid_outbid_gas}), commit ${metrics.commit_gas}, challenge ${metrics.challenge_gas}, settle ${metrics.settle_gas_mock}, largest move ${metrics.move_gas_max} (${elapsed()})`);
report("gas", metrics, { devStep: DEV_STEP, devElement: DEV_ELEMENT, entry, targets: TARGETS, moves: Object.fromEntries(kinds.map(([k, xs]) => [k, xs.map(Number)])) });
