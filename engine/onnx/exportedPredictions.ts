import * as ort from "onnxruntime-node";
import type { Dataset } from "../batch.ts";
import { argmaxRows } from "../evaluate.ts";

/**
 * Predictions (argmax of the logits) of an exported float32 inference graph (exportInference.ts) on every
 * example of a dataset, run by onnxruntime: what a user of `veritrain export` gets.
 */
export async function exportedPredictions(bytes: Uint8Array, data: Dataset, batchSize = 256): Promise<number[]> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const out: number[] = [];
  try {
    for (let start = 0; start < data.count; start += batchSize) {
      const n = Math.min(batchSize, data.count - start);
      const px = Float32Array.from(data.pixels.subarray(start * data.features, (start + n) * data.features));
      const r = await session.run({ pixels: new ort.Tensor("float32", px, [n, data.features]) });
      const logits = r.logits!;
      out.push(...argmaxRows({ shape: logits.dims as number[], data: logits.data as Float32Array }));
    }
  } finally {
    await session.release();
  }
  return out;
}

/** The fraction of equal entries of two prediction lists of the same length. */
export function agreement(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`prediction lists differ in length: ${a.length} vs ${b.length}`);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}
