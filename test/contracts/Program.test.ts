// Cross-checks the on-chain program verifier (contracts/lib/ProgramCommitment.sol) against the shared
// vectors (`program` of test/vectors/commitments.v1.json) and against commitment/program.ts.
import { describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { network } from "hardhat";
import { type Hex } from "viem";
import { toHex } from "../../commitment/hash.ts";
import { proofOf } from "../../commitment/merkle.ts";
import { buildProgram, programEntryHash, programHeaderHash, programLeafIndex, programStateHash, type Program } from "../../commitment/program.ts";
import { buildStepGraph } from "../../engine/graph.ts";
import { makeSpec } from "../../engine/spec.ts";
import { datasetRoot } from "../../commitment/dataset.ts";
import { syntheticDataset, tinySpec } from "../vectors/generate.ts";
import { expectRevert } from "./helpers/viem.ts";
import { tensorDescription } from "../../dispute/terms.ts";

interface HeaderVec { entries: number; stateTensors: number; batchSize: number; firstOpTensorId: number; stateOutEntries: number[]; hash: Hex; siblings: Hex[] }
interface EntryVec { entry: number; tensorId: number; code: number; inputs: number[]; attrs: number[]; width: number; shape: number[]; hash: Hex; siblings: Hex[] }
interface StateVec { index: number; tensorId: number; width: number; shape: number[]; hash: Hex; leafIndex: number; siblings: Hex[] }
interface ProgramVec { root: Hex; header: HeaderVec; entries: EntryVec[]; stateTensors: StateVec[] }

const VECTORS_PATH = fileURLToPath(new URL("../vectors/commitments.v1.json", import.meta.url));
const P: ProgramVec = JSON.parse(readFileSync(VECTORS_PATH, "utf8")).program;

type Header = { entries: number; stateTensors: number; batchSize: number; firstOpTensorId: number; stateOutEntries: readonly number[] };
type Entry = { entry: number; tensorId: number; code: number; inputs: readonly number[]; attrs: readonly bigint[]; width: number; dims: readonly number[] };
type State = { index: number; tensorId: number; width: number; dims: readonly number[] };

const header = (h: Header): Header => ({ entries: h.entries, stateTensors: h.stateTensors, batchSize: h.batchSize, firstOpTensorId: h.firstOpTensorId, stateOutEntries: h.stateOutEntries });
const entry = (e: { entry: number; tensorId: number; code: number; inputs: readonly number[]; attrs: readonly number[]; width: number; shape: readonly number[] }): Entry => ({
  entry: e.entry, tensorId: e.tensorId, code: e.code, inputs: e.inputs, attrs: e.attrs.map(BigInt), width: e.width, dims: e.shape,
});
const state = (s: { index: number; tensorId: number; width: number; shape: readonly number[] }): State => ({ index: s.index, tensorId: s.tensorId, width: s.width, dims: s.shape });


describe("ProgramCommitment (Solidity) vs commitments.v1.json and commitment/program.ts", async () => {
  const { viem } = await network.create();
  const h = await viem.deployContract("ProgramHarness");

  it("reproduces the header hash and verifies it at leaf 0", async () => {
    expect(await h.read.headerHash([header(P.header)])).to.equal(P.header.hash);
    expect(await h.read.verifyHeader([P.root, header(P.header), P.header.siblings])).to.equal(true);
  });

  it("reproduces every entry hash (anchors, batch inputs, ops with negative attrs) and verifies each at leaf 1 + entry", async () => {
    expect(P.entries).to.have.length(P.header.entries);
    for (const e of P.entries) {
      expect(await h.read.entryHash([entry(e)])).to.equal(e.hash, `entry ${e.entry}`);
      expect(await h.read.verifyEntry([P.root, entry(e), e.siblings])).to.equal(true);
    }
    expect(P.entries.some((e) => e.attrs.some((a) => a < 0))).to.equal(true);
  });

  it("reproduces every state-tensor hash and verifies each at leaf 1 + entries + index", async () => {
    for (const s of P.stateTensors) {
      expect(s.leafIndex).to.equal(1 + P.header.entries + s.index);
      expect(await h.read.stateHash([state(s)])).to.equal(s.hash);
      expect(await h.read.verifyState([P.root, P.header.entries, state(s), s.siblings])).to.equal(true);
    }
  });

  it("agrees with buildProgram on other specs (momentum, width-8 tensors, a deeper net)", async () => {
    const d = syntheticDataset(12, 6, 3);
    const specs = [
      tinySpec(d),
      makeSpec({ layers: [6, 5, 4, 3], batchSize: 3, seed: "02".repeat(32), data: { root: datasetRoot(d).toString("hex"), count: d.count, features: d.features, classes: d.classes }, quant: { weightShift: 0, weightMax: 2 ** 31 - 1, masterMax: 2 ** 31 - 1 }, optimizer: { momentumNum: 7 } }),
    ];
    let wide = 0;
    for (const spec of specs) {
      const prog: Program = buildProgram(spec, buildStepGraph(spec));
      const root = toHex(prog.root);
      expect(await h.read.headerHash([header(prog.header)])).to.equal(toHex(programHeaderHash(prog.header)));
      expect(await h.read.verifyHeader([root, header(prog.header), proofOf(prog.tree, 0).map(toHex)])).to.equal(true);
      for (const e of prog.entries) {
        if (e.width === 8) wide++;
        expect(await h.read.entryHash([entry(e)])).to.equal(toHex(programEntryHash(e)));
        expect(await h.read.verifyEntry([root, entry(e), proofOf(prog.tree, programLeafIndex.entry(e.entry)).map(toHex)])).to.equal(true);
      }
      for (const s of prog.stateTensors) {
        expect(await h.read.stateHash([state(s)])).to.equal(toHex(programStateHash(s)));
        const path = proofOf(prog.tree, programLeafIndex.state(prog.header, s.index)).map(toHex);
        expect(await h.read.verifyState([root, prog.header.entries, state(s), path])).to.equal(true);
      }
    }
    expect(wide).to.be.greaterThan(0);
  });

  it("rejects any changed field, a moved entry or a wrong path with ProgramRootMismatch", async () => {
    const e = P.entries[3]!;
    const base = entry(e);
    const variants: Entry[] = [
      { ...base, entry: base.entry + 1 },
      { ...base, tensorId: base.tensorId + 1 },
      { ...base, code: base.code + 1 },
      { ...base, inputs: [...base.inputs, 0] },
      { ...base, attrs: base.attrs.map((a, i) => (i === 0 ? a + 1n : a)) },
      { ...base, width: 8 },
      { ...base, dims: [...base.dims].reverse() },
    ];
    for (const v of variants) await expectRevert(h.read.verifyEntry([P.root, v, e.siblings]), "ProgramRootMismatch");
    await expectRevert(h.read.verifyEntry([P.root, base, P.entries[4]!.siblings]), "ProgramRootMismatch");
    await expectRevert(h.read.verifyHeader([P.root, { ...header(P.header), entries: P.header.entries + 1 }, P.header.siblings]), "ProgramRootMismatch");
    await expectRevert(h.read.verifyHeader([P.root, { ...header(P.header), stateOutEntries: P.header.stateOutEntries.slice(1) }, P.header.siblings]), "ProgramRootMismatch");
    const s = P.stateTensors[0]!;
    await expectRevert(h.read.verifyState([P.root, P.header.entries + 1, state(s), s.siblings]), "ProgramRootMismatch");
  });

  it("openTensor gives every state tensor's and every batch input's or op output's width and shape from its leaf, and rejects another tensor's description (OperandMismatch) or a leaf not in the program (the K proof of DisputeGame.postTerms, the verifier's operand opening)", async () => {
    const prog: Program = buildProgram(tinySpec(syntheticDataset(12, 6, 3)), buildStepGraph(tinySpec(syntheticDataset(12, 6, 3))));
    const root = toHex(prog.root), E = prog.header.entries;
    const described = [...prog.stateTensors.map((t) => ({ id: t.tensorId, width: t.width, shape: t.shape })), ...prog.entries.slice(1, -1).map((e) => ({ id: e.tensorId, width: e.width, shape: e.shape }))];
    expect(described.length).to.equal(prog.header.stateTensors + E - 2);
    for (const t of described) {
      const d = tensorDescription(prog, t.id);
      expect(d.isState).to.equal(t.id >= 2 && t.id < 2 + prog.header.stateTensors);
      expect(await h.read.openTensor([root, E, BigInt(t.id), d]), `tensor ${t.id}`).to.deep.equal([t.width, t.shape]);
    }
    const st = tensorDescription(prog, 3), op = tensorDescription(prog, prog.header.firstOpTensorId + 2);
    await expectRevert(h.read.openTensor([root, E, 4n, st]), "OperandMismatch", [2n, 4n, 1n, 3n]);
    await expectRevert(h.read.openTensor([root, E, 3n, { ...st, state: { ...st.state, index: 2 } }]), "OperandMismatch");
    await expectRevert(h.read.openTensor([root, E, 0n, { ...st, state: { ...st.state, tensorId: 0, index: 0 } }]), "OperandMismatch");
    await expectRevert(h.read.openTensor([root, E, BigInt(prog.header.firstOpTensorId), op]), "OperandMismatch");
    await expectRevert(h.read.openTensor([root, E, 3n, { ...st, isState: false }]), "OperandMismatch");
    await expectRevert(h.read.openTensor([root, E, 3n, { ...st, state: { ...st.state, dims: [...st.state.dims, 1] } }]), "ProgramRootMismatch");
    await expectRevert(h.read.openTensor([root, E + 1, 3n, st]), "ProgramRootMismatch");
    await expectRevert(h.read.openTensor([root, E, BigInt(prog.header.firstOpTensorId + 2), { ...op, producer: { ...op.producer, width: 8 } }]), "ProgramRootMismatch");
  });

  it("rejects more than 255 inputs, attributes or dims (one-byte counts)", async () => {
    const base = entry(P.entries[3]!);
    await expectRevert(h.read.entryHash([{ ...base, inputs: new Array(256).fill(1) }]), "TooManyInputs");
    await expectRevert(h.read.entryHash([{ ...base, attrs: new Array(256).fill(1n) }]), "TooManyAttrs");
    await expectRevert(h.read.entryHash([{ ...base, dims: new Array(256).fill(1) }]), "RankTooLarge");
    await expectRevert(h.read.stateHash([{ ...state(P.stateTensors[0]!), dims: new Array(256).fill(1) }]), "RankTooLarge");
    expect(await h.read.entryHash([{ ...base, inputs: new Array(255).fill(1) }])).to.match(/^0x[0-9a-f]{64}$/);
  });
});
