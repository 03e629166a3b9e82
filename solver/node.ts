import path from "node:path";
import { type Address, parseEventLogs } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { getBlock, getBlockNumber, getCode, getContractEvents, readContract, writeContract } from "viem/actions";
import { connect } from "../chain/connect.ts";
import { redactUrl } from "../chain/errors.ts";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { getJob, type Job } from "../chain/jobs.ts";
import { getSettleCoverage } from "../chain/settleCoverage.ts";
import { checkCommitments, CommitmentMismatchError } from "../commitment/specCommitments.ts";
import { SpecFetchError } from "../content/errors.ts";
import { NODE_DEFAULTS } from "../core/defaults.ts";
import { bareHex, toRoot } from "../core/root.ts";
import { fetchSpec } from "../content/fetchSpec.ts";
import { parseSpec, canonicalSpecJson } from "../engine/spec.ts";
import type { Logger } from "../log/logger.ts";
import { commitArgs } from "../chain/checkpoints.ts";
import type { SolverConfig } from "./config.ts";
import { loadDatasets, type LocalDataset } from "./datasets.ts";
import { type GameRow, type JobRow, openSolverDb, type SolverDb, TERMINAL } from "./db.ts";
import { defendGame } from "./defend.ts";
import { shutdownProver } from "../settlement/prover.ts";
import { REASON_NAMES } from "../dispute/gameState.ts";
import { JobMismatchError, SolverError } from "./errors.ts";
import { decidePrice } from "./pricing.ts";
import { Backoff } from "./backoff.ts";
import { startStoreServer, type StoreServer } from "./server.ts";
import { openStore, type StateStore } from "./store.ts";
import { traceSource } from "./traceSource.ts";
import { trainJob } from "./trainStep.ts";
import { sendTx, settlePending } from "./txSender.ts";
import { sleep } from "../core/sleep.ts";
import { describeMissing } from "../settlement/coverage.ts";

/** Fetches of a spec that fail transiently (no answer, 408/429/5xx) before the job is rejected. */
const SPEC_ATTEMPTS = 5;

/**
 * The solver node: watches the market from a persisted block cursor, evaluates every posted job (spec fetched
 * from its URI and checked against the job's commitments, dataset allow-list, step limit, pricing rule), bids
 * on auctions or takes first-come jobs, closes won auctions, trains (resumably), commits, finalizes after the
 * challenge window and withdraws. Every decision reads the job's on-chain status first and every transaction
 * is recorded (solver/db.ts), so a restart at any point continues without re-sending what landed. Per job:
 *
 *   seen -> rejected | lost | bidding -> won | lost;  won -> training -> trained -> committed -> finalized -> withdrawn
 *   (failed: the job left the path on chain, e.g. slashed, or failed by a dispute the node lost)
 *
 * A challenge on a committed job (ChallengeOpened) is recorded as a game (games table) and defended
 * automatically (solver/defend.ts: replayed from our stored checkpoint, every move logged); the job
 * finalizes once every game is resolved and the window has passed. A restart defends open games again
 * from their on-chain state.
 *
 * It only reads the chain's clock (latest block timestamp); it never moves it.
 */
export interface JobReport {
  readonly event: "job";
  readonly jobId: string;
  readonly status: string;
  readonly reason: string | null;
  readonly price: string | null;
  readonly historyRoot: string | null;
  readonly finalRoot: string | null;
  readonly checkpoints: number;
  readonly modelURI: string | null;
  readonly withdrawn: string | null;
  readonly trainSeconds: number;
  readonly gasUsed: string;
  readonly feesWei: string;
  readonly transactions: readonly { action: string; hash: string; status: string }[];
}

export interface SolverNodeOptions {
  readonly config: SolverConfig;
  readonly account: PrivateKeyAccount;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Called once per job that reached a terminal status (withdrawn, lost, rejected, failed). */
  readonly onJobDone?: (r: JobReport) => void;
}

export interface SolverNode {
  readonly db: SolverDb;
  readonly server: StoreServer;
  readonly chainId: number;
  readonly address: Address;
  /** Runs the watch loop until the signal aborts; resolves after training in progress has stopped. */
  run(): Promise<void>;
  close(): Promise<void>;
}

