import { ShapeError, ValueRangeError } from "./errors.ts";
import type { Range } from "./int.ts";

/**
 * An integer tensor, row-major. Values are integers stored in a Float64Array (exact below 2^53); the
 * declared range of the tensor (from the step graph) bounds them much more tightly.
 */
export interface Tensor {
  readonly shape: readonly number[];
  /** Float32Array only when every value is below 2^24 in magnitude (exact), as the ONNX backend returns. */
  readonly data: IntArray;
}

export type IntArray = Float64Array | Float32Array;

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensor(shape: readonly number[], data?: ArrayLike<number>): Tensor {
  const n = sizeOf(shape);
  if (data !== undefined && data.length !== n) {
    throw new ShapeError(`tensor data has ${data.length} elements, shape [${shape.join(",")}] needs ${n}`);
  }
  const out = new Float64Array(n);
  if (data !== undefined) out.set(data);
  return { shape: [...shape], data: out };
}

/** Throws unless every element is an integer inside `range` (used on untrusted input). */
export function assertInRange(t: Tensor, range: Range, what: string): void {
  const [lo, hi] = range;
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (!(v >= lo && v <= hi) || !Number.isInteger(v)) {
      throw new ValueRangeError(`${what}: element ${i} = ${v} is outside the declared range [${lo}, ${hi}]`, {
        what, index: i, value: v, lo, hi,
      });
    }
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
