import type { Range } from "../int.ts";
import type { OpDef } from "./op.ts";
import { batchOf, convOutput, imageTaps, type ConvGeometry } from "./windowGeometry.ts";

/**
 * The patches of a convolution as the rows of a matrix, so that conv2d is matmul(im2col(X), K):
 * X holds B images HWC ([B*H*W, C] or [B, H*W*C]); output row (b, oy, ox) holds the k x k x C window at
 * (oy*stride - pad, ox*stride - pad), columns ordered (ky, kx, c); taps outside the image are 0.
 * A gather: every output is an input element or 0.
 */
export type Im2colAttrs = ConvGeometry;

export const im2col: OpDef<Im2colAttrs> = {
  kind: "im2col",
  arity: 1,
  accumulates: false,
  settlePublicInputs: 3, // ctx, out, x (the tapped element, or none for padding)
  type([s], [r], a) {
    const { OH, OW } = convOutput("im2col", a);
    const B = batchOf("im2col", s!, a.H * a.W * a.C, "input");
    const range: Range = a.pad > 0 ? [Math.min(0, r![0]), Math.max(0, r![1])] : [r![0], r![1]];
    return { shape: [B * OH * OW, a.k * a.k * a.C], range, exactBound: Math.max(Math.abs(range[0]), Math.abs(range[1])) };
  },
  reference([x], a) {
    const taps = imageTaps("im2col", a);
    const N = a.H * a.W * a.C, P = taps.length;
    const B = batchOf("im2col", x!.shape, N, "input");
    const cols = a.k * a.k * a.C, d = x!.data, out = new Float64Array(B * P);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < P; j++) if (taps[j]! >= 0) out[b * P + j] = d[b * N + taps[j]!]!;
    }
    return { shape: [(B * P) / cols, cols], data: out };
  },
  encodeAttrs: (a) => [a.H, a.W, a.C, a.k, a.stride, a.pad],
};