export async function startSolverNode(o: SolverNodeOptions): Promise<SolverNode> {
  const { config: cfg, account, signal } = o;
  const log = o.log;
  const { chainId, chain, walletClient: client } = await connect({
    rpcUrl: cfg.rpcUrl, chainId: cfg.chainId, account, timeoutMs: NODE_DEFAULTS.rpcTimeoutMs, retryCount: NODE_DEFAULTS.rpcRetryCount, pollingIntervalMs: Math.min(cfg.pollIntervalMs, 500),
  });
  const code = await getCode(client, { address: cfg.market });
  if (!code || code === "0x") throw new SolverError(`no contract at market ${cfg.market} on chain ${chainId}`);

  const db = openSolverDb(cfg.dataDir);
  try {
    db.bindIdentity(`chain ${chainId} market ${cfg.market} solver ${account.address}`);
  } catch (e) {
    db.close();
    throw e;
  }
  const datasets = loadDatasets(cfg.accept.datasets);
  const store: StateStore = await openStore(path.join(cfg.dataDir, "states"));
  const server = await startStoreServer({
    store, host: cfg.serve.host, port: cfg.serve.port, log,
    derived: traceSource({ db, store, datasets, backend: cfg.backend, cacheDir: path.join(cfg.dataDir, "derived") }),
    status: () => ({ solver: account.address, chainId, market: cfg.market, jobs: db.jobs().map((j) => ({ jobId: j.jobId.toString(), status: j.status, reason: j.reason, historyRoot: j.historyRoot, finalRoot: j.finalRoot })) }),
  });
  const modelBase = cfg.serve.publicUrl ?? server.url;
  const me = account.address;
  const write = { address: cfg.market, abi: jobMarketAbi, account, chain } as const;
  const running = new Map<string, Promise<void>>();
  const defending = new Map<string, Promise<void>>();
  const specRetries = new Backoff(1_000, 30_000);
  const trainRetries = new Backoff(1_000, 60_000);
  let gameAddress: Address | undefined;
  log.info({ chainId, solver: me, market: cfg.market, rpc: redactUrl(cfg.rpcUrl), dataDir: cfg.dataDir, serve: server.url }, "solver node started");

  const settled = await settlePending(client, db);
  if (settled > 0) log.info({ transactions: settled }, "looked up transactions sent before a restart");

  const now = async () => (await getBlock(client, { blockTag: "latest" })).timestamp;
  const mine = (a: string) => a.toLowerCase() === me.toLowerCase();

  const report = (jobId: bigint) => {
    const j = db.job(jobId)!;
    const txs = db.txs(jobId);
    let gas = 0n, fees = 0n;
    for (const t of txs) {
      gas += t.gasUsed ?? 0n;
      fees += t.feesWei ?? 0n;
    }
    const r: JobReport = {
      event: "job", jobId: jobId.toString(), status: j.status, reason: j.reason, price: j.bidWei?.toString() ?? null,
      historyRoot: j.historyRoot, finalRoot: j.finalRoot, checkpoints: db.checkpoints(jobId).length, modelURI: j.modelURI,
      withdrawn: j.withdrawnWei?.toString() ?? null, trainSeconds: j.trainSeconds, gasUsed: gas.toString(), feesWei: fees.toString(),
      transactions: txs.map((t) => ({ action: t.action, hash: t.hash, status: t.status })),
    };
    log.info({ jobId: r.jobId, status: r.status, reason: r.reason }, "job done");
    o.onJobDone?.(r);
  };

  const finish = (jobId: bigint, status: "lost" | "rejected" | "failed", reason: string) => {
    db.updateJob(jobId, { status, reason });
    report(jobId);
  };

  /** Withdraws the whole pull balance; returns the amount (from the Withdrawn event) or 0 when there was none. */
  const withdraw = async (jobId: bigint): Promise<bigint> => {
    const balance = await readContract(client, { address: cfg.market, abi: jobMarketAbi, functionName: "balanceOf", args: [me] });
    if (balance === 0n) return 0n;
    const { receipt } = await sendTx(client, db, jobId, "withdraw", () => writeContract(client, { ...write, functionName: "withdraw", args: [] }));
    const [ev] = parseEventLogs({ abi: jobMarketAbi, eventName: "Withdrawn", logs: receipt.logs });
    const amount = ev?.args.amount ?? balance;
    log.info({ jobId: jobId.toString(), tx: receipt.transactionHash, amount: amount.toString() }, "withdrawn");
    return amount;
  };

  const bidDeadline = (j: Job) => j.postedAt + j.bidDuration;
  const market = (j: Job) => ({ firstCome: j.firstCome, steps: j.steps, escrow: j.escrow, hasBid: j.hasBid, bestPrice: j.price, bestIsMine: j.hasBid && mine(j.solver) });

  const placeBid = async (jobId: bigint, price: bigint, bond: bigint) => {
    const { receipt } = await sendTx(client, db, jobId, "bid", () => writeContract(client, { ...write, functionName: "bid", args: [jobId, price], value: bond }));
    db.updateJob(jobId, { status: "bidding", bidWei: price });
    log.info({ jobId: jobId.toString(), price: price.toString(), tx: receipt.transactionHash, gasUsed: receipt.gasUsed.toString() }, "bid placed");
  };

  /** seen: evaluate the job and take it, bid on it, or reject it (nothing sent). */
  const evaluate = async (row: JobRow) => {
    const jobId = row.jobId;
    if (!specRetries.ready(jobId.toString())) return;
    const job = await getJob(client, { market: cfg.market, jobId });
    if (job.status !== "Open") {
      // Our own take or closeBidding landed before a kill let us record it: the spec was recorded before sending.
      if (mine(job.solver) && row.specJson && (job.status === "Assigned" || job.status === "Committed")) {
        db.updateJob(jobId, { status: "won", bidWei: job.price });
        log.info({ jobId: jobId.toString(), status: job.status }, "the job is already ours (a transaction landed before a restart)");
        return;
      }
      return finish(jobId, "lost", `the job was ${job.status} when evaluated`);
    }
    if (job.steps > BigInt(cfg.accept.maxSteps)) return finish(jobId, "rejected", `${job.steps} steps exceed accept.maxSteps ${cfg.accept.maxSteps}`);
    const ds: LocalDataset | undefined = datasets.get(bareHex(job.datasetRoot));
    if (!ds) return finish(jobId, "rejected", `dataset root ${job.datasetRoot} is not one of accept.datasets (${cfg.accept.datasets.join(", ")})`);
    let specJson: string;
    try {
      const spec = await fetchSpec({ uri: row.specURI ?? "", maxBytes: cfg.accept.maxSpecBytes, timeoutMs: cfg.accept.specTimeoutMs });
      checkCommitments(job, spec, ds.dataset, `job ${jobId}`);
      // SAFETY: under a Groth16 deployment a dispute ending on an op with no registered circuit cannot be
      // settled, and an unsettled game fails the solver even when it is right: never take such a job.
      const coverage = await getSettleCoverage(client, { market: cfg.market, spec });
      if (coverage.missing.length > 0) return finish(jobId, "rejected", `the market's Groth16 kernel verifier cannot settle ${describeMissing(coverage.missing)}`);
      specJson = canonicalSpecJson(spec);
    } catch (e) {
      if (e instanceof SpecFetchError && e.transient && specRetries.failures(jobId.toString()) + 1 < SPEC_ATTEMPTS) {
        // The endpoint may come back: the job stays seen and is evaluated again after a backoff.
        const { failures, delayMs } = specRetries.fail(jobId.toString());
        log.warn({ jobId: jobId.toString(), attempt: failures, of: SPEC_ATTEMPTS, retryInMs: delayMs, err: e.message }, "spec fetch failed; retrying");
        return;
      }
      if (e instanceof SpecFetchError || e instanceof JobMismatchError || e instanceof CommitmentMismatchError) return finish(jobId, "rejected", e.message);
      throw e;
    }
    specRetries.clear(jobId.toString());
    db.updateJob(jobId, { specJson, steps: Number(job.steps), checkpointInterval: Number(job.checkpointInterval), firstCome: job.firstCome });
    const d = decidePrice(cfg.pricing, market(job));
    if (d.kind === "decline") return finish(jobId, "rejected", d.reason);
    if (d.kind === "take") {
      const { receipt } = await sendTx(client, db, jobId, "take", () => writeContract(client, { ...write, functionName: "take", args: [jobId], value: job.requiredBond }));
      db.updateJob(jobId, { status: "won", bidWei: d.price });
      log.info({ jobId: jobId.toString(), price: d.price.toString(), tx: receipt.transactionHash }, "job taken");
      return;
    }
    if ((await now()) >= bidDeadline(job)) return finish(jobId, "lost", "the bidding had ended when the job was evaluated");
    if (d.kind === "bid") await placeBid(jobId, d.price, job.requiredBond);
    else db.updateJob(jobId, { status: "bidding" });
  };

  /** bidding: follow the auction; re-bid when outbid (down to the floor), close it when won. */
  const followAuction = async (row: JobRow) => {
    const jobId = row.jobId;
    const job = await getJob(client, { market: cfg.market, jobId });
    if (job.status !== "Open") {
      if (job.status !== "Cancelled" && mine(job.solver)) {
        db.updateJob(jobId, { status: "won", bidWei: job.price });
        log.info({ jobId: jobId.toString(), price: job.price.toString() }, "auction won");
        return;
      }
      await withdraw(jobId); // an outbid bond is already in our pull balance
      return finish(jobId, "lost", `the auction ended ${job.status === "Cancelled" ? "cancelled" : `assigned to ${job.solver}`}`);
    }
    const t = await now();
    if (t >= bidDeadline(job)) {
      if (job.hasBid && mine(job.solver)) {
        const { receipt } = await sendTx(client, db, jobId, "closeBidding", () => writeContract(client, { ...write, functionName: "closeBidding", args: [jobId] }));
        db.updateJob(jobId, { status: "won", bidWei: job.price });
        log.info({ jobId: jobId.toString(), price: job.price.toString(), tx: receipt.transactionHash }, "bidding closed: auction won");
        return;
      }
      await withdraw(jobId); // an outbid bond is already in our pull balance
      return finish(jobId, "lost", job.hasBid ? `the bidding ended with ${job.solver}'s bid of ${job.price} wei` : "the bidding ended without our bid");
    }
    const d = decidePrice(cfg.pricing, market(job));
    if (d.kind === "bid") await placeBid(jobId, d.price, job.requiredBond);
  };

  const startTraining = (row: JobRow) => {
    const key = row.jobId.toString();
    if (running.has(key) || running.size >= cfg.maxConcurrentJobs || !trainRetries.ready(key)) return;
    const jobId = row.jobId;
    db.updateJob(jobId, { status: "training" });
    const spec = parseSpec(JSON.parse(row.specJson!));
    const ds = datasets.get(spec.data.root)!;
    log.info({ jobId: key, steps: row.steps, checkpointInterval: row.checkpointInterval }, "training");
    const p = (async () => {
      const r = await trainJob({
        db, store, jobId, spec, dataset: ds.dataset, steps: row.steps, checkpointInterval: row.checkpointInterval, backend: cfg.backend, signal,
        onResume: (step) => log.info({ jobId: key, fromStep: step }, "resuming training from the latest stored checkpoint"),
        onCheckpoint: (c) => log.info({ jobId: key, step: c.step, index: c.index, root: c.root }, "checkpoint stored"),
      });
      const args = commitArgs(r.checkpoints);
      const prev = db.job(jobId)!;
      db.updateJob(jobId, {
        status: "trained", historyRoot: args.historyRoot, finalRoot: args.finalRoot, modelURI: `${modelBase}/state/${bareHex(toRoot(args.finalRoot))}`,
        trainSeconds: prev.trainSeconds + r.seconds,
      });
      log.info({ jobId: key, startStep: r.startStep, stepsRun: r.stepsRun, seconds: Number(r.seconds.toFixed(2)), historyRoot: args.historyRoot }, "training done");
      trainRetries.clear(key);
    })().catch((e) => {
      if (signal.aborted) return void log.info({ jobId: key }, "training interrupted (resumes on restart)");
      // Retried from the last stored checkpoint after a growing pause (the commit deadline still applies).
      const { failures, delayMs } = trainRetries.fail(key);
      log.error({ jobId: key, err: (e as Error).message, failures, retryInMs: delayMs }, "training failed");
    }).finally(() => running.delete(key));
    running.set(key, p);
  };

  const commit = async (row: JobRow) => {
    const jobId = row.jobId;
    const job = await getJob(client, { market: cfg.market, jobId });
    if (!mine(job.solver)) return finish(jobId, "failed", `the job is assigned to ${job.solver}, not to this solver`);
    if (job.status === "Committed" || job.status === "Finalized") {
      if (job.historyRoot.toLowerCase() !== row.historyRoot!.toLowerCase()) throw new SolverError(`job ${jobId}: on-chain history root ${job.historyRoot} is not ours ${row.historyRoot}`);
      db.updateJob(jobId, { status: "committed" });
      log.info({ jobId: jobId.toString() }, "commit already landed");
      return;
    }
    if (job.status !== "Assigned") return finish(jobId, "failed", `the job is ${job.status}, cannot commit`);
    if ((await now()) >= job.assignedAt + job.commitDuration) return finish(jobId, "failed", "the commit deadline has passed");
    const args = commitArgs(db.checkpoints(jobId).map((c) => ({ step: c.step, root: Buffer.from(c.root.slice(2), "hex") })));
    const { receipt } = await sendTx(client, db, jobId, "commitResult", () =>
      writeContract(client, { ...write, functionName: "commitResult", args: [jobId, args.roots, row.modelURI!] }));
    db.updateJob(jobId, { status: "committed" });
    log.info({ jobId: jobId.toString(), tx: receipt.transactionHash, gasUsed: receipt.gasUsed.toString(), historyRoot: args.historyRoot, finalRoot: args.finalRoot, modelURI: row.modelURI }, "result committed");
  };

  const finalize = async (row: JobRow) => {
    const jobId = row.jobId;
    const job = await getJob(client, { market: cfg.market, jobId });
    if (job.status === "Finalized") {
      db.updateJob(jobId, { status: "finalized" });
      return;
    }
    if (job.status !== "Committed") {
      await withdraw(jobId); // a bond share from a game we won before another was lost
      return finish(jobId, "failed", `the job became ${job.status} after the commit`);
    }
    if (job.openGames > 0n) return; // defended by `defend`; finalize once every game is resolved
    if ((await now()) < job.committedAt + job.challengeWindow) return;
    const { receipt } = await sendTx(client, db, jobId, "finalize", () => writeContract(client, { ...write, functionName: "finalize", args: [jobId] }));
    db.updateJob(jobId, { status: "finalized" });
    log.info({ jobId: jobId.toString(), tx: receipt.transactionHash }, "job finalized");
  };

  const collect = async (row: JobRow) => {
    const amount = await withdraw(row.jobId);
    db.updateJob(row.jobId, { status: "withdrawn", withdrawnWei: amount });
    report(row.jobId);
  };

  /** A challenge on one of our jobs: recorded as a game to defend (its interval from our checkpoints). */
  const recordChallenge = (gameId: bigint, jobId: bigint, challenger: string, loIndex: number, block: bigint) => {
    const job = db.job(jobId);
    if (!job || !job.historyRoot) return; // not a job we committed
    const cps = db.checkpoints(jobId);
    const lo = cps[loIndex], hi = cps[loIndex + 1];
    if (!lo || !hi) return void log.error({ jobId: jobId.toString(), gameId: gameId.toString(), loIndex }, "challenge on checkpoints we do not have");
    if (db.insertGame({ gameId, jobId, loStep: lo.step, hiStep: hi.step, challenger, openedBlock: block })) {
      log.info({ jobId: jobId.toString(), gameId: gameId.toString(), challenger, loStep: lo.step, hiStep: hi.step }, "challenge opened: defending");
    }
  };

  /** Plays an open game to its end in the background (restarted on the next poll if it fails). */
  const defend = (g: GameRow) => {
    const key = g.gameId.toString();
    if (defending.has(key)) return;
    const job = db.job(g.jobId)!;
    const spec = parseSpec(JSON.parse(job.specJson!));
    const ds = datasets.get(spec.data.root)!;
    const ids = { jobId: g.jobId.toString(), gameId: key };
    const p = (async () => {
      gameAddress ??= await readContract(client, { address: cfg.market, abi: jobMarketAbi, functionName: "game" });
      const out = await defendGame({
        client, game: gameAddress, db, store, row: g, spec, dataset: ds.dataset, backend: cfg.backend, pollMs: cfg.pollIntervalMs, signal,
        onProgress: (e) => {
          if (e.kind === "stuck" || e.kind === "error") log.warn({ ...ids, ...e }, e.kind === "stuck" ? "dispute: no move" : "dispute: transaction failed; retrying");
          else {
            // Recorded with the job's transactions, so that its report's gas and fees include the dispute.
            db.recordTx(g.jobId, e.kind === "move" ? `dispute ${e.label}` : `dispute ${e.kind}`, e.tx);
            db.settleTx(e.tx, "success", e.gasUsed, e.feesWei);
            log.info({ ...ids, ...e, gasUsed: e.gasUsed.toString(), feesWei: e.feesWei.toString() }, e.kind === "move" ? `dispute move ${e.label}` : `dispute ${e.kind}`);
          }
        },
      });
      const status = !out.resolved ? "aborted" : out.solverWon ? "won" : "lost";
      const reason = out.resolved ? REASON_NAMES[out.reason] ?? String(out.reason) : "aborted";
      db.endGame(g.gameId, status, reason);
      log.info({ ...ids, status, reason }, `dispute ${status}`);
    })().catch((e) => {
      if (signal.aborted) log.info(ids, "dispute interrupted (resumes on restart)");
      else log.error({ ...ids, err: (e as Error).message }, "dispute defence failed; retrying on the next poll");
    }).finally(() => defending.delete(key));
    defending.set(key, p);
  };

  const scan = async () => {
    const latest = await getBlockNumber(client, { cacheTime: 0 });
    let from = db.cursor() ?? cfg.fromBlock;
    while (from <= latest && !signal.aborted) {
      const to = from + BigInt(cfg.logChunk) - 1n < latest ? from + BigInt(cfg.logChunk) - 1n : latest;
      const events = await getContractEvents(client, { address: cfg.market, abi: jobMarketAbi, eventName: "JobPosted", fromBlock: from, toBlock: to, strict: true });
      for (const ev of events) {
        if (db.insertJob(ev.args.jobId)) {
          db.updateJob(ev.args.jobId, { specURI: ev.args.params.specURI });
          log.info({ jobId: ev.args.jobId.toString(), escrow: ev.args.escrow.toString(), block: ev.blockNumber.toString() }, "job posted");
        }
      }
      const challenges = await getContractEvents(client, { address: cfg.market, abi: jobMarketAbi, eventName: "ChallengeOpened", fromBlock: from, toBlock: to, strict: true });
      for (const ev of challenges) recordChallenge(ev.args.gameId, ev.args.jobId, ev.args.challenger, Number(ev.args.loIndex), ev.blockNumber);
      db.setCursor(to + 1n);
      from = to + 1n;
    }
  };

  const advance = async (row: JobRow) => {
    switch (row.status) {
      case "seen": return evaluate(row);
      case "bidding": return followAuction(row);
      case "won": case "training": return startTraining(row);
      case "trained": return commit(row);
      case "committed": return finalize(row);
      case "finalized": return collect(row);
      default: return;
    }
  };

  const tick = async () => {
    await scan();
    for (const g of db.games()) if (g.status === "open" && !signal.aborted) defend(g);
    for (const row of db.jobs()) {
      if (signal.aborted) return;
      if (TERMINAL.has(row.status)) continue;
      try {
        await advance(row);
      } catch (e) {
        log.warn({ jobId: row.jobId.toString(), status: row.status, err: (e as Error).message }, "job step failed; retrying on the next poll");
      }
    }
  };

  return {
    db, server, chainId, address: me,
    async run() {
      while (!signal.aborted) {
        try {
          await tick();
        } catch (e) {
          if (signal.aborted) break;
          log.warn({ err: (e as Error).message }, "market poll failed; retrying");
        }
        await sleep(cfg.pollIntervalMs, signal);
      }
      await Promise.allSettled([...running.values(), ...defending.values()]);
    },
    async close() {
      await Promise.allSettled(defending.values());
      await shutdownProver(); // snarkjs's worker threads (a Groth16 settlement) would keep the process alive
      await Promise.allSettled(running.values());
      await server.close();
      db.close();
    },
  };
}
