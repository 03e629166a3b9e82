import { describe, it } from "node:test";
import { createHash } from "node:crypto";
import { expect } from "chai";
import fc from "fast-check";
import { buildTree, depthFor, merkleRoot, nodeHash, proofOf, rootFromProof, verifyProof, ZERO_HASH } from "./merkle.ts";

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

/** n distinct pseudo-random leaves, determined by `salt`. */
function leavesOf(n: number, salt: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => sha256(Buffer.from(`leaf ${salt} ${i}`)));
}

/** Independent reference: smallest d with 2^d >= n. */
function expectedDepth(n: number): number {
  let d = 0;
  while (2 ** d < n) d++;
  return d;
}

/** Independent reference root: pad with zero hashes to 2^depth, then hash pairs with sha256(0x01 || l || r). */
function referenceRoot(leaves: readonly Buffer[]): Buffer {
  let level = [...leaves];
  const width = 2 ** expectedDepth(leaves.length);
  while (level.length < width) level.push(Buffer.alloc(32));
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha256(Buffer.from([0x01]), level[i]!, level[i + 1]!));
    level = next;
  }
  return level[0]!;
}

function flipByte(b: Uint8Array, pos: number, mask: number): Buffer {
  const c = Buffer.from(b);
  c[pos]! ^= mask;
  return c;
}

