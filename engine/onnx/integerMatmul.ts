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

/**
 * The least work (multiply-adds) for which the MLP's forms below (weight limbs, the integer SGD update) are
 * taken: each adds a dozen small nodes (casts, limbs, a transpose) at about 0.4 us apiece, which a product
 * smaller than this does not pay back (the default MLP's second layer, 64 x 128 x 10, stays a float Gemm).
 */
export const INTEGER_MIN_WORK = 2 ** 20;

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

/**
 * A weight gradient A^T x d folded into its sgd_update (lower.ts fusedSgd) on integer GEMM: A [M, N] in
 * [0, 127] (transposed, the uint8 operand), d [M, F] cut into int8 limbs d = 256 dh + dl (dl in
 * [-128, 127]), each limb's product by onnxruntime's MatMulIntegerToFloat, which scales the int32 sums and
 * adds a bias in float32 in the same pass (MLAS's scale-and-bias output step: float(S) * scale + bias).
 * The Gemm it replaces returns y = -(A^T x d) k 2^-s - 2^-(s+1) for the M offset; here
 *   yh = Sh * (-k 2^(8-s)) + M    (an integer plus M: exact while s <= 8 and |yh - M| < 2^22)
 *   yl = Sl * (-k 2^-s) - 2^-(s+1) (a multiple of 2^-(s+1) below 2^24 such units: exact)
 * and fl(yh + yl) = M + (yh - M) + round(yl) = M + round(y): the one rounding the M offset needs, with the
 * same tie-free argument (y is never a half-integer). Where it fits, it beats the float32 Gemm from batch 64
 * up on this machine (one-off microbenchmark at 784 x 128: 0.19 vs 0.20 ms at batch 64, 0.27 vs 0.33 at
 * 128, 0.42 vs 0.58 at 256, with the update's other passes).
 */
export interface IntegerSgdPlan {
  /** The learning rate k / 2^s (k a power of two). */
  readonly k: number;
  readonly s: number;
}

/**
 * The plan, or undefined where it does not fit: A within the uint8 operand, dh within int8, the raw int32
 * sums M * 127 * 128 below 2^31, yh an integer (s <= 8 + log2 k) below 2^22, yl's units (2^-(s+1))
 * below 2^24, and M * N * F at least INTEGER_MIN_WORK. The caller has checked that y itself fits the M
 * offset (sgdOffsetFits on the product's bound).
 */
export function integerSgdPlan(A: { shape: readonly number[]; range: Range }, d: { shape: readonly number[]; range: Range }, k: number, s: number): IntegerSgdPlan | undefined {
  if (!fitsUint8Operand(A.range) || !weightLimbsFit(d.range) || s < 1 || !Number.isInteger(Math.log2(k))) return undefined;
  const M = A.shape[0]!, aMax = A.range[1];
  if (M * A.shape[1]! * d.shape[1]! < INTEGER_MIN_WORK) return undefined;
  const [hLo, hHi] = highLimbRange(d.range, WEIGHT_BASE);
  const hMax = Math.max(-hLo, hHi);
  const yhMax = k * 2 ** (8 - s) * M * aMax * hMax;
  const ylUnits = (k * M * aMax * 128 * 2 ** -s + 2 ** -(s + 1)) * 2 ** (s + 1);
  if (M * U8_OPERAND_MAX * 128 >= INT32_LIMIT || k * 2 ** (8 - s) < 1 || yhMax >= 2 ** 22 || ylUnits >= FLOAT32_EXACT) return undefined;
  return { k, s };
}

/**
 * Emits the plan: `aT8` the activations as uint8 [N, M] (transposed), `d` the float32 delta [M, F]; returns
 * the M-offset value t = M + round(y) that sgd's Sum then adds to the weights (lower.ts sgdFromOffset).
 */
export function integerSgdOffset(g: OnnxGraph, plan: IntegerSgdPlan, aT8: string, d: string, F: number, m32: number): string {
  const f = "float32", { k, s } = plan;
  const [dh, dl] = balancedLimbs(g, d, WEIGHT_BASE).map((x) => g.node("Cast", [x], { to: 3 })) as [string, string];
  const one = c(g, f, 1);
  const yh = g.msNode("MatMulIntegerToFloat", [aT8, dh, one, c(g, f, -k * 2 ** (8 - s)), "", "", g.constant(f, new Array<number>(F).fill(m32), [F])]);
  const yl = g.msNode("MatMulIntegerToFloat", [aT8, dl, one, c(g, f, -k * 2 ** -s), "", "", g.constant(f, new Array<number>(F).fill(-(2 ** -(s + 1))), [F])]);
  return g.node("Add", [yh, yl]);
}

