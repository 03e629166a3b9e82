// Cross-checks the on-chain commitment libraries (contracts/lib/*Commitment.sol) against the shared
// vectors test/vectors/commitments.v1.json and against the TypeScript commitment code they mirror.
import { describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { network } from "hardhat";
import { bytesToHex, type Hex } from "viem";
import { datasetRoot as tsDatasetRoot, datasetTree, exampleLeaf as tsExampleLeaf } from "../../commitment/dataset.ts";
import { toHex } from "../../commitment/hash.ts";
import { historyTree } from "../../commitment/history.ts";
import { proofOf } from "../../commitment/merkle.ts";
import { commitTensor, proveElement } from "../../commitment/tensorCommit.ts";
import { batchIndices, initialRng, nextRng } from "../../engine/random.ts";
import { syntheticDataset } from "../vectors/generate.ts";
import { expectRevert } from "./helpers/viem.ts";

// ------------------------------------------------------------------ the vectors

interface MerkleVec { leaves: Hex[]; depth: number; root: Hex; proofs: { index: number; siblings: Hex[] }[] }
interface Opening { index: number; value: number; leafIndex: number; leaf: Hex; siblings: Hex[] }
interface TensorVec { name: string; shape: number[]; width: number; values: number[]; dataRoot: Hex; root: Hex; openings: Opening[] }
interface TraceEntryVec {
  entry: number; tensorId: number; name: string; code: number; inputs: number[]; attrs: number[];
  outputRoot: Hex; recordHash: Hex; siblings: Hex[];
}
interface Vectors {
  leafBytes: number;
  merkle: MerkleVec[];
  tensors: TensorVec[];
  state: {
    spec: { training: { seed: string }; data: { root: string; count: number; features: number; classes: number } };
    specHash: string; step: number; dataCursor: number; rng: Hex; headerHash: Hex; tensorRoots: Hex[]; root: Hex;
    tensorProofs: { tensor: number; leafIndex: number; siblings: Hex[] }[];
  };
  history: { checkpoints: { step: number; root: Hex }[]; leaves: Hex[]; root: Hex; proofs: { index: number; siblings: Hex[] }[] };
  trace: { step: number; root: Hex; entries: TraceEntryVec[] };
  dataset: { count: number; features: number; classes: number; root: Hex; example0: { pixels: number[]; label: number; leaf: Hex } };
}

const VECTORS_PATH = fileURLToPath(new URL("../vectors/commitments.v1.json", import.meta.url));
const V: Vectors = JSON.parse(readFileSync(VECTORS_PATH, "utf8"));

const hex32 = (s: string): Hex => (s.startsWith("0x") ? s : `0x${s}`) as Hex;
const ZERO: Hex = `0x${"00".repeat(32)}`;

/** Independent little-endian encoder of a tensor's values, zero-padded to whole 1024-byte leaves. */
function encodeLE(values: number[], width: number): Uint8Array {
  const n = Math.max(1, Math.ceil((values.length * width) / 1024)) * 1024;
  const buf = new Uint8Array(n);
  const dv = new DataView(buf.buffer);
  values.forEach((v, i) => (width === 4 ? dv.setInt32(i * 4, v, true) : dv.setBigInt64(i * 8, BigInt(v), true)));
  return buf;
}


function flipByte(h: Hex, byteIndex: number): Hex {
  const b = Buffer.from(h.slice(2), "hex");
  b[byteIndex]! ^= 0x01;
  return bytesToHex(b);
}

// Note: artifacts/ is outside tsconfig's `include`, so contract reads are typed `unknown` and are cast.
describe("commitment libraries (Solidity) vs commitments.v1.json", async () => {
  const { viem } = await network.create();
  const h = await viem.deployContract("CommitmentHarness");
  const m = await viem.deployContract("Sha256MerkleHarness");
  const pc = await viem.getPublicClient();

  it("reproduces every Merkle vector (roots and proofs)", async () => {
    for (const t of V.merkle) {
      for (const p of t.proofs) {
        expect(p.siblings).to.have.length(t.depth);
        expect(await m.read.computeRoot([t.leaves[p.index]!, BigInt(p.index), p.siblings])).to.equal(t.root);
      }
    }
  });

  describe("TensorCommitment", () => {
    it("reproduces both tensors' data roots, roots and leaf bytes", async () => {
      for (const t of V.tensors) {
        const bytes = encodeLE(t.values, t.width);
        for (const o of t.openings) {
          const leaf = bytes.subarray(o.leafIndex * 1024, (o.leafIndex + 1) * 1024);
          expect(bytesToHex(leaf)).to.equal(o.leaf);
          const lh = await h.read.leafHash([o.leaf]);
          expect(await m.read.computeRoot([lh, BigInt(o.leafIndex), o.siblings])).to.equal(t.dataRoot);
        }
        expect(await h.read.tensorRoot([t.width, t.shape, t.dataRoot])).to.equal(t.root);
      }
    });

    it("opens every vector opening to its value (i32 negatives, i64 extremes)", async () => {
      let n = 0;
      for (const t of V.tensors) {
        for (const o of t.openings) {
          const v = await h.read.openElement([t.root, t.width, t.shape, BigInt(o.index), o.leaf, o.siblings]);
          expect(v).to.equal(BigInt(o.value));
          expect(v).to.equal(BigInt(t.values[o.index]!));
          n++;
        }
      }
      expect(n).to.equal(9);
    });

    it("opens every element of both tensors (each offset of each leaf)", async () => {
      for (const t of V.tensors) {
        const per = 1024 / t.width;
        const pathOf = new Map(t.openings.map((o) => [o.leafIndex, o] as const));
        const got = await Promise.all(
          t.values.map((_, i) => {
            const o = pathOf.get(Math.floor(i / per))!;
            return h.read.openElement([t.root, t.width, t.shape, BigInt(i), o.leaf, o.siblings]);
          }),
        );
        expect(got).to.deep.equal(t.values.map(BigInt));
      }
    });

    const [ramp, big] = V.tensors as [TensorVec, TensorVec];
    const o0 = ramp.openings[0]!; // leaf 0
    const args = (over: Partial<{ root: Hex; width: number; shape: number[]; index: bigint; leaf: Hex; siblings: Hex[] }> = {}) =>
      [over.root ?? ramp.root, over.width ?? 4, over.shape ?? ramp.shape, over.index ?? 1n, over.leaf ?? o0.leaf, over.siblings ?? o0.siblings] as const;

    it("rejects a tampered leaf byte, sibling, root or shape with TensorRootMismatch", async () => {
      for (const byte of [0, 4, 1023]) await expectRevert(h.read.openElement(args({ leaf: flipByte(o0.leaf, byte) })), "TensorRootMismatch");
      await expectRevert(h.read.openElement(args({ siblings: [flipByte(o0.siblings[0]!, 31)] })), "TensorRootMismatch");
      await expectRevert(h.read.openElement(args({ root: flipByte(ramp.root, 0) })), "TensorRootMismatch");
      await expectRevert(h.read.openElement(args({ shape: [100, 3] })), "TensorRootMismatch");
    });

    it("rejects a wrong index (another leaf's element) with TensorRootMismatch", async () => {
      await expectRevert(h.read.openElement(args({ index: 256n })), "TensorRootMismatch");
      await expectRevert(h.read.openElement(args({ index: 299n })), "TensorRootMismatch");
    });

    it("rejects a wrong width: InvalidWidth outside {4, 8}, TensorRootMismatch for the other one", async () => {
      for (const w of [0, 1, 2, 5, 16]) await expectRevert(h.read.openElement(args({ width: w })), "InvalidWidth");
      const b = big.openings[0]!;
      await expectRevert(h.read.openElement([big.root, 4, big.shape, 0n, b.leaf, b.siblings]), "TensorRootMismatch");
      // ramp as width 8: 300 elements need 3 leaves, so the depth-1 path is rejected first.
      await expectRevert(h.read.openElement(args({ width: 8 })), "ProofDepthMismatch");
    });

    it("rejects an index out of range with ElementIndexOutOfRange", async () => {
      for (const i of [300n, 301n, 512n, 2n ** 255n]) await expectRevert(h.read.openElement(args({ index: i })), "ElementIndexOutOfRange");
      await expectRevert(h.read.openElement([big.root, 8, big.shape, 5n, big.openings[0]!.leaf, []]), "ElementIndexOutOfRange");
    });

    it("rejects a leaf of the wrong length with LeafLengthMismatch", async () => {
      await expectRevert(h.read.openElement(args({ leaf: o0.leaf.slice(0, -2) as Hex })), "LeafLengthMismatch");
      await expectRevert(h.read.openElement(args({ leaf: `${o0.leaf}00` })), "LeafLengthMismatch");
      await expectRevert(h.read.openElement(args({ leaf: "0x" })), "LeafLengthMismatch");
      await expectRevert(h.read.leafHash([`${o0.leaf}00`]), "LeafLengthMismatch");
    });

    it("rejects a path of the wrong depth and malformed shapes", async () => {
      await expectRevert(h.read.openElement(args({ siblings: [] })), "ProofDepthMismatch");
      await expectRevert(h.read.openElement(args({ siblings: [...o0.siblings, ZERO] })), "ProofDepthMismatch");
      await expectRevert(h.read.openElement(args({ shape: [2 ** 32 - 1, 2 ** 32 - 1, 2] })), "ShapeTooLarge");
      await expectRevert(h.read.openElement(args({ shape: Array(256).fill(1) })), "RankTooLarge");
      await expectRevert(h.read.tensorRoot([4, Array(256).fill(1), ZERO]), "RankTooLarge");
    });
  });

  describe("StateCommitment", () => {
    const s = V.state;
    it("reproduces the header hash and verifies it at leaf 0", async () => {
      const hh = await h.read.headerHash([hex32(s.specHash), BigInt(s.step), BigInt(s.dataCursor), s.rng]);
      expect(hh).to.equal(s.headerHash);
      // Leaf 0's path: its sibling is leaf 1 (tensor 0); above that it shares leaf 1's path.
      const p1 = s.tensorProofs[0]!;
      expect(p1.siblings[0]).to.equal(s.headerHash);
      const siblings = [s.tensorRoots[0]!, ...p1.siblings.slice(1)];
      await h.read.verifyHeader([s.root, hex32(s.specHash), BigInt(s.step), BigInt(s.dataCursor), s.rng, siblings]);
      await expectRevert(
        h.read.verifyHeader([s.root, hex32(s.specHash), BigInt(s.step + 1), BigInt(s.dataCursor), s.rng, siblings]),
        "StateRootMismatch",
      );
    });

    it("verifies each tensor root's path to the state root", async () => {
      for (const p of s.tensorProofs) {
        expect(p.leafIndex).to.equal(p.tensor + 1);
        await h.read.verifyTensorRoot([s.root, BigInt(p.tensor), s.tensorRoots[p.tensor]!, p.siblings]);
      }
    });

    it("rejects a wrong tensor index, a wrong root, the padding leaf and a wrapping index", async () => {
      const p = s.tensorProofs[1]!;
      await expectRevert(h.read.verifyTensorRoot([s.root, 2n, s.tensorRoots[1]!, p.siblings]), "StateRootMismatch");
      await expectRevert(h.read.verifyTensorRoot([s.root, 1n, s.tensorRoots[2]!, p.siblings]), "StateRootMismatch");
      // 4 tensors + header = 5 leaves, depth 3: leaves 5..7 are zero padding; "tensor 4 is zero" would verify.
      const pad = proofOfPadding(s);
      expect(await m.read.computeRoot([ZERO, 5n, pad])).to.equal(s.root);
      await expectRevert(h.read.verifyTensorRoot([s.root, 4n, ZERO, pad]), "PaddingLeaf");
      await expectRevert(h.read.verifyTensorRoot([s.root, 2n ** 256n - 1n, s.tensorRoots[0]!, p.siblings]), "TensorIndexOutOfRange");
      await expectRevert(h.read.verifyTensorRoot([s.root, 8n, s.tensorRoots[1]!, p.siblings]), "IndexOutOfRange");
    });
  });

  describe("HistoryCommitment", () => {
    const hv = V.history;
    it("reproduces every checkpoint leaf and verifies every proof", async () => {
      for (const [i, c] of hv.checkpoints.entries()) {
        expect(await h.read.checkpointLeaf([BigInt(c.step), c.root])).to.equal(hv.leaves[i]);
        await h.read.verifyCheckpoint([hv.root, BigInt(i), BigInt(c.step), c.root, hv.proofs[i]!.siblings]);
      }
      expect(hv.checkpoints[1]!.root).to.equal(V.state.root);
    });

    it("rebuildRoot equals commitment/history.ts's history root for every checkpoint count 1 .. 70 and some large ones (INV-MKT-4)", async () => {
      for (const n of [...Array.from({ length: 70 }, (_, i) => i + 1), 127, 128, 129, 300, 1025]) {
        // A schedule of n checkpoints: steps = (n - 1) * 3 - (n > 2 ? 1 : 0), interval 3 (the last one short).
        const interval = 3, steps = n === 1 ? 0 : (n - 1) * interval - (n > 2 ? 1 : 0);
        const cps = Array.from({ length: n }, (_, i) => ({ step: Math.min(i * interval, steps), root: Buffer.alloc(32, (i * 37 + 11) & 0xff) }));
        cps.forEach((c, i) => c.root.writeUInt32BE(i + 1, 0));
        const expected = toHex(historyTree(cps).root);
        expect(await h.read.rebuildRoot([cps.map((c) => toHex(c.root)), BigInt(steps), BigInt(interval)]), `n = ${n}`).to.equal(expected);
      }
      const cps = hv.checkpoints;
      expect(await h.read.rebuildRoot([cps.map((c) => c.root), BigInt(cps.at(-1)!.step), BigInt(cps[1]!.step)])).to.equal(hv.root);
    });

    it("rebuildRoot rejects a zero state root, naming its index", async () => {
      const roots = hv.checkpoints.map((c) => c.root);
      roots[2] = `0x${"00".repeat(32)}`;
      await expectRevert(h.read.rebuildRoot([roots, 10n, 1n]), "ZeroCheckpointRoot", [2n]);
    });

    it("rejects a wrong step, index or state root with HistoryRootMismatch", async () => {
      const c = hv.checkpoints[2]!, sib = hv.proofs[2]!.siblings;
      await expectRevert(h.read.verifyCheckpoint([hv.root, 2n, BigInt(c.step + 1), c.root, sib]), "HistoryRootMismatch");
      await expectRevert(h.read.verifyCheckpoint([hv.root, 3n, BigInt(c.step), c.root, sib]), "HistoryRootMismatch");
      await expectRevert(h.read.verifyCheckpoint([hv.root, 2n, BigInt(c.step), hv.checkpoints[1]!.root, sib]), "HistoryRootMismatch");
    });
  });

  describe("TraceCommitment", () => {
    const tv = V.trace;
    const rec = (e: TraceEntryVec) => ({
      entry: e.entry, tensorId: e.tensorId, code: e.code, inputs: e.inputs, attrs: e.attrs.map(BigInt), outputRoot: e.outputRoot,
    });
    it("reproduces every record hash and verifies its path to the trace root", async () => {
      expect(tv.entries).to.have.length(27); // 2 anchors, 2 batch inputs, 23 ops
      expect([tv.entries[0]!.code, tv.entries[26]!.code]).to.deep.equal([254, 255]);
      for (const e of tv.entries) {
        const r = rec(e);
        expect(await h.read.recordHash([r.entry, r.tensorId, r.code, r.inputs, r.attrs, r.outputRoot])).to.equal(e.recordHash);
        await h.read.verifyRecord([tv.root, r, e.siblings]);
      }
    });

    it("rejects a tampered record or a moved entry with TraceRootMismatch; >255 inputs or attrs", async () => {
      const e = tv.entries.find((x) => x.name === "l0.w'")!; // sgd_update: 2 inputs, 4 attrs including negatives
      const r = rec(e);
      await expectRevert(h.read.verifyRecord([tv.root, { ...r, attrs: [r.attrs[0]!, r.attrs[1]!, r.attrs[2]! - 1n, r.attrs[3]!] }, e.siblings]), "TraceRootMismatch");
      await expectRevert(h.read.verifyRecord([tv.root, { ...r, inputs: [r.inputs[1]!, r.inputs[0]!] }, e.siblings]), "TraceRootMismatch");
      await expectRevert(h.read.verifyRecord([tv.root, { ...r, code: 1 }, e.siblings]), "TraceRootMismatch");
      await expectRevert(h.read.verifyRecord([tv.root, { ...r, entry: r.entry - 1 }, e.siblings]), "TraceRootMismatch");
      await expectRevert(h.read.recordHash([0, 0, 0, Array(256).fill(0), [], ZERO]), "TooManyInputs");
      await expectRevert(h.read.recordHash([0, 0, 0, [], Array(256).fill(0n), ZERO]), "TooManyAttrs");
    });

    it("encodes i64 attribute extremes as two's complement", async () => {
      // Independent encoding: 0x04 || u32 entry || u32 id || code || 0 || 2 || i64be min || i64be max || root.
      const buf = Buffer.alloc(1 + 4 + 4 + 1 + 1 + 1 + 16 + 32);
      buf[0] = 4; buf.writeUInt32BE(7, 1); buf.writeUInt32BE(9, 5); buf[9] = 3; buf[10] = 0; buf[11] = 2;
      buf.writeBigInt64BE(-(2n ** 63n), 12); buf.writeBigInt64BE(2n ** 63n - 1n, 20);
      const { createHash } = await import("node:crypto");
      const want = bytesToHex(createHash("sha256").update(buf).digest());
      expect(await h.read.recordHash([7, 9, 3, [], [-(2n ** 63n), 2n ** 63n - 1n], ZERO])).to.equal(want);
    });
  });

  describe("DatasetCommitment", () => {
    const dv = V.dataset;
    const d = syntheticDataset(dv.count, dv.features, dv.classes);
    const tree = datasetTree(d);
    it("reproduces the example leaves and the dataset root (Merkle root from commitment/dataset.ts)", async () => {
      expect(Array.from(d.pixels.subarray(0, d.features))).to.deep.equal(dv.example0.pixels);
      expect(await h.read.exampleLeaf([bytesToHex(Uint8Array.from(dv.example0.pixels)), dv.example0.label])).to.equal(dv.example0.leaf);
      for (let i = 0; i < d.count; i++) {
        const px = bytesToHex(d.pixels.subarray(i * d.features, (i + 1) * d.features));
        expect(await h.read.exampleLeaf([px, d.labels[i]!])).to.equal(toHex(tsExampleLeaf(d, i)));
        await h.read.verifyExample([toHex(tree.root), BigInt(i), px, d.labels[i]!, proofOf(tree, i).map(toHex)]);
      }
      const root = await h.read.datasetRoot([dv.count, dv.features, dv.classes, toHex(tree.root)]);
      expect(root).to.equal(dv.root);
      expect(root).to.equal(toHex(tsDatasetRoot(d)));
      expect(root).to.equal(hex32(V.state.spec.data.root));
    });

    it("rejects a wrong example with DatasetRootMismatch", async () => {
      const px = bytesToHex(d.pixels.subarray(0, d.features));
      const sib = proofOf(tree, 0).map(toHex);
      await expectRevert(h.read.verifyExample([toHex(tree.root), 0n, px, 1, sib]), "DatasetRootMismatch");
      await expectRevert(h.read.verifyExample([toHex(tree.root), 1n, px, d.labels[0]!, sib]), "DatasetRootMismatch");
    });

    it("matches engine/random.ts: initialRng, nextRng, batchIndices", async () => {
      const seed = hex32(V.state.spec.training.seed);
      const rng0 = (await h.read.initialRng([seed])) as Hex;
      expect(rng0).to.equal(toHex(initialRng(Buffer.from(seed.slice(2), "hex"))));
      // The vectors' state is step 1: its rng is nextRng(initialRng(seed)).
      expect(await h.read.nextRng([rng0])).to.equal(V.state.rng);
      const rngs: Hex[] = [rng0, V.state.rng, ZERO, `0x${"ff".repeat(32)}`];
      for (let k = 0; k < 3; k++) rngs.push(toHex(nextRng(Buffer.from(rngs[rngs.length - 1]!.slice(2), "hex"))));
      for (const rng of rngs) {
        const buf = Buffer.from(rng.slice(2), "hex");
        expect(await h.read.nextRng([rng])).to.equal(toHex(nextRng(buf)));
        for (const n of [1, 12, 60000, 2 ** 36 + 7]) {
          const want = batchIndices(buf, 8, n);
          const got = await Promise.all(want.map((_, i) => h.read.batchIndex([rng, i, BigInt(n)])));
          expect(got).to.deep.equal(want.map(BigInt));
        }
      }
      await expectRevert(h.read.batchIndex([rngs[0]!, 0, 0n]), "EmptyDataset");
    });
  });

  describe("gas", () => {
    const report: Record<string, { exec: bigint; tx: bigint }> = {};

    it("openElement on a 1024-byte leaf at depth 9 (width 4 and 8)", async () => {
      for (const [width, shape, range] of [
        [4, [512, 256], [-(2 ** 31), 2 ** 31 - 1]],
        [8, [65536], [-(2 ** 53) + 1, 2 ** 53 - 1]],
      ] as const) {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1 : 1) * ((i * 2654435761) % range[1]));
        const c = commitTensor({ shape, data }, range);
        expect(c.width).to.equal(width);
        expect(c.tree.depth).to.equal(9);
        const idx = n - 7;
        const p = proveElement(c, idx);
        const a = [toHex(c.root), width, [...shape], BigInt(idx), toHex(p.leaf), p.siblings.map(toHex)] as const;
        const [value, exec] = (await h.read.gasOpenElement(a)) as readonly [bigint, bigint];
        expect(value).to.equal(BigInt(data[idx]!));
        report[`openElement w${width} depth 9`] = { exec, tx: await pc.estimateContractGas({ address: h.address, abi: h.abi, functionName: "openElement", args: a }) };
        expect(exec < 15_000n, `openElement exec gas ${exec}`).to.equal(true);
      }
    });

    it("verifyCheckpoint (vectors: depth 2; 1024 checkpoints: depth 10) and verifyRecord (depth 5)", async () => {
      const hv = V.history;
      const c = hv.checkpoints[3]!;
      const a2 = [hv.root, 3n, BigInt(c.step), c.root, hv.proofs[3]!.siblings] as const;
      report["verifyCheckpoint depth 2"] = { exec: (await h.read.gasVerifyCheckpoint(a2)) as bigint, tx: await pc.estimateContractGas({ address: h.address, abi: h.abi, functionName: "verifyCheckpoint", args: a2 }) };
      const cps = Array.from({ length: 1024 }, (_, i) => ({ step: i * 10, root: Buffer.alloc(32, i & 0xff) }));
      const ht = historyTree(cps);
      const a10 = [toHex(ht.root), 777n, BigInt(cps[777]!.step), toHex(cps[777]!.root), proofOf(ht, 777).map(toHex)] as const;
      report["verifyCheckpoint depth 10"] = { exec: (await h.read.gasVerifyCheckpoint(a10)) as bigint, tx: await pc.estimateContractGas({ address: h.address, abi: h.abi, functionName: "verifyCheckpoint", args: a10 }) };
      const e = V.trace.entries[21]!;
      const r = { entry: e.entry, tensorId: e.tensorId, code: e.code, inputs: e.inputs, attrs: e.attrs.map(BigInt), outputRoot: e.outputRoot };
      const ar = [V.trace.root, r, e.siblings] as const;
      report["verifyRecord depth 5 (2 inputs, 4 attrs)"] = { exec: (await h.read.gasVerifyRecord(ar)) as bigint, tx: await pc.estimateContractGas({ address: h.address, abi: h.abi, functionName: "verifyRecord", args: ar }) };
      console.log("gas (exec = library call only; tx = eth_estimateGas of the harness call, incl. 21000 + calldata):");
      for (const [k, v] of Object.entries(report)) console.log(`  ${k.padEnd(44)} exec ${String(v.exec).padStart(6)}  tx ${String(v.tx).padStart(6)}`);
    });
  });
});

/** Path of state-tree leaf 5 (padding): siblings leaf 4, node(6, 7) = node(0, 0), then the left half. */
function proofOfPadding(s: Vectors["state"]): Hex[] {
  const p4 = s.tensorProofs[3]!; // leaf 4: siblings [leaf 5 = 0, node(leaf 6, leaf 7), left half]
  return [s.tensorRoots[3]!, p4.siblings[1]!, p4.siblings[2]!];
}
