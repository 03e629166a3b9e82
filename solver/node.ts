import path from "node:path";
import type { Account, Address } from "viem";

import { redactUrl } from "../chain/errors.ts";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { engineStepper, ReplayView } from "../dispute/replayView.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { parseSpec } from "../engine/spec.ts";
import type { Logger } from "../log/logger.ts";
import type { NodeClient } from "../node/chain.ts";
import { GamePlayer } from "../node/games.ts";
import type { Node } from "../node/node.ts";
import { amounts } from "../node/amounts.ts";
import { openNode } from "../node/open.ts";
import { StallWatch } from "../node/stalls.ts";
import { ChainWatcher, type WatchedLog } from "../node/watcher.ts";
import { createRunner } from "../training/train.ts";
import { jobLie, lyingStepper, solverPlay, wrongTraceView } from "./adversary.ts";
import { Bidder } from "./bidder.ts";
import { Committer } from "./committer.ts";
import type { SolverConfig } from "./config.ts";
import type { SolverContext } from "./context.ts";
import { JOB_STATUSES, openSolverDb, type SolverDb, TERMINAL } from "./db.ts";
import { SolverError } from "./errors.ts";
import { Finalizer } from "./finalizer.ts";
import { publicUrlProblem } from "./publicUrl.ts";
import { jobReport, type JobReport } from "./report.ts";
import { startStoreServer, type StoreServer } from "./server.ts";
import { traceSource } from "./traceSource.ts";
import { Trainer } from "./trainer.ts";

export type { JobReport } from "./report.ts";

/**
 * The solver node (docs/solver.md): the node skeleton (node/) plus its own modules, in order:
 *   transactions -> store server -> market watcher -> bidder -> trainer -> committer -> finalizer -> game player
 * Per job (solver/db.ts):
 *
 *   seen -> rejected | lost | bidding -> won | lost;  won -> training -> trained -> committed -> finalized -> withdrawn
 *   (failed: the job left the path on chain, e.g. slashed, or failed by a dispute the node lost)
 *
 * A challenge on a committed job (ChallengeOpened) is recorded as a game and defended automatically by the
 * game player (replayed from our stored checkpoint); the job finalizes once every game is resolved and the
 * window has passed. Every decision reads the job's on-chain status first and every transaction is recorded,
 * so a restart at any point continues without re-sending what landed. It only reads the chain's clock.
 */
export interface SolverNodeOptions {
  readonly config: SolverConfig;
  readonly account: Account;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** An existing client for `account` (an in-process chain in tests) instead of connecting to config.rpcUrl. */
  readonly client?: NodeClient;
  /** Called once per job that reached a terminal status (withdrawn, lost, rejected, failed). */
  readonly onJobDone?: (r: JobReport) => void;
}

export interface SolverNode {
  readonly db: SolverDb;
  readonly server: StoreServer;
  readonly chainId: number;
  readonly address: Address;
  readonly node: Node;
  /** Runs the modules until the signal aborts. */
  run(): Promise<void>;
  close(): Promise<void>;
}

