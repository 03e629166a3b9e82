import { describe, it } from "node:test";
import { expect } from "chai";
import { datasetRoot } from "../../commitment/dataset.ts";
import { expectLeanEqualsReference, leanForms } from "../../test/helpers/leanVsReference.ts";
import type { Dataset } from "../batch.ts";
import { buildStepGraph } from "../graph.ts";
import type { ModelV2 } from "../model.ts";
import { makeSpecV2 } from "../spec.ts";
import { initialState } from "../state.ts";
import type { Tensor } from "../tensor.ts";
import { fitsUint8Operand, integerGradientPlan, integerSgdPlan, integerSplitFits, weightLimbsPlan } from "./integerMatmul.ts";
import { directCol2imPlan, integerCol2imFits } from "./lowerSpatial.ts";

/**
 * The integer GEMM products (integerMatmul.ts; col2im's in lowerSpatial.ts) at the edges of their declared
 * ranges: a state whose every tensor sits at or near its range's ends drives the weights to +-max after
 * requantize, the activations to 127 and the deltas to their clamps, where a saturating or inexact path
 * would show. The lean graph must match the reference bit for bit.
 */
const MODEL: ModelV2 = {
  input: [12, 12, 1],
  layers: [
    { kind: "conv2d", filters: 8, kernel: 5, stride: 1, pad: 2 }, { kind: "relu" }, { kind: "maxpool", size: 2 },
    { kind: "conv2d", filters: 12, kernel: 5, stride: 1, pad: 2 }, { kind: "relu" }, { kind: "maxpool", size: 2 },
    { kind: "flatten" }, { kind: "dense", units: 4 },
  ],
  loss: "mse",
};

/** Pixels all 255 but for a sparse pattern of zeros (the relu and pool ties, both ways). */
function brightData(count: number, features: number, classes: number): Dataset {
  const pixels = new Uint8Array(count * features).map((_, i) => (i % 7 === 3 ? 0 : 255));
  return { count, features, classes, pixels, labels: new Uint8Array(count).map((_, i) => i % classes) };
}

/** Each tensor at its range's ends (and a few values between), in a fixed pattern of signs. */
function edgeState(ranges: readonly (readonly [number, number])[], tensors: readonly Tensor[]): Tensor[] {
  return tensors.map((t, k) => {
    const [lo, hi] = ranges[k]!;
    const data = t.data.map((_, i) => (i % 5 === 0 ? lo : i % 5 === 1 || i % 5 === 3 ? hi : i % 5 === 2 ? Math.trunc((lo + hi) / 3) : lo + 1));
    return { shape: t.shape, data };
  });
}

describe("integer GEMM at the edges of its operands' ranges", () => {
  // The default clamps (deltas to +-1024), and deltas up to the largest the two limbs hold (dh = 63: +-8127).
  for (const gradMax of [1024, 8127]) {
    it(`a state at its ranges' ends, mixed signs, all-bright images, deltas to +-${gradMax}: bit-identical to the reference over 3 steps`, async () => {
      const data = brightData(16, 144, 4);
      const fields = { root: datasetRoot(data).toString("hex"), count: data.count, features: data.features, classes: data.classes };
      const spec = makeSpecV2({ model: MODEL, batchSize: 8, seed: "5e".repeat(32), data: fields, quant: { gradMax }, optimizer: { momentumNum: 7, momentumShift: 3 } });
      const graph = buildStepGraph(spec);
      expect(leanForms(graph)).to.include({ "integer-split-requantize": 1, "integer-gradient": 1, "col2im-integer": 1 });
      const ranges = graph.stateIn.map((id) => graph.tensors[id]!.range);
      await expectLeanEqualsReference(spec, graph, data, 3, edgeState(ranges, initialState(spec).tensors));
    });
  }
});

