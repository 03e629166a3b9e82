/**
 * Exact integer division and square root on integers held in doubles, shared by the ops that need them
 * (softmax_ce_grad, adam_update). A double's quotient or square root is rounded, so its floor could be one off
 * near an integer; each function corrects a first guess with the exact remainder (integer products below
 * 2^53), which fixes any guess within 1 of the truth. The ONNX lowering (engine/onnx/lowerLm.ts) repeats the
 * same correction, so both agree whatever the hardware's division or square root rounds to.
 */

/** The exact floor(a / b) (b > 0) from a guess q0 within 1 of it. */
export function correctQuotient(a: number, b: number, q0: number): number {
  const r = a - q0 * b;
  return r < 0 ? q0 - 1 : r >= b ? q0 + 1 : q0;
}

/** floor(a / b) for safe integers a and b > 0. Exact while |a| + b < 2^53. */
export function floorDiv(a: number, b: number): number {
  return correctQuotient(a, b, Math.floor(a / b));
}

/**
 * a / b rounded half up (towards +infinity on ties, as roundShift): floor((2a + b) / (2b)) for b > 0.
 * Exact while 2|a| + 3b < 2^53.
 */
export function roundDiv(a: number, b: number): number {
  return floorDiv(2 * a + b, 2 * b);
}

/** The exact floor(sqrt(v)) from a guess r0 within 1 of it. */
export function correctRoot(v: number, r0: number): number {
  return r0 * r0 > v ? r0 - 1 : (r0 + 1) * (r0 + 1) <= v ? r0 + 1 : r0;
}

/** floor(sqrt(v)) for a safe integer v >= 0 (engine/isqrt.ts's semantics on doubles). Exact while v + 2 sqrt(v) + 1 < 2^53. */
export function isqrtNumber(v: number): number {
  return correctRoot(v, Math.floor(Math.sqrt(v)));
}
