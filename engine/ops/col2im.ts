import { ShapeError } from "../errors.ts";
import type { Range } from "../int.ts";
import type { OpDef } from "./op.ts";
import { convOutput, imageTaps, tapCounts, type ConvGeometry } from "./windowGeometry.ts";

/**
 * The adjoint of im2col (the input gradient of a convolution): [B*OH*OW, k*k*C] -> [B*H*W, C], each image
 * element the sum of the column entries im2col copied from it (at most ceil(k/stride)^2 terms; padding taps
 * are dropped). An accumulation of few terms, all exact integers, so the order of summation is irrelevant.
 */
export type Col2imAttrs = ConvGeometry;

function batch(s: readonly number[], a: Col2imAttrs, OH: number, OW: number): number {
  const cols = a.k * a.k * a.C;
  if (s.length !== 2 || s[1] !== cols || s[0]! % (OH * OW) !== 0 || s[0] === 0) {
    throw new ShapeError(`col2im needs columns [B*${OH * OW}, ${cols}], got [${s}]`);
  }
  return s[0]! / (OH * OW);
}

export const col2im: OpDef<Col2imAttrs> = {
  kind: "col2im",
  arity: 1,
  // Through the game's term level like col_sum: K = ceil(k/stride)^2 terms per element, the missing ones zero
  // (settlement/modelOpRule.ts col2imTerms, contracts/kernel/ModelOps.sol col2imTerm).
  accumulates: true,
  settlePublicInputs: 5, // col_sum's dot slice: ctx, out, accIn, 2 packed words
  type([s], [r], a) {
    const { OH, OW } = convOutput("col2im", a);
    const B = batch(s!, a, OH, OW);
    const counts = tapCounts(a);
    let tMax = 0, tMin = Infinity;
    for (const t of counts) { tMax = Math.max(tMax, t); tMin = Math.min(tMin, t); }
    // An element with n terms lies in [n*lo, n*hi]; n ranges over [tMin, tMax].
    const lo = Math.min(tMin * r![0], tMax * r![0]), hi = Math.max(tMin * r![1], tMax * r![1]);
    const range: Range = [lo, hi];
    return { shape: [B * a.H * a.W, a.C], range, exactBound: tMax * Math.max(Math.abs(r![0]), Math.abs(r![1])) };
  },
  reference([x], a) {
    const { OH, OW } = convOutput("col2im", a);
    const B = batch(x!.shape, a, OH, OW);
    const taps = imageTaps("col2im", a);
    const N = a.H * a.W * a.C, P = taps.length;
    const d = x!.data, out = new Float64Array(B * N);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < P; j++) if (taps[j]! >= 0) out[b * N + taps[j]!]! += d[b * P + j]!;
    }
    return { shape: [B * a.H * a.W, a.C], data: out };
  },
  encodeAttrs: (a) => [a.H, a.W, a.C, a.k, a.stride, a.pad],
};
