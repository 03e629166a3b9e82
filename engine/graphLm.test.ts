import { describe, it } from "node:test";
import { expect } from "chai";
import { toHex } from "../commitment/hash.ts";
import { datasetRoot } from "../commitment/dataset.ts";
import { stateRoot } from "../commitment/stateRoot.ts";
import { applyStep } from "../training/train.ts";
import { charlmJob } from "../training/charlmJob.ts";
import type { Dataset } from "./batch.ts";
import { SpecError } from "./errors.ts";
import { buildForwardGraph, buildStepGraph, stateLayout } from "./graph.ts";
import type { ModelV2 } from "./model.ts";
import { onnxRunner } from "./onnx/runner.ts";
import { referenceRunner } from "./reference.ts";
import { DEFAULT_OPTIMIZER, DEFAULT_QUANT, makeSpecV2, parseSpec, type TrainingSpec, type TrainingSpecV2 } from "./spec.ts";
import { DEFAULT_ADAM } from "./specLm.ts";
import { initialState, type TrainingState } from "./state.ts";

/**
 * The spec-v2 builder's language-model parts: the embedding layer, the softmax_ce loss and the adam
 * optimizer. Both backends must commit the same state root after every step, for a character LM and for an
 * MLP and a CNN trained with softmax_ce and Adam; a bad spec is rejected naming the field.
 */
const WORDS = ["anna", "bob", "carl", "dee", "eve", "flo", "gus", "hal", "ida", "jo", "kim", "mary-jo", "ned", "olga", "pia", "quin", "rob", "sue"];

function synthetic(count: number, features: number, classes: number, seed: number): Dataset {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
  const pixels = Uint8Array.from({ length: count * features }, next);
  // A learnable label: which quarter of the bytes has the largest sum, modulo the classes.
  const labels = Uint8Array.from({ length: count }, (_, i) => {
    const q = Math.floor(features / 4), sums = [0, 1, 2, 3].map((k) => pixels.subarray(i * features + k * q, i * features + (k + 1) * q).reduce((a, b) => a + b, 0));
    return sums.indexOf(Math.max(...sums)) % classes;
  });
  return { count, features, classes, pixels, labels };
}

function adamSpec(model: ModelV2, data: Dataset, batchSize: number): TrainingSpecV2 {
  return makeSpecV2({
    model, batchSize, seed: "1d".repeat(32),
    data: { root: datasetRoot(data).toString("hex"), count: data.count, features: data.features, classes: data.classes },
    optimizer: { name: "adam", lrNum: 655, lrShift: 0, biasLrShift: 0, momentumNum: 0, adam: DEFAULT_ADAM },
  });
}

async function lockstep(spec: TrainingSpec, data: Dataset, steps: number): Promise<{ roots: string[]; state: TrainingState }> {
  const graph = buildStepGraph(spec);
  const ref = referenceRunner(graph);
  const onnx = await onnxRunner(graph);
  let a: TrainingState = initialState(spec), b = a;
  const roots = [toHex(stateRoot(spec, a))];
  try {
    for (let i = 0; i < steps; i++) {
      a = (await applyStep(ref, spec, data, a)).state;
      b = (await applyStep(onnx, spec, data, b)).state;
      const ra = toHex(stateRoot(spec, a)), rb = toHex(stateRoot(spec, b));
      if (ra !== rb) expect.fail(`state roots diverge at step ${a.step}: reference ${ra}, onnx ${rb}`);
      roots.push(ra);
    }
  } finally {
    await onnx.close();
  }
  return { roots, state: a };
}

describe("spec v2 language-model parts: embedding, softmax_ce, adam", () => {
  it("a tiny character LM: the graph emits ops 15-19, the state holds Adam's moments in the documented order", () => {
    const { spec } = charlmJob({ context: 3, dim: 4, hidden: [8], batchSize: 8 }, WORDS);
    const g = buildStepGraph(spec);
    const kinds = g.ops.map((o) => o.kind);
    expect(kinds).to.include.members(["one_hot", "softmax_ce_grad", "adam_m", "adam_v", "adam_update"]);
    expect(kinds).to.not.include("mse_grad");
    expect(kinds).to.not.include("sgd_update");
    expect(stateLayout(spec).map((s) => s.name)).to.deep.equal([
      "l0.w", "l1.w", "l1.b", "l2.w", "l2.b",
      "l0.w.adam_m", "l0.w.adam_v", "l1.w.adam_m", "l1.w.adam_v", "l1.b.adam_m", "l1.b.adam_v", "l2.w.adam_m", "l2.w.adam_v", "l2.b.adam_m", "l2.b.adam_v",
    ]);
    const s0 = initialState(spec);
    s0.tensors.slice(5).forEach((t) => expect(t.data.every((x) => x === 0), "moments start at 0").to.equal(true));
    expect(s0.tensors[0]!.data.some((x) => x !== 0), "the embedding table is initialized").to.equal(true);
    // The forward graph takes the parameters only.
    expect(buildForwardGraph(spec, 4).state.map((s) => s.name)).to.deep.equal(["l0.w", "l1.w", "l1.b", "l2.w", "l2.b"]);
    // Every Adam state range is closed: the next moment lies in the range the state declares.
    g.state.forEach((slot, i) => {
      const next = g.tensors[g.stateOut[i]!]!.range;
      expect(next[0] >= slot.range[0] && next[1] <= slot.range[1], `${slot.name}: [${next}] within [${slot.range}]`).to.equal(true);
    });
  });

  it("a tiny character LM trains to identical roots on the reference and ONNX (25 steps)", async () => {
    const { spec, corpus } = charlmJob({ context: 3, dim: 4, hidden: [8], batchSize: 8 }, WORDS);
    const { roots } = await lockstep(spec, corpus.train, 25);
    expect(new Set(roots).size, "every step changes the state").to.equal(26);
  });

  it("an MLP with softmax_ce and adam: identical roots (12 steps)", async () => {
    const data = synthetic(200, 16, 4, 5);
    const spec = adamSpec({ input: [16], layers: [{ kind: "dense", units: 12 }, { kind: "relu" }, { kind: "dense", units: 4 }], loss: "softmax_ce" }, data, 16);
    await lockstep(spec, data, 12);
  });

  it("a CNN with softmax_ce and adam: identical roots (6 steps)", async () => {
    const data = synthetic(64, 36, 3, 9);
    const spec = adamSpec({
      input: [6, 6, 1],
      layers: [{ kind: "conv2d", filters: 2, kernel: 3, stride: 1, pad: 1 }, { kind: "relu" }, { kind: "maxpool", size: 2 }, { kind: "flatten" }, { kind: "dense", units: 3 }],
      loss: "softmax_ce",
    }, data, 8);
    await lockstep(spec, data, 6);
  });

  it("a spec that uses them round-trips through JSON", () => {
    const { spec } = charlmJob({ context: 3, dim: 4, hidden: [8], batchSize: 8 }, WORDS);
    expect(parseSpec(JSON.parse(JSON.stringify(spec)))).to.deep.equal(spec);
  });
});

