import type { Account, Address } from "viem";

import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { engineStepper, ReplayView } from "../dispute/replayView.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { parseSpec } from "../engine/spec.ts";
import { initialState } from "../engine/state.ts";
import type { Logger } from "../log/logger.ts";
import type { NodeClient } from "../node/chain.ts";
import { GamePlayer } from "../node/games.ts";
import type { Node } from "../node/node.ts";
import { startNodeServer } from "../node/httpServer.ts";
import { amounts } from "../node/amounts.ts";
import { openNode } from "../node/open.ts";
import { StallWatch } from "../node/stalls.ts";
import { ChainWatcher, type WatchedLog } from "../node/watcher.ts";
import { createRunner } from "../training/train.ts";
import { adversaryPlay } from "./adversary.ts";
import { Attester } from "./attester.ts";
import { Challenger } from "./challenger.ts";
import { Checker } from "./checker.ts";
import type { VerifierConfig } from "./config.ts";
import type { VerifierContext } from "./context.ts";
import { openVerifierDb, type VerifierDb, VJOB_STATUSES, VTERMINAL } from "./db.ts";
import { Evaluator } from "./evaluate.ts";
import { Sampler } from "./sampler.ts";

/**
 * The verifier node (docs/verifier.md): the node skeleton (node/) plus its own modules, in order:
 *   transactions -> market watcher -> evaluator -> sampler -> checker -> challenger -> attester -> game player
 * It watches the market from a persisted cursor (JobPosted, ResultCommitted, its own ChallengeOpened), checks
 * each committed job it can (sampled intervals re-executed with the engine), challenges a wrong interval and
 * plays the game to the end as the challenger, attests what matched, and withdraws what it is owed. Every
 * decision is stored (verifier/db.ts) and every transaction recorded, so a restart carries on from the chain.
 */
export interface VerifierNodeOptions {
  readonly config: VerifierConfig;
  readonly account: Account;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** An existing client for `account` (an in-process chain in tests) instead of connecting to config.rpcUrl. */
  readonly client?: NodeClient;
}

export interface VerifierNode {
  readonly db: VerifierDb;
  readonly chainId: number;
  readonly address: Address;
  readonly node: Node;
  /** Base URL of its /health and /metrics server (undefined: `"serve": false`). */
  readonly serveUrl: string | undefined;
  run(): Promise<void>;
  close(): Promise<void>;
}

export async function startVerifierNode(o: VerifierNodeOptions): Promise<VerifierNode> {
  const { config: cfg, signal } = o;
  const opened = await openNode({
    config: cfg, role: "verifier", account: o.account, log: o.log, signal, ...(o.client ? { client: o.client } : {}), openDb: openVerifierDb, phases: VJOB_STATUSES,
    money: verifierMoney,
  });
  const { node, ctx } = opened;
  const { chain, db, store, datasets, tx, waits, metrics } = ctx;
  let serveUrl: string | undefined;
  try {
    const challenger = new Challenger(ctx);
    const watcher = node.add(new ChainWatcher({
      name: "market", client: chain.client, db, log: node.logger("watcher"), address: cfg.market, abi: jobMarketAbi, fromBlock: cfg.fromBlock, logChunk: cfg.logChunk, signal,
      events: ["JobPosted", "ResultCommitted", "ChallengeOpened", "JobSlashed", "JobCancelled"],
      onLogs: (logs) => onMarketLogs(ctx, challenger, logs),
    }));
    metrics.follow(watcher);
    node.add(new StallWatch({
      waits, watcher,
      idle: () => (db.jobs().some((j) => !VTERMINAL.has(j.status)) ? undefined : `nothing to verify: waiting for a job to be posted on market ${cfg.market} and its result committed`),
    }));
    if (cfg.serve) {
      const srv = await startNodeServer({
        host: cfg.serve.host, port: cfg.serve.port, field: "serve.port", log: o.log,
        endpoints: {
          metrics,
          health: () => ({ ok: true, role: "verifier", address: chain.me, chainId: chain.chainId, market: cfg.market, lastBlock: watcher.lastBlock?.toString() ?? null, lastBlockAgeSeconds: watcher.lastBlockAt ? Math.round((Date.now() - watcher.lastBlockAt) / 1000) : null, waits: waits.current() }),
        },
      });
      serveUrl = srv.url;
      node.add({ name: "health server", close: () => srv.close() });
    }
    node.add(new Evaluator(ctx));
    node.add(new Sampler(ctx));
    node.add(new Checker(ctx));
    node.add(challenger);
    node.add(new Attester(ctx));
    node.add(new GamePlayer({
      side: "challenger", chain, db, tx, log: node.logger("games"), signal, pollMs: cfg.pollIntervalMs, waits,
      ...(cfg.adversary ? { play: adversaryPlay(cfg.adversary, node.logger("adversary")) } : {}),
      viewOf: async (g) => {
        const job = db.job(g.jobId)!;
        const spec = parseSpec(JSON.parse(job.specJson!));
        const dataset = datasets.get(spec.data.root)!.dataset;
        const loIndex = Math.round(g.loStep / job.checkpointInterval);
        const root = job.roots![loIndex]!;
        const start = (await store.has(root)) ? await store.get(spec, root) : g.loStep === 0 ? initialState(spec) : undefined;
        if (!start) throw new Error(`game ${g.gameId}: no verified state at checkpoint ${loIndex} (step ${g.loStep})`);
        const graph = buildStepGraph(spec);
        const runner = await createRunner(graph, cfg.backend);
        const stepper = cfg.adversary?.lie ? cfg.adversary.lie.stepper(engineStepper(runner, spec, dataset), { spec, dataset, graph }, g.hiStep) : engineStepper(runner, spec, dataset);
        return { view: new ReplayView({ spec, dataset, start, hiStep: g.hiStep, graph, stepper }), close: () => runner.close() };
      },
    }));
    o.log.info({ chainId: chain.chainId, verifier: chain.me, market: cfg.market, dataDir: cfg.dataDir, sampleBps: cfg.sampleBps ?? "the job's", backend: cfg.backend, ...(serveUrl ? { metrics: `${serveUrl}/metrics`, health: `${serveUrl}/health` } : {}) }, "verifier node started");
  } catch (e) {
    await opened.close();
    throw e;
  }
  return { db, chainId: chain.chainId, address: chain.me, node, serveUrl, run: () => node.run(), close: opened.close };
}