describe("the MLP's products on integer GEMM (weight limbs, the SGD update) at the edges of their ranges", () => {
  // 256 pixels (all 255 but a pattern of zeros: x = 15 after the input shift), dense 128, relu, dense 4: the
  // first layer's products are 2^20 multiply-adds at batch 32 (INTEGER_MIN_WORK), the second's too small.
  const MLP: ModelV2 = { input: [256], layers: [{ kind: "dense", units: 128 }, { kind: "relu" }, { kind: "dense", units: 4 }], loss: "mse" };
  for (const batchSize of [32, 64]) {
    it(`a state at its ranges' ends (weights +-2^18: both limbs saturate), batch ${batchSize}: bit-identical to the reference over 3 steps`, async () => {
      const data = brightData(80, 256, 4);
      const fields = { root: datasetRoot(data).toString("hex"), count: data.count, features: data.features, classes: data.classes };
      const spec = makeSpecV2({ model: MLP, batchSize, seed: "6d".repeat(32), data: fields });
      const graph = buildStepGraph(spec);
      expect(leanForms(graph)).to.include({ "integer-weight-limbs": 1, "integer-sgd": 1, "fused-sgd": 1 });
      const ranges = graph.stateIn.map((id) => graph.tensors[id]!.range);
      await expectLeanEqualsReference(spec, graph, data, 3, edgeState(ranges, initialState(spec).tensors));
    });
  }
});

