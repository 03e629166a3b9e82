import type { Address, BlockNumber, Chain, Client, Hash, Transport } from "viem";
import { getBlockNumber, readContract } from "viem/actions";
import { firstBlockAtOrAfter } from "../chain/blockAtTime.ts";
import { JobNotFoundError } from "../chain/errors.ts";
import { disputeGameAbi, jobMarketAbi } from "../chain/generated/contracts.ts";
import { getLogsPaged } from "../chain/getLogsPaged.ts";
import { getJob } from "../chain/jobs.ts";
import { type Root, toRoot } from "../core/root.ts";
import type { JobParams } from "./postJob.ts";

/** DisputeGame.Reason, by its uint8 value: why a game ended. */
export const GAME_REASONS = ["Settled", "Timeout", "SettlementTimeout", "RecordNotInProgram", "PaddingLeaf", "PaddingElement"] as const;
export type GameReason = (typeof GAME_REASONS)[number];

/** Where an event sits on chain; events are ordered by (blockNumber, logIndex). */
export interface EventPosition {
  readonly blockNumber: bigint;
  readonly logIndex: number;
  readonly transactionHash: Hash;
}

/** One entry of a job's history, from the market's events (and, for game outcomes, the game's reason). */
export type JobEvent = EventPosition & (
  | { readonly kind: "posted"; readonly client: Address; readonly escrow: bigint; readonly params: JobParams }
  | { readonly kind: "bid"; readonly bidder: Address; readonly price: bigint; readonly bond: bigint }
  | { readonly kind: "outbid"; readonly bidder: Address; readonly bondRefunded: bigint }
  | { readonly kind: "assigned"; readonly solver: Address; readonly price: bigint; readonly bond: bigint }
  | { readonly kind: "cancelled"; readonly client: Address; readonly escrowRefunded: bigint }
  | {
    readonly kind: "committed"; readonly solver: Address; readonly historyRoot: Root; readonly finalRoot: Root; readonly checkpointCount: bigint;
    readonly challengeDeadline: bigint; readonly modelURI: string;
    /** Every checkpoint's state root, in order (checkpoint i at step min(i * interval, steps)). */
    readonly roots: readonly Root[];
  }
  /** A verifier re-executed these checkpoint intervals and found the solver's roots (an attestation, not a proof). */
  | { readonly kind: "attested"; readonly verifier: Address; readonly intervals: readonly bigint[] }
  | { readonly kind: "slashed"; readonly solver: Address; readonly escrowRefunded: bigint; readonly bondForfeited: bigint }
  | { readonly kind: "finalized"; readonly solver: Address; readonly solverPaid: bigint; readonly clientRefund: bigint }
  | { readonly kind: "challenged"; readonly gameId: bigint; readonly challenger: Address; readonly bond: bigint; readonly loIndex: bigint; readonly claimedRoot: Root }
  | {
    readonly kind: "gameResolved"; readonly gameId: bigint; readonly solverWon: boolean; readonly jobFailed: boolean; readonly voidOutcome: boolean;
    /** Why the game ended (DisputeGame's GameResolved); undefined if the game's event could not be found. */
    readonly reason: GameReason | undefined;
  }
  | { readonly kind: "failed"; readonly gameId: bigint; readonly escrowRefunded: bigint; readonly solverBondForfeited: bigint }
  | { readonly kind: "gameVoided"; readonly gameId: bigint; readonly challenger: Address; readonly bondRefunded: bigint }
  | { readonly kind: "credited"; readonly account: Address; readonly amount: bigint }
);
export type JobEventKind = JobEvent["kind"];

export interface GetJobEventsParameters {
  readonly market: Address;
  readonly jobId: bigint;
  /**
   * First block read. Default: the block that posted the job (the first block at or after the job's postedAt,
   * found by a binary search over block headers), so a job's history costs its own blocks, not the chain's.
   */
  readonly fromBlock?: BlockNumber;
  /** Last block read (default: the latest when the read starts). */
  readonly toBlock?: BlockNumber | "latest";
  /** Most blocks per eth_getLogs request (default DEFAULT_LOG_RANGE, chain/getLogsPaged.ts). */
  readonly logRange?: number;
}

type MarketLog = Awaited<ReturnType<typeof marketLogs>>[number];

function marketLogs(client: Client<Transport, Chain | undefined>, p: { readonly market: Address; readonly fromBlock: bigint; readonly toBlock: bigint; readonly logRange?: number }) {
  return getLogsPaged(client, { address: p.market, abi: jobMarketAbi, fromBlock: p.fromBlock, toBlock: p.toBlock, ...(p.logRange !== undefined ? { range: p.logRange } : {}) });
}

