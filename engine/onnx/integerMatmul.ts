import type { Range } from "../int.ts";
import { FLOAT32_EXACT } from "../int.ts";
import { c, shape } from "./constants.ts";
import type { OnnxGraph } from "./protoBuilder.ts";

/**
 * Products of small integers by onnxruntime's integer GEMM, MatMulInteger (uint8 x int8 -> int32): exact by
 * construction, and on this machine's CPU about three times as fast as a float32 Gemm of the same shape
 * (`bench:engine`, docs/engine.md "Backends"). The engine's activations after a ReLU lie in [0, 127] and
 * are the uint8 operand as they are; the other operand (quantized weights, a back-propagated delta) is cut
 * into int8 limbs, one MatMulInteger per limb or one with the limbs stacked.
 *
 * Why the result is the same on every machine: every product and every partial sum is an integer, and the
 * int32 accumulators stay below 2^31 (checked from the declared ranges below). The one hazard is x86's
 * pre-VNNI path (vpmaddubsw), which adds two uint8 x int8 products in a saturating int16: with the uint8
 * operand at most 127 and the int8 one at least -128, a pair is at most 2 * 127 * 128 = 32,512 < 2^15,
 * so it never saturates (the "reduce range" rule of onnxruntime's quantization docs). A zero point is
 * applied by MLAS as an exact int32 correction of the same raw products.
 */

/** The largest uint8 operand value: keeps every pair of products below int16's limit (above). */
export const U8_OPERAND_MAX = 127;
const INT32_LIMIT = 2 ** 31;
/** Limbs of a delta (the uint8 operand of weight gradients and col2im): base 2^7, each limb in [-64, 63], fed as limb + 64 with zero point 64. */
const DELTA_BASE = 2 ** 7;
export const DELTA_ZERO_POINT = 64;
/** Limbs of weights (the int8 operand of col2im): base 2^8, each limb in [-128, 127]. */
const WEIGHT_BASE = 2 ** 8;

/**
 * The high limb's range when x = base * h + l with h = floor((x + base/2) / base) and l = x - base * h in
 * [-base/2, base/2) (base a power of two): every limb split of this file.
 */
export function highLimbRange(x: Range, base: number): Range {
  return [Math.floor((x[0] + base / 2) / base), Math.floor((x[1] + base / 2) / base)];
}

/** highLimbRange's limbs of the float32 tensor x, in float32: exact (x is an integer below 2^24, base a power of two). */
function balancedLimbs(g: OnnxGraph, x: string, base: number): [high: string, low: string] {
  const f = "float32";
  const h = g.node("Floor", [g.node("Mul", [g.node("Add", [x, c(g, f, base / 2)]), c(g, f, 1 / base)])]);
  return [h, g.node("Sub", [x, g.node("Mul", [h, c(g, f, base)])])];
}

/** Whether a delta's range splits into two limbs d = 128 dh + dl with dh in [-64, 63] (|d| up to about 8,192). */
export function deltaLimbsFit(d: Range): boolean {
  const [lo, hi] = highLimbRange(d, DELTA_BASE);
  return lo >= -DELTA_BASE / 2 && hi <= DELTA_BASE / 2 - 1;
}

/** The float32 delta d as its two limbs dh = floor((d + 64) / 128), dl = d - 128 dh, each + 64 as uint8. */
export function deltaLimbs(g: OnnxGraph, d: string): [high: string, low: string] {
  const u8 = (x: string) => g.node("Cast", [g.node("Add", [x, c(g, "float32", DELTA_ZERO_POINT)])], { to: 2 });
  const [dh, dl] = balancedLimbs(g, d, DELTA_BASE);
  return [u8(dh), u8(dl)];
}

/** Whether weights split into two int8 limbs W = 256 Wh + Wl (|W| up to about 32,768). */
export function weightLimbsFit(w: Range): boolean {
  const [lo, hi] = highLimbRange(w, WEIGHT_BASE);
  return lo >= -128 && hi <= 127;
}

/** Float32 weights [K, N] as [Wh | Wl] int8 [K, 2N]: Wh = floor((W + 128) / 256), Wl = W - 256 Wh in [-128, 127]. */
export function weightLimbs(g: OnnxGraph, w: string): string {
  return g.node("Cast", [g.node("Concat", balancedLimbs(g, w, WEIGHT_BASE), { axis: 1 })], { to: 3 });
}

/** Whether a tensor's values can be the uint8 operand as they are. */
export function fitsUint8Operand(r: Range): boolean {
  return r[0] >= 0 && r[1] <= U8_OPERAND_MAX;
}

