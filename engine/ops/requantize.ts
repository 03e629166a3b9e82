import { SpecError } from "../errors.ts";
import { clamp, roundShift } from "../int.ts";
import type { OpDef } from "./op.ts";

/**
 * clamp(roundShift(x, shift), lo, hi): rescale a fixed-point value by 2^-shift with round-half-up, then
 * saturate to the destination width. The only op that discards precision; its rounding is the protocol's.
 */
export interface RequantizeAttrs {
  readonly shift: number;
  readonly lo: number;
  readonly hi: number;
}

export const requantize: OpDef<RequantizeAttrs> = {
  kind: "requantize",
  arity: 1,
  accumulates: false,
  settlePublicInputs: 3, // ctx, out, x
  type([s], [r], a) {
    if (!Number.isInteger(a.shift) || a.shift < 0 || a.shift > 52) {
      throw new SpecError("requantize.shift", `must be an integer in [0, 52], got ${a.shift}`);
    }
    if (!(Number.isSafeInteger(a.lo) && Number.isSafeInteger(a.hi) && a.lo <= a.hi)) {
      throw new SpecError("requantize.range", `lo/hi must be safe integers with lo <= hi, got [${a.lo}, ${a.hi}]`);
    }
    const half = a.shift === 0 ? 0 : 2 ** (a.shift - 1);
    const lo = clamp(roundShift(r![0], a.shift), a.lo, a.hi);
    const hi = clamp(roundShift(r![1], a.shift), a.lo, a.hi);
    return { shape: [...s!], range: [lo, hi], exactBound: Math.max(Math.abs(r![0]), Math.abs(r![1])) + half };
  },
  reference([x], a) {
    const d = x!.data, out = new Float64Array(d.length);
    const half = a.shift === 0 ? 0 : 2 ** (a.shift - 1), scale = 2 ** a.shift;
    for (let i = 0; i < d.length; i++) {
      const v = Math.floor((d[i]! + half) / scale);
      out[i] = v < a.lo ? a.lo : v > a.hi ? a.hi : v;
    }
    return { shape: x!.shape, data: out };
  },
  encodeAttrs: (a) => [a.shift, a.lo, a.hi],
};