describe("spec v2 language-model parts: rejections name the field", () => {
  const { spec } = charlmJob({ context: 3, dim: 4, hidden: [8], batchSize: 8 }, WORDS);
  const json = () => JSON.parse(JSON.stringify(spec));
  const rejects = (edit: (s: any) => void, field: string, message: RegExp) => {
    const s = json();
    edit(s);
    try {
      parseSpec(s);
    } catch (e) {
      expect(e).to.be.instanceOf(SpecError);
      expect((e as SpecError).field).to.equal(field);
      expect((e as Error).message).to.match(message);
      return;
    }
    expect.fail(`accepted a spec that should fail on ${field}`);
  };

  it("an embedding that is not the first layer, a vocabulary of one, an unknown layer field", () => {
    rejects((s) => s.model.layers.splice(1, 0, { kind: "embedding", vocab: 5, dim: 2 }), "model.layers[1]", /first layer/);
    rejects((s) => { s.model.layers[0].vocab = 1; }, "model.layers[0].vocab", /\[2, 256\]/);
    rejects((s) => { s.model.layers[0].size = 1; }, "model.layers[0].size", /unknown field/);
  });

  it("an input quantization that would change the token indices", () => {
    rejects((s) => { s.quant.inputShift = 1; }, "quant.inputShift", /token indices/);
    rejects((s) => { s.quant.inputMax = s.model.layers[0].vocab - 2; }, "quant.inputMax", /vocab - 1/);
  });

  it("softmax_ce with a targetOne that is not a power of two", () => {
    rejects((s) => { s.quant.targetOne = 4000; }, "quant.targetOne", /power of two/);
  });

  it("adam without its rates, with momentum, with rates above 1; adam rates under another optimizer", () => {
    rejects((s) => { delete s.optimizer.adam; }, "optimizer.adam", /needs its rates/);
    rejects((s) => { s.optimizer.momentumNum = 1; }, "optimizer.momentumNum", /must be 0 for optimizer "adam"/);
    rejects((s) => { s.optimizer.adam.b1Num = 9; }, "optimizer.adam.b1Num", /\[1, 8\]/);
    rejects((s) => { s.optimizer.adam.eps = 0; }, "optimizer.adam.eps", /\[1, /);
    rejects((s) => { s.optimizer.adam.beta = 1; }, "optimizer.adam.beta", /unknown field/);
    rejects((s) => { s.optimizer.name = "sgd"; }, "optimizer.adam", /only optimizer "adam"/);
  });

  it("a second moment that cannot be exact names gShift and the smallest that works", () => {
    const data = synthetic(40, 16, 4, 1);
    const wide = (gShift: number, batchSize = 16) => makeSpecV2({
      model: { input: [16], layers: [{ kind: "dense", units: 4 }], loss: "softmax_ce" },
      batchSize, seed: "1d".repeat(32),
      data: { root: datasetRoot(data).toString("hex"), count: data.count, features: 16, classes: 4 },
      // Weight gradients up to 16 * 255 * 2^14 = 6.7e7: their square fits 2^53, adam_v's (g^2 - v) * 8 does not.
      quant: { ...DEFAULT_QUANT, inputMax: 255, inputShift: 0, targetOne: 2 ** 14, errShift: 0, gradMax: 2 ** 20 },
      optimizer: { ...DEFAULT_OPTIMIZER, name: "adam", adam: { ...DEFAULT_ADAM, b2Num: 8, b2Shift: 6, gShift } },
    });
    let advised = -1;
    try {
      buildStepGraph(wide(0));
      expect.fail("built a graph whose second moment exceeds 2^53");
    } catch (e) {
      expect(e).to.be.instanceOf(SpecError);
      expect((e as SpecError).field).to.equal("optimizer.adam.gShift");
      advised = Number(/raise gShift to at least (\d+)/.exec((e as Error).message)![1]);
    }
    // The advice is right: that gShift builds, one less does not.
    expect(() => buildStepGraph(wide(advised))).to.not.throw();
    expect(() => buildStepGraph(wide(advised - 1))).to.throw(SpecError);
    expect(advised).to.be.above(0);
    // A gradient whose square alone is too large: no gShift helps, and the message says what does.
    expect(() => buildStepGraph(wide(0, 4096))).to.throw(SpecError, /whatever gShift; narrow the widths, the batch or gradMax/);
  });
});
