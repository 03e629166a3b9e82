// dispute/treeNodes.ts: the nodes a descent round reveals, checked against trees built by commitment/merkle.ts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Hash, sha256, toHex } from "../commitment/hash.ts";
import { buildTree, nodeHash } from "../commitment/merkle.ts";
import { GameStateError } from "./errors.ts";
import { DESCENT_LEVELS, descentLevels, descentNodes, firstDifference, nodeOf } from "./treeNodes.ts";

/** A tree of `n` distinct leaves (padded to a power of two). */
const treeOf = (n: number) => buildTree(Array.from({ length: n }, (_, i) => sha256(Buffer.from(`leaf ${i}`))));

/** The root of a list of nodes, hashed up pairwise (what contracts/game/lib/Descent.sol subtreeRoot computes). */
function subtreeRoot(nodes: readonly string[]): string {
  let level: Hash[] = nodes.map((h) => Buffer.from(h.slice(2), "hex"));
  while (level.length > 1) level = Array.from({ length: level.length / 2 }, (_, j) => nodeHash(level[2 * j]!, level[2 * j + 1]!));
  return toHex(level[0]!);
}

describe("descent nodes (levels 2 and 3)", () => {
  it("a round goes down min(3, depth - round) levels", () => {
    assert.equal(DESCENT_LEVELS, 3);
    assert.deepEqual([descentLevels(5, 0), descentLevels(5, 3), descentLevels(6, 3), descentLevels(1, 0), descentLevels(4, 3)], [3, 2, 3, 1, 1]);
    assert.throws(() => descentLevels(5, 5), GameStateError);
  });

  it("every round's nodes hash up to the current node, through a depth-5 tree (rounds of 8 and 4 nodes)", () => {
    const t = treeOf(27);
    assert.equal(t.depth, 5);
    let round = 0, index = 0n;
    const target = 19n; // descend toward leaf 19
    const sizes: number[] = [];
    while (round < t.depth) {
      const nodes = descentNodes(t, t.depth, round, index);
      sizes.push(nodes.length);
      assert.equal(subtreeRoot(nodes), nodeOf(t, t.depth, round, index));
      const r = descentLevels(t.depth, round);
      round += r;
      const next: bigint = target >> BigInt(t.depth - round);
      const i = Number(next - (index << BigInt(r)));
      assert.ok(i >= 0 && i < nodes.length);
      assert.equal(nodes[i], nodeOf(t, t.depth, round, next));
      index = next;
    }
    assert.deepEqual(sizes, [8, 4]);
    assert.equal(nodeOf(t, t.depth, round, index), toHex(t.levels[0]!.subarray(19 * 32, 20 * 32)));
  });

  it("depth 1: one round of the two leaves", () => {
    const t = treeOf(2);
    assert.deepEqual(descentNodes(t, 1, 0, 0n), [0, 1].map((i) => toHex(t.levels[0]!.subarray(i * 32, i * 32 + 32))));
  });

  it("a position outside the tree is a typed error, not a crash", () => {
    const t = treeOf(8);
    assert.throws(() => descentNodes(t, 3, 0, 1n), GameStateError);
    assert.throws(() => descentNodes(t, 3, 3, 0n), GameStateError);
  });

  it("firstDifference: the leftmost differing position, -1 for equal lists", () => {
    const a = ["0x01", "0x02", "0x03", "0x04"] as const;
    assert.equal(firstDifference(a, ["0x01", "0x09", "0x03", "0x08"]), 1);
    assert.equal(firstDifference(a, ["0x01", "0x02", "0x03", "0x05"]), 3);
    assert.equal(firstDifference(a, ["0x01", "0x02", "0x03", "0x04"]), -1);
    assert.equal(firstDifference(a, ["0x01", "0x02"]), 2);
  });
});
