// The Merkle nodes a descent round of levels 2 and 3 asks for: the game tracks (depth, round, index), the
// current node at height depth - round and position index; revealNodes posts the 2^r nodes r levels below
// it, r = min(DESCENT_LEVELS, depth - round), and the challenger's call descends to the leftmost one that
// differs (INV-GAME-3).
import type { Hex } from "viem";
import { toHex } from "../commitment/hash.ts";
import type { MerkleTree } from "../commitment/merkle.ts";
import { GameStateError } from "./errors.ts";

/** DisputeGame.DESCENT_LEVELS: levels a descent round goes down at most (8 nodes per reveal). */
export const DESCENT_LEVELS = 3;

/** Levels the round at (depth, round) goes down: min(DESCENT_LEVELS, depth - round). */
export function descentLevels(depth: number, round: number): number {
  if (round >= depth) throw new GameStateError(`no descent round at round ${round} of a tree of depth ${depth}`);
  return Math.min(DESCENT_LEVELS, depth - round);
}

/** The 2^r nodes r levels below the node at (depth - round, index), left to right: what revealNodes needs. */
export function descentNodes(tree: MerkleTree, depth: number, round: number, index: bigint): Hex[] {
  const r = descentLevels(depth, round);
  const level = tree.levels[depth - round - r];
  const first = Number(index) << r;
  if (!level || level.length < (first + (1 << r)) * 32) throw new GameStateError(`the tree of depth ${tree.depth} has no node ${first} at height ${depth - round - r}`);
  const out: Hex[] = [];
  for (let i = first; i < first + (1 << r); i++) out.push(toHex(level.subarray(i * 32, i * 32 + 32)));
  return out;
}

/** The leftmost position where two node lists differ (INV-GAME-3); -1 when they are equal. */
export function firstDifference(a: readonly Hex[], b: readonly Hex[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i]!.toLowerCase() !== b[i]!.toLowerCase()) return i;
  return a.length === b.length ? -1 : n;
}

/** The node at (depth - round, index): what the party claimed at this round. */
export function nodeOf(tree: MerkleTree, depth: number, round: number, index: bigint): Hex {
  const h = depth - round;
  const i = Number(index);
  return toHex(tree.levels[h]!.subarray(i * 32, i * 32 + 32));
}