describe("the integer products' and direct col2im's fit rules", () => {
  it("the uint8 operand is [0, 127] only: 128 could saturate x86's pre-VNNI int16 pairs", () => {
    expect(fitsUint8Operand([0, 127])).to.equal(true);
    expect(fitsUint8Operand([0, 128])).to.equal(false);
    expect(fitsUint8Operand([-1, 127])).to.equal(false);
  });

  it("a split product needs its shift within int8's limbs and both halves below 2^24", () => {
    expect(integerSplitFits(300, [0, 127], [-1024, 1024], 16384, 8)).to.equal(true);
    expect(integerSplitFits(300, [0, 127], [-1024, 1024], 16384, 9)).to.equal(false); // Wl would pass int8
    expect(integerSplitFits(300, [0, 127], [-(2 ** 16), 2 ** 16], 0, 8)).to.equal(false); // Wh would pass int8
    expect(integerSplitFits(1176, [0, 127], [-1024, 1024], 16384, 8)).to.equal(false); // A x Wl + b + 128 reaches 2^24
  });

  it("a weight gradient needs the delta's high limb within [-64, 63] and the raw sums below 2^31", () => {
    expect(integerGradientPlan({ shape: [12544, 300], range: [0, 127] }, { shape: [12544, 24], range: [-1024, 1024] })).to.deep.equal({ M: 12544, N: 300, F: 24 });
    expect(integerGradientPlan({ shape: [12544, 300], range: [0, 127] }, { shape: [12544, 24], range: [-8256, 8127] })).to.not.equal(undefined);
    expect(integerGradientPlan({ shape: [12544, 300], range: [0, 127] }, { shape: [12544, 24], range: [-8257, 8127] })).to.equal(undefined);
    expect(integerGradientPlan({ shape: [2 ** 17 + 2 ** 16, 8], range: [0, 127] }, { shape: [2 ** 17 + 2 ** 16, 4], range: [-1, 1] })).to.equal(undefined);
    expect(integerGradientPlan({ shape: [64, 8], range: [-1, 127] }, { shape: [64, 4], range: [-1, 1] })).to.equal(undefined);
  });

  it("weight limbs: Wq = m a + b with the smallest m that keeps b in int8 where a saturates, and sums below 2^24 units", () => {
    const x = { shape: [64, 784], range: [0, 15] as [number, number] };
    const w = (r: number) => ({ shape: [784, 128], range: [-r, r] as [number, number] });
    // +-1024: m = 8 (a = 127 leaves b = 1024 - 1016 = 8; a = -128 leaves 0); +-512 needs 4.
    expect(weightLimbsPlan(x, w(2 ** 18), [-1024, 1024], 8, 8, 16384)).to.deep.equal({ m: 8, sw: 8 });
    expect(weightLimbsPlan(x, w(2 ** 17), [-512, 512], 8, 8, 16384)).to.deep.equal({ m: 4, sw: 8 });
    expect(weightLimbsPlan(x, w(2 ** 18), [-1024, 1024], 0, 8, 16384)).to.equal(undefined); // no rounding to split
    expect(weightLimbsPlan({ ...x, range: [0, 128] }, w(2 ** 18), [-1024, 1024], 8, 8, 16384)).to.equal(undefined);
    // K * 127 * 128 * m reaches 2^24 units: the MLP's first layer with activations to 127 instead of 15.
    expect(weightLimbsPlan({ ...x, range: [0, 127] }, w(2 ** 18), [-1024, 1024], 8, 8, 16384)).to.equal(undefined);
    // Too little work: 64 x 128 x 10 (the default's second layer).
    expect(weightLimbsPlan({ shape: [64, 128], range: [0, 15] }, { shape: [128, 10], range: [-(2 ** 18), 2 ** 18] }, [-1024, 1024], 8, 8, 16384)).to.equal(undefined);
  });

  it("the integer SGD update needs dh in int8, yh below 2^22 and yl's units below 2^24", () => {
    const x = (M: number, aMax: number) => ({ shape: [M, 784], range: [0, aMax] as [number, number] });
    const d = (M: number, lo: number, hi: number) => ({ shape: [M, 128], range: [lo, hi] as [number, number] });
    expect(integerSgdPlan(x(64, 15), d(64, -1024, 1024), 1, 5)).to.deep.equal({ k: 1, s: 5 });
    expect(integerSgdPlan(x(64, 15), d(64, -32896, 32639), 1, 5)).to.not.equal(undefined);
    expect(integerSgdPlan(x(64, 15), d(64, -32897, 32639), 1, 5)).to.equal(undefined); // dh = -129
    expect(integerSgdPlan(x(64, 15), d(64, -1024, 1024), 3, 5)).to.equal(undefined); // k not a power of two
    expect(integerSgdPlan(x(64, 15), d(64, -1024, 1024), 1, 9)).to.equal(undefined); // yh not an integer
    // yl: 512 * 127 * 128 * 2^-5 * 2^6 + 1 = 16,646,145 units fits below 2^24; 520 rows pass it.
    expect(integerSgdPlan(x(512, 127), d(512, -1024, 1024), 1, 5)).to.not.equal(undefined);
    expect(integerSgdPlan(x(520, 127), d(520, -1024, 1024), 1, 5)).to.equal(undefined);
    // Too little work: 64 x 128 x 10 (the default's second layer).
    expect(integerSgdPlan({ shape: [64, 128], range: [0, 127] }, { shape: [64, 10], range: [-1024, 1024] }, 1, 5)).to.equal(undefined);
  });

  it("col2im goes to integer GEMM only with stride 1 and both operands within two limbs", () => {
    const conv = { H: 14, W: 14, C: 12, k: 5, stride: 1, pad: 2 };
    expect(integerCol2imFits(conv, 24, [-1024, 1024], [-1024, 1024])).to.equal(true);
    expect(integerCol2imFits(conv, 24, [-8256, 8127], [-1024, 1024])).to.equal(true);
    expect(integerCol2imFits(conv, 24, [-8257, 8127], [-1024, 1024])).to.equal(false);
    expect(integerCol2imFits(conv, 24, [-1024, 1024], [-32896, 32639])).to.equal(true);
    expect(integerCol2imFits(conv, 24, [-1024, 1024], [-32897, 32639])).to.equal(false);
    expect(integerCol2imFits({ ...conv, stride: 2 }, 24, [-1024, 1024], [-1024, 1024])).to.equal(false);
    // The int32 combination V = 2^7 S_hl + S_ll: with dh up to 63 and Wl to 128, K * (2^7 * 63 * 128 + 64 * 128)
    // passes 2^31 from K = 2,065 (F = 83 at 5x5): refused there, while the raw sums alone would still fit.
    expect(integerCol2imFits(conv, 82, [-8127, 8127], [-1024, 1024])).to.equal(true);
    expect(integerCol2imFits(conv, 83, [-8127, 8127], [-1024, 1024])).to.equal(false);
  });

  it("the direct col2im picks a base near sqrt(2 max|W|) and refuses a bound it cannot split under 2^24", () => {
    const conv = { H: 14, W: 14, C: 12, k: 5, stride: 1, pad: 2 };
    const plan = directCol2imPlan(conv, 24, [-1024, 1024], [-1024, 1024]);
    expect(plan).to.not.equal(undefined);
    expect(plan!.base).to.be.within(40, 50);
    expect(directCol2imPlan(conv, 48, [-1024, 1024], [-1024, 1024])).to.equal(undefined);
    expect(directCol2imPlan({ ...conv, stride: 2 }, 24, [-1024, 1024], [-1024, 1024])).to.equal(undefined);
  });
});
