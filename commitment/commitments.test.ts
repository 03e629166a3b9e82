import { describe, it } from "node:test";
import { createHash } from "node:crypto";
import { expect } from "chai";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { sampleBatch, type Dataset } from "../engine/batch.ts";
import { buildStepGraph, stateLayout } from "../engine/graph.ts";
import { OP_CODES } from "../engine/ops/index.ts";
import { executeReference } from "../engine/reference.ts";
import { makeSpec } from "../engine/spec.ts";
import { initialState, type TrainingState } from "../engine/state.ts";
import { datasetRoot, datasetTree, exampleLeaf } from "./dataset.ts";
import { checkpointLeaf, historyRoot, historyTree } from "./history.ts";
import { proofOf, rootFromProof, verifyProof } from "./merkle.ts";
import { commitState, headerHash, proveStateTensor, stateRoot } from "./stateRoot.ts";
import { tensorRoot } from "./tensorCommit.ts";
import { buildTrace, INPUT_CODE, POST_ANCHOR_CODE, PRE_ANCHOR_CODE, recordHash, type TraceEntry } from "./trace.ts";

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

const d = syntheticDataset(12, 6, 3);
const spec = tinySpec(d);
const s0 = initialState(spec);
const graph = buildStepGraph(spec);
const all = executeReference(graph, s0.tensors, sampleBatch(d, s0.rng, spec));
const base: TrainingState = { ...s0, step: 5, dataCursor: 20, rng: Buffer.alloc(32, 0x5a) };

function withTensor(s: TrainingState, i: number, index: number, delta: number): TrainingState {
  const tensors = s.tensors.map((t, k) => {
    if (k !== i) return t;
    const data = Float64Array.from(t.data);
    data[index]! += delta;
    return { shape: t.shape, data };
  });
  return { ...s, tensors };
}

describe("state root", () => {
  const root = stateRoot(spec, base);

  it("header hash is sha256(0x03 || u16 version || spec hash || u64 step || u64 cursor || rng)", () => {
    const expected = sha256(Buffer.from([0x03, 0x00, 0x01]), Buffer.from(base.specHash, "hex"), u64(5), u64(20), base.rng);
    expect(headerHash(base).equals(expected)).to.equal(true);
    expect(commitState(spec, base).header.equals(expected)).to.equal(true);
  });

  it("changes when any header field changes (step, data cursor, rng, spec hash)", () => {
    const rng = Buffer.from(base.rng);
    rng[31]! ^= 1;
    const variants: [string, TrainingState][] = [
      ["step", { ...base, step: 6 }],
      ["data cursor", { ...base, dataCursor: 24 }],
      ["rng", { ...base, rng }],
      ["spec hash", { ...base, specHash: "00".repeat(32) }],
    ];
    const seen = new Set([root.toString("hex")]);
    for (const [what, s] of variants) {
      const r = stateRoot(spec, s).toString("hex");
      expect(seen.has(r), what).to.equal(false);
      seen.add(r);
    }
  });

  it("changes when one element of any tensor changes by one", () => {
    for (let i = 0; i < base.tensors.length; i++) {
      const last = base.tensors[i]!.data.length - 1;
      expect(stateRoot(spec, withTensor(base, i, last, 1)).equals(root), `tensor ${i}`).to.equal(false);
    }
  });

  it("leaf 0 is the header and leaf i+1 the root of tensor i: proveStateTensor's path verifies against the state root", () => {
    const c = commitState(spec, base);
    const layout = stateLayout(spec);
    expect(c.tree.count).to.equal(1 + layout.length);
    expect(verifyProof(c.root, c.header, 0, proofOf(c.tree, 0))).to.equal(true);
    for (let i = 0; i < layout.length; i++) {
      const p = proveStateTensor(c, i);
      expect(p.leafIndex).to.equal(i + 1);
      expect(p.root.equals(tensorRoot(base.tensors[i]!, layout[i]!.range))).to.equal(true);
      expect(rootFromProof(p.root, p.leafIndex, p.siblings).equals(c.root)).to.equal(true);
      expect(verifyProof(c.root, p.root, p.leafIndex, p.siblings)).to.equal(true);
      // The same path does not prove this tensor root at another position, nor another tensor's root here.
      expect(verifyProof(c.root, p.root, p.leafIndex ^ 1, p.siblings)).to.equal(false);
      const other = c.tensors[(i + 1) % layout.length]!.root;
      expect(verifyProof(c.root, other, p.leafIndex, p.siblings)).to.equal(false);
    }
  });

  it("rejects a state whose tensor count differs from the spec's layout", () => {
    expect(() => commitState(spec, { ...base, tensors: base.tensors.slice(1) })).to.throw(RangeError, /3 tensors, the spec defines 4/);
  });
});

