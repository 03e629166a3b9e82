import { ShapeError, SpecError } from "../errors.ts";
import { EXP_INDEX_FRAC_BITS, EXP_ONE_BITS, EXP_TABLE } from "../expTable.ts";
import { roundShift } from "../int.ts";
import { floorDiv } from "./intDiv.ts";
import type { OpDef } from "./op.ts";

/**
 * Gradient of the softmax cross-entropy with respect to integer logits, with an integer softmax:
 *
 *   M_i    = max_k z[i,k]
 *   idx    = expIndex(M_i - z[i,j])           (the distance in table steps of 2^-8 nat, see expIndex)
 *   e[i,j] = EXP_TABLE[min(idx, L)]            (engine/expTable.ts: round(2^16 exp(-idx / 2^8)); L its last index)
 *   S_i    = sum_j e[i,j]                      (>= 2^16: the max's entry is 2^16)
 *   q[i,j] = floor((2 e[i,j] one + S_i) / (2 S_i))     (e / S * one rounded half up, in [0, one])
 *   out    = q[i,j] - (j == label_i ? one : 0)
 *
 * Inputs (z [m,n] with `fracBits` fraction bits, labels [m] in [0, n-1]); the output is in units of 1/one and
 * lies in [-one, one]. Summed over the batch like mse_grad (the learning rate absorbs the batch size).
 */
export interface SoftmaxCeGradAttrs {
  /** Fraction bits of the logits: a logit's real value is z / 2^fracBits. */
  readonly fracBits: number;
  /** 1.0 in the output gradient's scale. */
  readonly one: number;
}

/** Index of the table entry last read: every larger distance reads it too (0). */
export const EXP_LAST = EXP_TABLE.length - 1;

/** The table index of a logit distance d >= 0 (fracBits fraction bits): d in table steps, rounded half up. */
export function expIndex(d: number, fracBits: number): number {
  return fracBits >= EXP_INDEX_FRAC_BITS ? roundShift(d, fracBits - EXP_INDEX_FRAC_BITS) : d * 2 ** (EXP_INDEX_FRAC_BITS - fracBits);
}

function check(a: SoftmaxCeGradAttrs): void {
  if (!Number.isInteger(a.fracBits) || a.fracBits < 0 || a.fracBits > 52) {
    throw new SpecError("softmax_ce_grad.fracBits", `must be an integer in [0, 52], got ${a.fracBits}`);
  }
  if (!Number.isSafeInteger(a.one) || a.one < 1) throw new SpecError("softmax_ce_grad.one", `must be a positive integer, got ${a.one}`);
}

export const softmaxCeGrad: OpDef<SoftmaxCeGradAttrs> = {
  kind: "softmax_ce_grad",
  arity: 2,
  // Not a plain K-term accumulation: an element is a function of its own logit, its label and two row
  // reductions (M_i, S_i) that the dispute half settles at the term level (docs/engine.md).
  accumulates: false,
  settlePublicInputs: 13, // term slice: ctx, out, accIn, 2 packed logit words, label, j, n, termLo, termHi, fracBits, one, the exp-table word
  type([sz, sl], [rz, rl], a) {
    check(a);
    if (sz!.length !== 2 || sl!.length !== 1 || sl![0] !== sz![0]) {
      throw new ShapeError(`softmax_ce_grad needs logits [m,n] and labels [m], got [${sz}] and [${sl}]`);
    }
    const n = sz![1]!;
    if (n < 1) throw new ShapeError("softmax_ce_grad needs at least one class");
    if (rl![0] < 0 || rl![1] > n - 1) throw new SpecError("softmax_ce_grad.labels", `label range [${rl}] does not fit ${n} classes`);
    // The distance to the row max, then its table index (before the clamp to EXP_LAST).
    const width = rz![1] - rz![0];
    const idxBound = a.fracBits >= EXP_INDEX_FRAC_BITS ? width + 2 ** (a.fracBits - EXP_INDEX_FRAC_BITS) : width * 2 ** (EXP_INDEX_FRAC_BITS - a.fracBits);
    // The row sum, the division's numerator 2 e one + S and its correction q * 2S <= numerator + 2S.
    const sumBound = n * 2 ** EXP_ONE_BITS;
    const divBound = 2 * 2 ** EXP_ONE_BITS * a.one + 3 * sumBound;
    return { shape: [...sz!], range: [-a.one, a.one], exactBound: Math.max(Math.abs(rz![0]), Math.abs(rz![1]), idxBound, divBound) };
  },
  reference([z, labels], a) {
    check(a);
    const [m, n] = z!.shape as [number, number];
    const zd = z!.data, ld = labels!.data, out = new Float64Array(m * n), e = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      const o = i * n;
      let max = -Infinity;
      for (let j = 0; j < n; j++) if (zd[o + j]! > max) max = zd[o + j]!;
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const idx = expIndex(max - zd[o + j]!, a.fracBits);
        sum += e[j] = EXP_TABLE[idx < EXP_LAST ? idx : EXP_LAST]!;
      }
      for (let j = 0; j < n; j++) out[o + j] = floorDiv(2 * e[j]! * a.one + sum, 2 * sum) - (j === ld[i] ? a.one : 0);
    }
    return { shape: [m, n], data: out };
  },
  encodeAttrs: (a) => [a.fracBits, a.one],
};
