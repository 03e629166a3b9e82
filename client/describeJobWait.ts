import type { Job } from "../chain/jobs.ts";

/**
 * What a job still open on the market waits for, the chain time that ends it, and the chain's time now, in one
 * sentence for a person. The market measures every deadline in chain time (block timestamps), which on a
 * local chain moves only when blocks are mined: a wait past a deadline that the chain has not reached says so.
 */
export interface JobWait {
  readonly jobId: bigint;
  readonly status: Job["status"];
  /** What the job waits for ("the auction to end", "the solver's commit", "the challenge window to end"...). */
  readonly waitingFor: string;
  /** The chain time (seconds) that ends the wait, when there is one. */
  readonly deadline: bigint | undefined;
  /** The latest block's timestamp when read. */
  readonly chainTime: bigint;
  readonly message: string;
}

export function describeJobWait(job: Job, jobId: bigint, chainTime: bigint): JobWait {
  let waitingFor: string;
  let deadline: bigint | undefined;
  let after = "";
  switch (job.status) {
    case "Open":
      if (job.firstCome) waitingFor = "a solver to take it";
      else {
        waitingFor = job.hasBid ? "its auction to end (it has a bid)" : "a solver's bid before its auction ends";
        deadline = job.postedAt + job.bidDuration;
        after = job.hasBid ? "; then the best bidder (or anyone) closes the bidding" : "; without a bid it can then be cancelled and the escrow refunded";
      }
      break;
    case "Assigned":
      waitingFor = `solver ${job.solver}'s commit`;
      deadline = job.assignedAt + job.commitDuration;
      after = "; a solver that misses it can be slashed";
      break;
    case "Committed":
      waitingFor = job.openGames > 0n ? `its ${job.openGames} open dispute(s) to resolve and its challenge window to end` : "its challenge window to end";
      deadline = job.committedAt + job.challengeWindow;
      after = "; then anyone may finalize it (the solver node does)";
      break;
    default:
      waitingFor = "nothing (it is final)";
  }
  let message = `job ${jobId} is ${job.status}: waiting for ${waitingFor}`;
  if (deadline !== undefined) {
    message += chainTime < deadline
      ? ` at chain time ${deadline}; the chain's time is ${chainTime} (${deadline - chainTime} s to go${after}). A local chain's clock moves only when blocks are mined`
      : ` — its deadline, chain time ${deadline}, has passed (the chain's time is ${chainTime})${after}`;
  }
  return { jobId, status: job.status, waitingFor, deadline, chainTime, message };
}
