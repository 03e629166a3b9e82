import { FLOAT32_EXACT } from "../int.ts";
import { c } from "./constants.ts";
import type { FloatType } from "./floatTypes.ts";
import type { OnnxGraph } from "./protoBuilder.ts";

/**
 * Round half up without Floor (onnxruntime's Floor is the slowest elementwise pass; two Adds are cheaper).
 * For a float32 value v that is exact, never a half-integer and below 2^22 in magnitude, IEEE addition
 * (round to nearest, ties to even: the default on every CPU and GPU, and the only rounding ONNX's Add has)
 * gives fl(v + M) = M + round(v) exactly, with M = 1.5 * 2^23: the sum lies in [2^23, 2^24), where float32's
 * spacing is exactly 1, and v is never half way between two integers, so ties never arise. roundShift's
 * half-up rule comes from the offset 2^-(s+1) added before (x * 2^-s + 2^-(s+1) is never a half-integer).
 */
export const M32 = 1.5 * 2 ** 23;

/** Values the M offset can take: |v| below 2^22 keeps v + M inside [2^23, 2^24). */
export const M32_REACH = 2 ** 22;

/** The M-offset form fits: every value a * 2^-s + b is exact (a multiple of 2^-(s+1) below 2^24 units). */
export function roundsInFloat32(maxAbsScaled: number, s: number): boolean {
  return s >= 1 && maxAbsScaled * 2 + 1 < FLOAT32_EXACT;
}

/**
 * roundShift(x * k, s) = floor(x * (k * 2^-s) + 1/2): one multiply by an exact power-of-two multiple, one
 * add, one floor. Exact in the op's type: x * k and x * k + 2^(s-1) are integers below the op's declared
 * bound, so scaling them by 2^-s and adding 1/2 introduces no rounding. In float32, where the values allow,
 * the floor is replaced by the M offset (roundHalfUp above): x * k * 2^-s + 2^-(s+1), + M, - M.
 */
export function mulRoundShift(g: OnnxGraph, x: string, k: number, s: number, t: FloatType, out?: string, xMax = Infinity): string {
  if (s === 0) return k === 1 && out === undefined ? x : g.node("Mul", [x, c(g, t, k)], {}, out);
  if (t === "float32" && roundsInFloat32(xMax * k, s)) {
    const v = g.node("Add", [g.node("Mul", [x, c(g, t, k * 2 ** -s)]), c(g, t, 2 ** -(s + 1))]);
    return g.node("Add", [g.node("Add", [v, c(g, t, M32)]), c(g, t, -M32)], {}, out);
  }
  return g.node("Floor", [g.node("Add", [g.node("Mul", [x, c(g, t, k * 2 ** -s)]), c(g, t, 0.5)])], {}, out);
}
