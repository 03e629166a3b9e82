import { ShapeError, SpecError } from "../errors.ts";
import { clamp, roundShift } from "../int.ts";
import { sameShape } from "../tensor.ts";
import { checkClamp, checkRate, emaStep } from "./adamM.ts";
import type { OpDef } from "./op.ts";

/**
 * Adam's second moment, an exponential moving average of the squared gradient:
 *   g2 = gShift >= 0 ? roundShift(g * g, gShift) : g * g * 2^-gShift
 *   v' = clamp(v + roundShift((g2 - v) * b2Num, b2Shift), lo, hi)
 * i.e. rate b2 = b2Num / 2^b2Shift = 1 - beta2, and v in units of g^2 / 2^gShift. A negative gShift (a left
 * shift) gives v fraction bits: with a small rate the EMA moves only when |g2 - v| >= 2^(b2Shift-1) / b2Num,
 * so small gradients need it. Inputs (v, g); v >= 0 (its range and the clamp must be non-negative), and
 * b2Num <= 2^b2Shift, which keeps v' >= 0 and makes it non-decreasing in v and in g2.
 */
export interface AdamVAttrs {
  readonly b2Num: number;
  readonly b2Shift: number;
  readonly gShift: number;
  readonly lo: number;
  readonly hi: number;
}

export function squareScaled(g: number, gShift: number): number {
  return gShift >= 0 ? roundShift(g * g, gShift) : g * g * 2 ** -gShift;
}

export const adamV: OpDef<AdamVAttrs> = {
  kind: "adam_v",
  arity: 2,
  accumulates: false,
  settlePublicInputs: 9, // ctx, out, v, g, then the 5 attributes (one generic circuit)
  type([sv, sg], [rv, rg], a) {
    if (!sameShape(sv!, sg!)) throw new ShapeError(`adam_v shapes differ: [${sv}] vs [${sg}]`);
    checkRate("adam_v", a.b2Num, a.b2Shift);
    checkClamp("adam_v", a.lo, a.hi);
    if (!Number.isInteger(a.gShift) || a.gShift < -26 || a.gShift > 52) {
      throw new SpecError("adam_v.gShift", `must be an integer in [-26, 52], got ${a.gShift}`);
    }
    if (a.lo < 0 || rv![0] < 0) throw new SpecError("adam_v.range", `the second moment is non-negative: clamp [${a.lo}, ${a.hi}], input range [${rv}]`);
    const gAbs = Math.max(Math.abs(rg![0]), Math.abs(rg![1]));
    const gMin = rg![0] <= 0 && rg![1] >= 0 ? 0 : Math.min(Math.abs(rg![0]), Math.abs(rg![1]));
    const g2lo = squareScaled(gMin, a.gShift), g2hi = squareScaled(gAbs, a.gShift);
    // g * g (+ the rounding half, or scaled up), then (g2 - v) * b2Num + half, then v + that.
    const sqBound = a.gShift >= 0 ? gAbs * gAbs + (a.gShift === 0 ? 0 : 2 ** (a.gShift - 1)) : g2hi;
    const half = a.b2Shift === 0 ? 0 : 2 ** (a.b2Shift - 1);
    const diff = Math.max(g2hi - rv![0], rv![1] - g2lo);
    const exactBound = Math.max(sqBound, diff * a.b2Num + half + rv![1]);
    const lo = clamp(emaStep(rv![0], g2lo, a.b2Num, a.b2Shift), a.lo, a.hi);
    const hi = clamp(emaStep(rv![1], g2hi, a.b2Num, a.b2Shift), a.lo, a.hi);
    return { shape: [...sv!], range: [lo, hi], exactBound };
  },
  reference([v, g], a) {
    const vd = v!.data, gd = g!.data, out = new Float64Array(vd.length);
    for (let i = 0; i < vd.length; i++) out[i] = clamp(emaStep(vd[i]!, squareScaled(gd[i]!, a.gShift), a.b2Num, a.b2Shift), a.lo, a.hi);
    return { shape: v!.shape, data: out };
  },
  encodeAttrs: (a) => [a.b2Num, a.b2Shift, a.gShift, a.lo, a.hi],
};