describe("history tree", () => {
  const roots = [0, 1, 2].map((i) => sha256(Buffer.from(`state ${i}`)));

  it("a checkpoint leaf is sha256(0x05 || u64 step || root) and binds the step", () => {
    const leaf = checkpointLeaf({ step: 10, root: roots[0]! });
    expect(leaf.equals(sha256(Buffer.from([0x05]), u64(10), roots[0]!))).to.equal(true);
    expect(checkpointLeaf({ step: 20, root: roots[0]! }).equals(leaf)).to.equal(false);
    expect(checkpointLeaf({ step: 10, root: roots[1]! }).equals(leaf)).to.equal(false);
  });

  it("accepts strictly increasing steps; its root depends on the steps, and each leaf opens", () => {
    const cps = roots.map((root, i) => ({ step: i * 10, root }));
    const t = historyTree(cps);
    expect(t.count).to.equal(3);
    cps.forEach((c, i) => expect(verifyProof(t.root, checkpointLeaf(c), i, proofOf(t, i))).to.equal(true));
    expect(historyRoot(cps.map((c, i) => ({ ...c, step: i * 10 + 1 }))).equals(t.root)).to.equal(false);
  });

  it("rejects equal or decreasing steps", () => {
    expect(() => historyTree([{ step: 0, root: roots[0]! }, { step: 0, root: roots[1]! }])).to.throw(RangeError, /must increase: 0 then 0/);
    expect(() => historyTree([{ step: 0, root: roots[0]! }, { step: 20, root: roots[1]! }, { step: 10, root: roots[2]! }])).to.throw(RangeError, /20 then 10/);
  });
});

describe("op trace", () => {
  const preRoot = Buffer.alloc(32, 0xaa), postRoot = Buffer.alloc(32, 0xbb);
  const trace = buildTrace(graph, all, preRoot, postRoot);

  it("has a pre-state anchor, the batch inputs, one entry per op in graph order, and a post-state anchor", () => {
    expect(trace.entries).to.have.length(4 + graph.ops.length);
    expect(trace.entries[0]!.code).to.equal(PRE_ANCHOR_CODE);
    expect(trace.entries[0]!.outputRoot.equals(preRoot)).to.equal(true);
    expect(trace.entries.at(-1)!.code).to.equal(POST_ANCHOR_CODE);
    expect(trace.entries.at(-1)!.outputRoot.equals(postRoot)).to.equal(true);
    expect(trace.entries[1]!.tensorId).to.equal(graph.x);
    expect(trace.entries[2]!.tensorId).to.equal(graph.labels);
    expect(trace.entries[1]!.code).to.equal(INPUT_CODE);
    graph.ops.forEach((op, i) => {
      const e = trace.entries[i + 3]!;
      expect(e.entry).to.equal(i + 3);
      expect(e.tensorId).to.equal(op.output);
      expect(e.code).to.equal(OP_CODES[op.kind]);
      expect(e.code).to.not.equal(INPUT_CODE);
      expect(e.inputs).to.deep.equal(op.inputs);
      expect(e.outputRoot.equals(tensorRoot(all[op.output]!, graph.tensors[op.output]!.range))).to.equal(true);
    });
    trace.entries.forEach((e, i) => expect(verifyProof(trace.root, recordHash(e), i, proofOf(trace.tree, i))).to.equal(true));
  });

  it("recordHash follows the documented encoding", () => {
    const e = trace.entries.find((x) => x.attrs.length > 0 && x.inputs.length > 0)!;
    const attrs = e.attrs.map((a) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt(a));
      return b;
    });
    const expected = sha256(
      Buffer.from([0x04]), u32(e.entry), u32(e.tensorId), Buffer.from([e.code, e.inputs.length]), ...e.inputs.map(u32),
      Buffer.from([e.attrs.length]), ...attrs, e.outputRoot,
    );
    expect(recordHash(e).equals(expected)).to.equal(true);
  });

  it("recordHash changes with each hashed field (entry, tensor id, code, inputs, attrs, output root)", () => {
    const e = trace.entries.find((x) => x.attrs.length > 0 && x.inputs.length > 0)!;
    const root = Buffer.from(e.outputRoot);
    root[0]! ^= 1;
    const variants: [string, TraceEntry][] = [
      ["entry", { ...e, entry: e.entry + 1 }],
      ["tensorId", { ...e, tensorId: e.tensorId + 1 }],
      ["code", { ...e, code: e.code + 1 }],
      ["an input id", { ...e, inputs: [e.inputs[0]! + 1, ...e.inputs.slice(1)] }],
      ["one more input", { ...e, inputs: [...e.inputs, 0] }],
      ["an attr", { ...e, attrs: [e.attrs[0]! - 1, ...e.attrs.slice(1)] }],
      ["one more attr", { ...e, attrs: [...e.attrs, 0] }],
      ["output root", { ...e, outputRoot: root }],
    ];
    const seen = new Map([[recordHash(e).toString("hex"), "base"]]);
    for (const [what, v] of variants) {
      const h = recordHash(v).toString("hex");
      expect(seen.has(h), `${what} collides with ${seen.get(h)}`).to.equal(false);
      seen.set(h, what);
    }
  });

  it("the trace root changes when one op's output changes", () => {
    const id = graph.ops[graph.ops.length - 1]!.output;
    const changed = all.map((t, k) => (k === id ? { shape: t.shape, data: Float64Array.from(t.data, (v, j) => (j === 0 ? v + 1 : v)) } : t));
    expect(buildTrace(graph, changed, preRoot, postRoot).root.equals(trace.root)).to.equal(false);
    expect(buildTrace(graph, all, postRoot, postRoot).root.equals(trace.root), "the pre-state anchor is bound").to.equal(false);
  });
});

