import type { GraphOp, GraphTensor } from "../graph.ts";
import { FLOAT32_EXACT, maxAbs } from "../int.ts";
import type { ElemTypeName } from "./protoBuilder.ts";

/**
 * The lowering's one rule for types: integer-valued floating point, an op computing in float32 when its
 * declared exactness bound is below 2^24 (every partial sum of integers below 2^24 is exact in float32,
 * whatever the summation order, so any BLAS, thread count or GPU gives the same bits), otherwise in float64
 * (exact below 2^53, which the graph builder already guarantees). Each tensor is stored in the narrowest
 * exact type.
 */
export type FloatType = Extract<ElemTypeName, "float32" | "float64">;

export function storageType(t: GraphTensor): FloatType {
  return maxAbs(t.range) < FLOAT32_EXACT ? "float32" : "float64";
}

export function computeType(op: GraphOp): FloatType {
  return op.exactBound < FLOAT32_EXACT ? "float32" : "float64";
}

/** An op's inputs as stored, before any cast to its compute type (for lowerings that pick their own types). */
export interface StoredInputs {
  readonly names: readonly string[];
  readonly types: readonly FloatType[];
}
