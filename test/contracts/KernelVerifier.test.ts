// The settlement side of the dispute game: RecomputeKernelVerifier (contracts/kernel/) against the op vectors
// (test/vectors/ops.v1.json) and against real steps of the tiny model, with operands built by
// chain/settlementOperands.ts; tampered operands must revert with a named error.
import { describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { network } from "hardhat";
import { encodeFunctionData, type Hex } from "viem";
import { accumulationTerms, buildSettlementOperands, encodeSettlementOperands, operandValues, partialSums, settlementContext, wholeSlice } from "../../settlement/operands.ts";
import { toHex } from "../../commitment/hash.ts";
import { buildTree, proofOf } from "../../commitment/merkle.ts";
import { type Program, programEntryHash, programHeaderHash, programStateHash } from "../../commitment/program.ts";
import { type Dataset } from "../../engine/batch.ts";
import { roundShift } from "../../engine/int.ts";
import { batchIndices } from "../../engine/random.ts";
import { type TrainingSpec } from "../../engine/spec.ts";
import { initialState, type TrainingState } from "../../engine/state.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { syntheticDataset, tinySpec } from "../vectors/generate.ts";
import { expectRevert } from "./helpers/viem.ts";
import { operandIndices, termCount } from "../../settlement/operandRule.ts";
import { type SettlementSource, settlementStep } from "../../settlement/step.ts";
import type { SettlementContext, SettlementOperands } from "../../settlement/abi.ts";

interface OpCase {
  kind: string; code: number; encodedAttrs: number[];
  inputs: { shape: number[]; values: number[] }[];
  output: { shape: number[]; values: number[] };
}
const OPS: { cases: OpCase[] } = JSON.parse(readFileSync(fileURLToPath(new URL("../vectors/ops.v1.json", import.meta.url)), "utf8"));


const flip = (h: Hex, byte = 0): Hex => {
  const b = Buffer.from(h.slice(2), "hex");
  b[byte]! ^= 0x01;
  return `0x${b.toString("hex")}`;
};
/** bytes32 -> int256 (two's complement). */
const asInt = (h: Hex): bigint => BigInt.asIntN(256, BigInt(h));
const clone = <T>(x: T): T => structuredClone(x);

/** A small deterministic PRNG for element picks. */
function picker(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n) => {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return x % n;
  };
}

interface Step {
  src: SettlementSource;
  /** Every tensor of the executed step, by graph tensor id. */
  all: readonly Tensor[];
  postRoot: Hex;
  post: TrainingState;
}

async function runStep(spec: TrainingSpec, d: Dataset, pre: TrainingState): Promise<Step> {
  const s = await settlementStep(spec, d, pre);
  return { src: s.src, all: s.all, postRoot: toHex(s.postRoot), post: s.post };
}

/** Elements to settle for an output of `count` elements: first, last, a few random ones. */
function elementsOf(count: number, rnd: (n: number) => number, extra: number): number[] {
  const s = new Set([0, count - 1]);
  for (let i = 0; i < extra; i++) s.add(rnd(count));
  return [...s].sort((a, b) => a - b);
}

