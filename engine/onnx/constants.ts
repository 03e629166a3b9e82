import type { FloatType } from "./floatTypes.ts";
import type { OnnxGraph } from "./protoBuilder.ts";

/** Small builders the lowerings share: scalar and shape constants, element counts. */

/** A scalar constant of type t. */
export function c(g: OnnxGraph, t: FloatType, v: number): string {
  return g.constant(t, [v]);
}

/** An int64 shape constant (Reshape's second input). */
export function shape(g: OnnxGraph, dims: readonly number[]): string {
  return g.constant("int64", [...dims], [dims.length]);
}

export function count(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}
