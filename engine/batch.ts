import { DatasetError } from "./errors.ts";
import { clamp, roundShift } from "./int.ts";
import { batchIndices } from "./random.ts";
import type { TrainingSpec } from "./spec.ts";
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

/**
 * One step's inputs: x[i, j] = clamp(roundShift(pixel[indices[i], j], inputShift), 0, inputMax) and the
 * labels of the same examples. The quantization is part of the batch definition (one shift per byte, cheap
 * to recheck against a dataset opening), so the step graph starts from model-ready integers.
 */
export interface Batch {
  readonly indices: readonly number[];
  readonly x: Tensor;
  readonly labels: Tensor;
}

export interface InputQuant {
  readonly inputShift: number;
  readonly inputMax: number;
}

export function checkDataset(d: Dataset): void {
  if (d.pixels.length !== d.count * d.features) throw new DatasetError(`dataset has ${d.pixels.length} pixel bytes, expected ${d.count} x ${d.features}`);
  if (d.labels.length !== d.count) throw new DatasetError(`dataset has ${d.labels.length} labels, expected ${d.count}`);
  for (let i = 0; i < d.count; i++) {
    if (d.labels[i]! >= d.classes) throw new DatasetError(`example ${i} has label ${d.labels[i]}, outside [0, ${d.classes})`, { index: i });
  }
}

/** The quantized input value of a raw byte. */
export function quantizeInput(p: number, q: InputQuant): number {
  return clamp(roundShift(p, q.inputShift), 0, q.inputMax);
}

// Quantized copies of datasets, computed once per (dataset, quantization).
const quantized = new WeakMap<Dataset, Map<string, Uint8Array>>();

function quantizedPixels(d: Dataset, q: InputQuant): Uint8Array {
  let byQuant = quantized.get(d);
  if (!byQuant) quantized.set(d, (byQuant = new Map()));
  const key = `${q.inputShift}:${q.inputMax}`;
  let out = byQuant.get(key);
  if (!out) {
    const table = Uint8Array.from({ length: 256 }, (_, p) => quantizeInput(p, q));
    out = d.pixels.map((p) => table[p]!);
    byQuant.set(key, out);
  }
  return out;
}

/** Gathers the examples at `indices` into the batch tensors. */
export function gather(d: Dataset, indices: readonly number[], q: InputQuant): Batch {
  const f = d.features, B = indices.length;
  const px = quantizedPixels(d, q);
  // Float32Array: inputs and labels are small integers (exact), and the ONNX backend takes them without a copy.
  const x = new Float32Array(B * f), lb = new Float32Array(B);
  for (let i = 0; i < B; i++) {
    const e = indices[i]!;
    if (!(Number.isInteger(e) && e >= 0 && e < d.count)) throw new DatasetError(`example index ${e} outside the dataset (${d.count})`);
    x.set(px.subarray(e * f, (e + 1) * f), i * f);
    lb[i] = d.labels[e]!;
  }
  return { indices, x: { shape: [B, f], data: x }, labels: { shape: [B], data: lb } };
}

/** The batch a step of `spec` draws from RNG state `rng`. */
export function sampleBatch(d: Dataset, rng: Uint8Array, spec: TrainingSpec): Batch {
  return gather(d, batchIndices(rng, spec.training.batchSize, d.count), spec.quant);
}
