// Level 4 of the game (matmul/col_sum accumulation): the points at which the solver posts partial sums, its
// postTerms arguments and the challenger's answer; pure functions both sides and the contract tests share.
import { dissectionPoints } from "./dissection.ts";

/** DisputeGame.TERM_SLICE: level 4 ends when at most this many terms are left. */
export const TERM_SLICE = 8;

/** The points at which the solver posts sums for the term interval [lo, hi] (none once it is short enough). */
export function termPoints(lo: number, hi: number): number[] {
  return hi - lo <= TERM_SLICE ? [] : dissectionPoints(lo, hi);
}

/** A party's view of the accumulation: the K it declares and its partial sum at any t in [0, K]. */
export interface TermView {
  readonly K: number;
  sum(t: number): bigint;
}

/** The view of a party whose element value is `own`, over the partial sums `sums` (P(0..K)) of the agreed operands. */
export function termViewOf(sums: readonly bigint[], own: bigint): TermView {
  const K = sums.length - 1;
  return { K, sum: (t) => (t >= K ? own : sums[Math.max(t, 0)]!) };
}

/** The solver's postTerms arguments in game state (termLo, termHi, termCount; termHi 0 before K is declared). */
export function solverTermsMove(v: TermView, termLo: bigint, termHi: bigint, termCount: bigint): { K: bigint; sums: bigint[] } {
  const K = termHi === 0n ? v.K : Number(termCount);
  const lo = Number(termLo), hi = termHi === 0n ? K : Number(termHi);
  return { K: BigInt(K), sums: termPoints(lo, hi).map((p) => v.sum(p)) };
}

/**
 * The challenger's answer to the posted sums at the points of [lo, hi]: the first point whose sum differs
 * from its own, or m when it agrees with all. With `random`, a uniformly random choice in [0, m] (every
 * choice is a valid move here: the challenger posts no value of its own).
 */
export function chooseTermResponse(lo: number, hi: number, posted: readonly bigint[], own: TermView, random?: () => number): number {
  const pts = termPoints(lo, hi);
  const m = pts.length;
  if (random) return Math.floor(random() * (m + 1));
  const j = pts.findIndex((p, i) => own.sum(p) !== posted[i]);
  return j < 0 ? m : j;
}
