import { EXP_INDEX_FRAC_BITS, EXP_TABLE } from "../engine/expTable.ts";
import { EXP_LAST } from "../engine/ops/softmaxCeGrad.ts";
import { SettlementError } from "./errors.ts";
import { pairValue, unpairValue } from "./pairValue.ts";

/**
 * The term level of softmax_ce_grad (op 16), the mirror of ModelOps.softmaxTerms (contracts/kernel/): an
 * element e = (i, j) of an [m, n] output is reached by a fold of K = 2n + 1 terms over row i of the logits,
 * so that the game's level 4 narrows a disputed element to at most 8 terms, as it narrows a matmul's sum:
 *
 *   P(0)     = 0                                  (agreed by definition)
 *   t <  n:  P(t+1) = pair(t == 0 ? z_0 : max(M, z_t), S)                   the row max, one logit a term
 *   t < 2n:  P(t+1) = pair(M, S + EXP_TABLE[min(expIndex(M - z_{t-n}), L)])   the row sum of the table entries
 *   t = 2n:  P(2n+1) = floor((2 EXP_TABLE[min(expIndex(M - z_j), L)] one + S) / (2 S)) - (j == label ? one : 0)
 *
 * where (M, S) is the pair a partial value P holds: pair(M, S) = S * 2^64 + M with M read back as the signed
 * low 64 bits and S = (P - M) / 2^64. P(n) = pair(max_k z_k, 0), P(2n) = pair(M_i, S_i) and P(2n+1) is
 * softmax_ce_grad's element (engine/ops/softmaxCeGrad.ts), bit for bit. A term reads one logit (term t of
 * the first two phases: column t mod n; the last: column j and the label): {@link softmaxTermColumn}.
 * A step from a partial value no honest party posts (a distance M - z < 0, a sum S <= 0 at the last term)
 * throws a SettlementError, as the contract reverts: only a solver that posted it can be the loser of that.
 */

/** K of a row of n logits: n max terms, n sum terms and the last. */
export const softmaxTermCount = (n: number): number => 2 * n + 1;

/** The partial value holding (M, S); M must fit an int64 and S be >= 0. */
export function softmaxPair(M: bigint, S: bigint): bigint {
  return pairValue(M, S);
}

/** (M, S) of a partial value: M the signed low 64 bits, S the rest (settlement/pairValue.ts). */
export function softmaxUnpair(p: bigint): { M: bigint; S: bigint } {
  const { low, high } = unpairValue(p);
  return { M: low, S: high };
}

/** The column of row i that term t reads (n logits, element column j). */
export function softmaxTermColumn(n: number, j: number, t: number): number {
  return t < n ? t : t < 2 * n ? t - n : j;
}

/** The attributes of softmax_ce_grad: fraction bits of the logits and 1.0 in the output's scale. */
export interface SoftmaxTermAttrs {
  readonly fracBits: number;
  readonly one: number;
}

/**
 * The table index a distance d >= 0 reads: min(expIndex(d, fracBits), EXP_LAST), exactly (in bigint, as
 * ModelOps._expIndex computes it in int256: d may pass 2^53).
 */
export function softmaxTableIndex(d: bigint, fracBits: number): number {
  const sh = fracBits - EXP_INDEX_FRAC_BITS;
  const raw = sh > 0 ? (d + (1n << BigInt(sh - 1))) >> BigInt(sh) : d << BigInt(-sh);
  return raw < BigInt(EXP_LAST) ? Number(raw) : EXP_LAST;
}

function entry(d: bigint, fracBits: number, t: number): bigint {
  if (d < 0n) throw new SettlementError(`softmax_ce_grad term ${t}: the agreed max is below a logit of its row`);
  return BigInt(EXP_TABLE[softmaxTableIndex(d, fracBits)]!);
}

/**
 * One step of the fold: P(t+1) from P(t) = `acc`, for a row of n logits whose element column is j. `z` is
 * the logit term t reads (column softmaxTermColumn(n, j, t)); `label` is row i's label (read at t = 2n only).
 */
