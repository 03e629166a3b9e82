import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Command } from "commander";
import {
  type Account, type Address, createTestClient, formatEther, type PublicClient, type Transport, type Chain, type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { connect } from "../../chain/connect.ts";
import { transactionsBySender } from "../../chain/transactionsBySender.ts";
import type { Logger } from "../../log/logger.ts";
import { accuracy } from "../../engine/evaluate.ts";
import { stateLayout } from "../../engine/graph.ts";
import { canonicalSpecJson } from "../../engine/spec.ts";
import { mnistSpec } from "../../training/mnistJob.ts";
import { positiveInt } from "../options.ts";
import { VeritrainError } from "../../core/errors.ts";
import { sleep } from "../../core/sleep.ts";
import { DEPLOY_DEFAULTS, JOB_DEFAULTS, NODE_DEFAULTS } from "../../core/defaults.ts";

/**
 * `veritrain demo`: the honest main job end to end on a local chain. A Hardhat node runs as a child
 * process; the protocol is deployed; the client posts the default MNIST job as a reverse auction; the solver
 * node runs as a SEPARATE process (`veritrain solver start --config <tmp config>`, key in its environment)
 * that bids by its pricing rule; this orchestrator moves the chain's clock past the bid deadline, then past
 * the challenge window (evm_increaseTime/evm_mine: the only test-chain trick, nowhere in the solver); the
 * solver closes the bidding, trains, commits, finalizes and withdraws (its JSON report line on stdout), the
 * client withdraws its refund (escrow - price); the client fetches the model, verifies it against the committed final
 * root and evaluates it. Node and solver are always stopped (finally).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = path.join(ROOT, "cli", "veritrain.ts");

export class DemoError extends VeritrainError {
  override name = "DemoError";
}

interface Flags {
  steps: number;
  checkpointInterval: number;
  json?: boolean;
  dataDir?: string;
  backend: "onnx" | "reference";
}

/** The demo job: 1 ETH of escrow, the default bonds and clocks; short windows, which it skips by moving the local chain's clock. */
const ESCROW = 10n ** 18n;
const { requiredBond: BOND, challengeBond: CHALLENGE_BOND } = JOB_DEFAULTS;
const CHALLENGE_WINDOW = 60n;
const BID_DURATION = 120n;
/** The solver's pricing rule in the demo: open at 90% of the escrow, never below 1 gwei per step. */
const OPENING_BID_BPS = 9_000;
const MIN_WEI_PER_STEP = 10n ** 9n;

/** Withdraws the account's whole pull balance from the market (nothing when it is zero). */
async function withdrawAll(w: WalletClient<Transport, Chain, Account>, pc: PublicClient<Transport, Chain>, market: Address): Promise<bigint> {
  const { jobMarketAbi } = await import("../../chain/generated/contracts.ts");
  const balance = await pc.readContract({ address: market, abi: jobMarketAbi, functionName: "balanceOf", args: [w.account.address] });
  if (balance === 0n) return 0n;
  const hash = await w.writeContract({ address: market, abi: jobMarketAbi, functionName: "withdraw", args: [] });
  const r = await pc.waitForTransactionReceipt({ hash });
  if (r.status !== "success") throw new DemoError(`the client's withdraw ${hash} reverted`);
  return balance;
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), 5_000);
  try {
    await exited;
  } finally {
    clearTimeout(t);
  }
}

