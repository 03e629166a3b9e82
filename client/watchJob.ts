import type { Address, BlockNumber, Chain, Client, Transport } from "viem";
import { getBlock, getBlockNumber } from "viem/actions";
import { JobWaitError } from "./errors.ts";
import { getJob, type Job, type JobStatusName } from "../chain/jobs.ts";
import { getJobEvents, type JobEvent } from "./getJobEvents.ts";
import { sleep } from "../core/sleep.ts";
import { describeJobWait, type JobWait } from "./describeJobWait.ts";
import { explainNoBid, type NoBidExplanation } from "./explainNoBid.ts";

/** Statuses a job never leaves. */
export const TERMINAL_STATUSES: readonly JobStatusName[] = ["Finalized", "Cancelled", "Slashed", "Failed"];

export interface WatchJobParameters {
  readonly market: Address;
  readonly jobId: bigint;
  /** Called once per event, in chain order, as events appear. */
  readonly onEvent?: (event: JobEvent) => void;
  /** Called whenever the job's status changes (and once with the first status read). */
  readonly onStatus?: (job: Job) => void;
  /** Return once the job has one of these statuses (default: any terminal status). */
  readonly until?: readonly JobStatusName[];
  /** First block read (default: the block that posted the job); each later round reads only the blocks after the last one read. */
  readonly fromBlock?: BlockNumber;
  /** Most blocks per eth_getLogs request (default DEFAULT_LOG_RANGE). */
  readonly logRange?: number;
  /** Default 1 s. */
  readonly pollingIntervalMs?: number;
  /** Default: none (follow until `until`). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Called while the job waits (first after `waitNoticeMs` without a new event or status, then once per
   * `waitNoticeMs`) with what it waits for and the chain's time against the deadline: a follower never waits
   * silently, and sees when the chain's clock (which on a local chain moves only with blocks) is what holds it.
   */
  readonly onWait?: (w: JobWait) => void;
  /** Default 60 s. */
  readonly waitNoticeMs?: number;
}

export interface WatchJobReturnType {
  readonly job: Job;
  /** Every event of the job seen while watching (from `fromBlock`), in chain order. */
  readonly events: readonly JobEvent[];
  /** A job that ended Cancelled without a solver: why no solver likely bid (explainNoBid). */
  readonly noBid?: NoBidExplanation;
}

const key = (e: JobEvent) => `${e.blockNumber}:${e.logIndex}`;

/**
 * Follows a job: polls its status and its events, reports each new event once and in order, and returns when
 * the job reaches one of `until` (default: a terminal status). The status is read BEFORE the events of each
 * round, so the events returned always include the one that moved the job to its final status. A job that
 * reaches a terminal status outside `until` ends the watch with JobWaitError. A timeout's JobWaitError says
 * what the job still waited for against the chain's time; a job cancelled without a solver comes with why.
 */
export async function watchJob(client: Client<Transport, Chain | undefined>, p: WatchJobParameters): Promise<WatchJobReturnType> {
  const until = p.until ?? TERMINAL_STATUSES;
  const interval = p.pollingIntervalMs ?? 1_000;
  const deadline = p.timeoutMs === undefined ? Infinity : Date.now() + p.timeoutMs;
  const seen = new Set<string>();
  const events: JobEvent[] = [];
  let lastStatus: JobStatusName | undefined;
  // The next block to read: each round reads only the blocks mined since the last (a cursor, not a re-read).
  let next: bigint | undefined;
  const noticeMs = p.waitNoticeMs ?? 60_000;
  let quietSince = Date.now();
  const chainTime = async () => (await getBlock(client, { blockTag: "latest" })).timestamp;
  const noBidOf = async (job: Job) => (job.status === "Cancelled" && !events.some((e) => e.kind === "assigned") ? await explainNoBid(client, p).catch(() => undefined) : undefined);
  for (;;) {
    p.signal?.throwIfAborted();
    const job = await getJob(client, p);
    if (job.status !== lastStatus) {
      lastStatus = job.status;
      quietSince = Date.now();
      p.onStatus?.(job);
    }
    // Read after the status, so the events include the one that moved the job to it.
    const latest = await getBlockNumber(client, { cacheTime: 0 });
    const from = next ?? p.fromBlock;
    const fresh = from !== undefined && from > latest ? [] : await getJobEvents(client, {
      market: p.market, jobId: p.jobId, toBlock: latest, ...(from !== undefined ? { fromBlock: from } : {}), ...(p.logRange !== undefined ? { logRange: p.logRange } : {}),
    });
    next = latest + 1n;
    for (const e of fresh) {
      if (seen.has(key(e))) continue;
      seen.add(key(e));
      events.push(e);
      quietSince = Date.now();
      p.onEvent?.(e);
    }
    if (until.includes(job.status)) {
      const noBid = await noBidOf(job);
      return { job, events, ...(noBid ? { noBid } : {}) };
    }
    if (TERMINAL_STATUSES.includes(job.status)) {
      const noBid = await noBidOf(job);
      throw new JobWaitError(`job ${p.jobId} is ${job.status} and will never be ${until.join(" or ")}${noBid ? `: ${noBid.message}` : ""}`, { jobId: p.jobId.toString(), status: job.status, ...(noBid ? { noBid } : {}) });
    }
    if (Date.now() >= deadline) {
      const w = describeJobWait(job, p.jobId, await chainTime());
      throw new JobWaitError(`job ${p.jobId} is still ${job.status} after ${p.timeoutMs! / 1000} s (watching for ${until.join(" or ")}): ${w.message}`, { jobId: p.jobId.toString(), status: job.status, chainTime: w.chainTime, deadline: w.deadline });
    }
    if (p.onWait && Date.now() - quietSince >= noticeMs) {
      p.onWait(describeJobWait(job, p.jobId, await chainTime()));
      quietSince = Date.now();
    }
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), p.signal);
  }
}
