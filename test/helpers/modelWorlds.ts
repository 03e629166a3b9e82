// Small spec-v2 jobs whose step programs hold every model op (codes 10..19), for the settlement and dispute
// tests: a CNN (im2col, col2im, maxpool, maxpool_grad, reshape; MSE, momentum) and a character LM (one_hot,
// softmax_ce_grad, adam_m, adam_v, adam_update).
import type { Dataset } from "../../engine/batch.ts";
import type { TrainingSpecV2 } from "../../engine/spec.ts";
import { charlmJob } from "../../training/charlmJob.ts";
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

const WORDS = ["anna", "bob", "carl", "dee", "eve", "flo", "gus", "hal", "ida", "jo", "kim", "mary-jo", "ned", "olga", "pia", "quin", "rob", "sue"];

/** A tiny character LM: context 3, embedding dim 4, one hidden layer of 8, batch 4, Adam. */
export function tinyCharlmJob(): ModelJob {
  const { spec, corpus } = charlmJob({ context: 3, dim: 4, hidden: [8], batchSize: 4 }, WORDS);
  return { spec, dataset: corpus.train };
}
