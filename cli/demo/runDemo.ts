import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Account, type Address, type Chain, createTestClient, type PublicClient, type Transport, type WalletClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getContractEvents } from "viem/actions";
import { amounts } from "../../node/amounts.ts";
import { connect } from "../../chain/connect.ts";
import { transactionsBySender } from "../../chain/transactionsBySender.ts";
import { publishDataset } from "../../content/publishDataset.ts";
import { publishSpec } from "../../content/publishSpec.ts";
import { DEPLOY_DEFAULTS, JOB_DEFAULTS, NODE_DEFAULTS } from "../../core/defaults.ts";
import { sleep } from "../../core/sleep.ts";
import type { Logger } from "../../log/logger.ts";
import { type Line, type NodeProcess, startNodeProcess } from "../../node/nodeProcess.ts";
import { DemoError } from "./demoError.ts";
import { DEMO_MODELS, type DemoEvaluation, type DemoModel, demoWorkload } from "./demoWorkload.ts";

export { DemoError } from "./demoError.ts";

/**
 * `veritrain demo`, end to end on a local chain. A Hardhat node runs as a child process (a block is mined
 * every second: a chain with traffic); the protocol is deployed with the kernel verifier that settles the
 * model's ops (Groth16 for the MLP, the recomputing one for the CNN and the char LM: demoWorkload.ts); three
 * nodes run as SEPARATE processes, each with its own config, key and database: an honest solver, a verifier,
 * and a solver with the test-only cheating switch (VERITRAIN_TEST_ADVERSARY=1 in its environment only).
 * What follows is the MLP's run (the default); `model` cnn or charlm runs the same flow on that model's job
 * (demoWorkload.ts: its spec, its data, its cheating job's slice, its held-out figure).
 *
 *  1. The client posts the default MNIST job as a reverse auction. The honest solver bids (90% of the
 *     escrow), wins, trains and commits; the verifier samples intervals from the block after the commit
 *     (the job's 5%), re-executes them, finds them right and attests on chain; the window passes (the
 *     orchestrator moves the chain's clock: the only test-chain trick), the job finalizes and everyone is
 *     paid; the client fetches the model, checks its root and evaluates it.
 *  2. The client posts a smaller job on its own dataset (a 2,000-digit slice of MNIST) asking verifiers to
 *     re-execute every interval. The cheating solver takes it and corrupts one weight update; the verifier
 *     catches the wrong interval, challenges, plays the dispute to settlement by a Groth16 proof, and is
 *     paid from the solver's bond (settlement by a Groth16 proof, or recomputed on chain by the recomputing
 *     kernel verifier); the job fails and the client gets its escrow back.
 * Every process and the chain are stopped at the end (finally).
 */
export interface DemoFlags {
  /** Default mlp. */
  model?: DemoModel;
  steps: number;
  checkpointInterval: number;
  json?: boolean;
  dataDir?: string;
  backend: "onnx" | "reference";
}

const ESCROW = 10n ** 18n; // 1 ETH
const BOND = JOB_DEFAULTS.requiredBond;
const CHALLENGE_BOND = JOB_DEFAULTS.challengeBond;
/** Job 1's window: long enough for the verifier (docs/verifier.md), skipped by moving the chain's clock. */
const CHALLENGE_WINDOW = 600n;
const BID_DURATION = 120n;
/** The honest solver's pricing rule: open at 90% of the escrow, never below 1 gwei per step. */
const OPENING_BID_BPS = 9_000;
const MIN_WEI_PER_STEP = 10n ** 9n;

async function withdrawAll(w: WalletClient<Transport, Chain, Account>, pc: PublicClient<Transport, Chain>, market: Address): Promise<bigint> {
  const { jobMarketAbi } = await import("../../chain/generated/contracts.ts");
  const balance = await pc.readContract({ address: market, abi: jobMarketAbi, functionName: "balanceOf", args: [w.account.address] });
  if (balance === 0n) return 0n;
  const hash = await w.writeContract({ address: market, abi: jobMarketAbi, functionName: "withdraw", args: [] });
  const r = await pc.waitForTransactionReceipt({ hash });
  if (r.status !== "success") throw new DemoError(`the client's withdraw ${hash} reverted`);
  return balance;
}

