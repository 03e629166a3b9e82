import { describe, it } from "node:test";
import { expect } from "chai";
import { SpecError } from "./errors.ts";
import { buildStepGraph, stateLayout } from "./graph.ts";
import type { ModelV2 } from "./model.ts";
import { opDef } from "./ops/index.ts";
import { onnxRunner } from "./onnx/runner.ts";
import { referenceRunner } from "./reference.ts";
import { canonicalSpecJson, makeSpec, makeSpecV2, parseSpec, specHash, type TrainingSpecV2 } from "./spec.ts";
import { initialState } from "./state.ts";
import { sampleBatch } from "./batch.ts";
import { stateRoot } from "../commitment/stateRoot.ts";
import { syntheticDataset } from "../test/vectors/generate.ts";
import { datasetRoot } from "../commitment/dataset.ts";
import { nextRng } from "./random.ts";

type Raw = Record<string, any>;

/** A small CNN over 8x8x2 images (synthetic data): every layer kind, both with and without padding. */
const d = syntheticDataset(32, 8 * 8 * 2, 3);
const DATA = { root: datasetRoot(d).toString("hex"), count: d.count, features: d.features, classes: d.classes };
const SMALL_CNN: ModelV2 = {
  input: [8, 8, 2],
  layers: [
    { kind: "conv2d", filters: 4, kernel: 3, stride: 1, pad: 1 },
    { kind: "relu" },
    { kind: "maxpool", size: 2 },
    { kind: "conv2d", filters: 5, kernel: 3, stride: 1, pad: 0 },
    { kind: "relu" },
    { kind: "flatten" },
    { kind: "dense", units: 6 },
    { kind: "relu" },
    { kind: "dense", units: 3 },
  ],
  loss: "mse",
};
const cnn = (optimizer: Partial<TrainingSpecV2["optimizer"]> = {}) => makeSpecV2({ model: SMALL_CNN, batchSize: 3, seed: "07".repeat(32), data: DATA, optimizer });

function raw(): Raw {
  return JSON.parse(JSON.stringify(cnn()));
}

