import { ShapeError } from "../errors.ts";
import type { OpDef } from "./op.ts";

/** s[j] = sum_i D[i,j]: the bias gradient, summed over the batch. */
export const colSum: OpDef<Record<string, never>> = {
  kind: "col_sum",
  arity: 1,
  accumulates: true,
  settlePublicInputs: 5, // dot slice: ctx, out, accIn, 2 packed words
  type([s], [r]) {
    if (s!.length !== 2) throw new ShapeError(`col_sum needs a 2-D input, got [${s}]`);
    const m = s![0]!;
    const range = [m * r![0], m * r![1]] as const;
    return { shape: [s![1]!], range, exactBound: m * Math.max(Math.abs(r![0]), Math.abs(r![1])) };
  },
  reference([x]) {
    const [m, n] = x!.shape as [number, number];
    const d = x!.data, out = new Float64Array(n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j]! += d[i * n + j]!;
    return { shape: [n], data: out };
  },
  encodeAttrs: () => [],
};
