/**
 * Exact integer arithmetic shared by every backend. All engine values are integers held in IEEE doubles,
 * which is exact while every intermediate magnitude stays at or below MAX_EXACT; each op declares a bound
 * that proves this, and specs whose bounds exceed it are rejected before any step runs.
 *
 * Rounding is defined once, here: `roundShift(x, s) = floor((x + 2^(s-1)) / 2^s)` for s > 0 (round half up,
 * i.e. towards +infinity on ties, for negative values too), and `x` for s = 0. The circuits and any Solidity
 * helper implement exactly this definition.
 */

/** Largest magnitude an intermediate value may reach: integers up to 2^53 are exact in a double. */
export const MAX_EXACT = 2 ** 53;
/** Integers whose every partial sum stays below 2^24 are exact in float32 whatever the summation order. */
export const FLOAT32_EXACT = 2 ** 24;

export type Range = readonly [lo: number, hi: number];

/** floor(a / 2^s) for an integer a and 0 <= s <= 52: exact because division by a power of two is exact. */
export function floorShift(a: number, s: number): number {
  return Math.floor(a / 2 ** s);
}

/** The protocol's one rounding rule: round half up (towards +inf), then shift right by s bits. */
export function roundShift(a: number, s: number): number {
  return s === 0 ? a : Math.floor((a + 2 ** (s - 1)) / 2 ** s);
}

export function clamp(a: number, lo: number, hi: number): number {
  return a < lo ? lo : a > hi ? hi : a;
}

export function maxAbs(r: Range): number {
  return Math.max(Math.abs(r[0]), Math.abs(r[1]));
}

/** Range of the signed integers that fit in `bits` bits (two's complement). */
export function signedRange(bits: number): Range {
  return [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
}

export function isSafeInt(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x);
}
