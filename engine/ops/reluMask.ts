import { ShapeError } from "../errors.ts";
import { sameShape } from "../tensor.ts";
import type { OpDef } from "./op.ts";

/** ReLU backward: g where the forward pre-activation p was > 0, else 0. Inputs (g, p). */
export const reluMask: OpDef<Record<string, never>> = {
  kind: "relu_mask",
  arity: 2,
  accumulates: false,
  settlePublicInputs: 4, // ctx, out, g, p
  type([sg, sp], [rg]) {
    if (!sameShape(sg!, sp!)) throw new ShapeError(`relu_mask shapes differ: [${sg}] vs [${sp}]`);
    return { shape: [...sg!], range: [Math.min(0, rg![0]), Math.max(0, rg![1])], exactBound: Math.max(Math.abs(rg![0]), Math.abs(rg![1])) };
  },
  reference([g, p]) {
    const gd = g!.data, pd = p!.data, out = new Float64Array(gd.length);
    for (let i = 0; i < gd.length; i++) out[i] = pd[i]! > 0 ? gd[i]! : 0;
    return { shape: g!.shape, data: out };
  },
  encodeAttrs: () => [],
};
