import type { Address, Chain, Client, Transport } from "viem";
import { JobWaitError } from "./errors.ts";
import { getJob, type Job, type JobStatusName } from "../chain/jobs.ts";
import { sleep } from "../core/sleep.ts";
import { getBlock } from "viem/actions";
import { describeJobWait } from "./describeJobWait.ts";
import { explainNoBid } from "./explainNoBid.ts";

export interface WaitForJobParameters {
  readonly market: Address;
  readonly jobId: bigint;
  /** The status (or any of the statuses) to wait for. */
  readonly status: JobStatusName | readonly JobStatusName[];
  /** Default 120 s. */
  readonly timeoutMs?: number;
  /** Default 500 ms. */
  readonly pollingIntervalMs?: number;
  readonly signal?: AbortSignal;
}

/** Terminal statuses: a job there never moves again. */
const TERMINAL: readonly JobStatusName[] = ["Finalized", "Cancelled", "Slashed", "Failed"];
const ORDER: readonly JobStatusName[] = ["Open", "Assigned", "Committed", "Finalized"];

/**
 * Polls the job until its status is one of `status`; throws JobWaitError on timeout, or at once when the job
 * reached a terminal status (or went past the awaited one on the happy path) so it never will. The error
 * says what the job still waited for against the chain's time (a local chain's clock moves only with blocks),
 * and for a job cancelled without a bid, why no solver likely bid (explainNoBid).
 */
export async function waitForJob(client: Client<Transport, Chain | undefined>, p: WaitForJobParameters): Promise<Job> {
  const wanted = typeof p.status === "string" ? [p.status] : p.status;
  const timeoutMs = p.timeoutMs ?? 120_000;
  const interval = p.pollingIntervalMs ?? 500;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    p.signal?.throwIfAborted();
    const job = await getJob(client, p);
    if (wanted.includes(job.status)) return job;
    const passed = ORDER.indexOf(job.status) > Math.max(...wanted.map((w) => ORDER.indexOf(w)));
    if (TERMINAL.includes(job.status) || passed) {
      const noBid = job.status === "Cancelled" ? await explainNoBid(client, p).catch(() => undefined) : undefined;
      throw new JobWaitError(`job ${p.jobId} is ${job.status} and will never be ${wanted.join(" or ")}${noBid ? `: ${noBid.message}` : ""}`, { jobId: p.jobId.toString(), status: job.status, ...(noBid ? { noBid } : {}) });
    }
    if (Date.now() >= deadline) {
      const w = describeJobWait(job, p.jobId, (await getBlock(client, { blockTag: "latest" })).timestamp);
      throw new JobWaitError(`job ${p.jobId} is still ${job.status} after ${timeoutMs / 1000} s (waiting for ${wanted.join(" or ")}): ${w.message}`, { jobId: p.jobId.toString(), status: job.status, chainTime: w.chainTime, deadline: w.deadline });
    }
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), p.signal);
  }
}
