import { ShapeError, SpecError } from "../errors.ts";
import { clamp, roundShift } from "../int.ts";
import { sameShape } from "../tensor.ts";
import type { OpDef } from "./op.ts";

/**
 * w' = clamp(w - roundShift(g * lrNum, lrShift), lo, hi): one SGD step on master weights, with the
 * learning rate lrNum / 2^lrShift expressed in master units per gradient unit. Inputs (w, g).
 */
export interface SgdUpdateAttrs {
  readonly lrNum: number;
  readonly lrShift: number;
  readonly lo: number;
  readonly hi: number;
}

export const sgdUpdate: OpDef<SgdUpdateAttrs> = {
  kind: "sgd_update",
  arity: 2,
  accumulates: false,
  settlePublicInputs: 4, // ctx, out, w, g
  type([sw, sg], [rw, rg], a) {
    if (!sameShape(sw!, sg!)) throw new ShapeError(`sgd_update shapes differ: [${sw}] vs [${sg}]`);
    if (!Number.isSafeInteger(a.lrNum) || a.lrNum < 0 || !Number.isInteger(a.lrShift) || a.lrShift < 0 || a.lrShift > 52) {
      throw new SpecError("sgd_update", `lrNum must be a non-negative integer and lrShift in [0, 52], got ${a.lrNum}/2^${a.lrShift}`);
    }
    const half = a.lrShift === 0 ? 0 : 2 ** (a.lrShift - 1);
    const step = Math.max(Math.abs(rg![0]), Math.abs(rg![1])) * a.lrNum + half;
    const wMax = Math.max(Math.abs(rw![0]), Math.abs(rw![1]));
    const lo = clamp(rw![0] - roundShift(rg![1] * a.lrNum, a.lrShift), a.lo, a.hi);
    const hi = clamp(rw![1] - roundShift(rg![0] * a.lrNum, a.lrShift), a.lo, a.hi);
    return { shape: [...sw!], range: [lo, hi], exactBound: wMax + step };
  },
  reference([w, g], a) {
    const wd = w!.data, gd = g!.data, out = new Float64Array(wd.length);
    const half = a.lrShift === 0 ? 0 : 2 ** (a.lrShift - 1), scale = 2 ** a.lrShift;
    for (let i = 0; i < wd.length; i++) {
      const x = wd[i]! - Math.floor((gd[i]! * a.lrNum + half) / scale);
      out[i] = x < a.lo ? a.lo : x > a.hi ? a.hi : x;
    }
    return { shape: w!.shape, data: out };
  },
  encodeAttrs: (a) => [a.lrNum, a.lrShift, a.lo, a.hi],
};
