import type { Tensor } from "../engine/tensor.ts";
import { ValueRangeError } from "../engine/errors.ts";
import { decodeElements, encodeElements, type Width, widthFor } from "../engine/encoding.ts";
import { type Hash, sha256, TAG, taggedHash, u32be } from "./hash.ts";
import { buildTree, type MerkleTree, proofOf, rootFromProof } from "./merkle.ts";

/**
 * Tensor commitments. Elements are encoded row-major as little-endian two's complement integers of the
 * tensor's width (4 bytes when its declared range fits int32, else 8), cut into LEAF_BYTES-byte leaves
 * (the last one zero-padded). Leaf hash = sha256(0x00 || leaf bytes); the data root is the Merkle root of
 * the leaves; the tensor root = sha256(0x02 || u8 width || u8 rank || u32be dims... || data root), so a root
 * also fixes the shape and element width.
 *
 * LEAF_BYTES trades bulk hashing speed (fewer, larger hashes) against the size of an element opening on
 * chain (the whole leaf is calldata): 1 KiB measured best for the default model (docs/commitments.md).
 */
export const LEAF_BYTES = 1024;

/** The encoded bytes of a tensor, zero-padded to whole leaves. */
export function encodeTensor(t: Tensor, width: Width): Buffer {
  return encodeElements(t, width, LEAF_BYTES);
}

const leafScratch = Buffer.alloc(1 + LEAF_BYTES);
leafScratch[0] = TAG.LEAF;

export function leafHash(leaf: Uint8Array): Hash {
  if (leaf.length !== LEAF_BYTES) throw new RangeError(`a tensor leaf is ${LEAF_BYTES} bytes, got ${leaf.length}`);
  leafScratch.set(leaf, 1);
  return sha256(leafScratch);
}

export function tensorHeader(shape: readonly number[], width: Width): Buffer {
  return Buffer.concat([Buffer.from([width, shape.length]), ...shape.map(u32be)]);
}

export function tensorRootFromData(shape: readonly number[], width: Width, dataRoot: Uint8Array): Hash {
  return taggedHash(TAG.TENSOR, tensorHeader(shape, width), dataRoot);
}

export interface TensorCommitment {
  readonly root: Hash;
  readonly width: Width;
  readonly shape: readonly number[];
  readonly bytes: Buffer;
  readonly tree: MerkleTree;
}

export function commitTensor(t: Tensor, range: readonly [number, number]): TensorCommitment {
  const width = widthFor(range);
  const bytes = encodeTensor(t, width);
  const nLeaves = bytes.length / LEAF_BYTES;
  const leaves = Buffer.allocUnsafe(nLeaves * 32);
  for (let i = 0; i < nLeaves; i++) leafHash(bytes.subarray(i * LEAF_BYTES, (i + 1) * LEAF_BYTES)).copy(leaves, i * 32);
  const tree = buildTree(leaves);
  return { root: tensorRootFromData(t.shape, width, tree.root), width, shape: t.shape, bytes, tree };
}

export function tensorRoot(t: Tensor, range: readonly [number, number]): Hash {
  return commitTensor(t, range).root;
}

/** An opening of one element: the whole leaf that holds it and the leaf's Merkle path. */
export interface ElementProof {
  readonly index: number;
  readonly leafIndex: number;
  readonly leaf: Buffer;
  readonly siblings: readonly Hash[];
}

export function elementsPerLeaf(width: Width): number {
  return LEAF_BYTES / width;
}

export function proveElement(c: TensorCommitment, index: number): ElementProof {
  const n = c.shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(index) || index < 0 || index >= n) throw new RangeError(`element index ${index} outside [0, ${n})`);
  const leafIndex = Math.floor(index / elementsPerLeaf(c.width));
  return { index, leafIndex, leaf: Buffer.from(c.bytes.subarray(leafIndex * LEAF_BYTES, (leafIndex + 1) * LEAF_BYTES)), siblings: proofOf(c.tree, leafIndex) };
}

/** Checks an element opening against a tensor root and returns the element's value (or throws). */
export function verifyElement(root: Uint8Array, shape: readonly number[], width: Width, proof: ElementProof): number {
  const per = elementsPerLeaf(width);
  if (proof.leafIndex !== Math.floor(proof.index / per)) throw new RangeError("element index and leaf index disagree");
  const dataRoot = rootFromProof(leafHash(proof.leaf), proof.leafIndex, proof.siblings);
  if (!tensorRootFromData(shape, width, dataRoot).equals(root)) throw new ValueRangeError("element proof does not match the tensor root");
  return decodeElements(proof.leaf, width, 1, (proof.index % per) * width)[0]!;
}

export { decodeElements, widthFor, type Width };
