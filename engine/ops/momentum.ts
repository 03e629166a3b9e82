import { ShapeError, SpecError } from "../errors.ts";
import { clamp, roundShift } from "../int.ts";
import { sameShape } from "../tensor.ts";
import type { OpDef } from "./op.ts";

/**
 * Heavy-ball velocity: v' = clamp(roundShift(v * muNum, muShift) + g, lo, hi), i.e. mu = muNum / 2^muShift.
 * Inputs (v, g).
 */
export interface MomentumAttrs {
  readonly muNum: number;
  readonly muShift: number;
  readonly lo: number;
  readonly hi: number;
}

export const momentum: OpDef<MomentumAttrs> = {
  kind: "momentum",
  arity: 2,
  accumulates: false,
  settlePublicInputs: 4, // ctx, out, v, g
  type([sv, sg], [rv, rg], a) {
    if (!sameShape(sv!, sg!)) throw new ShapeError(`momentum shapes differ: [${sv}] vs [${sg}]`);
    if (!Number.isSafeInteger(a.muNum) || a.muNum < 0 || !Number.isInteger(a.muShift) || a.muShift < 0 || a.muShift > 52) {
      throw new SpecError("momentum", `muNum must be a non-negative integer and muShift in [0, 52], got ${a.muNum}/2^${a.muShift}`);
    }
    const vMax = Math.max(Math.abs(rv![0]), Math.abs(rv![1])) * a.muNum;
    const half = a.muShift === 0 ? 0 : 2 ** (a.muShift - 1);
    const gMax = Math.max(Math.abs(rg![0]), Math.abs(rg![1]));
    const lo = clamp(roundShift(rv![0] * a.muNum, a.muShift) + rg![0], a.lo, a.hi);
    const hi = clamp(roundShift(rv![1] * a.muNum, a.muShift) + rg![1], a.lo, a.hi);
    return { shape: [...sv!], range: [Math.min(lo, hi), Math.max(lo, hi)], exactBound: vMax + half + gMax };
  },
  reference([v, g], a) {
    const vd = v!.data, gd = g!.data, out = new Float64Array(vd.length);
    const half = a.muShift === 0 ? 0 : 2 ** (a.muShift - 1), scale = 2 ** a.muShift;
    for (let i = 0; i < vd.length; i++) {
      const x = Math.floor((vd[i]! * a.muNum + half) / scale) + gd[i]!;
      out[i] = x < a.lo ? a.lo : x > a.hi ? a.hi : x;
    }
    return { shape: v!.shape, data: out };
  },
  encodeAttrs: (a) => [a.muNum, a.muShift, a.lo, a.hi],
};
