import { ShapeError, SpecError } from "../errors.ts";
import type { OpDef } from "./op.ts";

/**
 * Gradient of the squared error 1/2 * sum (z - t)^2 against one-hot targets, with no floating point:
 * out[i,j] = z[i,j] - (j == label[i] ? one : 0), where `one` is 1.0 in z's fixed-point scale.
 * Inputs (z [m,n], labels [m]); labels must lie in [0, n).
 */
export interface MseGradAttrs {
  readonly one: number;
}

export const mseGrad: OpDef<MseGradAttrs> = {
  kind: "mse_grad",
  arity: 2,
  accumulates: false,
  settlePublicInputs: 5, // ctx, out, z, label, j
  type([sz, sl], [rz, rl], a) {
    if (sz!.length !== 2 || sl!.length !== 1 || sl![0] !== sz![0]) {
      throw new ShapeError(`mse_grad needs z [m,n] and labels [m], got [${sz}] and [${sl}]`);
    }
    if (!Number.isSafeInteger(a.one) || a.one <= 0) throw new SpecError("mse_grad.one", `must be a positive integer, got ${a.one}`);
    if (rl![0] < 0 || rl![1] >= sz![1]!) throw new SpecError("mse_grad.labels", `label range [${rl}] does not fit ${sz![1]} classes`);
    const range = [rz![0] - a.one, rz![1]] as const;
    return { shape: [...sz!], range, exactBound: Math.max(Math.abs(range[0]), Math.abs(range[1])) };
  },
  reference([z, labels], a) {
    const n = z!.shape[1]!, zd = z!.data, out = new Float64Array(zd);
    const l = labels!.data;
    for (let i = 0; i < l.length; i++) out[i * n + l[i]!]! -= a.one;
    return { shape: z!.shape, data: out };
  },
  encodeAttrs: (a) => [a.one],
};
