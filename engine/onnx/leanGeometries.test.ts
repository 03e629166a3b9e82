import { describe, it } from "node:test";
import { expect } from "chai";
import { datasetRoot } from "../../commitment/dataset.ts";
import { syntheticDataset } from "../../test/vectors/generate.ts";
import { buildStepGraph } from "../graph.ts";
import type { ModelV2 } from "../model.ts";
import { makeSpecV2, type TrainingSpecV2 } from "../spec.ts";
import { expectLeanEqualsReference, leanForms } from "../../test/helpers/leanVsReference.ts";

/**
 * The lean graph's folds on convolutional geometries other than the default CNN's: strides, even and odd
 * kernels, padding 0 to k - 1, pools of 2 and 3, one to sixteen channels (every im2col gather), products
 * and column sums whose sums pass 2^24 (integer GEMM, float32 pieces and chunks, the split requantize,
 * col2im on integer GEMM, direct in float32 and position-major), pools by MaxPool and MaxUnpool and by the
 * shared window keys, a relu_mask without a pool before its requantize, softmax cross-entropy and MSE, SGD
 * and momentum. Each model trains 2 steps on synthetic data from its initial state, the lean graph against
 * the reference.
 */
interface Geometry {
  readonly name: string;
  readonly model: ModelV2;
  readonly optimizer?: Partial<TrainingSpecV2["optimizer"]>;
  readonly quant?: Partial<TrainingSpecV2["quant"]>;
  readonly batch: number;
  /** The special forms the lean lowering takes (LoweredGraph.forms): this geometry's bit-identity covers them. */
  readonly forms: Readonly<Record<string, number>>;
}

