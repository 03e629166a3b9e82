import type { Dataset } from "../engine/batch.ts";
import { type Hash, TAG, taggedHash, u32be } from "./hash.ts";
import { buildTree, type MerkleTree } from "./merkle.ts";

/**
 * Dataset commitment: example leaf = sha256(0x07 || pixel bytes || u8 label); dataset root =
 * sha256(0x06 || u32 count || u32 features || u32 classes || Merkle root of the example leaves).
 * A job's spec carries this root; a batch element can be checked against it with one opening.
 */
export function exampleLeaf(d: Dataset, i: number): Hash {
  return taggedHash(TAG.EXAMPLE, d.pixels.subarray(i * d.features, (i + 1) * d.features), Buffer.from([d.labels[i]!]));
}

export function datasetTree(d: Dataset): MerkleTree {
  if (d.classes > 256) throw new RangeError("labels are encoded in one byte: at most 256 classes");
  const leaves = Buffer.allocUnsafe(d.count * 32);
  for (let i = 0; i < d.count; i++) exampleLeaf(d, i).copy(leaves, i * 32);
  return buildTree(leaves);
}

export function datasetRoot(d: Dataset): Hash {
  return taggedHash(TAG.DATASET, u32be(d.count), u32be(d.features), u32be(d.classes), datasetTree(d).root);
}
