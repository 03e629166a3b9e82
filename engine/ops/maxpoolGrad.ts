import { ShapeError } from "../errors.ts";
import type { OpDef } from "./op.ts";
import { poolBatch } from "./maxpool.ts";
import { poolOutput, type PoolGeometry } from "./windowGeometry.ts";

/**
 * Max pooling backward: inputs (G [B*OH*OW, C] the pooled gradient, X [B*H*W, C] the pool's input) ->
 * [B*H*W, C]. Each window's gradient goes to ONE position, the first in row-major window order (ky, then kx)
 * where X equals the window's max (the tie rule); every other position gets 0.
 */
export type MaxpoolGradAttrs = PoolGeometry;

export const maxpoolGrad: OpDef<MaxpoolGradAttrs> = {
  kind: "maxpool_grad",
  arity: 2,
  accumulates: false,
  settlePublicInputs: 10, // a term slice of its window: ctx, out, accIn, the slice packed in 2 words, termLo, termHi, g, the position, size^2
  type([sg, sx], [rg], a) {
    const { OH, OW } = poolOutput("maxpool_grad", a);
    const B = poolBatch("maxpool_grad", sx!, a, a.H * a.W, "pool input");
    const Bg = poolBatch("maxpool_grad", sg!, a, OH * OW, "gradient");
    if (B !== Bg) throw new ShapeError(`maxpool_grad: gradient [${sg}] and pool input [${sx}] hold different batch sizes`);
    return { shape: [...sx!], range: [Math.min(0, rg![0]), Math.max(0, rg![1])], exactBound: Math.max(Math.abs(rg![0]), Math.abs(rg![1])) };
  },
  reference([g, x], a) {
    const { OH, OW } = poolOutput("maxpool_grad", a);
    const { H, W, C, size } = a;
    const B = poolBatch("maxpool_grad", x!.shape, a, H * W, "pool input");
    const xd = x!.data, gd = g!.data, out = new Float64Array(xd.length);
    for (let b = 0; b < B; b++) {
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          for (let c = 0; c < C; c++) {
            let m = -Infinity, at = -1;
            for (let ky = 0; ky < size; ky++) {
              for (let kx = 0; kx < size; kx++) {
                const i = ((b * H + oy * size + ky) * W + ox * size + kx) * C + c;
                if (xd[i]! > m) { m = xd[i]!; at = i; } // strict: the first max wins ties
              }
            }
            out[at] = gd[((b * OH + oy) * OW + ox) * C + c]!;
          }
        }
      }
    }
    return { shape: [...x!.shape], data: out };
  },
  encodeAttrs: (a) => [a.H, a.W, a.C, a.size],
};