export function softmaxTermStep(a: SoftmaxTermAttrs, n: number, j: number, t: number, acc: bigint, z: bigint, label: bigint): bigint {
  if (!(Number.isSafeInteger(t) && t >= 0 && t <= 2 * n)) throw new SettlementError(`softmax_ce_grad: term ${t} outside [0, ${2 * n}]`);
  const { M, S } = softmaxUnpair(acc);
  if (t < n) return t === 0 ? softmaxPair(z, 0n) : softmaxPair(z > M ? z : M, S);
  if (t < 2 * n) return softmaxPair(M, S + entry(M - z, a.fracBits, t));
  if (S <= 0n) throw new SettlementError(`softmax_ce_grad term ${t}: the agreed row sum ${S} is not positive`);
  const one = BigInt(a.one);
  const num = 2n * entry(M - z, a.fracBits, t) * one + S, den = 2n * S;
  // Both positive: BigInt division is the floor.
  return num / den - (label === BigInt(j) ? one : 0n);
}

/**
 * The fold of element (i, j) over the given row (n logits) and label: its partial values P(0) .. P(2n+1).
 * P(2n+1) is the element's value.
 */
export function softmaxPartials(a: SoftmaxTermAttrs, row: readonly bigint[], label: bigint, j: number): bigint[] {
  const n = row.length;
  const out = [0n];
  for (let t = 0; t <= 2 * n; t++) out.push(softmaxTermStep(a, n, j, t, out[t]!, row[softmaxTermColumn(n, j, t)]!, label));
  return out;
}

/** Terms of the Groth16 slice circuit (circuits/settle/softmax_terms8.circom, DisputeGame.TERM_SLICE). */
export const SOFTMAX_SLICE_TERMS = 8;

/**
 * The slice [lo, lo + zs.length) of element column j's fold from `accIn` (zs: the logits its terms read, in
 * order; label: read at t = 2n only): P(hi) and, per slot of the Groth16 circuit (SOFTMAX_SLICE_TERMS), the
 * exp-table index its step reads: min(expIndex(M - z), EXP_LAST) for a sum or last term, 0 for a max term or a
 * slot past the slice. Throws as softmaxTermStep throws.
 */
export function softmaxSliceReads(
  a: SoftmaxTermAttrs, n: number, j: number, lo: number, accIn: bigint, zs: readonly bigint[], label: bigint,
): { out: bigint; indices: number[] } {
  if (zs.length > SOFTMAX_SLICE_TERMS) throw new SettlementError(`softmax_ce_grad: a slice of ${zs.length} terms, at most ${SOFTMAX_SLICE_TERMS}`);
  const indices = new Array<number>(SOFTMAX_SLICE_TERMS).fill(0);
  let acc = accIn;
  zs.forEach((z, s) => {
    const t = lo + s;
    if (t >= n && t <= 2 * n) {
      const d = softmaxUnpair(acc).M - z;
      if (d >= 0n) indices[s] = softmaxTableIndex(d, a.fracBits);
    }
    acc = softmaxTermStep(a, n, j, t, acc, z, label);
  });
  return { out: acc, indices };
}

/** The proof's packed indices (Groth16KernelVerifier: the uint256 after the output): index s in bits [12 s, +12). */
export function packSoftmaxIndices(indices: readonly number[]): bigint {
  return indices.reduce((w, i, s) => w | (BigInt(i) << BigInt(12 * s)), 0n);
}

/**
 * The circuit's `table` public input (ModelOps.expTableWord): slot s's index and EXP_TABLE at it in bits
 * [29 s, 29 s + 12) and [29 s + 12, 29 s + 29).
 */
export function softmaxTableWord(indices: readonly number[]): bigint {
  return indices.reduce((w, i, s) => w | ((BigInt(i) | (BigInt(EXP_TABLE[i]!) << 12n)) << BigInt(29 * s)), 0n);
}
