import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestClient, type Hex, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { connect } from "../chain/connect.ts";
import { deployProtocol } from "../chain/deploy.ts";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { freePort, startLocalNode } from "../chain/localNode.ts";
import { postJob } from "../client/postJob.ts";
import { datasetRoot } from "../commitment/dataset.ts";
import { publishDataset } from "../content/publishDataset.ts";
import { publishSpec } from "../content/publishSpec.ts";
import { JOB_DEFAULTS, NODE_DEFAULTS } from "../core/defaults.ts";
import { sleep } from "../core/sleep.ts";
import { gameSummary } from "../dispute/gameSummary.ts";
import type { Dataset } from "../engine/batch.ts";
import { makeSpec } from "../engine/spec.ts";
import { type NodeProcess, startNodeProcess } from "../node/nodeProcess.ts";
import { mnistSpec } from "../training/mnistJob.ts";
import { detectionProbability, pickIntervals, sampleSize } from "../verifier/sampling.ts";
import { report, round } from "./report.ts";

/**
 * npm run bench:dispute — the verifier and the dispute, measured on a local Hardhat node with the node
 * processes of the demo (an honest solver, a cheating solver, a verifier; the Groth16 kernel verifier):
 *  - jobs A1, A2, the default MNIST job (2,000 steps, checkpoints every 100, sampleBps 500) solved honestly:
 *    the verifier's checking time (start state and re-execution) against the solver's training time
 *    (verifier_cost_ratio on A2, with the engine session the verifier keeps per model warm;
 *    verifier_cost_ratio_cold on A1, its first job of the model), the sampling rate and the detection
 *    probability it prints for one bad interval; detection_observed: the share of 20,000 simulated commits
 *    (fresh beacons) whose sample holds a given bad interval;
 *  - job B, the same model on a 2,000-digit slice of MNIST (2,000 steps, every interval re-executed), whose
 *    solver corrupts one weight update at step 1,250 and plays its lie to the end: dispute_wall_s (the
 *    verifier's challenge to the game's resolution), dispute_rounds (the game's transactions), dispute_gas_total
 *    (the challenge and every game transaction), kernel_prove_ms (the Groth16 proof of the settled slice);
 *  - commit_gas_per_checkpoint: commitResult of 2 and 2,048 checkpoint roots (made up: the market only
 *    rebuilds their history root), the slope; and the EIP-7623 calldata floor of the largest commit.
 */
const BENCH_STEPS = Number(process.env.BENCH_DISPUTE_STEPS ?? JOB_DEFAULTS.steps);
const INTERVAL = JOB_DEFAULTS.checkpointInterval;
const LIE_STEP = Math.min(1_250, BENCH_STEPS);
const ESCROW = 10n ** 18n;