describe("dataset root", () => {
  const root = datasetRoot(d);
  const copy = (x: Dataset, f: (c: { pixels: Uint8Array; labels: Uint8Array }) => void): Dataset => {
    const c = { pixels: Uint8Array.from(x.pixels), labels: Uint8Array.from(x.labels) };
    f(c);
    return { ...x, ...c };
  };

  it("is sha256(0x06 || u32 count || u32 features || u32 classes || Merkle root of sha256(0x07 || pixels || label))", () => {
    expect(exampleLeaf(d, 1).equals(sha256(Buffer.from([0x07]), d.pixels.subarray(6, 12), Buffer.from([d.labels[1]!])))).to.equal(true);
    const expected = sha256(Buffer.from([0x06]), u32(12), u32(6), u32(3), datasetTree(d).root);
    expect(root.equals(expected)).to.equal(true);
    expect(spec.data.root).to.equal(root.toString("hex"));
  });

  it("changes when one pixel or one label changes", () => {
    expect(datasetRoot(copy(d, (c) => { c.pixels[d.pixels.length - 1]! ^= 1; })).equals(root)).to.equal(false);
    expect(datasetRoot(copy(d, (c) => { c.pixels[0]! ^= 0x80; })).equals(root)).to.equal(false);
    expect(datasetRoot(copy(d, (c) => { c.labels[5] = (d.labels[5]! + 1) % 3; })).equals(root)).to.equal(false);
  });

  it("depends on count, features and classes, not only on the bytes", () => {
    expect(datasetRoot({ ...d, classes: 4 }).equals(root)).to.equal(false);
    // The same 72 pixel bytes read as 6 examples of 12 features (labels truncated).
    const reshaped = { ...d, count: 6, features: 12, labels: d.labels.subarray(0, 6) };
    expect(datasetRoot(reshaped).equals(root)).to.equal(false);
    // One example fewer.
    const fewer = { ...d, count: 11, pixels: d.pixels.subarray(0, 66), labels: d.labels.subarray(0, 11) };
    expect(datasetRoot(fewer).equals(root)).to.equal(false);
  });

  it("refuses more than 256 classes (labels are one byte)", () => {
    expect(() => datasetRoot({ ...d, classes: 257 })).to.throw(RangeError, /at most 256 classes/);
  });

  it("a spec built on another dataset root hashes differently (the job binds its data)", () => {
    const other = syntheticDataset(12, 6, 3);
    const o = copy(other, (c) => { c.labels[0] = 1; });
    const spec2 = makeSpec({ layers: [6, 8, 3], batchSize: 4, seed: "01".repeat(32), data: { ...spec.data, root: datasetRoot(o).toString("hex") } });
    expect(spec2.data.root).to.not.equal(spec.data.root);
    expect(initialState(spec2).specHash).to.not.equal(s0.specHash);
  });
});
