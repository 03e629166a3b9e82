import type { GraphOp } from "../graph.ts";
import { maxAbs, type Range, roundShift as roundShiftInt } from "../int.ts";
import { isqrtNumber } from "../ops/intDiv.ts";
import { EXP_INDEX_FRAC_BITS, EXP_ONE_BITS, EXP_TABLE } from "../expTable.ts";
import { sizeOf } from "../tensor.ts";
import type { OpAttrs } from "../ops/index.ts";
import { EXP_LAST } from "../ops/softmaxCeGrad.ts";
import type { OnnxGraph } from "./protoBuilder.ts";
import { c as cst } from "./constants.ts";
import type { FloatType } from "./floatTypes.ts";
import { mulRoundShift } from "./rounding.ts";

/**
 * ONNX lowering of the language-model and Adam ops (codes 15-19), bit-identical to their TypeScript
 * references (engine/ops/). As for every op, the graph computes in `t`: float32 when the op's declared
 * exactness bound is below 2^24, float64 otherwise, so every integer the nodes below produce (each is named in
 * the op's bound) is exact. Two operations are not exact in floating point, a division and a square root:
 * each is followed by a correction with the exact remainder, as in engine/ops/intDiv.ts, or, where the
 * bounds allow, takes a short form that needs none (SHORT_ROOT_MAX, SHORT_DIV_MAX below).
 */
type Ins = readonly string[];

const castTo = (g: OnnxGraph, x: string, t: FloatType) => g.node("Cast", [x], { to: t === "float32" ? 1 : 11 });
const bool = (g: OnnxGraph, op: string, a: string, b: string, t: FloatType) => castTo(g, g.node(op, [a, b]), t);

/**
 * floor(a / b) for integer tensors a and b > 0. q0 = Floor(a / b) is within 1 of the truth: the quotient's
 * rounding error is far below 1 for |a| < 2^24 (float32) or 2^53 (float64), even for a division that is not
 * correctly rounded (a GPU's 2-ulp division). r = a - q0 b is then exact (|q0 b| <= |a| + b, in the bound)
 * and one step fixes q0: q = q0 - [r < 0] + [r >= b] (never both).
 */
function floorDiv(g: OnnxGraph, a: string, b: string, t: FloatType): string {
  const q0 = g.node("Floor", [g.node("Div", [a, b])]);
  const r = g.node("Sub", [a, g.node("Mul", [q0, b])]);
  return g.node("Add", [g.node("Sub", [q0, bool(g, "Less", r, cst(g, t, 0), t)]), bool(g, "GreaterOrEqual", r, b, t)]);
}

/**
 * roundDiv(a, b) = floor((2a + b) / (2b)), b > 0, from `twiceA` = 2a and `numMax` >= |2a + b|: the short form
 * Floor((2a + b + 1/2) / (2b)) where numMax allows it (SHORT_DIV_MAX), else floorDiv with its correction.
 * The short form's three terms are integers and 1/2, exact in any order below that bound.
 */
function roundDiv(g: OnnxGraph, twiceA: string, b: string, numMax: number, t: FloatType): string {
  const b2 = g.node("Add", [b, b]);
  if (numMax + 1 < SHORT_DIV_MAX[t]) return g.node("Floor", [g.node("Div", [g.node("Sum", [twiceA, b, cst(g, t, 0.5)]), b2])]);
  return floorDiv(g, g.node("Add", [twiceA, b]), b2, t);
}

/**
 * floor(sqrt(v)) for an integer tensor v >= 0: r0 = Floor(Sqrt(v)) is within 1 of the truth (a correctly
 * rounded or 1-ulp square root of v < 2^53 errs by far less than 1), and r = r0 - [r0^2 > v] + [(r0+1)^2 <= v]
 * (never both). The products are exact: (r0 + 1)^2 <= v + 2 sqrt(v) + 1, in the op's bound.
 */
function isqrt(g: OnnxGraph, v: string, t: FloatType): string {
  const r0 = g.node("Floor", [g.node("Sqrt", [v])]);
  const r1 = g.node("Add", [r0, cst(g, t, 1)]);
  const tooBig = bool(g, "Greater", g.node("Mul", [r0, r0]), v, t);
  const tooSmall = bool(g, "LessOrEqual", g.node("Mul", [r1, r1]), v, t);
  return g.node("Add", [g.node("Sub", [r0, tooBig]), tooSmall]);
}

/** 2^p: the integers a type holds exactly (counting in units of 2^-s, the multiples of 2^-s). */
const EXACT_UNITS: Record<FloatType, number> = { float32: 2 ** 24, float64: 2 ** 53 };

