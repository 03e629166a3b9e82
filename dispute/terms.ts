// Level 4 of the game (an accumulation's terms, or softmax_ce_grad's fold over its row): the points at
// which the solver posts partial values ("sums"), its postTerms arguments (K proved from the program on the
// first call) and the challenger's answer; pure functions both sides and the contract tests share.
import type { ContractFunctionArgs } from "viem";
import type { disputeGameAbi } from "../chain/generated/contracts.ts";
import { toHex } from "../commitment/hash.ts";
import { proofOf } from "../commitment/merkle.ts";
import { type Program, programLeafIndex } from "../commitment/program.ts";
import { softmaxTermCount } from "../settlement/softmaxTerms.ts";
import { termCount } from "../settlement/operandRule.ts";
import { dissectionPoints } from "./dissection.ts";
import { GameStateError } from "./errors.ts";

/** DisputeGame.TERM_SLICE: level 4 ends when at most this many terms are left. */
export const TERM_SLICE = 8;

/** The points at which the solver posts sums for the term interval [lo, hi] (none once it is short enough). */
export function termPoints(lo: number, hi: number): number[] {
  return hi - lo <= TERM_SLICE ? [] : dissectionPoints(lo, hi);
}

/** A party's view of the accumulation: the K it declares and its partial sum at any t in [0, K]. */
export interface TermView {
  readonly K: number;
  sum(t: number): bigint;
}

/** The view of a party whose element value is `own`, over the partial sums `sums` (P(0..K)) of the agreed operands. */
export function termViewOf(sums: readonly bigint[], own: bigint): TermView {
  const K = sums.length - 1;
  return { K, sum: (t) => (t >= K ? own : sums[Math.max(t, 0)]!) };
}

/** The solver's postTerms arguments in game state (termLo, termHi, termCount; termHi 0 before K is declared). */
export function solverTermsMove(v: TermView, termLo: bigint, termHi: bigint, termCount: bigint): { K: bigint; sums: bigint[] } {
  const K = termHi === 0n ? v.K : Number(termCount);
  const lo = Number(termLo), hi = termHi === 0n ? K : Number(termHi);
  return { K: BigInt(K), sums: termPoints(lo, hi).map((p) => v.sum(p)) };
}

/** DisputeGame.postTerms's `operand` (ProgramCommitment.TensorDescription), as viem takes it. */
export type TensorDescription = ContractFunctionArgs<typeof disputeGameAbi, "nonpayable", "postTerms">[3];

/** The description later postTerms calls pass: the game reads it only on the call that declares K. */
export const NO_OPERAND: TensorDescription = {
  isState: false,
  state: { index: 0, tensorId: 0, width: 0, dims: [] },
  producer: { entry: 0, tensorId: 0, code: 0, inputs: [], attrs: [], width: 0, dims: [] },
  path: [],
};

/**
 * The program's description of graph tensor `id` with the path of its leaf, as ProgramCommitment.openTensor
 * checks it: state tensor j = id - 2 (leaf 1 + E + j), or the trace entry whose output it is (leaf 1 + e: x,
 * the labels or an op). Throws a GameStateError for an id the program does not describe.
 */
export function tensorDescription(program: Program, id: number): TensorDescription {
  const h = program.header;
  const st = program.stateTensors[id - 2];
  if (id >= 2 && id < 2 + h.stateTensors && st && st.tensorId === id) {
    return {
      ...NO_OPERAND,
      isState: true,
      state: { index: st.index, tensorId: st.tensorId, width: st.width, dims: [...st.shape] },
      path: proofOf(program.tree, programLeafIndex.state(h, st.index)).map(toHex),
    };
  }
  const e = id === 0 ? 1 : id === 1 ? 2 : id >= h.firstOpTensorId ? 3 + (id - h.firstOpTensorId) : -1;
  const p = program.entries[e];
  if (e < 1 || e >= h.entries - 1 || !p || p.tensorId !== id) throw new GameStateError(`tensor ${id} is neither a state tensor nor the output of a program entry`);
  return {
    ...NO_OPERAND,
    producer: { entry: p.entry, tensorId: p.tensorId, code: p.code, inputs: [...p.inputs], attrs: p.attrs.map(BigInt), width: p.width, dims: [...p.shape] },
    path: proofOf(program.tree, programLeafIndex.entry(e)).map(toHex),
  };
}

/**
 * K of accumulation entry `entry` as the program fixes it (INV-GAME-9), and the tensor it comes from: the
 * first input's dimension the sum runs over (matmul: op(A) is [m, K], K = A's dims[transA ? 0 : 1]; col_sum:
 * D [K, n], K = dims[0]; softmax_ce_grad: Z [m, n], K = 2n + 1), as DisputeGame.postTerms checks it; col2im
 * (ceil(k/stride)^2), maxpool (size^2) and maxpool_grad (size^2 + 1): from the attributes, no operand (the
 * game remembered K at openRecord).
 */
export function programTermCount(program: Program, entry: number): { readonly K: number; readonly operand?: number } {
  const p = program.entries[entry];
  if (p && p.code >= 12 && p.code <= 14) return { K: termCount(p.code, p.attrs, []) };
  if (!p || (p.code !== 1 && p.code !== 7 && p.code !== 16)) throw new GameStateError(`program entry ${entry} has no term level (matmul, col_sum, col2im, maxpool, maxpool_grad, softmax_ce_grad)`);
  const operand = p.inputs[0]!;
  const d = tensorDescription(program, operand);
  const dims = d.isState ? d.state.dims : d.producer.dims;
  if (dims.length !== 2) throw new GameStateError(`entry ${entry}'s first input (tensor ${operand}) is not 2-D`);
  if (p.code === 16) return { K: softmaxTermCount(dims[1]!), operand };
  return { K: dims[p.code === 1 && p.attrs[0] !== 1 ? 1 : 0]!, operand };
}

/**
 * The solver's whole postTerms arguments (after the game id): K, its sums and, on the call that declares K,
 * the program's description of the operand K is a dimension of (later calls: NO_OPERAND).
 */
export function postTermsArgs(program: Program, entry: number, v: TermView, termLo: bigint, termHi: bigint, termCount: bigint): [bigint, bigint[], TensorDescription] {
  const { K, sums } = solverTermsMove(v, termLo, termHi, termCount);
  const operand = termHi === 0n ? programTermCount(program, entry).operand : undefined;
  return [K, sums, operand === undefined ? NO_OPERAND : tensorDescription(program, operand)];
}

/**
 * The challenger's answer to the posted sums at the points of [lo, hi]: the first point whose sum differs
 * from its own, or m when it agrees with all. With `random`, a uniformly random choice in [0, m] (every
 * choice is a valid move here: the challenger posts no value of its own).
 */
export function chooseTermResponse(lo: number, hi: number, posted: readonly bigint[], own: TermView, random?: () => number): number {
  const pts = termPoints(lo, hi);
  const m = pts.length;
  if (random) return Math.floor(random() * (m + 1));
  const j = pts.findIndex((p, i) => own.sum(p) !== posted[i]);
  return j < 0 ? m : j;
}