// Artifacts are outside tsconfig's `include`: contract reads are cast.
describe("RecomputeKernelVerifier", async () => {
  const { viem } = await network.create();
  const k = await viem.deployContract("KernelHarness");
  const mock = await viem.deployContract("RecomputeKernelVerifier");
  const pc = await viem.getPublicClient();

  const trueValue = (ctx: SettlementContext, operands: Hex, proof: Hex = "0x") =>
    mock.read.trueValue([ctx, operands, proof]) as Promise<Hex>;

  describe("kernels vs ops.v1.json", () => {
    it("every output element of every vector case (indices and values)", async () => {
      let n = 0;
      for (const c of OPS.cases) {
        const inShapes = c.inputs.map((i) => i.shape);
        for (let e = 0; e < c.output.values.length; e++) {
          const idx = operandIndices(c.code, c.encodedAttrs, c.output.shape, inShapes, e);
          const K = c.code === 1 || c.code === 7 ? BigInt(termCount(c.code, c.encodedAttrs, inShapes)) : 0n;
          const onChain = (await k.read.operandIndices([c.code, c.encodedAttrs.map(BigInt), c.output.shape, inShapes, BigInt(e), 0n, K, K])) as readonly (readonly bigint[])[];
          expect(onChain.map((r) => r.map(Number)), `${c.kind} e=${e} indices`).to.deep.equal(idx);
          const values = idx.map((ix, i) => ix.map((j) => BigInt(c.inputs[i]!.values[j]!)));
          const v = await k.read.kernel([c.code, c.encodedAttrs.map(BigInt), values, BigInt(e), c.output.shape, "0x"]);
          expect(v, `${c.kind} element ${e}`).to.equal(BigInt(c.output.values[e]!));
          n++;
        }
      }
      expect(n).to.equal(OPS.cases.reduce((a, c) => a + c.output.values.length, 0));
    });

    it("requantize rounds half up with floor for negatives, at every shift 0..52 (vs engine roundShift)", async () => {
      const rnd = picker(7);
      const big = 2 ** 52;
      for (let s = 0; s <= 52; s++) {
        const half = s === 0 ? 0 : 2 ** (s - 1);
        const xs = [0, 1, -1, half, -half, half - 1, -half - 1, 3 * half, -3 * half, rnd(1e9) - 5e8, big - 1 - half, -(big - 1) + half];
        for (const x of xs) {
          const v = await k.read.kernel([3, [BigInt(s), -(2n ** 62n), 2n ** 62n], [[BigInt(x)]], 0n, [1], "0x"]);
          expect(v, `roundShift(${x}, ${s})`).to.equal(BigInt(roundShift(x, s)));
        }
      }
    });

    it("rejects a proof, a shift outside [0, 52] and a matmul flag other than 0/1", async () => {
      await expectRevert(k.read.kernel([4, [], [[1n]], 0n, [1], "0x01"]), "ProofNotEmpty");
      await expectRevert(k.read.kernel([3, [53n, 0n, 1n], [[1n]], 0n, [1], "0x"]), "InvalidShift");
      await expectRevert(k.read.kernel([3, [-1n, 0n, 1n], [[1n]], 0n, [1], "0x"]), "InvalidShift");
      await expectRevert(k.read.operandIndices([1, [2n, 0n], [1, 1], [[1, 1], [1, 1]], 0n, 0n, 1n, 1n]), "InvalidFlag");
      await expectRevert(k.read.operandIndices([1, [0n, 0n], [2, 2], [[2, 3], [2, 2]], 0n, 0n, 3n, 3n]), "ShapeMismatch");
    });
  });

  // ------------------------------------------------------------------ real steps

  const d = syntheticDataset(12, 6, 3);
  const spec = tinySpec(d);
  const s0 = await runStep(spec, d, initialState(spec));
  const s1 = await runStep(spec, d, s0.post);
  const momentumSpec = tinySpec(d, { momentumNum: 7, momentumShift: 3 });
  const m0 = await runStep(momentumSpec, d, initialState(momentumSpec));
  const m1 = await runStep(momentumSpec, d, m0.post);

  async function settleEveryEntry(step: Step, seed: number): Promise<number> {
    const { src, all } = step;
    const E = src.program.header.entries;
    const rnd = picker(seed);
    let n = 0;
    for (let entry = 1; entry < E - 1; entry++) {
      const p = src.program.entries[entry]!;
      const t = all[p.tensorId]!;
      const extra = p.code === 1 || p.code === 7 ? 4 : 2;
      for (const e of elementsOf(t.data.length, rnd, extra)) {
        const v = await trueValue(settlementContext(src, entry, e), encodeSettlementOperands(buildSettlementOperands(src, entry, e)));
        expect(asInt(v), `entry ${entry} (code ${p.code}, tensor ${p.tensorId}) element ${e}`).to.equal(BigInt(t.data[e]!));
        n++;
      }
    }
    const post = await trueValue(settlementContext(src, E - 1, 0), encodeSettlementOperands(buildSettlementOperands(src, E - 1, 0)));
    expect(post).to.equal(step.postRoot);
    expect(post).to.equal(toHex(src.trace.entries[E - 1]!.outputRoot));
    return n;
  }

  describe("trueValue on real steps of the tiny model (12 examples x 6 features, 3 classes, [6, 8, 3], batch 4)", () => {
    it("step 0 -> 1: every entry 1..E-2 (first, last, random elements) and the post-state anchor", async () => {
      const codes = new Set(s0.src.program.entries.map((p) => p.code));
      for (const c of [0, 1, 2, 3, 4, 5, 6, 7, 9, 255]) expect(codes.has(c), `code ${c}`).to.equal(true);
      expect(await settleEveryEntry(s0, 1)).to.be.greaterThan(80);
    });

    it("step 1 -> 2 (non-zero biases, another batch)", async () => {
      await settleEveryEntry(s1, 2);
    });

    it("with momentum (code 8, eight state tensors): steps 0 -> 1 and 1 -> 2", async () => {
      expect(m0.src.program.entries.some((p) => p.code === 8)).to.equal(true);
      expect(m0.src.program.header.stateTensors).to.equal(8);
      await settleEveryEntry(m0, 3);
      await settleEveryEntry(m1, 4);
    });

    it("every element of x and of the labels (each row's example, the quantization)", async () => {
      const { src, all } = s1;
      for (const entry of [1, 2]) {
        const t = all[src.program.entries[entry]!.tensorId]!;
        for (let e = 0; e < t.data.length; e++) {
          const v = await trueValue(settlementContext(src, entry, e), encodeSettlementOperands(buildSettlementOperands(src, entry, e)));
          expect(asInt(v), `entry ${entry} element ${e}`).to.equal(BigInt(t.data[e]!));
        }
      }
    });

    it("operands of another step do not open against this step's roots", async () => {
      // Same entry and element, operands of step 1 against the context of step 0: the openings do not match.
      const entry = 5; // matmul l0.z: reads x (trace) and l0.wq (trace)
      await expectRevert(trueValue(settlementContext(s0.src, entry, 3), encodeSettlementOperands(buildSettlementOperands(s1.src, entry, 3))), "TraceRootMismatch");
    });
  });

  // ------------------------------------------------------------------ tampering

  describe("tampered operands revert with a named error", () => {
    const src = s1.src;
    const E = src.program.header.entries;
    const entryOf = (name: string) => {
      const id = src.graph.tensors.findIndex((t) => t.name === name);
      return src.program.entries.findIndex((p) => p.tensorId === id);
    };
    const ZB = entryOf("l0.zb"); // bias_add(l0.z [trace], l0.bq [trace])
    const WQ = entryOf("l0.wq"); // requantize(l0.w [state])
    const Z1 = entryOf("l1.z"); // matmul k = 8
    const ops = (entry: number, e: number) => buildSettlementOperands(src, entry, e) as Extract<SettlementOperands, { kind: "op" }>;
    const call = (o: SettlementOperands, entry: number, e: number, ctx: Partial<SettlementContext> = {}, proof: Hex = "0x") =>
      trueValue({ ...settlementContext(src, entry, e), ...ctx }, encodeSettlementOperands(o), proof);

    it("a wrong element value in a leaf", async () => {
      const o = ops(ZB, 5);
      const leaf = o.inputs[0]!.leaves[0]!;
      leaf.data = flip(leaf.data, 5 * 4); // element 5's low byte (width 4)
      await expectRevert(call(o, ZB, 5), "TensorRootMismatch");
      const o2 = ops(ZB, 5);
      o2.inputs[1]!.leaves[0]!.siblings = [flip(`0x${"00".repeat(32)}`)];
      await expectRevert(call(o2, ZB, 5), "ProofDepthMismatch");
    });

    it("a wrong record (output root, or the record of another entry)", async () => {
      const o = ops(ZB, 1);
      o.inputs[0]!.record.outputRoot = flip(o.inputs[0]!.record.outputRoot);
      await expectRevert(call(o, ZB, 1), "TraceRootMismatch");
      const o2 = ops(ZB, 1);
      o2.inputs[0]!.record = clone(o2.inputs[1]!.record);
      await expectRevert(call(o2, ZB, 1), "OperandMismatch");
      await expectRevert(call(ops(ZB, 1), ZB, 1, { traceRoot: toHex(s0.src.trace.root) }), "TraceRootMismatch");
    });

    /** The program with entry `entry`'s inputs replaced (what a careless job poster could commit). */
    function programWith(entry: number, inputs: number[]): Program {
      const entries = src.program.entries.map((p) => (p.entry === entry ? { ...p, inputs } : p));
      const tree = buildTree([programHeaderHash(src.program.header), ...entries.map(programEntryHash), ...src.program.stateTensors.map(programStateHash)]);
      return { ...src.program, entries, tree, root: tree.root };
    }
    const tensorId = (name: string) => src.graph.tensors.findIndex((t) => t.name === name);

    it("an operand opened from a later (not agreed) entry", async () => {
      // A program whose relu reads l0.gm (same shape, produced later in the step): the verifier must not
      // open an entry at or after the disputed one, even when the program asks for it.
      const A = entryOf("l0.a");
      const bad = programWith(A, [tensorId("l0.gm")]);
      const o = buildSettlementOperands({ ...src, program: bad }, A, 2);
      await expectRevert(call(o, A, 2, { programRoot: toHex(bad.root) }), "OperandNotAgreed");
    });

    it("a malformed program is rejected, not misread (arity, operand shape)", async () => {
      const A = entryOf("l0.a"); // relu [4,8]
      const honest = ops(A, 2);
      const envelope = (bad: Program) => ({ entry: { ...honest.entry, inputs: [...bad.entries[A]!.inputs] }, entryPath: proofOf(bad.tree, 1 + A).map((h) => toHex(h)), headerPath: proofOf(bad.tree, 0).map((h) => toHex(h)) });
      const two = programWith(A, [tensorId("l0.p"), tensorId("l0.p")]);
      await expectRevert(call({ ...honest, ...envelope(two), inputs: [honest.inputs[0]!, honest.inputs[0]!] }, A, 2, { programRoot: toHex(two.root) }), "ArityMismatch");
      const wrongShape = programWith(A, [tensorId("batch.x")]); // x is [4,6]
      const xOpening = { ...ops(entryOf("l0.z"), 2).inputs[0]!, programPath: proofOf(wrongShape.tree, 1 + 1).map((h) => toHex(h)) };
      await expectRevert(call({ ...honest, ...envelope(wrongShape), inputs: [xOpening] }, A, 2, { programRoot: toHex(wrongShape.root) }), "ShapeMismatch");
    });

    it("a wrong state tensor root or program state leaf", async () => {
      const o = ops(WQ, 7);
      o.inputs[0]!.tensorRoot = flip(o.inputs[0]!.tensorRoot);
      await expectRevert(call(o, WQ, 7), "StateRootMismatch");
      await expectRevert(call(ops(WQ, 7), WQ, 7, { preStateRoot: toHex(s0.src.preCommitment.root) }), "StateRootMismatch");
      const o2 = ops(WQ, 7);
      o2.inputs[0]!.state.dims = [8, 6];
      await expectRevert(call(o2, WQ, 7), "ProgramRootMismatch");
      const o3 = ops(WQ, 7);
      o3.inputs[0]!.state.index = 1;
      await expectRevert(call(o3, WQ, 7), "OperandMismatch");
    });

    it("a wrong program entry, header or entry number", async () => {
      const o = ops(WQ, 0);
      o.entry.attrs = [o.entry.attrs[0]! + 1n, ...o.entry.attrs.slice(1)];
      await expectRevert(call(o, WQ, 0), "ProgramRootMismatch");
      const o2 = ops(ZB, 0);
      o2.inputs[0]!.producer.width = 8;
      await expectRevert(call(o2, ZB, 0), "ProgramRootMismatch");
      const o3 = ops(ZB, 0);
      o3.header.batchSize += 1;
      await expectRevert(call(o3, ZB, 0), "ProgramRootMismatch");
      await expectRevert(call(ops(ZB, 0), ZB, 0, { entry: ZB + 1 }), "EntryMismatch");
    });

    it("a wrong example, dataset description or pre-state header (batch inputs)", async () => {
      const b = (entry: number, e: number) => buildSettlementOperands(src, entry, e) as Extract<SettlementOperands, { kind: "batch" }>;
      const o = b(1, 7);
      o.opening.example.pixels = flip(o.opening.example.pixels, 1);
      await expectRevert(call(o, 1, 7), "DatasetRootMismatch");
      // Another row's example (a different example index): a real example, at the wrong place.
      const idx = batchIndices(src.pre.rng, src.program.header.batchSize, d.count);
      const other = idx.findIndex((x) => x !== idx[0]);
      expect(other).to.be.greaterThan(0);
      const o2 = b(2, 0);
      o2.opening.example = clone(b(2, other).opening.example);
      await expectRevert(call(o2, 2, 0), "DatasetRootMismatch");
      const o3 = b(2, 1);
      o3.opening.example.label = (o3.opening.example.label + 1) % 3;
      await expectRevert(call(o3, 2, 1), "DatasetRootMismatch");
      const o4 = b(1, 0);
      o4.opening.dataset.count += 1;
      await expectRevert(call(o4, 1, 0), "DatasetMismatch");
      const o5 = b(1, 0);
      o5.opening.pre.rng = flip(o5.opening.pre.rng);
      await expectRevert(call(o5, 1, 0), "StateRootMismatch");
    });

    it("a wrong pre-state header or state-out record (post-state anchor)", async () => {
      const a = () => buildSettlementOperands(src, E - 1, 0) as Extract<SettlementOperands, { kind: "postAnchor" }>;
      const o = a();
      o.opening.pre.step += 1n;
      await expectRevert(call(o, E - 1, 0), "StateRootMismatch");
      const o2 = a();
      o2.opening.stateOut[0]!.record.outputRoot = flip(o2.opening.stateOut[0]!.record.outputRoot);
      await expectRevert(call(o2, E - 1, 0), "TraceRootMismatch");
      const o3 = a();
      const [r0, r1, ...rest] = o3.opening.stateOut;
      o3.opening.stateOut = [r1!, r0!, ...rest];
      await expectRevert(call(o3, E - 1, 0), "OperandMismatch");
      const o4 = a();
      o4.opening.stateOut = o4.opening.stateOut.slice(0, -1);
      await expectRevert(call(o4, E - 1, 0), "StateOutCountMismatch");
    });

    it("a non-empty proof (the mock recomputes): ops, anchor and batch", async () => {
      await expectRevert(call(ops(ZB, 0), ZB, 0, {}, "0x00"), "ProofNotEmpty");
      await expectRevert(call(buildSettlementOperands(src, E - 1, 0), E - 1, 0, {}, "0x00"), "ProofNotEmpty");
      await expectRevert(call(buildSettlementOperands(src, 1, 0), 1, 0, {}, "0x00"), "ProofNotEmpty");
    });

    it("missing or extra leaves, an element out of range, the pre-state anchor, short operands", async () => {
      const o = ops(Z1, 0);
      const leaves = o.inputs[1]!.leaves;
      o.inputs[1]!.leaves = [];
      await expectRevert(call(o, Z1, 0), "MissingLeaf");
      o.inputs[1]!.leaves = [...leaves, leaves[0]!];
      await expectRevert(call(o, Z1, 0), "ExtraLeaves");
      const o2 = ops(ZB, 0);
      o2.inputs.pop();
      await expectRevert(call(o2, ZB, 0), "OpeningCountMismatch");
      const n = src.program.entries[ZB]!.shape.reduce((a, b) => a * b, 1);
      await expectRevert(call(ops(ZB, 0), ZB, n, {}), "DisputedElementOutOfRange");
      const pre: SettlementOperands = {
        ...ops(ZB, 0), inputs: [],
        entry: { entry: 0, tensorId: 0xffffffff, code: 254, inputs: [], attrs: [], width: 0, dims: [] },
        entryPath: proofOf(src.program.tree, 1).map((h) => toHex(h)),
      };
      await expectRevert(call(pre, 0, 0), "UnsupportedCode");
      await expectRevert(trueValue(settlementContext(src, ZB, 0), "0x00"), "OperandsTooShort");
    });
  });

  // ------------------------------------------------------------------ term slices (level 4)

  describe("matmul/col_sum term slices: accIn + the slice's products, only the slice's elements opened (INV-GAME-9)", () => {
    it("operand indices of a slice in every transA/transB form and for col_sum, on chain as in TypeScript", async () => {
      const rnd = picker(11);
      for (const [ta, tb] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const [m, kk, n] = [3, 13, 5];
        const a = ta ? [kk, m] : [m, kk], b = tb ? [n, kk] : [kk, n];
        for (let trial = 0; trial < 6; trial++) {
          const e = rnd(m * n), lo = rnd(kk), hi = lo + 1 + rnd(kk - lo);
          const ts = operandIndices(1, [ta, tb], [m, n], [a, b], e, { lo, hi, count: kk });
          expect(ts[0]!.length).to.equal(hi - lo);
          const onChain = (await k.read.operandIndices([1, [BigInt(ta), BigInt(tb)], [m, n], [a, b], BigInt(e), BigInt(lo), BigInt(hi), BigInt(kk)])) as readonly (readonly bigint[])[];
          expect(onChain.map((r) => r.map(Number)), `transA ${ta} transB ${tb} e ${e} [${lo}, ${hi})`).to.deep.equal(ts);
        }
      }
      const cs = operandIndices(7, [], [5], [[9, 5]], 2, { lo: 3, hi: 7, count: 9 });
      expect(cs).to.deep.equal([[17, 22, 27, 32]]);
      const onChain = (await k.read.operandIndices([7, [], [5], [[9, 5]], 2n, 3n, 7n, 9n])) as readonly (readonly bigint[])[];
      expect(onChain.map((r) => r.map(Number))).to.deep.equal(cs);
    });

    it("a wrong K, an empty slice or one past K reverts (the game then fails the solver who declared K)", async () => {
      await expectRevert(k.read.operandIndices([1, [0n, 0n], [3, 5], [[3, 13], [13, 5]], 0n, 0n, 8n, 12n]), "TermCountMismatch");
      await expectRevert(k.read.operandIndices([1, [0n, 0n], [3, 5], [[3, 13], [13, 5]], 0n, 0n, 14n, 13n]), "TermSliceOutOfRange");
      await expectRevert(k.read.operandIndices([1, [0n, 0n], [3, 5], [[3, 13], [13, 5]], 0n, 4n, 4n, 13n]), "TermSliceOutOfRange");
      await expectRevert(k.read.operandIndices([7, [], [5], [[9, 5]], 2n, 0n, 4n, 8n]), "TermCountMismatch");
      await expectRevert(k.read.operandIndices([7, [], [5], [[9, 5]], 2n, 8n, 10n, 9n]), "TermSliceOutOfRange");
    });

    const src = s1.src;
    const accEntries = src.program.entries.flatMap((p, i) => (p.code === 1 || p.code === 7 ? [i] : []));

    it("on every matmul (each transA/transB form of the step) and col_sum entry of a real step: random slices give the true partial sum at termHi", async () => {
      const rnd = picker(23);
      const forms = new Set<string>();
      let n = 0;
      for (const entry of accEntries) {
        const p = src.program.entries[entry]!;
        const count = p.shape.reduce((a, b) => a * b, 1);
        const inputs = operandValues(src, entry);
        const K = termCount(p.code, p.attrs, inputs.map((x) => x.shape));
        if (p.code === 1) forms.add(`${p.attrs[0]}${p.attrs[1]}`);
        for (let trial = 0; trial < 3; trial++) {
          const e = rnd(count), lo = rnd(K), hi = Math.min(K, lo + 1 + rnd(8));
          const P = partialSums(accumulationTerms(p.code, p.attrs, p.shape, inputs, e));
          expect(P[K]).to.equal(BigInt(s1.all[p.tensorId]!.data[e]!));
          const slice = { lo, hi, count: K };
          const o = buildSettlementOperands(src, entry, e, slice) as Extract<SettlementOperands, { kind: "op" }>;
          // Only the slice's elements are opened: at most one leaf per term per input.
          for (const inp of o.inputs) expect(inp.leaves.length <= hi - lo).to.equal(true);
          const v = await trueValue(settlementContext(src, entry, e, slice, P[lo]!), encodeSettlementOperands(o));
          expect(asInt(v), `entry ${entry} (code ${p.code}) e ${e} [${lo}, ${hi})`).to.equal(P[hi]!);
          // Another accIn shifts the result by the difference (the game decides who is right about accIn).
          const w = await trueValue(settlementContext(src, entry, e, slice, P[lo]! + 5n), encodeSettlementOperands(o));
          expect(asInt(w)).to.equal(P[hi]! + 5n);
          n++;
        }
      }
      expect([...forms].sort()).to.deep.equal(["00", "01", "10"]);
      expect(n).to.equal(3 * accEntries.length);
    });

    it("the verifier checks K against the opened shapes, termHi against K, and the openings against the roots", async () => {
      const Z1 = accEntries.find((i) => src.program.entries[i]!.code === 1)!;
      const K = wholeSlice(src, Z1)!.count;
      const slice = { lo: 1, hi: Math.min(K, 5), count: K };
      const o = buildSettlementOperands(src, Z1, 3, slice);
      const enc = encodeSettlementOperands(o);
      await expectRevert(trueValue(settlementContext(src, Z1, 3, { ...slice, count: K + 1 }), enc), "TermCountMismatch");
      await expectRevert(trueValue(settlementContext(src, Z1, 3, { ...slice, count: 0 }), enc), "TermCountMismatch");
      await expectRevert(trueValue(settlementContext(src, Z1, 3, { lo: 0, hi: K + 1, count: K }), enc), "TermSliceOutOfRange");
      await expectRevert(trueValue(settlementContext(src, Z1, 3, { lo: 2, hi: 2, count: K }), enc), "TermSliceOutOfRange");
      const bad = clone(o) as Extract<SettlementOperands, { kind: "op" }>;
      const leaf = bad.inputs[1]!.leaves[0]!;
      leaf.data = flip(leaf.data, 0);
      await expectRevert(trueValue(settlementContext(src, Z1, 3, slice), encodeSettlementOperands(bad)), "TensorRootMismatch");
      // The elements are the context's slice, whatever slice the openings were made for: here every operand
      // fits one leaf, so another slice's openings decode to the same (true) value; without the leaf: MissingLeaf.
      const P = partialSums(accumulationTerms(1, src.program.entries[Z1]!.attrs, src.program.entries[Z1]!.shape, operandValues(src, Z1), 3));
      const other = encodeSettlementOperands(buildSettlementOperands(src, Z1, 3, { lo: 0, hi: 1, count: K }));
      expect(asInt(await trueValue(settlementContext(src, Z1, 3, slice, P[1]!), other))).to.equal(P[slice.hi]!);
      const none = clone(o) as Extract<SettlementOperands, { kind: "op" }>;
      none.inputs[0]!.leaves = [];
      await expectRevert(trueValue(settlementContext(src, Z1, 3, slice), encodeSettlementOperands(none)), "MissingLeaf");
      expect(() => buildSettlementOperands(src, Z1, 3, { lo: 0, hi: 2, count: K + 1 })).to.throw(/declared K/);
    });
  });

  // ------------------------------------------------------------------ gas

  it("gas of trueValue (tiny model): elementwise op, post-state anchor, batch x element, matmul k = 6 and 8", async () => {
    const src = s1.src;
    const E = src.program.header.entries;
    const entryOf = (name: string) => src.program.entries.findIndex((p) => p.tensorId === src.graph.tensors.findIndex((t) => t.name === name));
    const cases: [string, number, number][] = [
      ["bias_add l0.zb (elementwise)", entryOf("l0.zb"), 9],
      ["sgd_update l0.w' (elementwise, state + trace)", entryOf("l0.w'"), 17],
      ["post-state anchor", E - 1, 0],
      ["batch x element", 1, 9],
      ["matmul l0.z (k = 6)", entryOf("l0.z"), 9],
      ["matmul l1.z (k = 8)", entryOf("l1.z"), 5],
      ["col_sum l1.gb (m = 4)", entryOf("l1.gb"), 1],
    ];
    const rows: string[] = [];
    for (const [name, entry, e] of cases) {
      const ctx = settlementContext(src, entry, e);
      const operands = encodeSettlementOperands(buildSettlementOperands(src, entry, e));
      const [, exec] = (await k.read.gasTrueValue([ctx, operands, "0x"])) as [Hex, bigint];
      const total = await pc.estimateGas({ to: mock.address, data: encodeFunctionData({ abi: mock.abi, functionName: "trueValue", args: [ctx, operands, "0x"] }) });
      rows.push(`${name.padEnd(48)} execution ${String(exec).padStart(7)}  as a transaction ${String(total).padStart(7)}  operands ${(operands.length - 2) / 2} B`);
      expect(Number(exec)).to.be.lessThan(1_000_000);
    }
    console.log(`gas of trueValue (RecomputeKernelVerifier):\n  ${rows.join("\n  ")}`);
  });
});
