// Level 1 of the game (8-ary dissection of the step interval): the points, the roots hash the game stores
// and the answer choice; pure functions both sides and the contract tests share.
import { concatHex, keccak256, type Hex } from "viem";
import { toHex } from "../commitment/hash.ts";

/** Level 1 cuts [lo, hi] into at most this many parts (DisputeGame.DISSECTION). */
export const DISSECTION = 8;

export const ZERO32: Hex = `0x${"00".repeat(32)}`;

/**
 * The dissection points of [lo, hi] (hi - lo >= 2), as DisputeGame.bisectStep takes its roots:
 * m = min(7, hi - lo - 1) points p_i = lo + floor((i + 1) * (hi - lo) / (m + 1)), i = 0 .. m - 1.
 */
export function dissectionPoints(lo: number, hi: number): number[] {
  const n = hi - lo;
  const m = Math.min(DISSECTION - 1, n - 1);
  return Array.from({ length: m }, (_, i) => lo + Math.floor(((i + 1) * n) / (m + 1)));
}

/**
 * Level-1 rounds (one bisectStep and one respondStep each) of an interval of `length` steps, following the
 * point formula: `max` when every answer takes the longest part, `min` the shortest.
 */
export function level1Rounds(length: number): { min: number; max: number } {
  if (length <= 1) return { min: 0, max: 0 };
  const pts = [0, ...dissectionPoints(0, length), length];
  const parts = pts.slice(1).map((p, i) => p - pts[i]!);
  const sub = [...new Set(parts)].map(level1Rounds); // parts of at most two sizes
  return { min: 1 + Math.min(...sub.map((r) => r.min)), max: 1 + Math.max(...sub.map((r) => r.max)) };
}

/** keccak256 of the roots as the game stores them at bisectStep (keccak256(abi.encodePacked(roots))). */
export function rootsHash(roots: readonly Hex[]): Hex {
  return keccak256(concatHex([...roots]));
}

/**
 * A party's answer to the solver's posted roots at `points`: the first point where its own root differs
 * (j < m), or m when it agrees with all. `own[p]` is its root at step p. With `random`, a uniformly random
 * VALID answer instead (m, or any point where its root differs: the game rejects disagreeing with an equal root).
 */
export function chooseResponse(points: readonly number[], posted: readonly Hex[], own: readonly Uint8Array[], random?: () => number): { choice: number; ownRoot: Hex } {
  const m = points.length;
  const differs = points.flatMap((p, i) => (toHex(own[p]!) !== posted[i] ? [i] : []));
  const choice = random ? [...differs, m][Math.floor(random() * (differs.length + 1))]! : (differs[0] ?? m);
  return { choice, ownRoot: choice < m ? toHex(own[points[choice]!]!) : ZERO32 };
}

/** bytes32(int256(v)) of an element value, as the game stores a claimed element. */
export function valueWord(v: number | bigint): Hex {
  const x = BigInt.asUintN(256, BigInt(v));
  return `0x${x.toString(16).padStart(64, "0")}`;
}
