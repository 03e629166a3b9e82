import type { OpDef } from "./op.ts";

/** max(x, 0). */
export const relu: OpDef<Record<string, never>> = {
  kind: "relu",
  arity: 1,
  accumulates: false,
  settlePublicInputs: 3, // ctx, out, x
  type([s], [r]) {
    return { shape: [...s!], range: [Math.max(0, r![0]), Math.max(0, r![1])], exactBound: Math.max(Math.abs(r![0]), Math.abs(r![1])) };
  },
  reference([x]) {
    const d = x!.data, out = new Float64Array(d.length);
    for (let i = 0; i < d.length; i++) out[i] = d[i]! > 0 ? d[i]! : 0;
    return { shape: x!.shape, data: out };
  },
  encodeAttrs: () => [],
};