export async function runDemo(log: Logger, f: DemoFlags, signal: AbortSignal): Promise<Record<string, unknown>> {
  const modelName = f.model ?? "mlp";
  if (!(DEMO_MODELS as readonly string[]).includes(modelName)) throw new DemoError(`model must be one of ${DEMO_MODELS.join(", ")}, got ${JSON.stringify(modelName)}`);
  if (!Number.isSafeInteger(f.steps) || f.steps < 1) throw new DemoError(`steps must be a positive integer, got ${f.steps}`);
  if (!Number.isSafeInteger(f.checkpointInterval) || f.checkpointInterval < 1 || f.checkpointInterval > f.steps) {
    throw new DemoError(`the checkpoint interval must be an integer in [1, steps = ${f.steps}], got ${f.checkpointInterval}`);
  }
  const w = demoWorkload(modelName);
  const { spec, cheat } = w;
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  let mark = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round(now - mark) / 1000;
    mark = now;
  };
  // Imported on use: chain/ and client/ need the generated contract artifacts (npm run build:contracts).
  const { startLocalNode, freePort } = await import("../../chain/localNode.ts");
  const { deployProtocol } = await import("../../chain/deploy.ts");
  const { postJob, waitForJob, fetchModel, getJob } = await import("../../client/index.ts");
  const { jobMarketAbi } = await import("../../chain/generated/contracts.ts");
  const { gameSummary } = await import("../../dispute/gameSummary.ts");

  const dataDir = f.dataDir ? path.resolve(f.dataDir) : await mkdtemp(path.join(tmpdir(), "veritrain-demo-"));
  await mkdir(dataDir, { recursive: true });
  let node: Awaited<ReturnType<typeof startLocalNode>> | undefined;
  const procs: NodeProcess[] = [];
  let miner: Promise<void> | undefined;
  const stopMiner = new AbortController();
  try {
    node = await startLocalNode({ accounts: 6, signal });
    log.info({ url: node.url, nodePid: node.pid }, "local node up"); // pino writes its own pid: another key
    const [deployerKey, treasuryKey, clientKey, solverKey, verifierKey, cheaterKey] = node.accounts;
    const local = await connect({ rpcUrl: node.url, chainId: node.chainId, timeoutMs: 30_000, pollingIntervalMs: 200 });
    const pc = local.publicClient;
    const tc = createTestClient({ chain: local.chain, transport: local.transport, mode: "hardhat" });
    const deployer = local.wallet(privateKeyToAccount(deployerKey!.privateKey));
    const client = local.wallet(privateKeyToAccount(clientKey!.privateKey));
    const roles = { client: clientKey!.address, solver: solverKey!.address, verifier: verifierKey!.address, cheater: cheaterKey!.address, treasury: treasuryKey!.address, deployer: deployerKey!.address } as const;
    type Role = keyof typeof roles;
    // A chain with traffic: a block every second (the verifier samples from the block after a commit).
    miner = (async () => {
      while (!stopMiner.signal.aborted) {
        await tc.mine({ blocks: 1 }).catch(() => {});
        await sleep(1_000, stopMiner.signal);
      }
    })();
    phase("node");

    const d = await deployProtocol({ walletClient: deployer, publicClient: pc, treasury: roles.treasury, forfeitBps: DEPLOY_DEFAULTS.forfeitBps, kernel: w.kernel, onProgress: (m) => log.debug(m) });
    phase("deploy");
    log.info({ market: d.jobMarket, game: d.disputeGame, kernel: w.kernel, gas: d.gasUsed.total.toString() }, "protocol deployed");
    const balance = async () => Object.fromEntries(await Promise.all(
      (Object.keys(roles) as Role[]).map(async (k) => [k, await pc.getBalance({ address: roles[k] })] as const))) as Record<Role, bigint>;
    const before = await balance();

    // Content: the model's spec (and its training set where the nodes do not hold it by name: the char LM's);
    // the cheating job's spec and its dataset slice; all published by hash.
    const published = path.join(dataDir, "published");
    const [specPub, cheatPub, cheatDataPub, trainPub] = await Promise.all([
      publishSpec({ spec, dir: published }), publishSpec({ spec: cheat.spec, dir: published }), publishDataset({ dataset: cheat.data, dir: published }),
      w.publishTrain ? publishDataset({ dataset: w.train, dir: published }) : undefined,
    ]);
    const honestDatasets = [...NODE_DEFAULTS.datasets, ...(trainPub ? [trainPub.path] : [])];

    // The three nodes, as their own processes. Their logs go through this process's logger, tagged.
    const start = async (name: string, role: "solver" | "verifier", key: `0x${string}`, cfg: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
      const file = path.join(dataDir, `${name}.json`);
      const { writeFile } = await import("node:fs/promises");
      await writeFile(file, JSON.stringify({ rpcUrl: node!.url, chainId: node!.chainId, market: d.jobMarket, dataDir: path.join(dataDir, name), backend: f.backend, pollIntervalMs: 250, fromBlock: Number(d.deploymentBlock), ...cfg }, null, 2) + "\n");
      const child = log.child({ node: name });
      // The nodes log at info at least (this process waits on their lines); its own logger filters what it shows.
      const level = ["debug", "trace"].includes(process.env.VERITRAIN_LOG_LEVEL ?? "") ? process.env.VERITRAIN_LOG_LEVEL! : "info";
      const p = startNodeProcess([role, "start", "--config", file], { VERITRAIN_PRIVATE_KEY: key, VERITRAIN_LOG_LEVEL: level, ...env }, {
        onLog: (l: Line) => child[(l.level as number) >= 50 ? "error" : (l.level as number) >= 40 ? "warn" : (l.level as number) <= 20 ? "debug" : "info"]({ ...strip(l) }, String(l.msg)),
      });
      procs.push(p);
      await p.waitFor(`${name} to start`, () => p.logs.some((l) => l.msg === `${role} node started`), 120_000);
      return p;
    };
    const [solver, verifier, cheater] = await Promise.all([
      start("solver", "solver", solverKey!.privateKey, {
        pricing: { minWeiPerStep: MIN_WEI_PER_STEP.toString(), openingBidBps: OPENING_BID_BPS, undercutBps: NODE_DEFAULTS.undercutBps },
        accept: { datasets: honestDatasets, maxSteps: 1_000_000 }, serve: { host: NODE_DEFAULTS.serveHost, port: await freePort() },
      }),
      start("verifier", "verifier", verifierKey!.privateKey, { accept: { datasets: [...honestDatasets, cheatDataPub.path], maxSteps: 1_000_000 } }),
      start("cheater", "solver", cheaterKey!.privateKey, {
        pricing: { minWeiPerStep: "1" }, accept: { datasets: [cheatDataPub.path] }, serve: { host: NODE_DEFAULTS.serveHost, port: await freePort() },
        adversary: { cheat: "corrupt-update" },
      }, { VERITRAIN_TEST_ADVERSARY: "1" }),
    ]);
    phase("nodes");
    const failed = Promise.race(procs.map((p) => p.exited.then((x): never => {
      throw new DemoError(`a node process exited (${x.code ?? x.signal}) before the demo was done: ${p.raw().slice(-1_000)}`);
    })));
    failed.catch(() => {});
    const race = <T>(p: Promise<T>) => Promise.race([p, failed]);
    const until = async (what: string, p: NodeProcess, pred: (l: Line) => boolean, timeoutMs = 10 * 60_000) => race(p.waitFor(what, () => p.logs.some(pred), timeoutMs));

    // --- Job 1: the honest main job.
    const posted = await postJob(client, {
      market: d.jobMarket, spec, dataset: w.train, specURI: specPub.uri, steps: f.steps, checkpointInterval: f.checkpointInterval,
      escrow: ESCROW, requiredBond: BOND, challengeBond: CHALLENGE_BOND, firstCome: false, bidDuration: BID_DURATION,
      commitDuration: JOB_DEFAULTS.commitDuration, challengeWindow: CHALLENGE_WINDOW, clockDuration: JOB_DEFAULTS.clockDuration, sampleBps: JOB_DEFAULTS.sampleBps,
    });
    const jobId = posted.jobId;
    const job1 = jobId.toString();
    phase("post");
    log.info({ jobId: job1, model: w.model, ...amounts({ escrow: ESCROW }), steps: f.steps }, "job posted");
    await until("the solver's bid", solver, (l) => l.msg === "bid placed" && l.jobId === job1);
    phase("bid");
    log.info({ jobId: job1 }, "bid placed; advancing the chain's clock past the bid deadline");
    await tc.increaseTime({ seconds: Number(BID_DURATION) + 1 });
    await tc.mine({ blocks: 1 });
    await race(waitForJob(pc, { market: d.jobMarket, jobId, status: "Committed", timeoutMs: 30 * 60_000, pollingIntervalMs: 250, signal }));
    phase("solve");
    const committed = await getJob(pc, { market: d.jobMarket, jobId });
    await until("the verifier's attestation", verifier, (l) => l.msg === "attested: intervals re-executed, roots match" && l.jobId === job1);
    const sampled1 = verifier.logs.find((l) => String(l.msg).startsWith("sampled ") && l.jobId === job1)!;
    const checkSeconds1 = verifier.logs.filter((l) => l.msg === "interval matches" && l.jobId === job1).reduce((a, l) => a + Number(l.seconds), 0);
    phase("verify");
    log.info({ jobId: job1 }, "verified and attested; advancing the chain's clock past the challenge window");
    await tc.increaseTime({ seconds: Number(CHALLENGE_WINDOW) + 1 });
    await tc.mine({ blocks: 1 });
    await until("the solver's payment", solver, (l) => l.msg === "withdrawn" && l.jobId === job1);
    const solverResult = solver.reports.find((r) => r.jobId === job1) ?? (await race(solver.waitFor("the solver's report", () => solver.reports.some((r) => r.jobId === job1))), solver.reports.find((r) => r.jobId === job1)!);
    if (solverResult.status !== "withdrawn") throw new DemoError(`the solver reports job ${job1} as ${String(solverResult.status)}: ${String(solverResult.reason)}`);
    await withdrawAll(client, pc, d.jobMarket); // escrow - price, credited at finalization
    phase("finalize");
    const model = await fetchModel(pc, { market: d.jobMarket, jobId, spec, fromBlock: d.deploymentBlock });
    const evaluation = await w.evaluate(model.state, f.backend);
    phase("fetchEvaluate");

    // --- Job 2: a cheating solver, caught.
    const cheatPosted = await postJob(client, {
      market: d.jobMarket, spec: cheat.spec, dataset: cheat.data, specURI: cheatPub.uri, steps: cheat.steps, checkpointInterval: cheat.checkpointInterval,
      escrow: ESCROW, requiredBond: BOND, challengeBond: CHALLENGE_BOND, firstCome: true,
      commitDuration: JOB_DEFAULTS.commitDuration, challengeWindow: JOB_DEFAULTS.challengeWindow, clockDuration: JOB_DEFAULTS.clockDuration, sampleBps: 10_000,
    });
    const job2 = cheatPosted.jobId.toString();
    log.info({ jobId: job2, steps: cheat.steps }, "a second job posted: every interval to be re-executed");
    await until("the cheater's commit", cheater, (l) => l.msg === "result committed" && l.jobId === job2);
    const lie = cheater.logs.find((l) => l.msg === "ADVERSARY: this job's result will be wrong" && l.jobId === job2);
    await until("the challenge", verifier, (l) => l.msg === "challenge opened" && l.jobId === job2);
    const challenged = verifier.logs.find((l) => l.msg === "challenge opened" && l.jobId === job2)!;
    await until("the dispute's end", verifier, (l) => l.msg === "disputes over" && l.jobId === job2);
    const ended = verifier.logs.find((l) => (l.msg === "dispute won" || l.msg === "dispute lost") && l.jobId === job2)!;
    const settle = verifier.logs.find((l) => l.msg === "dispute settle" && l.jobId === job2);
    const sampled2 = verifier.logs.find((l) => String(l.msg).startsWith("sampled ") && l.jobId === job2)!;
    const failedJob = await getJob(pc, { market: d.jobMarket, jobId: cheatPosted.jobId });
    if (failedJob.status !== "Failed") throw new DemoError(`the cheating job is ${failedJob.status}, not Failed`);
    await withdrawAll(client, pc, d.jobMarket); // the escrow back
    await withdrawAll(local.wallet(privateKeyToAccount(treasuryKey!.privateKey)), pc, d.jobMarket); // the forfeited share of the bond
    const [opened] = await getContractEvents(pc, { address: d.jobMarket, abi: jobMarketAbi, eventName: "ChallengeOpened", args: { jobId: cheatPosted.jobId }, fromBlock: d.deploymentBlock, strict: true });
    const game = await gameSummary(pc, d.disputeGame, opened!.args.gameId, opened!.blockNumber);
    phase("cheat");

    const after = await balance();
    const sent = await transactionsBySender(pc, d.deploymentBlock);
    const s = (x: bigint) => x.toString();
    const roleBalances = Object.fromEntries((Object.keys(roles) as Role[]).filter((k) => k !== "deployer").map((k) => [k, { before: s(before[k]), after: s(after[k]), delta: s(after[k] - before[k]) }]));
    const gas = Object.fromEntries((Object.keys(roles) as Role[]).map((k) => {
      const g = sent.get(roles[k].toLowerCase()) ?? { gasUsed: 0n, feesWei: 0n, transactions: [] };
      return [k, { gasUsed: s(g.gasUsed), feesWei: s(g.feesWei), transactions: g.transactions.length }];
    }));
    phases.total = Math.round(performance.now() - t0) / 1000;
    return {
      model: w.model, modelDescription: w.description,
      chainId: node.chainId, rpcUrl: node.url, nodePort: node.port, market: d.jobMarket, kernel: w.kernel, jobId: job1, accounts: roles,
      steps: f.steps, checkpointInterval: f.checkpointInterval, checkpoints: Number(committed.checkpointCount),
      escrow: s(ESCROW), price: s(committed.price), requiredBond: s(BOND),
      ...evaluationFields(evaluation),
      committedFinalRoot: committed.finalRoot, modelRoot: model.root, historyRoot: committed.historyRoot, modelURI: model.modelURI,
      solverReportedFinalRoot: solverResult.finalRoot, solverReportedStatus: solverResult.status, solverWithdrawn: solverResult.withdrawn, rootsMatch: model.root === committed.finalRoot,
      verification: {
        intervals: sampled1.intervals, of: sampled1.of, rateBps: sampled1.rateBps, beacon: sampled1.beacon,
        detectionOneBadInterval: sampled1.detectionOneBadInterval, reexecuteSeconds: Math.round(checkSeconds1 * 1000) / 1000, attested: true,
      },
      cheat: {
        jobId: job2, steps: cheat.steps, checkpointInterval: cheat.checkpointInterval, examples: cheat.data.count, lie: lie ? { cheat: lie.cheat, deviations: lie.deviations } : null,
        sampled: sampled2.intervals, detectionOneBadInterval: sampled2.detectionOneBadInterval, challengedInterval: challenged.interval, claimedRoot: challenged.claimed,
        outcome: { verifier: ended.status, reason: ended.reason }, jobStatus: failedJob.status,
        rounds: game.movesPerLevel, gasPerLevel: Object.fromEntries(Object.entries(game.gasPerLevel).map(([k, v]) => [k, s(v)])),
        moves: game.moves.map((m) => ({ level: m.level, move: m.label, by: m.by, gas: s(m.gasUsed) })),
        disputeGas: s(game.totalGas), maxMoveGas: s(game.maxMoveGas), challengeGas: String(challenged.gasUsed),
        proofMs: settle?.proveMs ?? null, settleGas: settle ? String(settle.gasUsed) : null,
        disputeWallSeconds: Math.round(Number(ended.time) - Number(challenged.time)) / 1000,
      },
      balances: roleBalances, gas, phases, nodePid: node.pid, processPids: procs.map((p) => p.child.pid),
      // Post to payment of job 1: from the client's postJob to the solver's withdraw (the challenge window
      // itself is skipped by moving the local chain's clock).
      postToPaymentSeconds: Math.round(1000 * (phases.post! + phases.bid! + phases.solve! + phases.verify! + phases.finalize!)) / 1000,
      solverTrainSeconds: Number(solverResult.trainSeconds),
    };
  } finally {
    stopMiner.abort();
    await miner;
    await Promise.all(procs.map((p) => p.kill("SIGTERM")));
    await node?.stop();
    if (!f.dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

/** A node's log line without pino's own fields (re-logged by this process's logger). */
function strip(l: Line): Line {
  const { level: _l, time: _t, pid: _p, hostname: _h, name: _n, msg: _m, ...rest } = l;
  return rest;
}

/** The held-out figure as the result's fields: heldoutAccuracy (MNIST models) or heldoutNatsPerChar and samples (char LM). */
function evaluationFields(e: DemoEvaluation): Record<string, unknown> {
  const { kind: _k, ...rest } = e;
  return rest;
}