/**
 * What the verifier withdrew, and earned: of each job whose disputes are over, what it withdrew beyond the
 * challenge bonds it posted (its bonds back are its own money, not earnings).
 */
function verifierMoney(db: VerifierDb): { withdrawnWei: bigint; earnedWei: bigint } {
  let withdrawnWei = 0n, earnedWei = 0n;
  for (const j of db.jobs()) {
    const w = j.withdrawnWei ?? 0n;
    withdrawnWei += w;
    const bonds = j.challengeBond * BigInt(db.games(j.jobId).filter((g) => g.side === "challenger").length);
    if (w > bonds) earnedWei += w - bonds;
  }
  return { withdrawnWei, earnedWei };
}

/** The market's events, into the database (idempotent: a page replayed after a crash changes nothing). */
function onMarketLogs(ctx: VerifierContext, challenger: Challenger, logs: readonly WatchedLog[]): void {
  const { db, log, chain } = ctx;
  for (const l of logs) {
    const a = l.args as Record<string, never>;
    const jobId = a.jobId as bigint;
    switch (l.eventName) {
      case "JobPosted": {
        if (db.insertJob(jobId)) {
          const p = a.params as { specURI: string };
          db.updateJob(jobId, { specURI: p.specURI });
          log.info({ jobId: jobId.toString(), ...amounts({ escrow: a.escrow as bigint }), block: l.blockNumber.toString() }, "job posted");
        }
        break;
      }
      case "ResultCommitted": {
        const job = db.job(jobId);
        if (!job) {
          log.warn({ jobId: jobId.toString() }, "a commit for a job posted before this node's fromBlock: not checked");
          break;
        }
        if (job.roots) break;
        db.updateJob(jobId, {
          roots: (a.roots as readonly string[]).map((r) => r.toLowerCase()), commitBlock: l.blockNumber, deadline: a.challengeDeadline as bigint,
          modelURI: a.modelURI as string, solver: a.solver as string, ...(job.status === "watching" ? { status: "committed" as const } : {}),
        });
        log.info({ jobId: jobId.toString(), solver: a.solver, checkpoints: Number(a.checkpointCount), challengeDeadline: (a.challengeDeadline as bigint).toString() }, "result committed");
        break;
      }
      case "ChallengeOpened": {
        if (!chain.mine(a.challenger as string)) break;
        const job = db.job(jobId);
        // Ours, after a restart that lost the receipt; a game on a job this node cannot check (another data
        // dir's history under the same key) is not played here.
        if (job?.roots && job.specJson) challenger.recordGame(a.gameId as bigint, job, Number(a.loIndex as bigint), l.blockNumber);
        break;
      }
      case "JobSlashed":
      case "JobCancelled": {
        const job = db.job(jobId);
        if (job && (job.status === "seen" || job.status === "watching")) db.updateJob(jobId, { status: "done", reason: l.eventName === "JobSlashed" ? "the solver never committed (slashed)" : "cancelled" });
        break;
      }
    }
  }
}
