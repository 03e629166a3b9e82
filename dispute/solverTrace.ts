// The challenger's copy of the SOLVER's op-trace tree of the disputed step, so that the challenger can settle
// (docs/protocol.md 3.4): the kernel verifier opens a settlement's operands against the solver's trace root
// (the game's Context.traceRoot), a tree only the solver holds. The challenger rebuilds every path it needs:
// - entries before k are the same in both traces (INV-GAME-3), so their leaves, and every node whose subtree
//   lies entirely left of k, are the challenger's own;
// - every other sibling on the path of a leaf j < k is a node of the level-2 descent: a node the solver
//   revealed (NodesRevealed, level 2: the 2^r nodes r levels below k's ancestor at each round) or one that
//   hashes up from them inside that round's subtree.
// The copy is the challenger's tree with the solver's revealed nodes written in at their positions and
// heights and the nodes above them recomputed within each revealed subtree. Its proofs are good for entries
// 0 .. k-1 only (its leaf count is k): chain/settlementOperands.ts's builder, which calls proveRecord(trace, e)
// for e < k, opens operands against the solver's root with it.
import type { Hex } from "viem";
import { fromHex, type Hash, toHex } from "../commitment/hash.ts";
import { type MerkleTree, nodeHash, proofOf, verifyProof } from "../commitment/merkle.ts";
import { type OpTrace, proveRecord, type TraceEntry } from "../commitment/trace.ts";
import { DisputeError } from "./errors.ts";
import { descentLevels } from "./treeNodes.ts";

/** One reveal of the solver's level-2 (trace) descent: the fields of its NodesRevealed event. */
export interface TraceReveal {
  /** Levels descended before this round: the current node is at height depth - round. */
  readonly round: number;
  /** The current node's position at its height (k >> (depth - round)). */
  readonly index: bigint;
  /** The solver's 2^r nodes r levels below the current node, left to right. */
  readonly nodes: readonly Hex[];
}

/** The copy cannot be built: the reveals do not describe the descent that ended at k under the solver's root. */
export class SolverTraceError extends DisputeError {
  override name = "SolverTraceError";
}

/**
 * The challenger's copy of the solver's trace of the step whose trace descent ended at entry `k` under the
 * solver's trace root `solverRoot`, from the challenger's own trace `own` and the solver's level-2 reveals
 * (any order). Entries and tensor commitments are the challenger's own (the same as the solver's before k);
 * the tree is the patched one, with leaf count k (a proof of an entry >= k throws). Every path of an entry
 * j < k is checked against `solverRoot` before the copy is returned. Throws a SolverTraceError when the
 * reveals do not hash up to the solver's root along k's path, or when the challenger's own prefix is not the
 * solver's (then it did not play this trace).
 */
export function solverTraceCopy(own: OpTrace, solverRoot: Hex, k: number, reveals: readonly TraceReveal[]): OpTrace {
  const D = own.tree.depth;
  const E = own.entries.length;
  if (!Number.isSafeInteger(k) || k < 1 || k >= E) throw new SolverTraceError(`the disputed entry ${k} is not one of entries 1 .. ${E - 1}`);
  const levels = own.tree.levels.map((l) => Buffer.from(l));
  const at = (h: number, i: number): Hash => levels[h]!.subarray(i * 32, i * 32 + 32);
  const rounds = [...reveals].sort((a, b) => a.round - b.round);
  let round = 0;
  for (const rv of rounds) {
    if (rv.round !== round) throw new SolverTraceError(`the solver's reveals skip from round ${round} to ${rv.round} of a depth-${D} trace descent`);
    const r = descentLevels(D, round);
    const top = D - round, bottom = top - r;
    const index = Math.floor(k / 2 ** top);
    if (rv.index !== BigInt(index)) throw new SolverTraceError(`the solver's round ${round} is at position ${rv.index}, the descent to entry ${k} passes position ${index}`);
    if (rv.nodes.length !== 2 ** r) throw new SolverTraceError(`the solver's round ${round} revealed ${rv.nodes.length} nodes, not ${2 ** r}`);
    // The node the round started from: the solver's root, or the node the previous round revealed there.
    const expected = round === 0 ? fromHex(solverRoot) : Buffer.from(at(top, index));
    rv.nodes.forEach((n, i) => fromHex(n).copy(levels[bottom]!, (index * 2 ** r + i) * 32));
    for (let h = bottom + 1; h <= top; h++) {
      const first = index * 2 ** (top - h);
      for (let i = first; i < first + 2 ** (top - h); i++) nodeHash(at(h - 1, 2 * i), at(h - 1, 2 * i + 1)).copy(levels[h]!, i * 32);
    }
    if (!at(top, index).equals(expected)) throw new SolverTraceError(`the solver's round ${round} nodes do not hash up to its node ${toHex(expected)}`);
    round += r;
  }
  if (round !== D) throw new SolverTraceError(`the solver's reveals cover ${round} of the ${D} levels of its trace tree`);
  const tree: MerkleTree = { levels, count: k, depth: D, root: fromHex(solverRoot) };
  for (let j = 0; j < k; j++) {
    // INV-GAME-3: leaf j < k is the same in both traces; its path must lead to the solver's root.
    if (!verifyProof(tree.root, own.tree.levels[0]!.subarray(j * 32, j * 32 + 32), j, proofOf(tree, j))) {
      throw new SolverTraceError(`entry ${j}'s path in the copy does not reach the solver's root: the challenger's trace is not the solver's before entry ${k}`);
    }
  }
  return { entries: own.entries, commitments: own.commitments, tree, root: tree.root };
}

/**
 * The solver's record j and its path in the solver's trace tree, from the challenger's copy: only for the
 * agreed prefix j < k (the copy has no path for the disputed entry or any after it).
 */
export function proveSolverRecord(copy: OpTrace, j: number): { entry: TraceEntry; siblings: Hash[] } {
  const k = copy.tree.count;
  if (!Number.isSafeInteger(j) || j < 0 || j >= k) {
    throw new SolverTraceError(`entry ${j} is not before the disputed entry ${k}: only entries 0 .. ${k - 1} are the same in both traces, the challenger has no path for it in the solver's tree`);
  }
  return proveRecord(copy, j);
}
