import { type Hash, TAG, taggedHash, u64be } from "./hash.ts";
import { buildTree, type MerkleTree } from "./merkle.ts";

/**
 * The history root a solver commits on chain: a Merkle tree over its checkpoints, leaf i =
 * sha256(0x05 || u64 step || state root). Binding the step number means a root cannot be claimed for
 * another position of the run.
 */
export interface Checkpoint {
  readonly step: number;
  readonly root: Hash;
}

export function checkpointLeaf(c: Checkpoint): Hash {
  return taggedHash(TAG.CHECKPOINT, u64be(c.step), c.root);
}

export function historyTree(checkpoints: readonly Checkpoint[]): MerkleTree {
  for (let i = 1; i < checkpoints.length; i++) {
    if (!(checkpoints[i]!.step > checkpoints[i - 1]!.step)) throw new RangeError(`checkpoint steps must increase: ${checkpoints[i - 1]!.step} then ${checkpoints[i]!.step}`);
  }
  return buildTree(checkpoints.map(checkpointLeaf));
}

export function historyRoot(checkpoints: readonly Checkpoint[]): Hash {
  return historyTree(checkpoints).root;
}
