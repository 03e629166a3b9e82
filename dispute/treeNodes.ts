// The Merkle nodes a descent round of levels 2 and 3 asks for: the game tracks (depth, round, index), the
// node at height depth - round and position index; revealChildren posts its two children.
import type { Hex } from "viem";
import { toHex } from "../commitment/hash.ts";
import type { MerkleTree } from "../commitment/merkle.ts";

/** The children of the node at (depth - round, index) of a tree: what revealChildren needs. */
export function childrenOf(tree: MerkleTree, depth: number, round: number, index: bigint): [Hex, Hex] {
  const h = depth - round - 1;
  const i = Number(index) * 2;
  const level = tree.levels[h]!;
  return [toHex(level.subarray(i * 32, i * 32 + 32)), toHex(level.subarray(i * 32 + 32, i * 32 + 64))];
}

/** The node at (depth - round, index): what the party claimed at this round. */
export function nodeOf(tree: MerkleTree, depth: number, round: number, index: bigint): Hex {
  const h = depth - round;
  const i = Number(index);
  return toHex(tree.levels[h]!.subarray(i * 32, i * 32 + 32));
}
