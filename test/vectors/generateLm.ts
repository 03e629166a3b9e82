import { createHash } from "node:crypto";
import { EXP_INDEX_FRAC_BITS, EXP_ONE_BITS, EXP_TABLE } from "../../engine/expTable.ts";
import type { OpKind } from "../../engine/ops/index.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { opVectorCase, vt } from "./generate.ts";

/**
 * Shared vectors of the language-model and Adam ops (codes 15-19), test/vectors/ops.v2.lm.json: per-op cases
 * for the circuits and Solidity kernels of the dispute half, with the ties, edges and clamps each op defines,
 * and the exp table's identity (its length and the sha256 of its entries as big-endian u32 words).
 * `node scripts/write-vectors-lm.ts` rewrites the file; test/vectors/vectorsLm.test.ts fails when the code no
 * longer produces exactly what is committed.
 */

/** sha256 of the exp table's entries, each a big-endian u32: the table's identity for other implementations. */
export function expTableHash(): string {
  const buf = Buffer.alloc(EXP_TABLE.length * 4);
  EXP_TABLE.forEach((v, i) => buf.writeUInt32BE(v, i * 4));
  return createHash("sha256").update(buf).digest("hex");
}

export function lmOpVectors() {
  const t = vt;
  const cases: { note: string; kind: OpKind; attrs: unknown; inputs: Tensor[] }[] = [
    { note: "indices [m], both ends of [0, n-1]", kind: "one_hot", attrs: { n: 4 }, inputs: [t([5], [0, 3, 1, 2, 3])] },
    { note: "indices [B,T] read row-major", kind: "one_hot", attrs: { n: 3 }, inputs: [t([2, 2], [2, 0, 1, 1])] },
    {
      note: "12 fraction bits: equal maxima, distances of 8 and 24 (table-index ties, half up: 1 and 2), one past the table's end",
      kind: "softmax_ce_grad", attrs: { fracBits: 12, one: 4096 },
      inputs: [t([3, 4], [100, 100, 92, 76, 0, -8, -24, -1000000, 5, 5, 5, 5]), t([3], [0, 3, 2])],
    },
    { note: "a division tie: e / S * one = 3/2 rounds up to 2 (so the row sums to 4 > one)", kind: "softmax_ce_grad", attrs: { fracBits: 12, one: 3 }, inputs: [t([1, 2], [0, 0]), t([1], [0])] },
    { note: "4 fraction bits: the distance is scaled up by 2^4 into table steps", kind: "softmax_ce_grad", attrs: { fracBits: 4, one: 256 }, inputs: [t([2, 3], [16, 0, -16, -5, 7, 7]), t([2], [1, 0])] },
    { note: "one class: the gradient is 0", kind: "softmax_ce_grad", attrs: { fracBits: 12, one: 4096 }, inputs: [t([2, 1], [123, -4567]), t([2], [0, 0])] },
    { note: "rate 1/8: ties of (g - m) / 8 round up, for negative values too; clamp", kind: "adam_m", attrs: { b1Num: 1, b1Shift: 3, lo: -100, hi: 100 }, inputs: [t([6], [0, 0, 10, -10, 99, -99]), t([6], [4, -4, 14, -14, 1000, -1000])] },
    { note: "rate 1/64, gShift 2: g^2 / 4 rounded, then the EMA", kind: "adam_v", attrs: { b2Num: 1, b2Shift: 6, gShift: 2, lo: 0, hi: 10000 }, inputs: [t([5], [0, 64, 100, 9999, 32]), t([5], [3, -3, 0, 1000, 0])] },
    { note: "gShift -4: g^2 * 16 (v with 4 fraction bits); the clamp binds", kind: "adam_v", attrs: { b2Num: 3, b2Shift: 8, gShift: -4, lo: 0, hi: 5000 }, inputs: [t([4], [0, 16, 4999, 100]), t([4], [1, -1, 100, 0])] },
    {
      note: "perfect squares and neighbours for isqrt; division ties (m lrNum / den = k + 1/2) round up, for negative m too; clamp",
      kind: "adam_update", attrs: { lrNum: 3, lrShift: 1, eps: 1, lo: -1000, hi: 1000 },
      inputs: [t([7], [0, 0, 0, 0, 500, -999, 999]), t([7], [1, -1, 5, 6, 100, 1000, -1000]), t([7], [0, 0, 15, 16, 24, 0, 0])],
    },
  ];
  return {
    version: 2,
    ops: "language-model and Adam ops (codes 15-19), docs/engine.md \"Ops for language models and Adam\"",
    rounding: "roundShift(x, s) = floor((x + 2^(s-1)) / 2^s); roundDiv(a, b) = floor((2a + b) / (2b)) for b > 0; isqrt(v) = floor(sqrt(v))",
    expTable: { indexFracBits: EXP_INDEX_FRAC_BITS, oneBits: EXP_ONE_BITS, length: EXP_TABLE.length, sha256OfU32be: expTableHash(), first: EXP_TABLE.slice(0, 4), last: EXP_TABLE.slice(-3) },
    cases: cases.map(opVectorCase),
  };
}