/**
 * An Adam moment's step x + roundShift((y - x) * num, s) for integers x, y: as x is an integer it moves inside
 * roundShift's floor, giving Floor(Sum(x * (2^s - num) 2^-s, y * num 2^-s, 1/2)), one pass fewer. The three
 * terms are multiples of 2^-s, so every partial sum, in any order, is exact while their magnitudes together
 * stay below 2^p units of 2^-s; otherwise the step keeps the Sub, roundShift, Add form.
 */
function emaStep(g: OnnxGraph, x: string, y: string, xMax: number, yMax: number, num: number, s: number, t: FloatType, out?: string): string {
  if (s >= 1 && num <= 2 ** s && xMax * (2 ** s - num) + yMax * num + 2 ** (s - 1) < EXACT_UNITS[t]) {
    const sum = g.node("Sum", [g.node("Mul", [x, cst(g, t, (2 ** s - num) * 2 ** -s)]), g.node("Mul", [y, cst(g, t, num * 2 ** -s)]), cst(g, t, 0.5)]);
    return g.node("Floor", [sum], {}, out);
  }
  return g.node("Add", [x, mulRoundShift(g, g.node("Sub", [y, x]), num, s, t)], {}, out);
}

/**
 * Adam's moment updates, x' = x + roundShift((y - x) * num, shift) with num <= 2^shift, step from x towards y
 * and never past it: for y >= x the step is floor((y - x) * beta + 1/2) in [0, y - x], for y < x in
 * [y - x, 0] (y - x is an integer). So x' lies between x and y, and the clamp can be left out when
 * [lo, hi] holds the hull of their ranges.
 */
function clampIdle(num: number, shift: number, hull: Range, a: { readonly lo: number; readonly hi: number }): boolean {
  return num <= 2 ** shift && hull[0] >= a.lo && hull[1] <= a.hi;
}

/**
 * Where the bounds allow, adam_update takes shorter exact forms of its square root and division, without
 * the correction steps. Both rest on one fact: the true value keeps a known distance from every integer, and
 * a Sqrt or Div that errs by at most 2 ulps (correctly rounded on every CPU; the slack covers a GPU's
 * approximate division) cannot move it across one.
 *
 * - isqrt(v) = Floor(Sqrt(v + 1/2)) for integer 0 <= v < SHORT_ROOT_MAX: with k = isqrt(v), v + 1/2 lies in
 *   [k^2 + 1/2, (k + 1)^2 - 1/2], so its square root lies in (k + 1/(4(k+1)), k + 1 - 1/(4(k+1))); an error of
 *   2 ulps, at most 2 (k + 1) 2^-p (p = 52 or 23 fraction bits), stays below 1/(4(k+1)) while
 *   (k + 1)^2 < 2^(p-3): v < 2^48 in float64, 2^18 in float32 (with room to spare).
 * - roundDiv(a, b) = floor((2a + b) / (2b)) = Floor((2a + b + 1/2) / (2b)) for b > 0: with the half, the
 *   quotient x = q + (r + 1/2) / (2b) (0 <= r < 2b) sits at least 1/(4b) from every integer; an error of
 *   2 ulps, at most 2 |x| 2^-p, stays below it while |2a + b + 1/2| < 2^(p-2): 2^50 in float64, 2^21 in
 *   float32. The numerator is an integer plus 1/2 below that: exact.
 */
const SHORT_ROOT_MAX: Record<FloatType, number> = { float64: 2 ** 48, float32: 2 ** 18 };
const SHORT_DIV_MAX: Record<FloatType, number> = { float64: 2 ** 50, float32: 2 ** 21 };

function shortIsqrt(g: OnnxGraph, v: string, t: FloatType): string {
  return g.node("Floor", [g.node("Sqrt", [g.node("Add", [v, cst(g, t, 0.5)])])]);
}

/**
 * [x_i == j] as a [m, n] tensor of 0/1 in type t: the m indices (any shape, row-major) as a column against
 * the row 0 .. n-1. Equal compares integers exactly (both are below the op's bound).
 */
function hot(g: OnnxGraph, x: string, m: number, n: number, t: FloatType, out?: string): string {
  const col = g.node("Reshape", [x, g.constant("int64", [m, 1], [2])]);
  const row = g.constant(t, Array.from({ length: n }, (_, j) => j), [n]);
  return g.node("Cast", [g.node("Equal", [col, row])], { to: t === "float32" ? 1 : 11 }, out);
}