function rejects(f: (r: Raw) => void, field: string, message?: RegExp): void {
  const r = raw();
  f(r);
  let caught: unknown;
  try {
    parseSpec(r);
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected a SpecError for ${field}`).to.be.instanceOf(SpecError);
  expect((caught as SpecError).field).to.equal(field);
  if (message) expect((caught as SpecError).message).to.match(message);
}

describe("spec version 2: parsing", () => {
  it("round-trips through JSON; canonical JSON fixes every key order; a v2 hash uses its own domain", () => {
    const s = cnn();
    expect(parseSpec(JSON.parse(JSON.stringify(s)))).to.deep.equal(s);
    expect(canonicalSpecJson(s)).to.match(/^\{"version":2,"model":\{"input":\[8,8,2\],"layers":\[\{"kind":"conv2d","filters":4,"kernel":3,"stride":1,"pad":1\},/);
    const r = raw();
    r.model.layers[0] = { pad: 1, stride: 1, kernel: 3, filters: 4, kind: "conv2d" };
    expect(specHash(parseSpec(r))).to.equal(specHash(s));
    // The same MLP as a v1 and as a v2 spec: different hashes (different domains and encodings).
    const v1 = makeSpec({ layers: [128, 8, 3], batchSize: 3, seed: "07".repeat(32), data: DATA });
    const v2 = makeSpecV2({ model: { input: [128], layers: [{ kind: "dense", units: 8 }, { kind: "relu" }, { kind: "dense", units: 3 }], loss: "mse" }, batchSize: 3, seed: "07".repeat(32), data: DATA });
    expect(specHash(v2)).to.not.equal(specHash(v1));
    expect(v2.optimizer.name).to.equal("sgd");
    expect(cnn({ momentumNum: 7 }).optimizer.name).to.equal("momentum");
  });

  it("rejects bad models naming the layer and the field", () => {
    rejects((r) => { r.model.layers[5] = { kind: "relu" }; }, "model.layers[6]", /dense needs a flat input/);
    rejects((r) => { r.model.layers[2].size = 3; }, "model.layers[2].size", /does not divide into 3x3 windows/);
    rejects((r) => { r.model.layers[3].kernel = 9; }, "model.layers[3].kernel", /exceeds the padded 4x4 input/);
    rejects((r) => { r.model.layers[0].pad = 3; }, "model.layers[0].pad", /\[0, 2\]/);
    rejects((r) => { r.model.layers[0].kind = "conv3d"; }, "model.layers[0].kind", /must be one of dense, conv2d/);
    rejects((r) => { r.model.layers[0].dilation = 2; }, "model.layers[0].dilation", /unknown field/);
    rejects((r) => { r.model.layers.push({ kind: "relu" }); }, "model.layers[9]", /last layer must be dense/);
    rejects((r) => { r.model.layers[8].units = 4; }, "model.layers[8].units", /3 classes/);
    rejects((r) => { r.model.input = [8, 8, 3]; }, "model.input", /192 values, the dataset's examples have 128/);
    rejects((r) => { r.model.input = [8, 16]; }, "model.input");
    rejects((r) => { r.model.layers = []; }, "model.layers");
    rejects((r) => { r.model.loss = "hinge"; }, "model.loss", /must be one of mse/);
    rejects((r) => { r.optimizer.name = "adam"; }, "optimizer.adam", /needs its rates/);
    rejects((r) => { r.optimizer.name = "sgd"; r.optimizer.momentumNum = 3; }, "optimizer.momentumNum", /must be 0 for optimizer "sgd"/);
    rejects((r) => { r.optimizer.name = "momentum"; r.optimizer.momentumNum = 0; }, "optimizer.momentumNum");
    rejects((r) => { delete r.optimizer.name; }, "optimizer.name");
  });

  it("rejects a spec whose exactness bound fails, naming the layer and the bound", () => {
    const wide = makeSpecV2({
      model: { input: [8, 8, 2], layers: [{ kind: "conv2d", filters: 4, kernel: 3, stride: 1, pad: 1 }, { kind: "relu" }, { kind: "flatten" }, { kind: "dense", units: 3 }], loss: "mse" },
      batchSize: 3, seed: "07".repeat(32), data: DATA,
      quant: { inputShift: 0, inputMax: 255, masterMax: 2 ** 31 - 1, weightShift: 0, weightMax: 2 ** 31 - 1, actShift: 0, actMax: 2 ** 31 - 1 },
    });
    let caught: unknown;
    try { buildStepGraph(wide); } catch (e) { caught = e; }
    expect(caught).to.be.instanceOf(SpecError);
    const err = caught as SpecError;
    expect(err.field).to.match(/^model\.layers\[\d\]$/);
    expect(err.message).to.match(/(conv2d|dense) layer \d: op \d+ .* can reach \d+/);
    expect(err.details.bound as number).to.be.at.least(2 ** 53);
  });
});

describe("spec version 2: the graph builder", () => {
  it("a v2 MLP builds exactly the op list of the same v1 MLP (kinds, attributes, shapes, ranges, names)", () => {
    for (const momentumNum of [0, 7]) {
      const v1 = makeSpec({ layers: [128, 16, 8, 3], batchSize: 4, seed: "07".repeat(32), data: DATA, optimizer: { momentumNum } });
      const v2 = makeSpecV2({ model: { input: [128], layers: [{ kind: "dense", units: 16 }, { kind: "relu" }, { kind: "dense", units: 8 }, { kind: "relu" }, { kind: "dense", units: 3 }], loss: "mse" }, batchSize: 4, seed: "07".repeat(32), data: DATA, optimizer: { momentumNum } });
      const [a, b] = [buildStepGraph(v1), buildStepGraph(v2)];
      expect(b.tensors).to.deep.equal(a.tensors);
      expect(b.ops).to.deep.equal(a.ops);
      expect(b.stateOut).to.deep.equal(a.stateOut);
    }
  });

  it("the CNN's state: conv kernels [k*k*C, filters] with He-uniform init of fan-in k*k*C, zero biases", () => {
    const s = cnn({ momentumNum: 7 });
    const layout = stateLayout(s);
    expect(layout.map((l) => `${l.name}:${l.shape.join("x")}`)).to.deep.equal([
      "l0.w:18x4", "l0.b:4", "l1.w:36x5", "l1.b:5", "l2.w:20x6", "l2.b:6", "l3.w:6x3", "l3.b:3",
      "l0.w.v:18x4", "l0.b.v:4", "l1.w.v:36x5", "l1.b.v:5", "l2.w.v:20x6", "l2.b.v:6", "l3.w.v:6x3", "l3.b.v:3",
    ]);
    const init = initialState(s);
    const max = (t: { data: ArrayLike<number> }) => Math.max(...Array.from(t.data, Math.abs));
    // He-uniform limit sqrt(6 / fanIn) in master units (2^16 = 1.0): fan-in 18 -> 0.577, 36 -> 0.408.
    expect(max(init.tensors[0]!)).to.be.within(0.4 * 2 ** 16, 0.578 * 2 ** 16);
    expect(max(init.tensors[2]!)).to.be.within(0.3 * 2 ** 16, 0.409 * 2 ** 16);
    expect(max(init.tensors[1]!)).to.equal(0);
  });

  it("every op's declared range holds on real steps, and ONNX and the TypeScript reference agree bit for bit", async () => {
    const s = cnn({ momentumNum: 7 });
    const graph = buildStepGraph(s);
    expect(graph.ops.map((o) => o.kind)).to.include.members(["im2col", "col2im", "maxpool", "maxpool_grad", "reshape"]);
    const ref = referenceRunner(graph), onnx = await onnxRunner(graph);
    try {
      let st = initialState(s), rng = st.rng;
      for (let step = 0; step < 6; step++) {
        const batch = sampleBatch(d, rng, s);
        const [a, b] = [await ref.run(st.tensors, batch, { trace: true }), await onnx.run(st.tensors, batch, { trace: true })];
        graph.tensors.forEach((t, id) => {
          const x = a.all![id]!.data, y = b.all![id]!.data;
          for (let i = 0; i < x.length; i++) {
            if (x[i] !== y[i]) expect.fail(`step ${step}, ${t.name}[${i}]: reference ${x[i]} != onnx ${y[i]}`);
            if (!(x[i]! >= t.range[0] && x[i]! <= t.range[1])) expect.fail(`step ${step}, ${t.name}[${i}] = ${x[i]} escapes [${t.range}]`);
          }
        });
        st = { ...st, step: st.step + 1, rng: nextRng(rng), tensors: a.state };
        rng = st.rng;
      }
      expect(stateRoot(s, st)).to.have.length(32);
    } finally {
      await onnx.close();
    }
  });

  it("names every op after its layer and gives each new op its protocol code", () => {
    const g = buildStepGraph(cnn());
    const names = g.ops.map((o) => g.tensors[o.output]!.name);
    expect(names.slice(0, 12)).to.deep.equal(["l0.wq", "l0.bq", "l0.cols", "l0.z", "l0.zb", "l0.p", "l0.a", "l0.pool", "l1.wq", "l1.bq", "l1.cols", "l1.z"]);
    expect(names).to.include.members(["l1.gcols", "l0.gh", "l0.gpool", "l0.gm", "l0.d", "l1.gflat"]);
    for (const op of g.ops) expect(opDef(op.kind).kind).to.equal(op.kind);
  });
});
