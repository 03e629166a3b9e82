import { ShapeError, SpecError } from "../errors.ts";
import { clamp } from "../int.ts";
import { sameShape } from "../tensor.ts";
import { checkClamp } from "./adamM.ts";
import { isqrtNumber, roundDiv } from "./intDiv.ts";
import type { OpDef } from "./op.ts";

/**
 * Adam's weight step, no bias correction:
 *   den  = (isqrt(v') + eps) * 2^lrShift                 (isqrt = floor(sqrt), engine/isqrt.ts)
 *   step = floor((2 m' lrNum + den) / (2 den))            (m' lrNum / den rounded half up: one exact division)
 *   w'   = clamp(w - step, lo, hi)
 * Inputs (w, m', v') with v' >= 0; eps >= 1 (so den > 0) in units of isqrt(v'). With v in units of
 * g^2 / 2^gShift (adam_v), isqrt(v) is |g| in units of 2^(-gShift/2), and the real step is
 * lr * m / (sqrt(v) + eps) for lr = lrNum / 2^lrShift * 2^(gShift/2) master units per unit ratio.
 */
export interface AdamUpdateAttrs {
  readonly lrNum: number;
  readonly lrShift: number;
  readonly eps: number;
  readonly lo: number;
  readonly hi: number;
}

export function adamStep(m: number, v: number, a: AdamUpdateAttrs): number {
  return roundDiv(m * a.lrNum, (isqrtNumber(v) + a.eps) * 2 ** a.lrShift);
}

export const adamUpdate: OpDef<AdamUpdateAttrs> = {
  kind: "adam_update",
  arity: 3,
  accumulates: false,
  settlePublicInputs: 10, // ctx, out, w, m, v, then the 5 attributes (one generic circuit)
  type([sw, sm, sv], [rw, rm, rv], a) {
    if (!sameShape(sw!, sm!) || !sameShape(sw!, sv!)) throw new ShapeError(`adam_update shapes differ: [${sw}], [${sm}], [${sv}]`);
    if (!Number.isSafeInteger(a.lrNum) || a.lrNum < 0 || !Number.isInteger(a.lrShift) || a.lrShift < 0 || a.lrShift > 52) {
      throw new SpecError("adam_update", `lrNum must be a non-negative integer and lrShift in [0, 52], got ${a.lrNum}/2^${a.lrShift}`);
    }
    if (!Number.isSafeInteger(a.eps) || a.eps < 1) throw new SpecError("adam_update.eps", `must be a positive integer, got ${a.eps}`);
    checkClamp("adam_update", a.lo, a.hi);
    if (rv![0] < 0) throw new SpecError("adam_update.v", `the second moment's range must be non-negative, got [${rv}]`);
    const vMax = rv![1], rMax = isqrtNumber(vMax);
    const denMax = (rMax + a.eps) * 2 ** a.lrShift;
    const mAbs = Math.max(Math.abs(rm![0]), Math.abs(rm![1]));
    // The step is largest in magnitude where den is smallest (v at its low end).
    const den0 = (isqrtNumber(rv![0]) + a.eps) * 2 ** a.lrShift;
    const stepLo = Math.min(0, roundDiv(rm![0] * a.lrNum, den0)), stepHi = Math.max(0, roundDiv(rm![1] * a.lrNum, den0));
    const wAbs = Math.max(Math.abs(rw![0]), Math.abs(rw![1]));
    const exactBound = Math.max(
      vMax + 2 * rMax + 1, // the square root's correction: (r + 1)^2
      2 * mAbs * a.lrNum + 3 * denMax, // numerator 2 m lrNum + den, and the correction q * 2den
      wAbs + Math.max(-stepLo, stepHi),
    );
    return { shape: [...sw!], range: [clamp(rw![0] - stepHi, a.lo, a.hi), clamp(rw![1] - stepLo, a.lo, a.hi)], exactBound };
  },
  reference([w, m, v], a) {
    const wd = w!.data, md = m!.data, vd = v!.data, out = new Float64Array(wd.length);
    for (let i = 0; i < wd.length; i++) out[i] = clamp(wd[i]! - adamStep(md[i]!, vd[i]!, a), a.lo, a.hi);
    return { shape: w!.shape, data: out };
  },
  encodeAttrs: (a) => [a.lrNum, a.lrShift, a.eps, a.lo, a.hi],
};