/** The block range of a job's event read: `toBlock` resolved once, `fromBlock` defaulting to the job's posting block. */
async function jobBlockRange(client: Client<Transport, Chain | undefined>, p: GetJobEventsParameters): Promise<{ fromBlock: bigint; toBlock: bigint } | undefined> {
  const toBlock = typeof p.toBlock === "bigint" ? p.toBlock : await getBlockNumber(client, { cacheTime: 0 });
  if (p.fromBlock !== undefined) return { fromBlock: p.fromBlock, toBlock };
  let postedAt: bigint;
  try {
    postedAt = (await getJob(client, { market: p.market, jobId: p.jobId })).postedAt;
  } catch (e) {
    if (e instanceof JobNotFoundError) return undefined; // no such job: no events
    throw e;
  }
  return { fromBlock: await firstBlockAtOrAfter(client, postedAt), toBlock };
}

/** The market event as a JobEvent if it concerns `jobId` (Withdrawn, which names no job, never does). */
function toJobEvent(log: MarketLog, jobId: bigint, reasons: ReadonlyMap<bigint, GameReason>): JobEvent | undefined {
  // Logs of mined blocks (fromBlock..latest) always carry their position.
  const at = { blockNumber: log.blockNumber!, logIndex: log.logIndex!, transactionHash: log.transactionHash! };
  switch (log.eventName) {
    case "JobPosted": {
      const a = log.args;
      return a.jobId === jobId ? { ...at, kind: "posted", client: a.client!, escrow: a.escrow!, params: a.params! } : undefined;
    }
    case "BidPlaced": {
      const a = log.args;
      return a.jobId === jobId ? { ...at, kind: "bid", bidder: a.bidder!, price: a.price!, bond: a.bond! } : undefined;
    }
    case "BidderOutbid": {
      const a = log.args;
      return a.jobId === jobId ? { ...at, kind: "outbid", bidder: a.bidder!, bondRefunded: a.bondRefunded! } : undefined;
    }
    case "JobAssigned": {
      const a = log.args;
      return a.jobId === jobId ? { ...at, kind: "assigned", solver: a.solver!, price: a.price!, bond: a.bond! } : undefined;
    }
    case "JobCancelled": {
      const a = log.args;
      return a.jobId === jobId ? { ...at, kind: "cancelled", client: a.client!, escrowRefunded: a.escrowRefunded! } : undefined;
    }
    case "ResultCommitted": {
      const a = log.args;
      return a.jobId === jobId ? {
        ...at, kind: "committed", solver: a.solver!, historyRoot: toRoot(a.historyRoot!), finalRoot: toRoot(a.finalRoot!), checkpointCount: a.checkpointCount!,
        challengeDeadline: a.challengeDeadline!, modelURI: a.modelURI!, roots: (a.roots ?? []).map((r) => toRoot(r)),
      } : undefined;
    }
    case "JobSlashed": {
      const a = log.args;
      return a.jobId === jobId ? { ...at, kind: "slashed", solver: a.solver!, escrowRefunded: a.escrowRefunded!, bondForfeited: a.bondForfeited! } : undefined;
    }
    case "JobFinalized": {
      const a = log.args;
      return a.jobId === jobId ? { ...at, kind: "finalized", solver: a.solver!, solverPaid: a.solverPaid!, clientRefund: a.clientRefund! } : undefined;
    }
    case "ChallengeOpened": {
      const a = log.args;
      return a.jobId === jobId ? { ...at, kind: "challenged", gameId: a.gameId!, challenger: a.challenger!, bond: a.bond!, loIndex: a.loIndex!, claimedRoot: toRoot(a.claimedRoot!) } : undefined;
    }
    case "GameResolved": {
      const a = log.args;
      return a.jobId === jobId ? {
        ...at, kind: "gameResolved", gameId: a.gameId!, solverWon: a.solverWon!, jobFailed: a.jobFailed!, voidOutcome: a.voidOutcome!, reason: reasons.get(a.gameId!),
      } : undefined;
    }
    case "JobFailed": {
      const a = log.args;
      return a.jobId === jobId ? { ...at, kind: "failed", gameId: a.gameId!, escrowRefunded: a.escrowRefunded!, solverBondForfeited: a.solverBondForfeited! } : undefined;
    }
    case "GameVoided": {
      const a = log.args;
      return a.jobId === jobId ? { ...at, kind: "gameVoided", gameId: a.gameId!, challenger: a.challenger!, bondRefunded: a.bondRefunded! } : undefined;
    }
    case "Credited": {
      const a = log.args;
      return a.jobId === jobId ? { ...at, kind: "credited", account: a.account!, amount: a.amount! } : undefined;
    }
    case "Attested": {
      const a = log.args;
      return a.jobId === jobId ? { ...at, kind: "attested", verifier: a.verifier!, intervals: [...(a.intervals ?? [])] } : undefined;
    }
    default:
      return undefined;
  }
}

