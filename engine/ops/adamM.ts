import { ShapeError, SpecError } from "../errors.ts";
import { clamp, roundShift } from "../int.ts";
import { sameShape } from "../tensor.ts";
import type { OpDef } from "./op.ts";

/**
 * Adam's first moment, an exponential moving average of the gradient:
 * m' = clamp(m + roundShift((g - m) * b1Num, b1Shift), lo, hi), i.e. rate b1 = b1Num / 2^b1Shift = 1 - beta1
 * (beta1 = 0.9 is b1 = 0.1, e.g. 13/128 or 1/8). Inputs (m, g), m in g's units. Requires b1Num <= 2^b1Shift,
 * which makes m' non-decreasing in both m and g (so the range follows from the corners).
 */
export interface AdamMAttrs {
  readonly b1Num: number;
  readonly b1Shift: number;
  readonly lo: number;
  readonly hi: number;
}

export function emaStep(x: number, target: number, num: number, shift: number): number {
  return x + roundShift((target - x) * num, shift);
}

export function checkRate(op: string, num: number, shift: number): void {
  if (!Number.isInteger(shift) || shift < 0 || shift > 52 || !Number.isSafeInteger(num) || num < 0 || num > 2 ** shift) {
    throw new SpecError(op, `the rate num / 2^shift needs an integer shift in [0, 52] and 0 <= num <= 2^shift, got ${num}/2^${shift}`);
  }
}

export function checkClamp(op: string, lo: number, hi: number): void {
  if (!(Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && lo <= hi)) {
    throw new SpecError(`${op}.range`, `lo/hi must be safe integers with lo <= hi, got [${lo}, ${hi}]`);
  }
}

export const adamM: OpDef<AdamMAttrs> = {
  kind: "adam_m",
  arity: 2,
  accumulates: false,
  settlePublicInputs: 8, // ctx, out, m, g, then the 4 attributes (one generic circuit)
  type([sm, sg], [rm, rg], a) {
    if (!sameShape(sm!, sg!)) throw new ShapeError(`adam_m shapes differ: [${sm}] vs [${sg}]`);
    checkRate("adam_m", a.b1Num, a.b1Shift);
    checkClamp("adam_m", a.lo, a.hi);
    const diff = Math.max(Math.abs(rg![1] - rm![0]), Math.abs(rg![0] - rm![1]));
    const half = a.b1Shift === 0 ? 0 : 2 ** (a.b1Shift - 1);
    const lo = clamp(emaStep(rm![0], rg![0], a.b1Num, a.b1Shift), a.lo, a.hi);
    const hi = clamp(emaStep(rm![1], rg![1], a.b1Num, a.b1Shift), a.lo, a.hi);
    const mMax = Math.max(Math.abs(rm![0]), Math.abs(rm![1]));
    return { shape: [...sm!], range: [lo, hi], exactBound: Math.max(diff * a.b1Num + half + mMax, Math.abs(rg![0]), Math.abs(rg![1])) };
  },
  reference([m, g], a) {
    const md = m!.data, gd = g!.data, out = new Float64Array(md.length);
    for (let i = 0; i < md.length; i++) out[i] = clamp(emaStep(md[i]!, gd[i]!, a.b1Num, a.b1Shift), a.lo, a.hi);
    return { shape: m!.shape, data: out };
  },
  encodeAttrs: (a) => [a.b1Num, a.b1Shift, a.lo, a.hi],
};
