import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Address, Hash } from "viem";
import type { GameMove } from "../dispute/gameSummary.ts";
import { narrowing } from "./narrowing.ts";

const SOLVER = `0x${"11".repeat(20)}` as Address, CHALLENGER = `0x${"22".repeat(20)}` as Address;
let n = 0;
function move(level: GameMove["level"], by: GameMove["by"], from: Address, events: { name: string; args: Record<string, unknown> }[]): GameMove {
  n++;
  return { level, label: events[0]!.name, by, from, tx: `0x${n.toString(16).padStart(64, "0")}` as Hash, block: BigInt(n), gasUsed: 1_000n * BigInt(n), calldataBytes: 4, events };
}
const b32 = (v: bigint) => `0x${BigInt.asUintN(256, v).toString(16).padStart(64, "0")}`;

describe("dispute narrowing", () => {
  it("draws each level's ranges from the moves' events: steps, ops, output leaves, terms, then the settlement", () => {
    const moves = [
      move(1, "solver", SOLVER, [{ name: "StepBisected", args: { lo: 20n, hi: 40n, roots: ["0x", "0x", "0x"] } }]),
      move(1, "challenger", CHALLENGER, [{ name: "StepResponded", args: { choice: 1, lo: 25n, hi: 26n } }]),
      move(2, "solver", SOLVER, [{ name: "TracePosted", args: { by: 1, entries: 27, traceRoot: `0x${"aa".repeat(32)}` } }]),
      move(2, "challenger", CHALLENGER, [{ name: "NodesRevealed", args: { by: 2, level: 2, round: 3, index: 5n, nodes: ["0x", "0x", "0x", "0x"] } }]),
      move(2, "solver", SOLVER, [{ name: "RecordOpened", args: { by: 1, entry: 22, tensorId: 25, code: 9 } }]),
      move(3, "solver", SOLVER, [{ name: "NodesRevealed", args: { by: 1, level: 3, round: 3, index: 1n, nodes: ["0x"] } }]),
      move(3, "challenger", CHALLENGER, [{ name: "LeafRevealed", args: { by: 2, leafIndex: 9n } }]),
      move(4, "solver", SOLVER, [{ name: "TermsPosted", args: { termCount: 784n, lo: 0n, hi: 784n, sums: [1n, 2n] } }]),
      move(4, "challenger", CHALLENGER, [{ name: "TermsResponded", args: { choice: 3, lo: 294n, hi: 392n } }, { name: "ReachedSettlement", args: { entry: 22, element: 9n, solverValue: b32(-5n), challengerValue: b32(7n) } }]),
      move(5, "anyone", CHALLENGER, [{ name: "Settled", args: { trueValue: b32(7n), solverWon: false } }]),
    ];
    const levels = narrowing(moves, 20, 40, 6, { solver: SOLVER, challenger: CHALLENGER });
    assert.deepEqual(levels.map((l) => l.level), [1, 2, 3, 4, 5]);
    const [l1, l2, l3, l4, l5] = levels;
    assert.deepEqual(l1!.items.map((i) => i.range), [{ lo: 0, hi: 20, total: 20, offset: 20 }, { lo: 5, hi: 6, total: 20, offset: 20 }]);
    assert.match(l1!.items[1]!.text, /steps 25\.\.26/);
    assert.match(l2!.items[2]!.text, /op #22 opened: \w+ \(tensor 25\)/);
    // 27 ops: a trace tree of depth 5; round 3, node 5 is the subtree over ops 20..23.
    assert.deepEqual(l2!.items.map((i) => i.range), [{ lo: 0, hi: 27, total: 27 }, { lo: 20, hi: 24, total: 27 }, { lo: 22, hi: 23, total: 27 }]);
    assert.match(l2!.items[1]!.text, /ops 20\.\.23/);
    // An output tree of depth 6 (64 leaves): round 3, node 1 is leaves 8..15; the leaf that differs is 9.
    assert.deepEqual(l3!.items.map((i) => i.range), [{ lo: 8, hi: 16, total: 64 }, { lo: 9, hi: 10, total: 64 }]);
    assert.deepEqual(l4!.items.map((i) => i.range), [{ lo: 0, hi: 784, total: 784 }, { lo: 294, hi: 392, total: 784 }]);
    assert.match(l5!.items[0]!.text, /solver claims -5, challenger 7/);
    assert.match(l5!.items[1]!.text, /true value is 7: not the solver's claim → challenger wins/);
    assert.equal(l5!.items[1]!.by, "challenger", "a settlement anyone may send is named by its sender when it is a party");
    assert.deepEqual(l5!.items.map((i) => i.gasUsed), ["9000", "10000"]);
  });

  it("without the output tree's depth, level 3's reveals are listed without a range", () => {
    const levels = narrowing([move(3, "solver", SOLVER, [{ name: "NodesRevealed", args: { by: 1, level: 3, round: 0, index: 0n, nodes: ["0x", "0x"] } }])], 0, 10);
    assert.equal(levels[0]!.items[0]!.range, undefined);
    assert.match(levels[0]!.items[0]!.text, /solver reveals 2 tree nodes/);
  });
});
