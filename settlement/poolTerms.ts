import { SettlementError } from "./errors.ts";
import { pairValue, unpairValue } from "./pairValue.ts";

/**
 * The term level of max pooling (ops 13 and 14), the mirror of ModelOps.poolTerms (contracts/kernel/): an
 * element is the last value of a fold over its size x size window (row-major, (ky, kx)), so that the game's
 * level 4 narrows it to at most 8 window values, as it narrows a matmul's sum:
 *
 *   maxpool, K = size^2:           P(0) = 0, P(t+1) = t == 0 ? x_0 : max(P(t), x_t)
 *   maxpool_grad, K = size^2 + 1:  P(t+1) = t == 0 ? pair(x_0, 0) : x_t > M ? pair(x_t, t) : P(t)  (t < size^2)
 *                                  P(K)   = A == position ? g : 0
 *
 * where a maxpool_grad partial value holds the running max M and the window position A of its FIRST
 * occurrence (the op's tie rule) as A * 2^64 + M (M the signed low 64 bits); `position` is the element's own
 * place in its window and g the pooled gradient of that window (engine/ops/maxpoolGrad.ts). P(K) is the op's
 * element bit for bit. maxpool_grad's window values are its second input (the pool's input); its last term
 * reads the first (g).
 */

/** K of a window of side `size`: maxpool size^2, maxpool_grad size^2 + 1. */
export function poolTermCount(kind: "maxpool" | "maxpool_grad", size: number): number {
  return size * size + (kind === "maxpool_grad" ? 1 : 0);
}

/** A maxpool_grad partial value: running max M (int64) and the window position A >= 0 of its first occurrence. */
export function poolPair(M: bigint, A: bigint): bigint {
  return pairValue(M, A);
}

/** (M, A) of a maxpool_grad partial value: M the signed low 64 bits, A the rest (settlement/pairValue.ts). */
export function poolUnpair(p: bigint): { M: bigint; A: bigint } {
  const { low, high } = unpairValue(p);
  return { M: low, A: high };
}

/** One maxpool step: P(t+1) from P(t) = `acc` and window value x_t. */
export function maxpoolStep(t: number, acc: bigint, x: bigint): bigint {
  return t === 0 || x > acc ? x : acc;
}

/**
 * One maxpool_grad step of a window of `cells` = size^2 values: P(t+1) from P(t) = `acc`; `x` is window value
 * t (t < cells), `g` the pooled gradient and `position` the element's place in the window (read at t = cells).
 */
export function maxpoolGradStep(cells: number, position: number, t: number, acc: bigint, x: bigint, g: bigint): bigint {
  if (!(Number.isSafeInteger(t) && t >= 0 && t <= cells)) throw new SettlementError(`maxpool_grad: term ${t} outside [0, ${cells}]`);
  if (t === cells) return poolUnpair(acc).A === BigInt(position) ? g : 0n;
  if (t === 0) return poolPair(x, 0n);
  return x > poolUnpair(acc).M ? poolPair(x, BigInt(t)) : acc;
}

/** maxpool's partial values P(0) .. P(K) over a window. */
export function maxpoolPartials(window: readonly bigint[]): bigint[] {
  const out = [0n];
  window.forEach((x, t) => out.push(maxpoolStep(t, out[t]!, x)));
  return out;
}

/** maxpool_grad's partial values P(0) .. P(K) over a window, for the element at `position` with pooled gradient g. */
export function maxpoolGradPartials(window: readonly bigint[], position: number, g: bigint): bigint[] {
  const cells = window.length;
  const out = [0n];
  for (let t = 0; t <= cells; t++) out.push(maxpoolGradStep(cells, position, t, out[t]!, window[t] ?? 0n, g));
  return out;
}
