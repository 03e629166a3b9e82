// The settlement operands (settlement/operandRule.ts, settlement/operands.ts) without a chain: the operand index rule
// against the op vectors, the ABI round trip, and the errors on inputs that cannot be settled. The
// contract side is test/contracts/KernelVerifier.test.ts.
import { describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { decodeAbiParameters } from "viem";
import { buildProgram } from "../commitment/program.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { referenceRunner } from "../engine/reference.ts";
import { initialState } from "../engine/state.ts";
import { traceStep } from "../training/traceStep.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { accumulationTerms, buildSettlementOperands, encodeSettlementOperands, partialSums } from "./operands.ts";
import { operandIndices, termCount } from "./operandRule.ts";
import type { SettlementSource } from "./step.ts";
import { OP_OPERANDS_ABI, POST_ANCHOR_OPERANDS_ABI } from "./abi.ts";
import { SettlementError } from "./errors.ts";

interface OpCase {
  kind: string; code: number; encodedAttrs: number[];
  inputs: { shape: number[]; values: number[] }[];
  output: { shape: number[]; values: number[] };
}
const OPS: { cases: OpCase[] } = JSON.parse(readFileSync(fileURLToPath(new URL("../test/vectors/ops.v1.json", import.meta.url)), "utf8"));

describe("settlement operands", async () => {
  it("operandIndices picks the elements each op output depends on (reductions recomputed from the vectors)", () => {
    for (const c of OPS.cases) {
      for (let e = 0; e < c.output.values.length; e++) {
        const idx = operandIndices(c.code, c.encodedAttrs, c.output.shape, c.inputs.map((i) => i.shape), e);
        const v = idx.map((ix, i) => ix.map((j) => c.inputs[i]!.values[j]!));
        for (const ix of idx) expect([...ix].sort((a, b) => a - b), "ascending").to.deep.equal(ix);
        const want = c.output.values[e]!;
        if (c.kind === "matmul") expect(v[0]!.reduce((s, a, t) => s + a * v[1]![t]!, 0), `matmul e=${e}`).to.equal(want);
        if (c.kind === "col_sum") expect(v[0]!.reduce((s, a) => s + a, 0)).to.equal(want);
        if (c.kind === "bias_add") expect(v[0]![0]! + v[1]![0]!).to.equal(want);
        if (c.kind === "mse_grad") expect(v[0]![0]! - (e % c.output.shape[1]! === v[1]![0]! ? c.encodedAttrs[0]! : 0)).to.equal(want);
      }
    }
  });

  it("term slices (level 4): partial sums of the vectors' matmul/col_sum elements; a slice's indices are the whole element's [lo, hi)", () => {
    let n = 0;
    for (const c of OPS.cases.filter((x) => x.code === 1 || x.code === 7)) {
      const inputs = c.inputs.map((i) => ({ shape: i.shape, data: Float64Array.from(i.values) }));
      const K = termCount(c.code, c.encodedAttrs, c.inputs.map((i) => i.shape));
      for (let e = 0; e < c.output.values.length; e++) {
        const P = partialSums(accumulationTerms(c.code, c.encodedAttrs, c.output.shape, inputs, e));
        expect(P.length).to.equal(K + 1);
        expect(P[0]).to.equal(0n);
        expect(P[K]).to.equal(BigInt(c.output.values[e]!));
        const whole = operandIndices(c.code, c.encodedAttrs, c.output.shape, c.inputs.map((i) => i.shape), e);
        for (let lo = 0; lo < K; lo++) {
          for (let hi = lo + 1; hi <= K; hi++) {
            const part = operandIndices(c.code, c.encodedAttrs, c.output.shape, c.inputs.map((i) => i.shape), e, { lo, hi, count: K });
            expect(part).to.deep.equal(whole.map((ix) => ix.slice(lo, hi)));
            n++;
          }
        }
      }
    }
    expect(n).to.be.greaterThan(20);
    expect(partialSums([3n, -5n, 7n])).to.deep.equal([0n, 3n, -2n, 5n]);
  });

  it("term slices: a declared K other than the shapes', an empty slice or one past K is a SettlementError; termCount needs 2-D operands", () => {
    const sh = [[2, 5], [5, 3]];
    expect(termCount(1, [0, 0], sh)).to.equal(5);
    expect(termCount(1, [1, 0], [[5, 2], [5, 3]])).to.equal(5);
    expect(termCount(7, [], [[9, 4]])).to.equal(9);
    expect(() => termCount(7, [], [[9]])).to.throw(SettlementError, /2-D/);
    expect(() => termCount(2, [], sh)).to.throw(SettlementError, /has no term level/);
    expect(() => operandIndices(1, [0, 0], [2, 3], sh, 0, { lo: 0, hi: 2, count: 6 })).to.throw(SettlementError, /declared K = 6/);
    expect(() => operandIndices(1, [0, 0], [2, 3], sh, 0, { lo: 2, hi: 2, count: 5 })).to.throw(SettlementError, /empty or outside/);
    expect(() => operandIndices(7, [], [4], [[9, 4]], 0, { lo: 3, hi: 10, count: 9 })).to.throw(SettlementError, /empty or outside/);
  });

  it("operandIndices rejects shapes that do not fit the op", () => {
    expect(() => operandIndices(1, [0, 0], [2, 2], [[2, 3], [2, 2]], 0)).to.throw(SettlementError, /matmul shapes/);
    expect(() => operandIndices(2, [], [2, 2], [[2, 2], [3]], 0)).to.throw(SettlementError, /second input/);
    expect(() => operandIndices(4, [], [2], [[3]], 0)).to.throw(SettlementError, /elementwise/);
    expect(() => operandIndices(5, [], [2], [[2]], 0)).to.throw(SettlementError, /expects 2 inputs/);
  });

  const d = syntheticDataset(12, 6, 3);
  const spec = tinySpec(d);
  const graph = buildStepGraph(spec);
  const pre = initialState(spec);
  const traced = await traceStep(referenceRunner(graph), spec, d, pre);
  const src: SettlementSource = { spec, graph, program: buildProgram(spec, graph), pre, preCommitment: traced.pre, trace: traced.trace, dataset: d };
  const E = src.program.header.entries;

  it("encodes what it built (ABI round trip), with distinct leaves in order of first use", () => {
    const z = src.program.entries.findIndex((p) => p.tensorId === graph.tensors.findIndex((t) => t.name === "l1.z"));
    const o = buildSettlementOperands(src, z, 5);
    if (o.kind !== "op") throw new Error("expected an op");
    const [entry, , header, , inputs] = decodeAbiParameters(OP_OPERANDS_ABI, encodeSettlementOperands(o));
    expect(entry.entry).to.equal(z);
    expect(header.entries).to.equal(E);
    expect(inputs).to.have.length(2);
    expect(inputs.map((i) => i.leaves.length)).to.deep.equal([1, 1]); // [4,8] and [8,3] int32 fit one leaf each
    const [, , , , post] = decodeAbiParameters(POST_ANCHOR_OPERANDS_ABI, encodeSettlementOperands(buildSettlementOperands(src, E - 1, 0)));
    expect(post.stateOut.map((r) => r.record.entry)).to.deep.equal([...src.program.header.stateOutEntries]);
  });

  it("throws a SettlementError for what cannot be settled or does not belong together", () => {
    expect(() => buildSettlementOperands(src, 0, 0)).to.throw(SettlementError, /pre-state anchor/);
    expect(() => buildSettlementOperands(src, E, 0)).to.throw(SettlementError, /no settlement/);
    expect(() => buildSettlementOperands(src, 3, 48)).to.throw(SettlementError, /outside entry 3/);
    expect(() => buildSettlementOperands({ ...src, pre: traced.post }, 3, 0)).to.throw(SettlementError, /header does not match/);
    expect(() => buildSettlementOperands({ ...src, preCommitment: traced.postCommitment, pre: traced.post }, 3, 0)).to.throw(SettlementError, /not anchored/);
    expect(() => buildSettlementOperands({ ...src, dataset: syntheticDataset(13, 6, 3) }, 1, 0)).to.throw(SettlementError, /dataset/);
  });
});
