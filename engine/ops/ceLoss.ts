import { ShapeError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";

/**
 * The softmax cross-entropy of integer logits in nats, for training logs and held-out figures: real
 * (float64) log-softmax of the dequantized logits z / 2^fracBits, averaged over the rows. Display only:
 * nothing committed depends on it (the committed gradient is softmax_ce_grad's integer function).
 */
export function ceLossNats(logits: Tensor, labels: Tensor, fracBits: number): number {
  if (logits.shape.length !== 2 || labels.data.length !== logits.shape[0]) {
    throw new ShapeError(`ceLossNats needs logits [m,n] and labels [m], got [${logits.shape}] and ${labels.data.length} labels`);
  }
  const [m, n] = logits.shape as [number, number];
  if (m === 0) return 0;
  const z = logits.data, scale = 2 ** -fracBits;
  let total = 0;
  for (let i = 0; i < m; i++) {
    const o = i * n, label = labels.data[i]!;
    if (!(Number.isInteger(label) && label >= 0 && label < n)) throw new ShapeError(`ceLossNats: label ${label} of row ${i} is not a class of ${n}`);
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (z[o + j]! > max) max = z[o + j]!;
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp((z[o + j]! - max) * scale);
    total += Math.log(sum) - (z[o + label]! - max) * scale;
  }
  return total / m;
}
