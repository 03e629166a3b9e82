import { datasetRoot } from "../commitment/dataset.ts";
import { loadMnist, type MnistSplit } from "../engine/mnist.ts";
import type { ModelV2 } from "../engine/model.ts";
import { makeSpec, makeSpecV2, type QuantFields, type TrainingSpecV1, type TrainingSpecV2 } from "../engine/spec.ts";

/** The default MNIST job: the shipped digits, the default quantization, a fixed demo seed unless given. */
export const DEMO_SEED = "5eed".repeat(16);

export function mnistSpec(opts: { seed?: string; batchSize?: number; layers?: readonly number[] } = {}): { spec: TrainingSpecV1; data: MnistSplit } {
  const data = loadMnist();
  const spec = makeSpec({
    seed: opts.seed ?? DEMO_SEED,
    ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
    ...(opts.layers === undefined ? {} : { layers: opts.layers }),
    data: { root: datasetRoot(data.train).toString("hex"), count: data.train.count, features: data.train.features, classes: data.train.classes },
  });
  return { spec, data };
}

/**
 * The default CNN: a LeNet-style network on the same digits, read as 28x28x1 images (HWC): two 5x5
 * convolutions (same padding) each followed by ReLU and 2x2 max pooling, then a dense hidden layer.
 */
export const CNN_MODEL: ModelV2 = {
  input: [28, 28, 1],
  layers: [
    { kind: "conv2d", filters: 8, kernel: 5, stride: 1, pad: 2 },
    { kind: "relu" },
    { kind: "maxpool", size: 2 },
    { kind: "conv2d", filters: 16, kernel: 5, stride: 1, pad: 2 },
    { kind: "relu" },
    { kind: "maxpool", size: 2 },
    { kind: "flatten" },
    { kind: "dense", units: 64 },
    { kind: "relu" },
    { kind: "dense", units: 10 },
  ],
  loss: "mse",
};

/**
 * The CNN's optimizer: heavy-ball momentum 7/8 with a learning rate 1/8 of the MLP's. A convolution's weight
 * gradient sums over every image position as well as the batch, so the MLP's rate makes it diverge (measured:
 * the network collapses to a constant output within 200 steps at the MLP's rate, with or without momentum).
 */
export const CNN_OPTIMIZER = { lrNum: 1, lrShift: 8, biasLrShift: 4, momentumNum: 7, momentumShift: 3, velocityMax: 2 ** 19 } as const;

export function mnistCnnSpec(opts: { seed?: string; batchSize?: number; model?: ModelV2; optimizer?: Partial<TrainingSpecV2["optimizer"]>; quant?: Partial<QuantFields> } = {}): { spec: TrainingSpecV2; data: MnistSplit } {
  const data = loadMnist();
  const spec = makeSpecV2({
    model: opts.model ?? CNN_MODEL,
    seed: opts.seed ?? DEMO_SEED,
    batchSize: opts.batchSize ?? 64,
    optimizer: { ...CNN_OPTIMIZER, ...opts.optimizer },
    ...(opts.quant ? { quant: opts.quant } : {}),
    data: { root: datasetRoot(data.train).toString("hex"), count: data.train.count, features: data.train.features, classes: data.train.classes },
  });
  return { spec, data };
}
