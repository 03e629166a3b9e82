import type { Range } from "../int.ts";
import type { OpDef } from "./op.ts";
import { batchOf, convOutput, type ConvGeometry } from "./windowGeometry.ts";

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
    const { OH, OW } = convOutput("im2col", a);
    const { H, W, C, k, stride, pad } = a;
    const B = batchOf("im2col", x!.shape, H * W * C, "input");
    const cols = k * k * C, d = x!.data;
    const out = new Float64Array(B * OH * OW * cols);
    for (let b = 0; b < B; b++) {
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          const row = ((b * OH + oy) * OW + ox) * cols;
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * stride + ky - pad;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * stride + kx - pad;
              if (ix < 0 || ix >= W) continue;
              const src = ((b * H + iy) * W + ix) * C, dst = row + (ky * k + kx) * C;
              for (let c = 0; c < C; c++) out[dst + c] = d[src + c]!;
            }
          }
        }
      }
    }
    return { shape: [B * OH * OW, cols], data: out };
  },
  encodeAttrs: (a) => [a.H, a.W, a.C, a.k, a.stride, a.pad],
};
