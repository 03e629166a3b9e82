import { DatasetError } from "./errors.ts";
import { batchIndices } from "./random.ts";
import type { Tensor } from "./tensor.ts";

/** A labelled dataset of fixed-size uint8 examples (MNIST: 784 pixels, label 0..9). */
export interface Dataset {
  readonly count: number;
  readonly features: number;
  readonly classes: number;
  /** count * features bytes, row-major. */
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
}

export interface Batch {
  readonly indices: readonly number[];
  readonly pixels: Tensor;
  readonly labels: Tensor;
}

export function checkDataset(d: Dataset): void {
  if (d.pixels.length !== d.count * d.features) throw new DatasetError(`dataset has ${d.pixels.length} pixel bytes, expected ${d.count} x ${d.features}`);
  if (d.labels.length !== d.count) throw new DatasetError(`dataset has ${d.labels.length} labels, expected ${d.count}`);
  for (let i = 0; i < d.count; i++) {
    if (d.labels[i]! >= d.classes) throw new DatasetError(`example ${i} has label ${d.labels[i]}, outside [0, ${d.classes})`, { index: i });
  }
}

/** Gathers the examples at `indices` into the batch tensors. */
export function gather(d: Dataset, indices: readonly number[]): Batch {
  const f = d.features, B = indices.length;
  const px = new Float64Array(B * f), lb = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    const e = indices[i]!;
    if (!(e >= 0 && e < d.count)) throw new DatasetError(`example index ${e} outside the dataset (${d.count})`);
    px.set(d.pixels.subarray(e * f, (e + 1) * f), i * f);
    lb[i] = d.labels[e]!;
  }
  return { indices, pixels: { shape: [B, f], data: px }, labels: { shape: [B], data: lb } };
}

/** The batch a step draws from RNG state `rng`. */
export function sampleBatch(d: Dataset, rng: Uint8Array, batchSize: number): Batch {
  return gather(d, batchIndices(rng, batchSize, d.count));
}
