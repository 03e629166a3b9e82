import type { Range } from "../int.ts";
import type { Tensor } from "../tensor.ts";

/**
 * The engine's op kinds. The numeric code is part of the protocol: it is hashed into op-trace records and
 * used by the dispute game and the circuits to select a kernel. Never renumber.
 */
export const OP_CODES = {
  matmul: 1,
  bias_add: 2,
  requantize: 3,
  relu: 4,
  relu_mask: 5,
  mse_grad: 6,
  col_sum: 7,
  momentum: 8,
  sgd_update: 9,
  reshape: 10,
  im2col: 11,
  col2im: 12,
  maxpool: 13,
  maxpool_grad: 14,
  one_hot: 15,
  softmax_ce_grad: 16,
  adam_m: 17,
  adam_v: 18,
  adam_update: 19,
} as const;
export type OpKind = keyof typeof OP_CODES;

/** Static facts about one op application, derived from its input shapes/ranges and attributes. */
export interface OpTyping {
  readonly shape: readonly number[];
  /** Every output element lies in this range (inclusive). */
  readonly range: Range;
  /**
   * Largest magnitude any intermediate value (partial sums included, in any summation order) can reach.
   * A backend may compute the op in a type whose exact-integer limit exceeds this bound.
   */
  readonly exactBound: number;
}

export interface OpDef<A> {
  readonly kind: OpKind;
  /** Number of inputs. */
  readonly arity: number;
  /**
   * Whether an output element is an accumulation of K terms (matmul, col_sum): the dispute game's level 4
   * narrows such an element to a slice of at most 8 terms, settled by a dot-slice circuit.
   */
  readonly accumulates: boolean;
  /**
   * Public inputs of the op's settlement circuit (circuits/settle/, scripts/zk-setup.ts): the context hash and
   * the claimed output, then the opened operands (an accumulation: the partial sum accIn and the packed words
   * of its term slice).
   */
  readonly settlePublicInputs: number;
  /** Checks shapes and attributes, propagates ranges; throws ShapeError/SpecError on misuse. */
  type(shapes: readonly (readonly number[])[], ranges: readonly Range[], attrs: A): OpTyping;
  /** The TypeScript reference: exact integer semantics, the definition every other backend must match. */
  reference(inputs: readonly Tensor[], attrs: A): Tensor;
  /** Attribute values as integers, in a fixed order, for hashing into trace records and spec encodings. */
  encodeAttrs(attrs: A): number[];
}
