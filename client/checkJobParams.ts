import { MAX_CHECKPOINTS } from "../chain/checkpoints.ts";
import { JobParamsError } from "./errors.ts";
import { BPS, JOB_DEFAULTS } from "../core/defaults.ts";

/** The largest amount the market stores (uint96). */
export const MAX_AMOUNT = 2n ** 96n - 1n;
const MAX_U64 = 2n ** 64n - 1n;

export interface CheckJobParamsParameters {
  readonly steps: number;
  readonly checkpointInterval: number;
  /** msg.value: the most the client pays (the price of a first-come job). */
  readonly escrow: bigint;
  readonly requiredBond: bigint;
  readonly challengeBond: bigint;
  /** Default true: the first taker gets the job at price = escrow. */
  readonly firstCome?: boolean;
  /** Auction length in seconds (only without firstCome). */
  readonly bidDuration?: bigint;
  readonly commitDuration: bigint;
  readonly challengeWindow: bigint;
  readonly clockDuration: bigint;
  /** Verifier sampling hint in basis points (default JOB_DEFAULTS.sampleBps, 500). */
  readonly sampleBps?: number;
}

/**
 * Checks the job's numbers before anything is sent: every rule JobMarket.postJob enforces (so a bad job is
 * one clear error instead of a reverted, gas-paying transaction), plus the sanity rules the market cannot
 * know about (a challenge bond above the escrow makes challenging pointless for a client's own watcher).
 */
export function checkJobParams(p: CheckJobParamsParameters): void {
  const int = (field: string, v: number) => {
    if (!Number.isSafeInteger(v) || v < 1) throw new JobParamsError(field, `must be a positive integer, got ${v}`);
  };
  int("steps", p.steps);
  int("checkpointInterval", p.checkpointInterval);
  if (p.checkpointInterval > p.steps) throw new JobParamsError("checkpointInterval", `${p.checkpointInterval} exceeds steps ${p.steps}`);
  const count = Math.ceil(p.steps / p.checkpointInterval) + 1;
  if (count > MAX_CHECKPOINTS) {
    throw new JobParamsError("checkpointInterval", `${p.steps} steps at interval ${p.checkpointInterval} make ${count} checkpoints, above the market's ${MAX_CHECKPOINTS} (one commit carries every checkpoint root): use an interval of at least ${Math.ceil(p.steps / (MAX_CHECKPOINTS - 1))}`);
  }
  const amount = (field: string, v: bigint) => {
    if (v <= 0n) throw new JobParamsError(field, `must be more than 0 wei, got ${v}`);
    if (v > MAX_AMOUNT) throw new JobParamsError(field, `${v} wei does not fit in the market's uint96`);
  };
  amount("escrow", p.escrow);
  amount("requiredBond", p.requiredBond);
  amount("challengeBond", p.challengeBond);
  if (p.challengeBond > p.escrow) {
    throw new JobParamsError("challengeBond", `${p.challengeBond} wei exceeds the escrow (${p.escrow} wei): nobody would risk more than the job is worth to check it`);
  }
  const duration = (field: string, v: bigint) => {
    if (v <= 0n) throw new JobParamsError(field, `must be more than 0 seconds, got ${v}`);
    if (v > MAX_U64) throw new JobParamsError(field, `${v} seconds does not fit in uint64`);
  };
  duration("commitDuration", p.commitDuration);
  duration("challengeWindow", p.challengeWindow);
  duration("clockDuration", p.clockDuration);
  const firstCome = p.firstCome ?? true;
  if (firstCome && p.bidDuration !== undefined && p.bidDuration !== 0n) {
    throw new JobParamsError("bidDuration", `a first-come job has no auction, got ${p.bidDuration} seconds`);
  }
  if (!firstCome) duration("bidDuration", p.bidDuration ?? 0n);
  const bps = p.sampleBps ?? JOB_DEFAULTS.sampleBps;
  if (!Number.isInteger(bps) || bps < 0 || bps > BPS) throw new JobParamsError("sampleBps", `must be an integer in [0, ${BPS}], got ${bps}`);
}