/** Chain order: block, then position in the block. */
const byPosition = (a: JobEvent, b: JobEvent) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1);

/** The DisputeGame's reason for each game of `gameIds` resolved within the range (GameResolved on the game). */
async function gameReasons(client: Client<Transport, Chain | undefined>, market: Address, gameIds: readonly bigint[], blocks: { fromBlock: bigint; toBlock: bigint }, logRange: number | undefined): Promise<Map<bigint, GameReason>> {
  const reasons = new Map<bigint, GameReason>();
  if (gameIds.length === 0) return reasons;
  const game = await readContract(client, { address: market, abi: jobMarketAbi, functionName: "game" });
  const gameLogs = await getLogsPaged(client, {
    address: game, abi: disputeGameAbi, eventName: "GameResolved", args: { gameId: [...gameIds] }, ...blocks, ...(logRange !== undefined ? { range: logRange } : {}),
  });
  for (const l of gameLogs) {
    const r = GAME_REASONS[l.args.reason!];
    if (r !== undefined) reasons.set(l.args.gameId!, r);
  }
  return reasons;
}

/**
 * The job's history from the market's events, in chain order: posted, bids, assignment, commitment (with
 * every checkpoint root), verifiers' attestations, challenges, game outcomes (with the DisputeGame's reason), failure/voids, finalization, slashing or
 * cancellation, and every credit to a pull balance. Reads the market's logs over the block range in pages
 * (chain/getLogsPaged.ts) and keeps those of this job (the jobId is indexed at different positions in
 * different events, so one topic filter cannot select them all).
 */
export async function getJobEvents(client: Client<Transport, Chain | undefined>, p: GetJobEventsParameters): Promise<JobEvent[]> {
  const blocks = await jobBlockRange(client, p);
  if (!blocks) return [];
  const logs = await marketLogs(client, { market: p.market, ...blocks, ...(p.logRange !== undefined ? { logRange: p.logRange } : {}) });
  const resolvedGames = logs.filter((l) => l.eventName === "GameResolved" && l.args.jobId === p.jobId).map((l) => (l.args as { gameId: bigint }).gameId);
  const reasons = await gameReasons(client, p.market, resolvedGames, blocks, p.logRange);
  const out: JobEvent[] = [];
  for (const l of logs) {
    const ev = toJobEvent(l, p.jobId, reasons);
    if (ev) out.push(ev);
  }
  return out.sort(byPosition);
}

export interface GetMarketEventsParameters {
  readonly market: Address;
  readonly fromBlock: BlockNumber;
  /** Last block read (default: the latest when the read starts). */
  readonly toBlock?: BlockNumber;
  /** Most blocks per eth_getLogs request (default DEFAULT_LOG_RANGE, chain/getLogsPaged.ts). */
  readonly logRange?: number;
}

/**
 * Every job's events over a block range, in one paged pass over the market's logs: what a watcher of the
 * whole market (the explorer) reads each round, where getJobEvents per job would read the same blocks once
 * per job. The same events, typed the same way, as getJobEvents over that range; keyed by job id, each list
 * in chain order. Jobs without an event in the range are absent.
 */
export async function getMarketEvents(client: Client<Transport, Chain | undefined>, p: GetMarketEventsParameters): Promise<Map<bigint, JobEvent[]>> {
  const blocks = { fromBlock: p.fromBlock, toBlock: p.toBlock ?? (await getBlockNumber(client, { cacheTime: 0 })) };
  const out = new Map<bigint, JobEvent[]>();
  if (blocks.fromBlock > blocks.toBlock) return out;
  const logs = await marketLogs(client, { market: p.market, ...blocks, ...(p.logRange !== undefined ? { logRange: p.logRange } : {}) });
  const resolvedGames = logs.filter((l) => l.eventName === "GameResolved").map((l) => (l.args as { gameId: bigint }).gameId);
  const reasons = await gameReasons(client, p.market, resolvedGames, blocks, p.logRange);
  for (const l of logs) {
    const jobId = (l.args as { jobId?: bigint }).jobId;
    if (jobId === undefined) continue; // Withdrawn names no job
    const ev = toJobEvent(l, jobId, reasons);
    if (!ev) continue;
    const list = out.get(jobId);
    if (list) list.push(ev);
    else out.set(jobId, [ev]);
  }
  for (const list of out.values()) list.sort(byPosition);
  return out;
}
