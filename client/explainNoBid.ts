import type { Address, Chain, Client, Transport } from "viem";
import { readContract } from "viem/actions";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { getJob, type Job } from "../chain/jobs.ts";

/**
 * Why an auction may have closed without a bid, as far as the market's own record tells: the job is compared
 * with the recent jobs that a solver did take (assigned, committed, finalized...). Solvers decide privately
 * (their pricing floor, the datasets they hold, their step limit), so these are likely reasons, not proof:
 * an escrow per step below the lowest any solver accepted, more steps than any solver took, a dataset no
 * solver took, a bidding or commit window shorter than any taken job's, or no solver active on the market.
 */
export type NoBidReasonKind = "noSolvers" | "escrow" | "steps" | "dataset" | "bidWindow" | "commitWindow";

export interface NoBidReason {
  readonly kind: NoBidReasonKind;
  readonly message: string;
}

export interface NoBidExplanation {
  readonly jobId: bigint;
  /** The recent jobs compared with (the last `lookback` before this one) and how many of them a solver took. */
  readonly compared: number;
  readonly taken: number;
  /** Likely reasons, most telling first; empty when the job looks like the ones solvers took. */
  readonly reasons: readonly NoBidReason[];
  /** One sentence for a person. */
  readonly message: string;
}

/** Statuses a job reaches only after a solver took it. */
const TAKEN: readonly Job["status"][] = ["Assigned", "Committed", "Finalized", "Slashed", "Failed"];

const perStep = (wei: bigint, steps: bigint) => (steps === 0n ? wei : wei / steps);

/** The reasons from the job and the recent jobs (pure: the data gathered by explainNoBid, or a test's). */
export function noBidReasons(jobId: bigint, job: Job, recent: readonly { jobId: bigint; job: Job }[]): NoBidExplanation {
  const taken = recent.filter((r) => TAKEN.includes(r.job.status));
  const reasons: NoBidReason[] = [];
  if (taken.length === 0) {
    reasons.push({ kind: "noSolvers", message: recent.length === 0 ? "it is the first job on this market: no solver has taken any job here yet (is a solver node running and watching this market?)" : `none of the ${recent.length} jobs before it was taken by a solver: no solver seems active on this market` });
  } else {
    const lowest = taken.reduce((a, b) => (perStep(b.job.price, b.job.steps) < perStep(a.job.price, a.job.steps) ? b : a));
    const mine = perStep(job.escrow, job.steps);
    const theirs = perStep(lowest.job.price, lowest.job.steps);
    if (mine < theirs) reasons.push({ kind: "escrow", message: `its escrow pays ${mine} wei per step, below the lowest any solver accepted recently (${theirs} wei per step, job ${lowest.jobId})` });
    const longest = taken.reduce((a, b) => (b.job.steps > a.job.steps ? b : a));
    if (job.steps > longest.job.steps) reasons.push({ kind: "steps", message: `its ${job.steps} steps are more than any solver took before (at most ${longest.job.steps}, job ${longest.jobId}): solvers cap the steps they accept` });
    if (!taken.some((t) => t.job.datasetRoot === job.datasetRoot)) reasons.push({ kind: "dataset", message: `no solver took a job on its dataset (root ${job.datasetRoot}) before: solvers train only on datasets they hold` });
    const shortestBid = taken.filter((t) => !t.job.firstCome).reduce<bigint | undefined>((m, t) => (m === undefined || t.job.bidDuration < m ? t.job.bidDuration : m), undefined);
    if (!job.firstCome && shortestBid !== undefined && job.bidDuration < shortestBid) reasons.push({ kind: "bidWindow", message: `its bidding window of ${job.bidDuration} s is shorter than any auction a solver bid on (${shortestBid} s): solvers poll, and may not see it in time` });
    const rate = (j: Job) => Number(j.steps) / Math.max(1, Number(j.commitDuration));
    const fastest = taken.reduce((a, b) => (rate(b.job) > rate(a.job) ? b : a));
    if (rate(job) > rate(fastest.job)) reasons.push({ kind: "commitWindow", message: `its commit window of ${job.commitDuration} s for ${job.steps} steps asks for faster training than any solver committed to before (${fastest.job.steps} steps in ${fastest.job.commitDuration} s, job ${fastest.jobId})` });
  }
  const message = reasons.length === 0
    ? `job ${jobId} got no bid, and it looks like the ${taken.length} recent job(s) solvers took (escrow per step, steps, dataset, windows): the solvers may have been busy or offline`
    : `job ${jobId} got no bid; likely because ${reasons.map((r) => r.message).join("; and ")}`;
  return { jobId, compared: recent.length, taken: taken.length, reasons, message };
}

export interface ExplainNoBidParameters {
  readonly market: Address;
  readonly jobId: bigint;
  /** How many jobs before this one to compare with (default 50). */
  readonly lookback?: number;
}

/** Reads the job and up to `lookback` jobs posted before it, and explains (noBidReasons). */
export async function explainNoBid(client: Client<Transport, Chain | undefined>, p: ExplainNoBidParameters): Promise<NoBidExplanation> {
  const job = await getJob(client, p);
  const count = await readContract(client, { address: p.market, abi: jobMarketAbi, functionName: "jobCount" });
  const last = p.jobId - 1n < count ? p.jobId - 1n : count;
  const first = last - BigInt(p.lookback ?? 50) + 1n > 1n ? last - BigInt(p.lookback ?? 50) + 1n : 1n;
  const ids: bigint[] = [];
  for (let id = last; id >= first; id--) ids.push(id);
  const recent = await Promise.all(ids.map(async (id) => ({ jobId: id, job: await getJob(client, { market: p.market, jobId: id }) })));
  return noBidReasons(p.jobId, job, recent);
}