export async function startSolverNode(o: SolverNodeOptions): Promise<SolverNode> {
  const { config: cfg, signal, log } = o;
  const opened = await openNode({
    config: cfg, role: "solver", account: o.account, log, signal, ...(o.client ? { client: o.client } : {}), openDb: openSolverDb, phases: JOB_STATUSES,
    money: (db) => solverMoney(db),
  });
  const { node } = opened;
  const { chain, db, store, datasets, waits, metrics } = opened.ctx;
  let server: StoreServer | undefined;
  try {
    let watcher: ChainWatcher<typeof jobMarketAbi> | undefined;
    const srv = await startStoreServer({
      endpoints: {
        metrics,
        health: () => ({ ok: true, role: "solver", address: chain.me, chainId: chain.chainId, market: cfg.market, lastBlock: watcher?.lastBlock?.toString() ?? null, lastBlockAgeSeconds: watcher?.lastBlockAt ? Math.round((Date.now() - watcher.lastBlockAt) / 1000) : null, waits: waits.current() }),
      },
      store, host: cfg.serve.host, port: cfg.serve.port, log, ...(cfg.adversary?.withhold ? { withhold: true } : {}),
      derived: traceSource({ db, store, datasets, backend: cfg.backend, cacheDir: path.join(cfg.dataDir, "derived") }),
      status: () => ({ solver: chain.me, chainId: chain.chainId, market: cfg.market, jobs: db.jobs().map((j) => ({ jobId: j.jobId.toString(), status: j.status, reason: j.reason, historyRoot: j.historyRoot, finalRoot: j.finalRoot })) }),
    });
    server = srv;
    node.add({ name: "store server", close: () => srv.close() });
    const ctx: SolverContext = {
      ...opened.ctx, modelBase: cfg.serve.publicUrl ?? srv.url,
      finish: (jobId, status, reason) => {
        db.updateJob(jobId, { status, reason });
        waits.doneJob(jobId);
        // A job this node never bid on is not one it lost: no report, a debug line (a fresh node sees every job).
        if (status === "skipped") return void log.debug({ jobId: jobId.toString(), reason }, "not ours: skipped");
        const r = jobReport(db, jobId);
        log.info({ jobId: r.jobId, status: r.status, reason: r.reason }, "job done");
        o.onJobDone?.(r);
      },
      ...(o.onJobDone ? { onJobDone: o.onJobDone } : {}),
    };
    watcher = node.add(new ChainWatcher({
      name: "market", client: chain.client, db, log: node.logger("watcher"), address: cfg.market, abi: jobMarketAbi, fromBlock: cfg.fromBlock, logChunk: cfg.logChunk, signal,
      events: ["JobPosted", "ChallengeOpened"],
      onLogs: (logs) => onMarketLogs(ctx, logs),
    }));
    metrics.follow(watcher);
    node.add(new StallWatch({
      waits, watcher,
      idle: () => (db.jobs().some((j) => !TERMINAL.has(j.status)) ? undefined : `no job to work on: waiting for a job to be posted on market ${cfg.market} (every posted job is evaluated at once)`),
    }));
    node.add(new Bidder(ctx));
    node.add(new Trainer(ctx));
    node.add(new Committer(ctx));
    node.add(new Finalizer(ctx));
    const lies = cfg.adversary ? solverPlay(cfg.adversary, node.logger("adversary")) : undefined;
    node.add(new GamePlayer({
      side: "solver", chain, db, tx: ctx.tx, log: node.logger("games"), signal, pollMs: cfg.pollIntervalMs, waits, ...(lies ? { play: lies } : {}),
      viewOf: async (g) => {
        const job = db.job(g.jobId)!;
        const spec = parseSpec(JSON.parse(job.specJson!));
        const dataset = datasets.get(spec.data.root)!.dataset;
        const cp = db.checkpoints(g.jobId).find((c) => c.step === g.loStep);
        if (!cp) throw new SolverError(`game ${g.gameId}: job ${g.jobId} has no stored checkpoint at step ${g.loStep}`);
        const start = await store.get(spec, cp.root);
        const graph = buildStepGraph(spec);
        const runner = await createRunner(graph, cfg.backend);
        const honest = engineStepper(runner, spec, dataset);
        const world = { spec, dataset, graph };
        const stepper = cfg.adversary ? lyingStepper(jobLie(cfg.adversary, world, g.jobId, job.steps), honest, world) : honest;
        const view = new ReplayView({ spec, dataset, start, hiStep: g.hiStep, graph, stepper });
        return { view: cfg.adversary?.dispute === "wrong-trace" ? wrongTraceView(view) : view, close: () => runner.close() };
      },
    }));
    log.info({ chainId: chain.chainId, solver: chain.me, market: cfg.market, rpc: redactUrl(cfg.rpcUrl), dataDir: cfg.dataDir, serve: srv.url, metrics: `${srv.url}/metrics` }, "solver node started");
    const urlProblem = publicUrlProblem(ctx.modelBase, o.client ? undefined : cfg.rpcUrl, cfg.serve.publicUrl !== undefined);
    if (urlProblem) log.warn({ modelBase: ctx.modelBase, field: "serve.publicUrl" }, `the model URL committed on chain may be unreachable for others: ${urlProblem}`);
    if (cfg.adversary) log.warn({ adversary: cfg.adversary }, "ADVERSARY: this solver cheats (test-only switch)");
  } catch (e) {
    await opened.close();
    throw e;
  }
  return { db, server: server!, chainId: chain.chainId, address: chain.me, node, run: () => node.run(), close: opened.close };
}

/** What the solver withdrew (bonds back included) and earned (the price of every job it was paid for). */
function solverMoney(db: SolverDb): { withdrawnWei: bigint; earnedWei: bigint } {
  let withdrawnWei = 0n, earnedWei = 0n;
  for (const j of db.jobs()) {
    withdrawnWei += j.withdrawnWei ?? 0n;
    if (j.status === "withdrawn") earnedWei += j.bidWei ?? 0n;
  }
  return { withdrawnWei, earnedWei };
}

/** The market's events, into the database (idempotent: a page replayed after a crash changes nothing). */
function onMarketLogs(ctx: SolverContext, logs: readonly WatchedLog[]): void {
  const { db, log } = ctx;
  for (const l of logs) {
    const a = l.args as Record<string, never>;
    const jobId = a.jobId as bigint;
    if (l.eventName === "JobPosted") {
      if (db.insertJob(jobId)) {
        db.updateJob(jobId, { specURI: (a.params as { specURI: string }).specURI });
        log.info({ jobId: jobId.toString(), ...amounts({ escrow: a.escrow as bigint }), block: l.blockNumber.toString() }, "job posted");
      }
    } else if (l.eventName === "ChallengeOpened") {
      // A challenge on one of our jobs: recorded as a game to defend (its interval from our checkpoints).
      const job = db.job(jobId);
      if (!job || !job.historyRoot) continue; // not a job we committed
      const gameId = a.gameId as bigint, loIndex = Number(a.loIndex as bigint), challenger = a.challenger as string;
      const cps = db.checkpoints(jobId);
      const lo = cps[loIndex], hi = cps[loIndex + 1];
      if (!lo || !hi) {
        log.error({ jobId: jobId.toString(), gameId: gameId.toString(), loIndex }, "challenge on checkpoints we do not have");
        continue;
      }
      if (db.insertGame({ gameId, jobId, side: "solver", loStep: lo.step, hiStep: hi.step, challenger, openedBlock: l.blockNumber })) {
        log.info({ jobId: jobId.toString(), gameId: gameId.toString(), challenger, loStep: lo.step, hiStep: hi.step }, "challenge opened: defending");
      }
    }
  }
}
