// dispute/solverTrace.ts: the challenger's copy of the solver's trace tree, built from the challenger's own
// trace and the solver's level-2 reveals, proves every entry before the disputed one exactly as the solver's
// tree does (the settlement operands it yields are the solver's, byte for byte), and refuses the rest.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildSettlementOperands } from "../settlement/operands.ts";
import type { SettlementSource } from "../settlement/step.ts";
import { toHex } from "../commitment/hash.ts";
import { proofOf, verifyProof } from "../commitment/merkle.ts";
import { commitState } from "../commitment/stateRoot.ts";
import { type OpTrace, proveRecord } from "../commitment/trace.ts";
import { deviate, makeWorld, type World } from "../test/contracts/helpers/gameWorld.ts";
import type { Deviation } from "./deviation.ts";
import { proveSolverRecord, SolverTraceError, solverTraceCopy, type TraceReveal } from "./solverTrace.ts";
import { descentLevels, descentNodes, firstDifference } from "./treeNodes.ts";

const STEP = 2;

/** The level-2 descent between the solver's and the challenger's traces: the solver's reveals and where it ends (k). */
function descend(solver: OpTrace, challenger: OpTrace): { k: number; reveals: TraceReveal[] } {
  const D = solver.tree.depth;
  const reveals: TraceReveal[] = [];
  let round = 0, index = 0n;
  while (round < D) {
    const s = descentNodes(solver.tree, D, round, index), c = descentNodes(challenger.tree, D, round, index);
    reveals.push({ round, index, nodes: s });
    const i = firstDifference(s, c);
    assert.ok(i >= 0 && i < s.length, "the traces differ under the current node");
    const r = descentLevels(D, round);
    index = (index << BigInt(r)) + BigInt(i);
    round += r;
  }
  return { k: Number(index), reveals };
}

function sourceOf(w: World, trace: OpTrace): SettlementSource {
  const pre = w.states[STEP - 1]!;
  return { spec: w.spec, graph: w.graph, program: w.program, pre, preCommitment: commitState(w.spec, pre), trace, dataset: w.dataset };
}

describe("the challenger's copy of the solver's trace tree", () => {
  const w = makeWorld("tiny", STEP);
  const honest = w.traces[STEP]!;
  const E = w.entries;
  const relu = w.program.entries.findIndex((p) => p.code === 4);
  const matmul = w.program.entries.findIndex((p) => p.code === 1);
  const cases: [string, Deviation][] = [
    ["a batch input (x, entry 1)", { kind: "op", step: STEP, entry: 1, element: 5 }],
    ["a matmul", { kind: "op", step: STEP, entry: matmul, element: 2 }],
    ["a relu", { kind: "op", step: STEP, entry: relu, element: 1 }],
    ["the post-state anchor", { kind: "post", step: STEP }],
  ];

  for (const [name, dev] of cases) {
    it(`${name}: the copy's path of every entry j < k is the solver's path and verifies against the solver's root; its settlement operands are the solver's; every j >= k is refused`, () => {
      const lying = deviate(w, dev).trace(STEP)!;
      const { k, reveals } = descend(lying, honest);
      assert.equal(k, dev.kind === "op" ? dev.entry : E - 1);
      const copy = solverTraceCopy(honest, toHex(lying.root), k, reveals);
      assert.ok(copy.root.equals(lying.root));
      for (let j = 0; j < k; j++) {
        const { entry, siblings } = proveSolverRecord(copy, j);
        assert.deepEqual(siblings.map(toHex), proofOf(lying.tree, j).map(toHex), `entry ${j}'s path`);
        assert.ok(verifyProof(lying.root, honest.tree.levels[0]!.subarray(j * 32, j * 32 + 32), j, siblings));
        assert.equal(entry, honest.entries[j]);
      }
      for (const j of [k, k + 1, E - 1].filter((x) => x < E)) {
        assert.throws(() => proveSolverRecord(copy, j), (e) => e instanceof SolverTraceError && new RegExp(`entry ${j} is not before the disputed entry ${k}`).test(e.message));
        assert.throws(() => proveRecord(copy, j), RangeError); // what settlement/operands.ts would call
      }
      // The operands the challenger sends are exactly the ones the solver would send from its own tree.
      const element = dev.kind === "op" ? dev.element : 0;
      assert.deepEqual(buildSettlementOperands(sourceOf(w, copy), k, element), buildSettlementOperands(sourceOf(w, lying), k, element));
    });
  }

  it("refuses reveals that do not lead to k under the solver's root: a changed node, a missing or skipped round, another k, another root, a challenger trace that is not the solver's before k", () => {
    const lying = deviate(w, { kind: "op", step: STEP, entry: relu, element: 1 }).trace(STEP)!;
    const { k, reveals } = descend(lying, honest);
    const root = toHex(lying.root);
    assert.ok(reveals.length >= 2);
    const bad = (rs: TraceReveal[], kk = k, r = root, own = honest) => assert.throws(() => solverTraceCopy(own, r, kk, rs), SolverTraceError);
    const changed = reveals.map((rv, i) => (i === 1 ? { ...rv, nodes: rv.nodes.map((n, j) => (j === 0 ? toHex(Buffer.alloc(32, 7)) : n)) } : rv));
    bad(changed);
    bad(reveals.slice(0, -1));
    bad(reveals.slice(1));
    bad(reveals, k + 2);
    bad(reveals, 0);
    bad(reveals, k, toHex(honest.root));
    // A challenger whose trace differs from the solver's before k (it did not play this trace).
    const other = deviate(w, { kind: "op", step: STEP, entry: 1, element: 0 }).trace(STEP)!;
    bad(reveals, k, root, other);
    // The reveals in any order build the same copy.
    const copy = solverTraceCopy(honest, root, k, [...reveals].reverse());
    assert.deepEqual(proofOf(copy.tree, k - 1).map(toHex), proofOf(lying.tree, k - 1).map(toHex));
  });
});
