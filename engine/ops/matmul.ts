import { ShapeError } from "../errors.ts";
import type { Range } from "../int.ts";
import type { Tensor } from "../tensor.ts";
import type { OpDef, OpTyping } from "./op.ts";

/**
 * C = op(A) . op(B) where op transposes when the flag is set. Shapes: op(A) is [m,k], op(B) is [k,n].
 * Exact: every partial sum is bounded by k * max|a*b|, checked against the backend's exact limit.
 */
export interface MatmulAttrs {
  readonly transA: boolean;
  readonly transB: boolean;
}

function dims(shapes: readonly (readonly number[])[], a: MatmulAttrs) {
  const [sa, sb] = shapes;
  if (sa!.length !== 2 || sb!.length !== 2) throw new ShapeError("matmul operands must be 2-D");
  const [m, k] = a.transA ? [sa![1]!, sa![0]!] : [sa![0]!, sa![1]!];
  const [k2, n] = a.transB ? [sb![1]!, sb![0]!] : [sb![0]!, sb![1]!];
  if (k !== k2) throw new ShapeError(`matmul inner dimensions differ: ${k} vs ${k2}`);
  return { m, k, n };
}

function productRange(a: Range, b: Range): Range {
  const p = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]];
  return [Math.min(...p), Math.max(...p)];
}

export const matmul: OpDef<MatmulAttrs> = {
  kind: "matmul",
  arity: 2,
  accumulates: true,
  settlePublicInputs: 7, // dot slice: ctx, out, accIn, 4 packed words
  type(shapes, ranges, attrs): OpTyping {
    const { m, k, n } = dims(shapes, attrs);
    const [plo, phi] = productRange(ranges[0]!, ranges[1]!);
    const range: Range = [k * plo, k * phi];
    // Partial sums of any order are bounded by the sum of |products|.
    return { shape: [m, n], range, exactBound: k * Math.max(Math.abs(plo), Math.abs(phi)) };
  },
  reference([A, B], attrs) {
    const { m, k, n } = dims([A!.shape, B!.shape], attrs);
    const a = A!.data, b = B!.data;
    const out = new Float64Array(m * n);
    // Strides of op(A)[i,t] and op(B)[t,j] in the stored row-major layouts.
    const aRow = attrs.transA ? 1 : k, aCol = attrs.transA ? m : 1;
    const bRow = attrs.transB ? 1 : n, bCol = attrs.transB ? k : 1;
    for (let i = 0; i < m; i++) {
      const o = i * n;
      for (let t = 0; t < k; t++) {
        const av = a[i * aRow + t * aCol]!;
        if (av === 0) continue;
        const bo = t * bRow;
        for (let j = 0; j < n; j++) out[o + j]! += av * b[bo + j * bCol]!;
      }
    }
    return { shape: [m, n], data: out };
  },
  encodeAttrs: (a) => [a.transA ? 1 : 0, a.transB ? 1 : 0],
};