describe("Merkle trees", () => {
  it("nodeHash is sha256(0x01 || left || right) and returns a fresh buffer each call", () => {
    const a = sha256(Buffer.from("a")), b = sha256(Buffer.from("b"));
    const h = nodeHash(a, b);
    expect(h.equals(sha256(Buffer.from([0x01]), a, b))).to.equal(true);
    expect(h.equals(nodeHash(b, a))).to.equal(false);
    const copy = Buffer.from(h);
    nodeHash(b, b);
    expect(h.equals(copy)).to.equal(true); // not a view of shared scratch space
  });

  it("a one-leaf tree has depth 0, its root is the leaf and its proof is empty", () => {
    const leaf = sha256(Buffer.from("only"));
    const t = buildTree([leaf]);
    expect(t.depth).to.equal(0);
    expect(t.count).to.equal(1);
    expect(t.root.equals(leaf)).to.equal(true);
    expect(proofOf(t, 0)).to.deep.equal([]);
    expect(verifyProof(t.root, leaf, 0, [])).to.equal(true);
    expect(verifyProof(t.root, flipByte(leaf, 0, 1), 0, [])).to.equal(false);
    expect(verifyProof(t.root, leaf, 1, [])).to.equal(false);
  });

  it("matches hand-computed roots for 2 and 3 leaves (right edge padded with the zero hash)", () => {
    const [a, b, c] = leavesOf(3, 7) as [Buffer, Buffer, Buffer];
    expect(merkleRoot([a, b]).equals(nodeHash(a, b))).to.equal(true);
    expect(merkleRoot([a, b, c]).equals(nodeHash(nodeHash(a, b), nodeHash(c, ZERO_HASH)))).to.equal(true);
    expect(ZERO_HASH.equals(Buffer.alloc(32))).to.equal(true);
  });

  it("accepts packed leaf buffers and arrays of leaves alike; rejects no leaves and ragged buffers", () => {
    const leaves = leavesOf(5, 1);
    expect(buildTree(Buffer.concat(leaves)).root.equals(buildTree(leaves).root)).to.equal(true);
    expect(() => buildTree([])).to.throw(RangeError, /at least one leaf/);
    expect(() => buildTree(Buffer.alloc(33))).to.throw(RangeError, /multiple of 32/);
    expect(() => depthFor(0)).to.throw(RangeError);
    expect(() => depthFor(1.5)).to.throw(RangeError);
  });

  it("for 1..300 leaves: depth = ceil(log2 n), root = reference root, every index's proof verifies (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(1000), (n, salt) => {
        const leaves = leavesOf(n, salt);
        const t = buildTree(leaves);
        expect(t.depth).to.equal(expectedDepth(n));
        expect(depthFor(n)).to.equal(expectedDepth(n));
        expect(t.count).to.equal(n);
        expect(t.root.equals(referenceRoot(leaves))).to.equal(true);
        const failing: number[] = []; // plain checks in the hot loop: chai per index is too slow here
        for (let i = 0; i < n; i++) {
          const p = proofOf(t, i);
          if (p.length !== t.depth || !rootFromProof(leaves[i]!, i, p).equals(t.root) || !verifyProof(t.root, leaves[i]!, i, p)) failing.push(i);
        }
        expect(failing).to.deep.equal([]);
      }),
      { seed: 42, numRuns: 120 }, // every proof of every tree: ~150 proofs per run, keep the file fast on 2 cores
    );
  });

  it("padding rule: the root of n leaves equals the root of those leaves followed by explicit zero-hash leaves up to 2^depth (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(1000), (n, salt) => {
        const leaves = leavesOf(n, salt);
        const padded = [...leaves];
        while (padded.length < 2 ** expectedDepth(n)) padded.push(Buffer.alloc(32));
        const t = buildTree(leaves), tp = buildTree(padded);
        expect(tp.depth).to.equal(t.depth);
        expect(tp.root.equals(t.root)).to.equal(true);
        // A non-zero filler would change the root whenever there is padding.
        if (padded.length > n) {
          padded[padded.length - 1] = flipByte(padded[padded.length - 1]!, 31, 1);
          expect(buildTree(padded).root.equals(t.root)).to.equal(false);
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it("a tampered sibling, a tampered leaf or another index fails verification (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 300 }), fc.nat(1000), fc.nat(), fc.nat(), fc.nat(31), fc.integer({ min: 1, max: 255 }), fc.nat(),
        (n, salt, iRaw, levelRaw, pos, mask, otherRaw) => {
          const leaves = leavesOf(n, salt);
          const t = buildTree(leaves);
          const i = iRaw % n;
          const p = proofOf(t, i);
          const level = levelRaw % p.length;
          const badSiblings = p.map((s, k) => (k === level ? flipByte(s, pos, mask) : s));
          expect(verifyProof(t.root, leaves[i]!, i, badSiblings)).to.equal(false);
          expect(rootFromProof(leaves[i]!, i, badSiblings).equals(t.root)).to.equal(false);
          expect(verifyProof(t.root, flipByte(leaves[i]!, pos, mask), i, p)).to.equal(false);
          const other = (i + 1 + (otherRaw % (2 ** p.length - 1))) % 2 ** p.length; // any index != i that fits the depth
          expect(other).to.not.equal(i);
          expect(verifyProof(t.root, leaves[i]!, other, p)).to.equal(false);
          // Dropping or adding a level changes the depth the proof claims.
          expect(verifyProof(t.root, leaves[i]!, i, p.slice(1))).to.equal(false);
          expect(verifyProof(t.root, leaves[i]!, i, [...p, ZERO_HASH])).to.equal(false);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it("rejects an index >= 2^depth (or negative, or fractional) in rootFromProof, verifyProof and proofOf", () => {
    const leaves = leavesOf(5, 3);
    const t = buildTree(leaves); // depth 3, width 8
    const p = proofOf(t, 4);
    for (const bad of [8, 9, 12, 2 ** 31, -1]) {
      expect(verifyProof(t.root, leaves[4]!, bad, p)).to.equal(false);
      expect(() => rootFromProof(leaves[4]!, bad, p)).to.throw(RangeError, /does not fit a depth-3 proof/);
    }
    expect(verifyProof(t.root, leaves[4]!, 4.5, p)).to.equal(false);
    expect(() => rootFromProof(leaves[0]!, 1, [])).to.throw(RangeError);
    for (const bad of [5, 7, 8, -1, 1.5]) expect(() => proofOf(t, bad)).to.throw(RangeError, /outside \[0, 5\)/);
  });
});
