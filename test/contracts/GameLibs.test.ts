// The DisputeGame's pure libraries (contracts/game/lib/Dissection.sol, Descent.sol) checked alone through
// GameLibHarness against the TypeScript mirrors both players use (dispute/dissection.ts, dispute/treeNodes.ts,
// commitment/merkle.ts): if they drifted apart, an honest player would post at points the game does not
// expect, or descend where the game does not.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expect } from "chai";
import { network } from "hardhat";
import type { Hex } from "viem";
import { sha256, toHex } from "../../commitment/hash.ts";
import { buildTree } from "../../commitment/merkle.ts";
import { LEAF_BYTES } from "../../commitment/tensorCommit.ts";
import { DISSECTION, dissectionPoints } from "../../dispute/dissection.ts";
import { DESCENT_LEVELS, descentLevels, descentNodes, firstDifference, nodeOf } from "../../dispute/treeNodes.ts";

describe("DisputeGame libraries: Dissection and Descent", async () => {
  const { viem } = await network.create();
  const h = await viem.deployContract("GameLibHarness");
  const game = await viem.deployContract("DisputeGame", ["0x0000000000000000000000000000000000000001"]);

  it("the game's DISSECTION and DESCENT_LEVELS are the libraries' and the players' constants", async () => {
    expect(await game.read.DISSECTION()).to.equal(BigInt(DISSECTION));
    expect(await game.read.DESCENT_LEVELS()).to.equal(DESCENT_LEVELS);
  });

  it("Dissection: pointCount, every point and every choice's interval match dissectionPoints for intervals of 2 .. 40 steps and of up to 2^64 - 1 (a wrong point would desynchronise the players)", async () => {
    const cases: [bigint, bigint][] = [];
    for (let L = 2n; L <= 40n; L++) cases.push([5n, 5n + L]);
    cases.push([0n, 1024n], [100n, 150n], [0n, 2n ** 64n - 1n], [2n ** 63n, 2n ** 64n - 1n], [0n, 784n]);
    for (const [lo, hi] of cases) {
      const m = Number(await h.read.pointCount([lo, hi]));
      // The TS mirror works on numbers: compare it where it is exact, the formula itself everywhere.
      const pts = Array.from({ length: m }, (_, i) => lo + (BigInt(i + 1) * (hi - lo)) / BigInt(m + 1));
      if (hi < 2n ** 53n) expect(pts.map(Number), `[${lo}, ${hi}]`).to.deep.equal(dissectionPoints(Number(lo), Number(hi)));
      expect(m).to.equal(Math.min(DISSECTION - 1, Number(hi - lo - 1n)));
      for (let i = 0; i < m; i++) expect(await h.read.point([lo, hi, BigInt(m), BigInt(i)])).to.equal(pts[i]);
      for (let j = 0; j <= m; j++) {
        const want = [j === 0 ? lo : pts[j - 1]!, j === m ? hi : pts[j]!];
        expect(await h.read.choose([lo, hi, BigInt(m), BigInt(j)]), `[${lo}, ${hi}] choice ${j}`).to.deep.equal(want);
      }
    }
  });

  it("Descent: levels is min(3, depth - round); subtreeRoot hashes 1 .. 8 nodes up as commitment/merkle.ts does; leftmostDifference is the players' firstDifference; leafCount rounds up to 1 KiB leaves, at least one", async () => {
    for (const [depth, round] of [[5, 0], [5, 3], [6, 3], [1, 0], [4, 3], [57, 54]] as const) {
      expect(await h.read.levels([depth, round])).to.equal(descentLevels(depth, round));
    }
    const tree = buildTree(Array.from({ length: 27 }, (_, i) => sha256(Buffer.from(`leaf ${i}`))));
    for (const [round, index] of [[0, 0n], [3, 2n], [3, 3n]] as const) {
      const nodes = descentNodes(tree, tree.depth, round, index);
      expect(await h.read.subtreeRoot([nodes])).to.equal(nodeOf(tree, tree.depth, round, index));
    }
    const one = toHex(sha256(Buffer.from("one")));
    expect(await h.read.subtreeRoot([[one]])).to.equal(one);
    const a: Hex[] = Array.from({ length: 8 }, (_, i) => toHex(sha256(Buffer.from(`a ${i}`))));
    for (const at of [0, 3, 7]) {
      const b = a.map((x, i) => (i >= at ? toHex(sha256(Buffer.from(`b ${i}`))) : x));
      expect(Number(await h.read.leftmostDifference([a, b]))).to.equal(firstDifference(a, b)).and.to.equal(at);
    }
    // Equal lists have no difference: the scan runs past the end (the game never asks: its lists differ).
    await assert.rejects(h.read.leftmostDifference([a, a]), /out of bounds/);
    for (const [n, width, leaves] of [[0, 4, 1], [1, 4, 1], [256, 4, 1], [257, 4, 2], [128, 8, 1], [4096, 4, 16], [4097, 8, 33]] as const) {
      expect(await h.read.leafCount([BigInt(n), BigInt(width)]), `${n} x ${width} bytes`).to.equal(BigInt(Math.max(1, Math.ceil((n * width) / LEAF_BYTES))));
      expect(leaves).to.equal(Math.max(1, Math.ceil((n * width) / LEAF_BYTES)));
    }
  });
});
