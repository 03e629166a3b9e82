import { ShapeError } from "../errors.ts";
import type { OpDef } from "./op.ts";
import { poolOutput, type PoolGeometry } from "./windowGeometry.ts";

/**
 * Max pooling over non-overlapping size x size windows (stride = size): [B*H*W, C] -> [B*OH*OW, C] with
 * OH = H/size, OW = W/size; each output is the largest of its window's size^2 inputs. A comparison, no
 * arithmetic.
 */
export type MaxpoolAttrs = PoolGeometry;

export function poolBatch(op: string, s: readonly number[], a: PoolGeometry, rows: number, what: string): number {
  if (s.length !== 2 || s[1] !== a.C || s[0] === 0 || s[0]! % rows !== 0) {
    throw new ShapeError(`${op} needs ${what} [B*${rows}, ${a.C}], got [${s}]`);
  }
  return s[0]! / rows;
}

export const maxpool: OpDef<MaxpoolAttrs> = {
  kind: "maxpool",
  arity: 1,
  accumulates: false,
  settlePublicInputs: 7, // a term slice of its window: ctx, out, accIn, the slice packed in 2 words, termLo, termHi
  type([s], [r], a) {
    const { OH, OW } = poolOutput("maxpool", a);
    const B = poolBatch("maxpool", s!, a, a.H * a.W, "input");
    return { shape: [B * OH * OW, a.C], range: [r![0], r![1]], exactBound: Math.max(Math.abs(r![0]), Math.abs(r![1])) };
  },
  reference([x], a) {
    const { OH, OW } = poolOutput("maxpool", a);
    const { H, W, C, size } = a;
    const B = poolBatch("maxpool", x!.shape, a, H * W, "input");
    const d = x!.data, out = new Float64Array(B * OH * OW * C);
    for (let b = 0; b < B; b++) {
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          for (let c = 0; c < C; c++) {
            let m = -Infinity;
            for (let ky = 0; ky < size; ky++) {
              for (let kx = 0; kx < size; kx++) {
                const v = d[((b * H + oy * size + ky) * W + ox * size + kx) * C + c]!;
                if (v > m) m = v;
              }
            }
            out[((b * OH + oy) * OW + ox) * C + c] = m;
          }
        }
      }
    }
    return { shape: [B * OH * OW, C], data: out };
  },
  encodeAttrs: (a) => [a.H, a.W, a.C, a.size],
};