export function lowerLmOp(g: OnnxGraph, op: GraphOp, ins: Ins, t: FloatType, inShapes: readonly (readonly number[])[], inRanges: readonly Range[], out?: string): string {
  switch (op.kind) {
    case "one_hot":
      return hot(g, ins[0]!, sizeOf(inShapes[0]!), (op.attrs as OpAttrs["one_hot"]).n, t, out);
    case "softmax_ce_grad": {
      const a = op.attrs as OpAttrs["softmax_ce_grad"];
      const [m, n] = inShapes[0] as [number, number];
      const z = ins[0]!;
      // Row max (exact: a comparison), the distance d = M - z >= 0, its table index (roundShift, or an exact
      // scaling by a power of two), clamped to the last entry; Gather reads the table (integers < 2^17).
      const max = g.node("ReduceMax", [z], { axes: [1], keepdims: 1 });
      const d = g.node("Sub", [max, z]);
      const shift = a.fracBits - EXP_INDEX_FRAC_BITS;
      const idx0 = shift >= 0 ? mulRoundShift(g, d, 1, shift, t) : g.node("Mul", [d, cst(g, t, 2 ** -shift)]);
      const idx = g.node("Cast", [g.node("Min", [idx0, cst(g, t, EXP_LAST)])], { to: 7 });
      const e = g.node("Gather", [g.constant(t, EXP_TABLE, [EXP_TABLE.length]), idx], { axis: 0 });
      // The row sum (n entries <= 2^16: exact in any order), then e / S * one rounded half up.
      const sum = g.node("ReduceSum", [e, g.constant("int64", [1], [1])], { keepdims: 1 });
      // |2 e one + S| <= (2 one + n) 2^16.
      const q = roundDiv(g, g.node("Mul", [e, cst(g, t, 2 * a.one)]), sum, (2 * a.one + n) * 2 ** EXP_ONE_BITS, t);
      return g.node("Sub", [q, g.node("Mul", [hot(g, ins[1]!, m, n, t), cst(g, t, a.one)])], {}, out);
    }
    case "adam_m": {
      const a = op.attrs as OpAttrs["adam_m"];
      const [m, grad] = ins as [string, string];
      const [mr, gr] = inRanges as [Range, Range];
      const idle = clampIdle(a.b1Num, a.b1Shift, [Math.min(mr[0], gr[0]), Math.max(mr[1], gr[1])], a);
      const next = emaStep(g, m, grad, maxAbs(mr), maxAbs(gr), a.b1Num, a.b1Shift, t, idle ? out : undefined);
      return idle ? next : g.node("Clip", [next, cst(g, t, a.lo), cst(g, t, a.hi)], {}, out);
    }
    case "adam_v": {
      const a = op.attrs as OpAttrs["adam_v"];
      const [v, grad] = ins as [string, string];
      const sq = g.node("Mul", [grad, grad]);
      // A negative gShift scales up by a power of two: exact.
      const g2 = a.gShift >= 0 ? mulRoundShift(g, sq, 1, a.gShift, t) : g.node("Mul", [sq, cst(g, t, 2 ** -a.gShift)]);
      const [vr, gr] = inRanges as [Range, Range];
      const sqMax = maxAbs(gr) ** 2, g2Max = a.gShift >= 0 ? roundShiftInt(sqMax, a.gShift) : sqMax * 2 ** -a.gShift;
      const idle = clampIdle(a.b2Num, a.b2Shift, [Math.min(vr[0], 0), Math.max(vr[1], g2Max)], a);
      const next = emaStep(g, v, g2, maxAbs(vr), g2Max, a.b2Num, a.b2Shift, t, idle ? out : undefined);
      return idle ? next : g.node("Clip", [next, cst(g, t, a.lo), cst(g, t, a.hi)], {}, out);
    }
    case "adam_update": {
      const a = op.attrs as OpAttrs["adam_update"];
      const [w, m, v] = ins as [string, string, string];
      const [, mr, vr] = inRanges as [Range, Range, Range];
      const vMax = vr[1], denMax = (isqrtNumber(vMax) + a.eps) * 2 ** a.lrShift;
      const root = vMax < SHORT_ROOT_MAX[t] ? shortIsqrt(g, v, t) : isqrt(g, v, t);
      const e = g.node("Add", [root, cst(g, t, a.eps)]);
      const den = a.lrShift === 0 ? e : g.node("Mul", [e, cst(g, t, 2 ** a.lrShift)]);
      const step = roundDiv(g, g.node("Mul", [m, cst(g, t, 2 * a.lrNum)]), den, 2 * maxAbs(mr) * a.lrNum + denMax, t);
      return g.node("Clip", [g.node("Sub", [w, step]), cst(g, t, a.lo), cst(g, t, a.hi)], {}, out);
    }
    default:
      throw new Error(`lowerLmOp: ${op.kind} is not a language-model or Adam op`);
  }
}