export async function runDemo(log: Logger, f: Flags, signal: AbortSignal): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  let mark = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round(now - mark) / 1000;
    mark = now;
  };
  // Imported on use: chain/ and client/ need the generated contract artifacts (npm run build:contracts).
  const { startLocalNode } = await import("../../chain/localNode.ts");
  const { deployProtocol } = await import("../../chain/deploy.ts");
  const { postJob, waitForJob, fetchModel, getJob } = await import("../../client/index.ts");

  const dataDir = f.dataDir ? path.resolve(f.dataDir) : await mkdtemp(path.join(tmpdir(), "veritrain-demo-"));
  await mkdir(dataDir, { recursive: true });
  let node: Awaited<ReturnType<typeof startLocalNode>> | undefined;
  let solver: ChildProcess | undefined;
  try {
    node = await startLocalNode({ accounts: 4, signal });
    phase("node");
    log.info({ url: node.url, pid: node.pid }, "local node up");
    const [deployerKey, treasuryKey, clientKey, solverKey] = node.accounts;
    const local = await connect({ rpcUrl: node.url, chainId: node.chainId, timeoutMs: 30_000, pollingIntervalMs: 200 });
    const pc = local.publicClient;
    const tc = createTestClient({ chain: local.chain, transport: local.transport, mode: "hardhat" });
    const deployer = local.wallet(privateKeyToAccount(deployerKey!.privateKey));
    const client = local.wallet(privateKeyToAccount(clientKey!.privateKey));
    const roles = { client: clientKey!.address, solver: solverKey!.address, treasury: treasuryKey!.address, deployer: deployerKey!.address } as const;

    const d = await deployProtocol({ walletClient: deployer, publicClient: pc, treasury: roles.treasury, forfeitBps: DEPLOY_DEFAULTS.forfeitBps, onProgress: (m) => log.debug(m) });
    phase("deploy");
    log.info({ market: d.jobMarket, game: d.disputeGame, gas: d.gasUsed.total.toString() }, "protocol deployed");

    const balance = async () => Object.fromEntries(await Promise.all(
      (["client", "solver", "treasury"] as const).map(async (k) => [k, await pc.getBalance({ address: roles[k] })] as const))) as Record<"client" | "solver" | "treasury", bigint>;
    const before = await balance();

    // The client posts the default MNIST job; the spec is served as a file.
    const { spec, data } = mnistSpec();
    const specFile = path.join(dataDir, "spec.json");
    await writeFile(specFile, canonicalSpecJson(spec) + "\n");
    const posted = await postJob(client, {
      market: d.jobMarket, spec, dataset: data.train, specURI: pathToFileURL(specFile).href, steps: f.steps, checkpointInterval: f.checkpointInterval,
      escrow: ESCROW, requiredBond: BOND, challengeBond: CHALLENGE_BOND, firstCome: false, bidDuration: BID_DURATION,
      commitDuration: JOB_DEFAULTS.commitDuration, challengeWindow: CHALLENGE_WINDOW, clockDuration: JOB_DEFAULTS.clockDuration,
    });
    phase("post");
    log.info({ jobId: posted.jobId.toString(), escrow: formatEther(ESCROW), steps: f.steps }, "job posted");

    // The solver node, as its own process: `veritrain solver start` with a config file, the key in its environment.
    const { freePort } = await import("../../chain/localNode.ts");
    const solverDir = path.join(dataDir, "solver");
    const configFile = path.join(dataDir, "solver.json");
    await writeFile(configFile, JSON.stringify({
      rpcUrl: node.url, chainId: node.chainId, market: d.jobMarket, dataDir: solverDir, backend: f.backend,
      pricing: { minWeiPerStep: MIN_WEI_PER_STEP.toString(), openingBidBps: OPENING_BID_BPS, undercutBps: NODE_DEFAULTS.undercutBps },
      accept: { datasets: NODE_DEFAULTS.datasets, maxSteps: 1_000_000 },
      serve: { host: NODE_DEFAULTS.serveHost, port: await freePort() },
      pollIntervalMs: 250, fromBlock: Number(d.deploymentBlock),
    }, null, 2) + "\n");
    solver = spawn(process.execPath, [CLI, "solver", "start", "--config", configFile], {
      cwd: ROOT, env: { ...process.env, VERITRAIN_PRIVATE_KEY: solverKey!.privateKey }, stdio: ["ignore", "pipe", "inherit"],
    });
    let solverOut = "";
    const reports: Record<string, unknown>[] = [];
    const reportWaiters: (() => void)[] = [];
    solver.stdout!.setEncoding("utf8").on("data", (s: string) => {
      solverOut += s;
      let i: number;
      while ((i = solverOut.indexOf("\n")) >= 0) {
        const line = solverOut.slice(0, i);
        solverOut = solverOut.slice(i + 1);
        try {
          reports.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          continue;
        }
        reportWaiters.splice(0).forEach((w) => w());
      }
    });
    const solverExit = once(solver, "exit").then(([code, sig]) => ({ code: code as number | null, sig: sig as string | null }));
    // Rejects when the solver stops before the job is done; the awaited chain status decides otherwise.
    const solverFailed = solverExit.then((x): Promise<never> => {
      throw new DemoError(`the solver process exited (${x.code ?? x.sig}) before the job was done`);
    });
    solverFailed.catch(() => {});
    // The solver prints one JSON line per finished job (after withdrawing), and keeps serving its store over
    // HTTP (the committed model URI) until it is stopped.
    const solverReport = async (jobId: bigint): Promise<Record<string, unknown>> => {
      for (;;) {
        const r = reports.find((x) => x.jobId === jobId.toString());
        if (r) return r;
        await new Promise<void>((resolve) => reportWaiters.push(resolve));
      }
    };
    const race = <T>(p: Promise<T>) => Promise.race([p, solverFailed]);
    const waitUntil = async (what: string, cond: () => Promise<boolean>, timeoutMs: number) => {
      const end = Date.now() + timeoutMs;
      while (!(await cond())) {
        signal.throwIfAborted();
        if (Date.now() > end) throw new DemoError(`timed out waiting for ${what}`);
        await race(sleep(250, signal));
      }
    };

    // The auction: the solver bids by its pricing rule; once its bid is in, the bid window is skipped.
    await waitUntil("the solver's bid", async () => {
      const j = await getJob(pc, { market: d.jobMarket, jobId: posted.jobId });
      return j.hasBid && j.solver.toLowerCase() === roles.solver.toLowerCase();
    }, 120_000);
    phase("bid");
    log.info({ jobId: posted.jobId.toString() }, "bid placed; advancing the chain's clock past the bid deadline");
    await tc.increaseTime({ seconds: Number(BID_DURATION) + 1 });
    await tc.mine({ blocks: 1 });

    await race(waitForJob(pc, { market: d.jobMarket, jobId: posted.jobId, status: "Committed", timeoutMs: 30 * 60_000, pollingIntervalMs: 500, signal }));
    phase("solve");
    const committed = await getJob(pc, { market: d.jobMarket, jobId: posted.jobId });
    log.info({ finalRoot: committed.finalRoot, historyRoot: committed.historyRoot }, "result committed; advancing the chain's clock past the challenge window");

    await tc.increaseTime({ seconds: Number(CHALLENGE_WINDOW) + 1 });
    await tc.mine({ blocks: 1 });
    await race(waitForJob(pc, { market: d.jobMarket, jobId: posted.jobId, status: "Finalized", timeoutMs: 120_000, pollingIntervalMs: 250, signal }));
    const solverResult = await race(solverReport(posted.jobId));
    if (solverResult.status !== "withdrawn") throw new DemoError(`the solver reports job ${posted.jobId} as ${String(solverResult.status)}: ${String(solverResult.reason)}`);
    // The client's share: escrow - price was credited to its pull balance at finalization.
    await withdrawAll(client, pc, d.jobMarket);
    phase("finalize");

    // Over HTTP from the solver's store server, verified against the committed final root.
    const model = await fetchModel(pc, { market: d.jobMarket, jobId: posted.jobId, spec, fromBlock: d.deploymentBlock });
    await stopChild(solver);
    const exit = await solverExit;
    if (exit.code !== 0) throw new DemoError(`the solver process exited with ${exit.code ?? exit.sig}`);
    const weights = model.state.tensors.slice(0, stateLayout(spec).filter((s) => !s.name.endsWith(".v")).length);
    const acc = await accuracy(spec, weights, data.heldout, f.backend);
    phase("fetchEvaluate");

    const after = await balance();
    const sent = await transactionsBySender(pc, d.deploymentBlock);
    const feeOf = (a: Address) => sent.get(a.toLowerCase()) ?? { gasUsed: 0n, feesWei: 0n, transactions: [] };
    const s = (x: bigint) => x.toString();
    const roleBalances = Object.fromEntries((["client", "solver", "treasury"] as const).map((k) => [k, { before: s(before[k]), after: s(after[k]), delta: s(after[k] - before[k]) }]));
    const gas = Object.fromEntries((["client", "solver", "deployer"] as const).map((k) => {
      const g = feeOf(roles[k]);
      return [k, { gasUsed: s(g.gasUsed), feesWei: s(g.feesWei), transactions: g.transactions.length }];
    }));
    phases.total = Math.round(performance.now() - t0) / 1000;
    return {
      chainId: node.chainId, rpcUrl: node.url, nodePort: node.port, market: d.jobMarket, jobId: s(posted.jobId), accounts: roles,
      steps: f.steps, checkpointInterval: f.checkpointInterval, checkpoints: Number(committed.checkpointCount),
      escrow: s(ESCROW), price: s(committed.price), requiredBond: s(BOND),
      heldoutAccuracy: acc, heldoutExamples: data.heldout.count,
      committedFinalRoot: committed.finalRoot, modelRoot: model.root, historyRoot: committed.historyRoot, modelURI: model.modelURI,
      solverReportedFinalRoot: solverResult.finalRoot, solverReportedStatus: solverResult.status, solverWithdrawn: solverResult.withdrawn, rootsMatch: model.root === committed.finalRoot,
      balances: roleBalances, gas, phases, solverPid: solver.pid, nodePid: node.pid,
      // Post to payment: from the client's postJob to the solver's withdraw (the challenge window itself is
      // skipped by moving the local chain's clock).
      postToPaymentSeconds: Math.round(1000 * (phases.post! + phases.bid! + phases.solve! + phases.finalize!)) / 1000,
      solverTrainSeconds: Number(solverResult.trainSeconds),
    };
  } finally {
    await stopChild(solver);
    await node?.stop();
    if (!f.dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

function printDemo(r: Record<string, any>): void {
  const eth = (w: string) => `${formatEther(BigInt(w))} ETH`;
  const lines = [
    `job ${r.jobId} on ${r.rpcUrl} (chain ${r.chainId}), market ${r.market}`,
    `steps               ${r.steps} (${r.checkpoints} checkpoints, every ${r.checkpointInterval})`,
    `held-out accuracy   ${(100 * r.heldoutAccuracy).toFixed(2)}% of ${r.heldoutExamples} MNIST digits`,
    `final state root    ${r.modelRoot} (model fetched, verified = committed root ${r.committedFinalRoot})`,
    `history root        ${r.historyRoot}`,
    `price               ${eth(r.price)} (escrow ${eth(r.escrow)}, solver bond ${eth(r.requiredBond)})`,
    "balances            before -> after (delta)",
    ...["client", "solver", "treasury"].map((k) => `  ${k.padEnd(18)}${eth(r.balances[k].before)} -> ${eth(r.balances[k].after)} (${eth(r.balances[k].delta)})`),
    "gas per role        gas (fees, transactions)",
    ...["client", "solver", "deployer"].map((k) => `  ${k.padEnd(18)}${r.gas[k].gasUsed} (${eth(r.gas[k].feesWei)}, ${r.gas[k].transactions} txs)`),
    `wall clock          ${Object.entries(r.phases).map(([k, v]) => `${k} ${(v as number).toFixed(1)} s`).join(", ")}`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

export function registerDemo(program: Command, log: () => Logger, signal: AbortSignal): void {
  program
    .command("demo")
    .description("run the main job end to end on a local chain: deploy, post, a solver process trains and commits, finalize, fetch and verify the model")
    .option("--steps <n>", "training steps", positiveInt("--steps", 1_000_000), JOB_DEFAULTS.steps)
    .option("--checkpoint-interval <n>", "steps between checkpoints", positiveInt("--checkpoint-interval", 1_000_000), JOB_DEFAULTS.checkpointInterval)
    .option("--backend <name>", "engine backend of the solver and the evaluation (onnx or reference)", (v: string) => {
      if (v !== "onnx" && v !== "reference") throw new DemoError(`--backend must be onnx or reference, got "${v}"`);
      return v;
    }, "onnx")
    .option("--data-dir <dir>", "keep the spec and the solver's checkpoint store here (default: a temporary directory, removed)")
    .option("--json", "print the result as one JSON object")
    .action(async (f: Flags) => {
      if (f.checkpointInterval > f.steps) throw new DemoError(`--checkpoint-interval ${f.checkpointInterval} exceeds --steps ${f.steps}`);
      const r = await runDemo(log(), f, signal);
      if (f.json) process.stdout.write(JSON.stringify(r) + "\n");
      else printDemo(r);
    });
}