/**
 * A pre-activation requantize(A x Wq + bias, s) whose weights Wq = requantize(W, sw) feed nothing else, on
 * integer GEMM straight from the master weights W: Wq never exists in float. With t = W + 1/2,
 *   a = QuantizeLinear(t, 2^sw m)            = sat8(round(t / (2^sw m)))   (int8, saturating)
 *   b = QuantizeLinear(t - 2^sw m a, 2^sw)   = Wq - m a                    (int8, when it fits)
 * because Wq = floor((W + 2^(sw-1)) / 2^sw) = round(t / 2^sw) (t / 2^sw is never half way between two
 * integers) and m a is an integer; every float value is exact (multiples of 1/2 below 2^22, powers of two as
 * scales). QuantizeLinear rounds to nearest, ties to even, and there are no ties, so the tie rule is
 * irrelevant. Then, by MatMulIntegerToFloat,
 *   za = (A x a) m 2^-s,  zb = (A x b) 2^-s + (bias + 2^(s-1)) 2^-s,  Floor(za + zb) = roundShift(A x Wq + bias, s),
 * every value a multiple of 2^-s below 2^24 units. Five passes over W (Add, QuantizeLinear, DequantizeLinear,
 * Sub, QuantizeLinear) against the float form's three, for a product on integer GEMM: on this machine
 * 0.18 vs 0.20 ms for the MLP's first layer at batch 64, 0.25 vs 0.32 at 128 (one-off microbenchmark).
 */
export interface WeightLimbsPlan {
  /** The high limb's weight: Wq = m a + b. */
  readonly m: number;
  /** The weights' requantize shift. */
  readonly sw: number;
}

/**
 * The plan, or undefined: A [R, K] within the uint8 operand, Wq's range [qlo, qhi] (its clamp idle on W's
 * range, which the caller has checked: Wq is then round(t / 2^sw) exactly) split by the smallest
 * power of two m with b = Wq - m a in int8 for the saturating a (|b| <= m/2 where a does not saturate,
 * qhi - 127 m and qlo + 128 m where it does), sw >= 1, the int32 sums K * 127 * 128 below 2^31, and the
 * products' values below 2^24 units of 2^-s (|A x Wq + bias| + 2^(s-1) too, which the caller has checked
 * for the float fold already; `biasMax` bounds |bias|), and R * K * N at least INTEGER_MIN_WORK.
 */
export function weightLimbsPlan(A: { shape: readonly number[]; range: Range }, w: { shape: readonly number[]; range: Range }, wq: Range, sw: number, s: number, biasMax: number): WeightLimbsPlan | undefined {
  if (!fitsUint8Operand(A.range) || sw < 1 || s < 1) return undefined;
  const K = A.shape[1]!, aMax = A.range[1];
  if (A.shape[0]! * K * w.shape[1]! < INTEGER_MIN_WORK) return undefined;
  let m = 1;
  while (m <= 128 && !(wq[1] - 127 * m <= 127 && wq[0] + 128 * m >= -128)) m *= 2;
  // t = W + 1/2 and t - 2^sw m a, multiples of 1/2, exact below 2^23.
  const tMax = Math.max(-w.range[0], w.range[1]) + 1 + 2 ** sw * m * 128;
  if (m > 128 || K * U8_OPERAND_MAX * 128 >= INT32_LIMIT || 2 * tMax >= FLOAT32_EXACT) return undefined;
  if (K * aMax * 128 * m >= FLOAT32_EXACT || K * aMax * 128 + biasMax + 2 ** (s - 1) >= FLOAT32_EXACT) return undefined;
  return { m, sw };
}

/**
 * Emits the plan: `a8` the activations as uint8 [R, K], `w` the float32 master weights [K, N], `bias` the
 * float32 bias [N]; returns Floor(za + zb), the requantize before any clamp.
 */
export function weightLimbsRequantize(g: OnnxGraph, plan: WeightLimbsPlan, a8: string, w: string, bias: string, s: number, out?: string): string {
  const f = "float32", { m, sw } = plan;
  const zero = g.constant("int8", [0]), high = c(g, f, 2 ** sw * m);
  const t = g.node("Add", [w, c(g, f, 0.5)]);
  const a = g.node("QuantizeLinear", [t, high, zero]);
  const b = g.node("QuantizeLinear", [g.node("Sub", [t, g.node("DequantizeLinear", [a, high, zero])]), c(g, f, 2 ** sw), zero]);
  const one = c(g, f, 1);
  const za = g.msNode("MatMulIntegerToFloat", [a8, a, one, c(g, f, m * 2 ** -s)]);
  const offset = g.node("Mul", [g.node("Add", [bias, c(g, f, 2 ** (s - 1))]), c(g, f, 2 ** -s)]);
  const zb = g.msNode("MatMulIntegerToFloat", [a8, b, one, c(g, f, 2 ** -s), "", "", offset]);
  return g.node("Floor", [g.node("Add", [za, zb])], {}, out);
}
