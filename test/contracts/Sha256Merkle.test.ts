// Cross-checks the on-chain Sha256Merkle library against an independent
// TypeScript implementation built on node:crypto, using the shared encoding:
//   leaf hash = sha256(0x00 || leafBytes)
//   node hash = sha256(0x01 || left || right)
import { describe, it, before } from "node:test";
import { createHash } from "node:crypto";
import { expect } from "chai";
import { network } from "hardhat";
import { bytesToHex, type Hex } from "viem";

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const LEAF_TAG = Uint8Array.of(0x00);
const NODE_TAG = Uint8Array.of(0x01);

function leafHash(data: Uint8Array): Uint8Array {
  return sha256(LEAF_TAG, data);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_TAG, left, right);
}

/** All levels of a complete binary tree, leaves first; leaf count must be a power of two. */
function buildLevels(leaves: Uint8Array[]): Uint8Array[][] {
  if (leaves.length === 0 || (leaves.length & (leaves.length - 1)) !== 0) {
    throw new Error("leaf count must be a power of two");
  }
  const levels: Uint8Array[][] = [leaves];
  while (levels[levels.length - 1].length > 1) {
    const prev = levels[levels.length - 1];
    const next: Uint8Array[] = [];
    for (let i = 0; i < prev.length; i += 2) next.push(nodeHash(prev[i], prev[i + 1]));
    levels.push(next);
  }
  return levels;
}

/** Siblings from the leaf level up. */
function proof(levels: Uint8Array[][], index: number): Hex[] {
  const out: Hex[] = [];
  let i = index;
  for (let l = 0; l < levels.length - 1; l++) {
    out.push(bytesToHex(levels[l][i ^ 1]));
    i >>= 1;
  }
  return out;
}

describe("Sha256Merkle (Solidity) vs node:crypto", async () => {
  // `network.create()` is the non-deprecated name of `network.connect()` (Hardhat >= 3.4):
  // a fresh in-process EDR chain for this file.
  const { viem } = await network.create();
  // 8 leaves -> depth 3.
  const data = Array.from({ length: 8 }, (_, i) => new TextEncoder().encode(`leaf-${i}`));
  const leaves = data.map(leafHash);
  const levels = buildLevels(leaves);
  const root = bytesToHex(levels[levels.length - 1][0]);

  let h: Awaited<ReturnType<typeof viem.deployContract>>;
  before(async () => {
    h = await viem.deployContract("Sha256MerkleHarness");
  });

  it("leafHash and nodeHash match node:crypto", async () => {
    for (const d of data) {
      expect(await h.read.leafHash([bytesToHex(d)])).to.equal(bytesToHex(leafHash(d)));
    }
    expect(await h.read.leafHash(["0x"])).to.equal(bytesToHex(leafHash(new Uint8Array())));
    expect(await h.read.nodeHash([bytesToHex(leaves[0]), bytesToHex(leaves[1])])).to.equal(
      bytesToHex(levels[1][0]),
    );
  });

  it("accepts valid proofs at several indices", async () => {
    for (const index of [0, 1, 2, 5, 6, 7]) {
      const siblings = proof(levels, index);
      expect(siblings).to.have.length(3);
      expect(await h.read.verify([root, bytesToHex(leaves[index]), BigInt(index), siblings])).to.equal(true);
      expect(await h.read.computeRoot([bytesToHex(leaves[index]), BigInt(index), siblings])).to.equal(root);
    }
  });

  it("accepts a single-leaf tree (empty proof, root = leaf hash)", async () => {
    const leaf = bytesToHex(leaves[0]);
    expect(await h.read.verify([leaf, leaf, 0n, []])).to.equal(true);
  });

  it("rejects a wrong sibling", async () => {
    const index = 5;
    for (let level = 0; level < 3; level++) {
      const siblings = proof(levels, index);
      const bad = new Uint8Array(32);
      bad.set(levels[level][(index >> level) ^ 1]);
      bad[31] ^= 1;
      siblings[level] = bytesToHex(bad);
      expect(await h.read.verify([root, bytesToHex(leaves[index]), BigInt(index), siblings])).to.equal(false);
    }
  });

  it("rejects a wrong index", async () => {
    const siblings = proof(levels, 2);
    for (const wrong of [0, 1, 3, 6]) {
      expect(await h.read.verify([root, bytesToHex(leaves[2]), BigInt(wrong), siblings])).to.equal(false);
    }
  });

  it("rejects a wrong leaf, including the raw (untagged) data hash", async () => {
    const siblings = proof(levels, 3);
    expect(await h.read.verify([root, bytesToHex(leaves[4]), 3n, siblings])).to.equal(false);
    expect(await h.read.verify([root, bytesToHex(sha256(data[3])), 3n, siblings])).to.equal(false);
    // An internal node presented as a leaf one level up must not verify at depth 3.
    expect(await h.read.verify([root, bytesToHex(levels[1][1]), 3n, siblings])).to.equal(false);
  });

  it("reverts with IndexOutOfRange when index does not fit in the proof depth", async () => {
    const siblings = proof(levels, 2);
    // 2 + 8 would alias index 2 if high bits were ignored.
    let err: unknown;
    try {
      await h.read.verify([root, bytesToHex(leaves[2]), 10n, siblings]);
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.contain("IndexOutOfRange");
  });
});
