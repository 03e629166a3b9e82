// Small spec-v2 jobs whose step programs hold every model op (codes 10..19), for the settlement and dispute
// tests: a CNN (im2col, col2im, maxpool, maxpool_grad, reshape; MSE, momentum) and a character LM (one_hot,
// softmax_ce_grad, adam_m, adam_v, adam_update).
import { datasetRoot } from "../../commitment/dataset.ts";
import type { Dataset } from "../../engine/batch.ts";
import { makeSpecV2, type TrainingSpecV2 } from "../../engine/spec.ts";
import { charlmJob } from "../../training/charlmJob.ts";
import { syntheticDataset } from "../vectors/generate.ts";
import { tinyCnnSpec } from "../vectors/generateModels.ts";

export interface ModelJob {
  readonly spec: TrainingSpecV2;
  readonly dataset: Dataset;
}

/** The tiny CNN of the v2 vectors: 6x6x1 synthetic images, conv 3@3x3 pad 1, maxpool 2, conv 4@2x2, dense 3. */
export function tinyCnnJob(): ModelJob {
  const { spec, data } = tinyCnnSpec();
  return { spec, dataset: data };
}

/**
 * A tiny CNN whose second convolution has a 3x3 kernel (pad 1): its input gradient (col2im) sums K = 9 terms,
 * more than the game's 8-term slice, so a dispute there takes a round of level 4.
 */
export function tinyCnn3Job(): ModelJob {
  const dataset = syntheticDataset(24, 36, 3);
  const spec = makeSpecV2({
    model: {
      input: [6, 6, 1],
      layers: [
        { kind: "conv2d", filters: 2, kernel: 3, stride: 1, pad: 1 }, { kind: "relu" }, { kind: "maxpool", size: 2 },
        { kind: "conv2d", filters: 3, kernel: 3, stride: 1, pad: 1 }, { kind: "relu" }, { kind: "flatten" },
        { kind: "dense", units: 3 },
      ],
      loss: "mse",
    },
    batchSize: 4, seed: "0d".repeat(32),
    data: { root: datasetRoot(dataset).toString("hex"), count: dataset.count, features: dataset.features, classes: dataset.classes },
  });
  return { spec, dataset };
}

const WORDS = ["anna", "bob", "carl", "dee", "eve", "flo", "gus", "hal", "ida", "jo", "kim", "mary-jo", "ned", "olga", "pia", "quin", "rob", "sue"];

/** A tiny character LM: context 3, embedding dim 4, one hidden layer of 8, batch 4, Adam. */
export function tinyCharlmJob(): ModelJob {
  const { spec, corpus } = charlmJob({ context: 3, dim: 4, hidden: [8], batchSize: 4 }, WORDS);
  return { spec, dataset: corpus.train };
}
