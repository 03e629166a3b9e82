import { ShapeError, SpecError } from "../errors.ts";
import { sizeOf } from "../tensor.ts";
import type { OpDef } from "./op.ts";

/** The same elements, row-major, under a new shape (flatten and its inverse). No arithmetic. */
export interface ReshapeAttrs {
  readonly shape: readonly number[];
}

export const reshape: OpDef<ReshapeAttrs> = {
  kind: "reshape",
  arity: 1,
  accumulates: false,
  settlePublicInputs: 3, // ctx, out, x (the element at the same flat index)
  type([s], [r], a) {
    if (!Array.isArray(a.shape) || a.shape.length < 1 || a.shape.length > 4 || !a.shape.every((d) => Number.isSafeInteger(d) && d >= 1)) {
      throw new SpecError("reshape.shape", `must be 1 to 4 positive integers, got ${JSON.stringify(a.shape)}`);
    }
    if (sizeOf(a.shape) !== sizeOf(s!)) throw new ShapeError(`reshape of [${s}] to [${a.shape}] changes the element count`);
    return { shape: [...a.shape], range: [r![0], r![1]], exactBound: Math.max(Math.abs(r![0]), Math.abs(r![1])) };
  },
  reference([x], a) {
    if (sizeOf(a.shape) !== x!.data.length) throw new ShapeError(`reshape of [${x!.shape}] to [${a.shape}] changes the element count`);
    return { shape: [...a.shape], data: Float64Array.from(x!.data) };
  },
  encodeAttrs: (a) => [...a.shape],
};
