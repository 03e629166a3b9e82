import { datasetRoot } from "../commitment/dataset.ts";
import type { Dataset } from "../engine/batch.ts";
import { loadMnist, mnistValidationSplit, type MnistSplit, type MnistValidationSplit } from "../engine/mnist.ts";
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
 * convolutions (same padding, 12 then 24 filters) each followed by ReLU and 2x2 max pooling, then a dense
 * hidden layer of 128, trained on the softmax cross-entropy. Chosen on a validation split of the training
 * digits (bench/cnnSelect.ts, docs/engine.md "The CNN workload"): the 8/16/64 network with MSE plateaued near
 * 97%, with cross-entropy near 97.7% (validation), this one near 98.0% from 2,250 steps on.
 */
export const CNN_MODEL: ModelV2 = {
  input: [28, 28, 1],
  layers: [
    { kind: "conv2d", filters: 12, kernel: 5, stride: 1, pad: 2 },
    { kind: "relu" },
    { kind: "maxpool", size: 2 },
    { kind: "conv2d", filters: 24, kernel: 5, stride: 1, pad: 2 },
    { kind: "relu" },
    { kind: "maxpool", size: 2 },
    { kind: "flatten" },
    { kind: "dense", units: 128 },
    { kind: "relu" },
    { kind: "dense", units: 10 },
  ],
  loss: "softmax_ce",
};

/**
 * The CNN's optimizer: heavy-ball momentum 7/8 with a learning rate 1/8 of the MLP's. A convolution's weight
 * gradient sums over every image position as well as the batch, so the MLP's rate makes it diverge (measured:
 * the network collapses to a constant output within 200 steps at the MLP's rate, with or without momentum).
 */
export const CNN_OPTIMIZER = { lrNum: 1, lrShift: 8, biasLrShift: 4, momentumNum: 7, momentumShift: 3, velocityMax: 2 ** 19 } as const;

export const CNN_BATCH = 64;

/**
 * The CNN's training length (a job parameter, not part of the spec; bench:models trains it this long): the
 * validation curve's best three-checkpoint mean (checkpoints every 250 steps; ties to the fewer steps).
 */
export const CNN_STEPS = 2500;

export interface CnnSpecOptions {
  readonly seed?: string;
  readonly batchSize?: number;
  readonly model?: ModelV2;
  readonly optimizer?: Partial<TrainingSpecV2["optimizer"]>;
  readonly quant?: Partial<QuantFields>;
}

/** The default CNN (or a variant of it) bound to a dataset: the spec's data section is that dataset's root. */
export function cnnSpecFor(dataset: Dataset, opts: CnnSpecOptions = {}): TrainingSpecV2 {
  return makeSpecV2({
    model: opts.model ?? CNN_MODEL,
    seed: opts.seed ?? DEMO_SEED,
    batchSize: opts.batchSize ?? CNN_BATCH,
    optimizer: { ...CNN_OPTIMIZER, ...opts.optimizer },
    ...(opts.quant ? { quant: opts.quant } : {}),
    data: { root: datasetRoot(dataset).toString("hex"), count: dataset.count, features: dataset.features, classes: dataset.classes },
  });
}

/** The default CNN job: the spec on all training digits (the held-out digits evaluate it). */
export function mnistCnnSpec(opts: CnnSpecOptions = {}): { spec: TrainingSpecV2; data: MnistSplit } {
  const data = loadMnist();
  return { spec: cnnSpecFor(data.train, opts), data };
}

/**
 * The same CNN on the fit part of the training digits (engine/mnist.ts mnistValidationSplit): its accuracy on
 * the validation part is what chose the default's hyper-parameters and step count, never the held-out set.
 */
export function mnistCnnValidationSpec(opts: CnnSpecOptions = {}): { spec: TrainingSpecV2; split: MnistValidationSplit } {
  const split = mnistValidationSplit();
  return { spec: cnnSpecFor(split.fit, opts), split };
}
