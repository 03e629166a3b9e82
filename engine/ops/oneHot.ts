import { ShapeError, SpecError } from "../errors.ts";
import type { OpDef } from "./op.ts";

/**
 * out[i, j] = (x[i] == j ? 1 : 0) for the indices x (any shape, read row-major as a vector of m = its element
 * count) and j in [0, n): [m, n]. An embedding lookup is matmul(one_hot(x), E); its gradient is
 * matmul(one_hot(x)^T, dE) (matmul's own settlement path).
 *
 * An index outside [0, n-1] gives a row of zeros (the comparison matches no column). The type rejects every
 * input range that could hold one, so in a checked graph it never happens; the reference and ONNX agree on it
 * anyway (both compare).
 */
export interface OneHotAttrs {
  /** Number of classes (the vocabulary size): columns of the output. */
  readonly n: number;
}

export const oneHot: OpDef<OneHotAttrs> = {
  kind: "one_hot",
  arity: 1,
  accumulates: false,
  settlePublicInputs: 4, // ctx, out, x[i], j
  type([s], [r], a) {
    if (!Number.isSafeInteger(a.n) || a.n < 1) throw new SpecError("one_hot.n", `must be a positive integer, got ${a.n}`);
    if (s!.length < 1 || s!.length > 2) throw new ShapeError(`one_hot needs indices [m] or [B,T], got [${s}]`);
    if (r![0] < 0 || r![1] > a.n - 1) {
      throw new SpecError("one_hot.indices", `index range [${r}] does not fit ${a.n} classes: it must lie in [0, ${a.n - 1}]`);
    }
    const m = s!.reduce((x, y) => x * y, 1);
    // The comparison handles the indices and the column numbers 0 .. n-1 exactly.
    return { shape: [m, a.n], range: [0, 1], exactBound: Math.max(1, a.n - 1) };
  },
  reference([x], a) {
    const d = x!.data, n = a.n, out = new Float64Array(d.length * n);
    for (let i = 0; i < d.length; i++) {
      const k = d[i]!;
      if (k >= 0 && k < n && Number.isInteger(k)) out[i * n + k] = 1;
    }
    return { shape: [d.length, n], data: out };
  },
  encodeAttrs: (a) => [a.n],
};
