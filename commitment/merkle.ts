import { type Hash, sha256, TAG, ZERO_HASH } from "./hash.ts";

/**
 * Binary Merkle trees of fixed depth ceil(log2(n)) over n leaf hashes. Internal node = sha256(0x01 || left
 * || right). Missing leaves at the right edge are the zero hash (32 zero bytes), so a subtree with no real
 * leaf hashes to a known constant and proofs never need special cases. A one-leaf tree's root is its leaf.
 * Proof siblings go from the leaf level up; bit i of the index says whether the level-i node is a right child.
 */
export interface MerkleTree {
  /** levels[0] = leaves (padded to a power of two with zero hashes), last level = [root]. */
  readonly levels: readonly Buffer[];
  readonly count: number;
  readonly depth: number;
  readonly root: Hash;
}

export function depthFor(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`a tree needs at least one leaf, got ${n}`);
  return n === 1 ? 0 : Math.ceil(Math.log2(n));
}

const scratch = Buffer.alloc(65);
scratch[0] = TAG.NODE;

export function nodeHash(left: Uint8Array, right: Uint8Array): Hash {
  scratch.set(left, 1);
  scratch.set(right, 33);
  return sha256(scratch);
}

/** EMPTY_SUBTREE[h]: root of a height-h subtree whose leaves are all the zero hash. */
const EMPTY_SUBTREE: Hash[] = [ZERO_HASH];
for (let h = 1; h <= 64; h++) EMPTY_SUBTREE.push(Buffer.from(nodeHash(EMPTY_SUBTREE[h - 1]!, EMPTY_SUBTREE[h - 1]!)));

/** Builds the tree over `leaves`, a packed buffer of n 32-byte hashes (or an array of hashes). */
export function buildTree(leaves: Buffer | readonly Uint8Array[]): MerkleTree {
  const packed = Buffer.isBuffer(leaves) ? leaves : Buffer.concat(leaves as Uint8Array[]);
  if (packed.length % 32 !== 0) throw new RangeError("leaf buffer length must be a multiple of 32");
  const count = packed.length / 32;
  const depth = depthFor(count);
  const width = 2 ** depth;
  let level = Buffer.alloc(width * 32);
  packed.copy(level);
  const levels: Buffer[] = [level];
  let real = count; // nodes at this level that cover at least one real leaf
  for (let d = 0; d < depth; d++) {
    const n = level.length / 64;
    const next = Buffer.alloc(n * 32);
    const realNext = Math.ceil(real / 2);
    for (let i = 0; i < realNext; i++) nodeHash(level.subarray(i * 64, i * 64 + 32), level.subarray(i * 64 + 32, i * 64 + 64)).copy(next, i * 32);
    // Subtrees of padding only: their hash is the precomputed empty-subtree constant of this height.
    for (let i = realNext; i < n; i++) EMPTY_SUBTREE[d + 1]!.copy(next, i * 32);
    levels.push(next);
    level = next;
    real = realNext;
  }
  return { levels, count, depth, root: Buffer.from(level.subarray(0, 32)) };
}

export function merkleRoot(leaves: Buffer | readonly Uint8Array[]): Hash {
  return buildTree(leaves).root;
}

export function proofOf(tree: MerkleTree, index: number): Hash[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= tree.count) throw new RangeError(`leaf index ${index} outside [0, ${tree.count})`);
  const out: Hash[] = [];
  for (let d = 0; d < tree.depth; d++) {
    const sib = bitAt(index, d) ? Math.floor(index / 2 ** d) - 1 : Math.floor(index / 2 ** d) + 1;
    out.push(Buffer.from(tree.levels[d]!.subarray(sib * 32, sib * 32 + 32)));
  }
  return out;
}

export function rootFromProof(leaf: Uint8Array, index: number, siblings: readonly Uint8Array[]): Hash {
  if (index < 0 || index >= 2 ** siblings.length) throw new RangeError(`index ${index} does not fit a depth-${siblings.length} proof`);
  let h: Hash = Buffer.from(leaf);
  for (let d = 0; d < siblings.length; d++) {
    h = bitAt(index, d) ? nodeHash(siblings[d]!, h) : nodeHash(h, siblings[d]!);
  }
  return h;
}

/** Bit d of a non-negative safe integer (no 32-bit shift wrap-around for deep trees). */
function bitAt(index: number, d: number): boolean {
  return Math.floor(index / 2 ** d) % 2 === 1;
}

/**
 * Checks a leaf's path. A padding position (count <= index < 2^depth) holds the zero hash and verifies
 * too: callers that open real leaves must also check `index < count` (the count is part of what they know:
 * a tensor's shape, a history's checkpoint count).
 */
export function verifyProof(root: Uint8Array, leaf: Uint8Array, index: number, siblings: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(index) || index < 0 || index >= 2 ** siblings.length) return false;
  return rootFromProof(leaf, index, siblings).equals(root);
}

export { ZERO_HASH };
