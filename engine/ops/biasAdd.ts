import { ShapeError } from "../errors.ts";
import type { OpDef } from "./op.ts";

/** Z[i,j] + b[j]: the bias of a dense layer, broadcast over the batch rows. */
export const biasAdd: OpDef<Record<string, never>> = {
  kind: "bias_add",
  arity: 2,
  accumulates: false,
  settlePublicInputs: 4, // ctx, out, z, b
  type([sz, sb], [rz, rb]) {
    if (sz!.length !== 2 || sb!.length !== 1 || sz![1] !== sb![0]) {
      throw new ShapeError(`bias_add needs [m,n] + [n], got [${sz}] + [${sb}]`);
    }
    const range = [rz![0] + rb![0], rz![1] + rb![1]] as const;
    return { shape: [...sz!], range, exactBound: Math.max(Math.abs(range[0]), Math.abs(range[1])) };
  },
  reference([Z, b]) {
    const n = Z!.shape[1]!, z = Z!.data, bb = b!.data;
    const out = new Float64Array(z.length);
    for (let i = 0; i < z.length; i++) out[i] = z[i]! + bb[i % n]!;
    return { shape: Z!.shape, data: out };
  },
  encodeAttrs: () => [],
};