const node = await startLocalNode({ accounts: 8 });
const dir = await mkdtemp(path.join(tmpdir(), "veritrain-bench-dispute-"));
const procs: NodeProcess[] = [];
const stopMiner = new AbortController();
let miner: Promise<void> | undefined;
try {
  const [deployerKey, treasuryKey, clientKey, solverKey, verifierKey, cheaterKey, committerKey] = node.accounts;
  const local = await connect({ rpcUrl: node.url, chainId: node.chainId, timeoutMs: 30_000, pollingIntervalMs: 200 });
  const pc = local.publicClient;
  const tc = createTestClient({ chain: local.chain, transport: local.transport, mode: "hardhat" });
  const client = local.wallet(privateKeyToAccount(clientKey!.privateKey));
  const d = await deployProtocol({ walletClient: local.wallet(privateKeyToAccount(deployerKey!.privateKey)), publicClient: pc, treasury: treasuryKey!.address, forfeitBps: 1_000, kernel: "groth16" });
  miner = (async () => {
    while (!stopMiner.signal.aborted) {
      await tc.mine({ blocks: 1 }).catch(() => {});
      await sleep(1_000, stopMiner.signal);
    }
  })();

  const { spec, data } = mnistSpec();
  const n = 2_000;
  const cheatData: Dataset = { count: n, features: data.train.features, classes: data.train.classes, pixels: data.train.pixels.slice(0, n * data.train.features), labels: data.train.labels.slice(0, n) };
  const cheatSpec = makeSpec({ seed: spec.training.seed, data: { root: datasetRoot(cheatData).toString("hex"), count: n, features: cheatData.features, classes: cheatData.classes } });
  const pub = path.join(dir, "published");
  const [specPub, cheatPub, cheatDataPub] = await Promise.all([publishSpec({ spec, dir: pub }), publishSpec({ spec: cheatSpec, dir: pub }), publishDataset({ dataset: cheatData, dir: pub })]);
  const start = async (name: string, role: "solver" | "verifier", key: Hex, cfg: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
    const file = path.join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify({ rpcUrl: node.url, chainId: node.chainId, market: d.jobMarket, dataDir: path.join(dir, name), backend: "onnx", pollIntervalMs: 250, fromBlock: Number(d.deploymentBlock), ...cfg }));
    const p = startNodeProcess([role, "start", "--config", file], { VERITRAIN_PRIVATE_KEY: key, VERITRAIN_LOG_LEVEL: "info", ...env });
    procs.push(p);
    await p.waitFor(`${name} to start`, () => p.logs.some((l) => l.msg === `${role} node started`), 120_000);
    return p;
  };
  const [solver, verifier] = await Promise.all([
    start("solver", "solver", solverKey!.privateKey, { pricing: { minWeiPerStep: "1" }, accept: { datasets: NODE_DEFAULTS.datasets }, serve: { port: await freePort() } }),
    start("verifier", "verifier", verifierKey!.privateKey, { accept: { datasets: [...NODE_DEFAULTS.datasets, cheatDataPub.path] } }),
    start("cheater", "solver", cheaterKey!.privateKey, { pricing: { minWeiPerStep: "1" }, accept: { datasets: [cheatDataPub.path] }, serve: { port: await freePort() }, adversary: { cheat: "corrupt-update", step: LIE_STEP } }, { VERITRAIN_TEST_ADVERSARY: "1" }),
  ]);
  const post = (s: typeof spec, ds: Dataset, specURI: string, sampleBps: number) => postJob(client, {
    market: d.jobMarket, spec: s, dataset: ds, specURI, steps: BENCH_STEPS, checkpointInterval: INTERVAL, escrow: ESCROW,
    requiredBond: JOB_DEFAULTS.requiredBond, challengeBond: JOB_DEFAULTS.challengeBond, firstCome: true, commitDuration: JOB_DEFAULTS.commitDuration,
    challengeWindow: JOB_DEFAULTS.challengeWindow, clockDuration: JOB_DEFAULTS.clockDuration, sampleBps,
  });

  // Jobs A1 and A2: the default job, honest, the default sampling rate. A1 is the verifier's first job of this
  // model (a cold engine session); A2 its second (the session it keeps per spec is warm, as in a long-running
  // node). The solver trains each in a fresh session.
  const costOf = async (sampleBps: number) => {
    const id = (await post(spec, data.train, specPub.uri, sampleBps)).jobId.toString();
    await verifier.waitFor(`job ${id} attested`, () => verifier.logs.some((l) => l.msg === "attested: intervals re-executed, roots match" && l.jobId === id), 600_000);
    const trained = solver.logs.find((l) => l.msg === "training done" && l.jobId === id)!;
    const checked = verifier.logs.filter((l) => l.msg === "interval matches" && l.jobId === id);
    const sum = (f: string) => checked.reduce((s, l) => s + Number(l[f]), 0);
    const sampled = verifier.logs.find((l) => String(l.msg).startsWith("sampled ") && l.jobId === id)!;
    return { solver: Number(trained.seconds), verifier: sum("seconds"), start: sum("startSeconds"), reexecute: sum("reexecuteSeconds"), n: Number(sampled.of), k: (sampled.intervals as number[]).length };
  };
  const cold = await costOf(JOB_DEFAULTS.sampleBps);
  const warm = await costOf(JOB_DEFAULTS.sampleBps);
  const intervals = warm.n, k = warm.k;

  // Job B: a cheating solver that plays its lie to the end.
  const b = (await post(cheatSpec, cheatData, cheatPub.uri, 10_000)).jobId.toString();
  await verifier.waitFor("job B's dispute to end", () => verifier.logs.some((l) => l.msg === "disputes over" && l.jobId === b), 600_000);
  const opened = verifier.logs.find((l) => l.msg === "challenge opened" && l.jobId === b)!;
  const ended = verifier.logs.find((l) => (l.msg === "dispute won" || l.msg === "dispute lost") && l.jobId === b)!;
  const settled = verifier.logs.find((l) => l.msg === "dispute settle" && l.jobId === b);
  const game = await gameSummary(pc, d.disputeGame, BigInt(opened.gameId as string), d.deploymentBlock);

  // Detection, simulated: fresh beacons, one bad interval, the verifier's sample.
  const draws = 20_000;
  let caught = 0;
  for (let i = 0; i < draws; i++) {
    const seed = keccak256(toHex(`bench commit ${i}`));
    const bad = i % intervals;
    if (pickIntervals(seed, intervals, sampleSize(intervals, JOB_DEFAULTS.sampleBps)).includes(bad)) caught++;
  }

  // Commit gas by checkpoint count (made-up roots: the market rebuilds the history root from any roots).
  const committer = local.wallet(privateKeyToAccount(committerKey!.privateKey));
  const commitGas = async (count: number) => {
    const steps = count - 1;
    const { jobId, params } = await postJob(client, {
      market: d.jobMarket, spec, dataset: data.train, specURI: "file:///nowhere.json", steps, checkpointInterval: 1, escrow: 1_000n, requiredBond: 1n, challengeBond: 1n,
      firstCome: true, commitDuration: 3_600n, challengeWindow: 60n, clockDuration: 60n, sampleBps: 0,
    });
    await pc.waitForTransactionReceipt({ hash: await committer.writeContract({ address: d.jobMarket, abi: jobMarketAbi, functionName: "take", args: [jobId], value: 1n }) });
    const roots = [params.initialRoot, ...Array.from({ length: steps }, (_, i) => keccak256(toHex(`root ${i}`)))];
    const hash = await committer.writeContract({ address: d.jobMarket, abi: jobMarketAbi, functionName: "commitResult", args: [jobId, roots, "file:///nowhere/model"] });
    const [r, tx] = await Promise.all([pc.waitForTransactionReceipt({ hash }), pc.getTransaction({ hash })]);
    const bytes = Buffer.from(tx.input.slice(2), "hex");
    const tokens = bytes.reduce((t, x) => t + (x === 0 ? 1 : 4), 0);
    return { gas: Number(r.gasUsed), floor: 21_000 + 10 * tokens };
  };
  const small = await commitGas(2), large = await commitGas(2_048);
  const perCheckpoint = (large.gas - small.gas) / 2_046;

  const metrics = {
    dispute_wall_s: round((Number(ended.time) - Number(opened.time)) / 1000, 2),
    dispute_rounds: game.moves.length,
    dispute_gas_total: Number(game.totalGas) + Number(opened.gasUsed),
    dispute_challenge_gas: Number(opened.gasUsed),
    dispute_max_move_gas: Number(game.maxMoveGas),
    dispute_moves_level1: game.movesPerLevel[1], dispute_moves_level2: game.movesPerLevel[2], dispute_moves_level3: game.movesPerLevel[3], dispute_moves_level4: game.movesPerLevel[4],
    dispute_settle_gas: settled ? Number(settled.gasUsed) : 0,
    dispute_outcome: `${ended.status} (${ended.reason})`,
    kernel_prove_ms: settled?.proveMs !== undefined ? Number(settled.proveMs) : 0,
    verifier_compute_s: round(warm.verifier, 3),
    verifier_start_state_s: round(warm.start, 3),
    verifier_reexecute_s: round(warm.reexecute, 3),
    solver_compute_s: round(warm.solver, 3),
    verifier_cost_ratio: round(warm.verifier / warm.solver, 4),
    verifier_cost_ratio_cold: round(cold.verifier / cold.solver, 4),
    sampling_rate: JOB_DEFAULTS.sampleBps / 10_000,
    sampled_intervals: k,
    intervals,
    detection_probability: round(detectionProbability(intervals, k), 4),
    detection_probability_3_verifiers: round(detectionProbability(intervals, k, 3), 4),
    detection_observed: round(caught / draws, 4),
    detection_draws: draws,
    commit_gas_per_checkpoint: Math.round(perCheckpoint),
    commit_gas_2_checkpoints: small.gas,
    commit_gas_2048_checkpoints: large.gas,
    commit_floor_gas_2048_checkpoints: large.floor,
  };
  process.stdout.write([
    `job A2 (${BENCH_STEPS} steps, ${intervals} intervals): solver trained in ${metrics.solver_compute_s} s; the verifier re-executed ${k} interval(s) in ${metrics.verifier_compute_s} s (ratio ${metrics.verifier_cost_ratio}, rate ${metrics.sampling_rate}; ${metrics.verifier_cost_ratio_cold} on its first job, a cold engine session)`,
    `  detection of one bad interval: ${metrics.detection_probability} printed, ${metrics.detection_observed} observed over ${draws} commits (3 verifiers: ${metrics.detection_probability_3_verifiers})`,
    `job B (lie at step ${LIE_STEP}): ${metrics.dispute_outcome}; ${metrics.dispute_rounds} game transactions (levels 1-4: ${[1, 2, 3, 4].map((l) => game.movesPerLevel[l as 1]).join("/")}), ${metrics.dispute_gas_total} gas with the challenge, largest ${metrics.dispute_max_move_gas}; proof ${metrics.kernel_prove_ms} ms; ${metrics.dispute_wall_s} s from challenge to resolution`,
    `commit: ${metrics.commit_gas_2_checkpoints} gas for 2 checkpoints, ${metrics.commit_gas_2048_checkpoints} for 2,048 (floor ${metrics.commit_floor_gas_2048_checkpoints}): ${metrics.commit_gas_per_checkpoint} per checkpoint`,
  ].join("\n") + "\n");
  report("dispute", metrics, { steps: BENCH_STEPS, interval: INTERVAL, lieStep: LIE_STEP, kernel: "groth16", moves: game.moves.map((m) => ({ level: m.level, move: m.label, by: m.by, gas: Number(m.gasUsed) })) });
} finally {
  stopMiner.abort();
  await miner;
  await Promise.all(procs.map((p) => p.kill("SIGTERM")));
  await node.stop();
  await rm(dir, { recursive: true, force: true });
}