/**
 * A pre-activation roundShift(A x W + b, s) with A in [0, 127] (split at the shift like splitRequantize,
 * lower.ts): with Wh = floor((W + 2^(s-1)) / 2^s) and Wl = W - 2^s * Wh in [-2^(s-1), 2^(s-1)),
 * roundShift(A x W + b, s) = A x Wh + floor((A x Wl + b + 2^(s-1)) / 2^s), A x Wh being an integer. Needs
 * s <= 8 (Wl an int8) and Wh within int8, the int32 accumulators below 2^31 (K * 127 * 128 covers both
 * limbs), and both products, with b + 2^(s-1), below 2^24 so that float32 finishes the rounding exactly.
 */
export function integerSplitFits(K: number, a: Range, w: Range, bMax: number, s: number): boolean {
  if (!fitsUint8Operand(a) || s < 1 || s > 8) return false;
  const half = 2 ** (s - 1);
  const [whLo, whHi] = highLimbRange(w, 2 ** s);
  if (whLo < -128 || whHi > 127) return false;
  const aMax = a[1], whMax = Math.max(-whLo, whHi);
  return K * U8_OPERAND_MAX * 128 < INT32_LIMIT && K * aMax * whMax < FLOAT32_EXACT && K * aMax * half + bMax + half < FLOAT32_EXACT;
}

/**
 * Emits integerSplitFits's form: `a8` the uint8 activations [R, K], `w` the float32 weights ([K, N], or
 * [N, K] with transB), `bias` the float32 bias [N]; returns the float32 roundShift before any clamp.
 */
export function integerSplitRequantize(g: OnnxGraph, a8: string, w: string, transB: boolean, bias: string, s: number, out?: string): string {
  const f = "float32";
  const [wh, wl] = balancedLimbs(g, w, 2 ** s);
  const limb = (x: string) => {
    const x8 = g.node("Cast", [x], { to: 3 });
    return transB ? g.node("Transpose", [x8], { perm: [1, 0] }) : x8;
  };
  const zh = g.node("Cast", [g.node("MatMulInteger", [a8, limb(wh)])], { to: 1 });
  const zl = g.node("Cast", [g.node("MatMulInteger", [a8, limb(wl)])], { to: 1 });
  const offset = g.node("Add", [bias, c(g, f, 2 ** (s - 1))]);
  const low = g.node("Floor", [g.node("Mul", [g.node("Add", [zl, offset]), c(g, f, 2 ** -s)])]);
  return g.node("Add", [zh, low], {}, out);
}

/** A weight gradient A^T x d by integer GEMM: A the activations [M, N] in [0, 127], d the delta [M, F]. */
export interface IntegerGradientPlan {
  readonly M: number;
  readonly N: number;
  readonly F: number;
}

/**
 * The plan for A^T x d, or undefined where it does not fit: d is cut into two base-2^7 limbs
 * dh = floor((d + 64) / 128) and dl = d - 128 dh in [-64, 63], both fed as limb + 64 (in [0, 127], the
 * uint8 operand) with zero point 64; the activations are the int8 operand. Needs dh within [-64, 63] and
 * the raw accumulators M * 127 * max(A) below 2^31.
 */
export function integerGradientPlan(A: { shape: readonly number[]; range: Range }, d: { shape: readonly number[]; range: Range }): IntegerGradientPlan | undefined {
  if (!fitsUint8Operand(A.range) || !deltaLimbsFit(d.range)) return undefined;
  const [M, N] = A.shape as [number, number], F = d.shape[1]!;
  if (M * U8_OPERAND_MAX * Math.max(A.range[1], 1) >= INT32_LIMIT) return undefined;
  return { M, N, F };
}

/**
 * Emits the plan: `a8` the activations as int8 [M, N], `d` the float32 delta [M, F]; returns A^T x d
 * [N, F] in float64 (for the float64-bound products it replaces): 128 * Sh + Sl of two int32 limb
 * products, exact below 2^53.
 */
export function lowerIntegerGradient(g: OnnxGraph, plan: IntegerGradientPlan, a8: string, d: string, out?: string): string {
  const { N, F } = plan;
  // [M, 2F] (dh's columns first), transposed to the left operand [2F, M].
  const left = g.node("Transpose", [g.node("Concat", deltaLimbs(g, d), { axis: 1 })], { perm: [1, 0] });
  const parts = g.node("MatMulInteger", [left, a8, g.constant("uint8", [DELTA_ZERO_POINT])]);
  const typed = g.node("Reshape", [g.node("Cast", [parts], { to: 11 }), shape(g, [2, F, N])]);
  const weighted = g.node("Mul", [typed, g.constant("float64", [DELTA_BASE, 1], [2, 1, 1])]);
  const sum = g.node("ReduceSum", [weighted, g.constant("int64", [0], [1])], { keepdims: 0 });
  return g.node("Transpose", [sum], { perm: [1, 0] }, out);
}