const GEOMETRIES: Geometry[] = [
  {
    name: "12x12x1, k5 pad 2 twice with 2x2 pools, conv2 200-deep (the default's shape, smaller), momentum",
    model: { input: [12, 12, 1], layers: [{ kind: "conv2d", filters: 8, kernel: 5, stride: 1, pad: 2 }, { kind: "relu" }, { kind: "maxpool", size: 2 }, { kind: "conv2d", filters: 6, kernel: 5, stride: 1, pad: 2 }, { kind: "relu" }, { kind: "maxpool", size: 2 }, { kind: "flatten" }, { kind: "dense", units: 4 }], loss: "mse" },
    optimizer: { momentumNum: 7, momentumShift: 3 },
    batch: 16,
    forms: { "scaled-weights": 2, "folded-requantize": 1, "integer-split-requantize": 1, "requantize-first-pooled-mask": 2, "integer-gradient": 1, "col2im-integer": 1, "matmul-chunks": 1, "pool-unpool": 2 },
  },
  {
    name: "10x10x3, k3 pad 1 then k3 stride 2 (144-deep), no pool, softmax cross-entropy",
    model: { input: [10, 10, 3], layers: [{ kind: "conv2d", filters: 16, kernel: 3, stride: 1, pad: 1 }, { kind: "relu" }, { kind: "conv2d", filters: 8, kernel: 3, stride: 2, pad: 1 }, { kind: "relu" }, { kind: "flatten" }, { kind: "dense", units: 5 }], loss: "softmax_ce" },
    batch: 8,
    // col2im position-major (stride 2): a float32 product and float64 sums
    forms: { "scaled-weights": 1, "folded-requantize": 1, "integer-split-requantize": 1, "matmul-split": 1, "integer-gradient": 1, "col2im-position-major": 1, "fused-sgd": 1 },
  },
  {
    name: "9x9x2, k3 pad 1, 3x3 pool, an even k4 pad 1 (192-deep), SGD",
    model: { input: [9, 9, 2], layers: [{ kind: "conv2d", filters: 12, kernel: 3, stride: 1, pad: 1 }, { kind: "relu" }, { kind: "maxpool", size: 3 }, { kind: "conv2d", filters: 6, kernel: 4, stride: 1, pad: 1 }, { kind: "relu" }, { kind: "flatten" }, { kind: "dense", units: 3 }], loss: "mse" },
    batch: 4,
    forms: { "scaled-weights": 2, "folded-requantize": 1, "integer-split-requantize": 1, "col2im-integer": 1, "requantize-first-pooled-mask": 1, "fused-sgd": 3, "pool-unpool": 1 },
  },
  {
    name: "8x8x4 (gathered by pixels), k2 stride 2 pad 0 (windows that do not overlap), k3 pad 2",
    model: { input: [8, 8, 4], layers: [{ kind: "conv2d", filters: 5, kernel: 2, stride: 2, pad: 0 }, { kind: "relu" }, { kind: "conv2d", filters: 4, kernel: 3, stride: 1, pad: 2 }, { kind: "relu" }, { kind: "maxpool", size: 2 }, { kind: "flatten" }, { kind: "dense", units: 3 }], loss: "softmax_ce" },
    batch: 6,
    forms: { "scaled-weights": 3, "folded-requantize": 2, "requantize-first-pooled-mask": 1, "matmul-chunks": 1, "fused-sgd": 2, "pool-unpool": 1 },
  },
  {
    name: "activations up to 255 and deltas up to 16,384 (past the integer products' operands): float32 pieces, col2im direct in float32",
    model: { input: [12, 12, 1], layers: [{ kind: "conv2d", filters: 8, kernel: 5, stride: 1, pad: 2 }, { kind: "relu" }, { kind: "maxpool", size: 2 }, { kind: "conv2d", filters: 4, kernel: 3, stride: 1, pad: 1 }, { kind: "relu" }, { kind: "maxpool", size: 2 }, { kind: "flatten" }, { kind: "dense", units: 4 }], loss: "mse" },
    optimizer: { momentumNum: 7, momentumShift: 3 },
    quant: { actMax: 255, gradMax: 16384 },
    batch: 16,
    forms: { "scaled-weights": 1, "folded-requantize": 1, "split-requantize": 1, "requantize-first-pooled-mask": 2, "col2im-direct": 1, "matmul-chunks": 1, "col_sum-chunks": 1, "pool-unpool": 2 },
  },
  {
    name: "activations up to 2^19 (too wide for the pools' offset keys): the shared window keys, SGD",
    model: { input: [16, 16, 1], layers: [{ kind: "conv2d", filters: 8, kernel: 3, stride: 1, pad: 1 }, { kind: "relu" }, { kind: "maxpool", size: 2 }, { kind: "flatten" }, { kind: "dense", units: 3 }], loss: "mse" },
    quant: { actShift: 0, actMax: 2 ** 19 },
    batch: 4,
    forms: { "scaled-weights": 1, "requantize-first-pooled-mask": 1, "pool-keys-shared": 1 },
  },
  {
    name: "a pool before its ReLU (the gradient routed without a mask), SGD",
    model: { input: [12, 12, 1], layers: [{ kind: "conv2d", filters: 8, kernel: 3, stride: 1, pad: 1 }, { kind: "maxpool", size: 2 }, { kind: "relu" }, { kind: "conv2d", filters: 4, kernel: 3, stride: 1, pad: 1 }, { kind: "relu" }, { kind: "maxpool", size: 2 }, { kind: "flatten" }, { kind: "dense", units: 3 }], loss: "mse" },
    batch: 8,
    forms: { "scaled-weights": 3, "folded-requantize": 2, "requantize-first-pooled-mask": 1, "matmul-chunks": 2, "requantize-first": 1, "fused-sgd": 1, "pool-unpool": 2 },
  },
];

function specOf(g: Geometry): { spec: TrainingSpecV2; data: ReturnType<typeof syntheticDataset> } {
  const [H, W, C] = g.model.input as [number, number, number];
  const classes = g.model.layers.at(-1)!.kind === "dense" ? (g.model.layers.at(-1) as { units: number }).units : 2;
  const data = syntheticDataset(24, H * W * C, classes);
  const fields = { root: datasetRoot(data).toString("hex"), count: data.count, features: data.features, classes: data.classes };
  return { spec: makeSpecV2({ model: g.model, batchSize: g.batch, seed: "3c".repeat(32), data: fields, optimizer: g.optimizer, quant: g.quant }), data };
}

describe("the lean graph on other convolutional geometries", () => {
  for (const geo of GEOMETRIES) {
    it(`${geo.name}: bit-identical to the reference over 2 steps`, async () => {
      const { spec, data } = specOf(geo);
      const graph = buildStepGraph(spec);
      expect(leanForms(graph)).to.deep.equal(geo.forms);
      await expectLeanEqualsReference(spec, graph, data, 2);
    });
  }
});
