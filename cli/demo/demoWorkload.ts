import { DemoError } from "./demoError.ts";
import type { KernelKind } from "../../chain/kernelKind.ts";
import type { Dataset } from "../../engine/batch.ts";
import { datasetRoot } from "../../commitment/dataset.ts";
import { JOB_DEFAULTS } from "../../core/defaults.ts";
import { stateAccuracy } from "../../engine/evaluate.ts";
import type { BackendName } from "../../engine/runner.ts";
import { parseSpec, type TrainingSpec, type TrainingSpecV2 } from "../../engine/spec.ts";
import type { TrainingState } from "../../engine/state.ts";
import { CHARLM_DEFAULTS, CHARLM_DEMO_SAMPLES, charlmJob, heldOutNats, parameters, sampleWords } from "../../training/charlmJob.ts";
import { mnistCnnSpec, mnistSpec } from "../../training/mnistJob.ts";

/**
 * What `veritrain demo --model` runs, per model: the honest job's spec and training set, the cheating job
 * (the same spec on its own small slice of that set, every interval re-executed), the kernel verifier that
 * can settle the model's ops, the default length, and how the fetched model is evaluated.
 *
 *   mlp     the default MNIST job (dense 784-128-10), Groth16 kernel verifier: the demo as it always was.
 *   cnn     the LeNet-style MNIST CNN (training/mnistJob.ts mnistCnnSpec) on the same digits; Groth16 kernel
 *           verifier too (its circuits cover every op of the CNN, the pools and softmax_ce_grad by term slices).
 *   charlm  the character LM (training/charlmJob.ts) on the random-name corpus, whose training split is
 *           published as a dataset file the solver and verifier accept; Groth16 kernel verifier (as for the
 *           CNN). Evaluated in nats per character, and words are sampled from the fetched model.
 */
export const DEMO_MODELS = ["mlp", "cnn", "charlm"] as const;
export type DemoModel = (typeof DEMO_MODELS)[number];

/** The held-out figure of a fetched model. */
export type DemoEvaluation =
  | { readonly kind: "accuracy"; readonly heldoutAccuracy: number; readonly heldoutExamples: number }
  | { readonly kind: "nats"; readonly heldoutNatsPerChar: number; readonly uniformNatsPerChar: number; readonly heldoutExamples: number; readonly samples: readonly string[] };

export interface DemoWorkload {
  readonly model: DemoModel;
  /** One line for the summary: what is trained. */
  readonly description: string;
  readonly spec: TrainingSpec;
  readonly train: Dataset;
  /**
   * Whether the nodes need the training set as a published dataset file (charlm); otherwise they hold it by
   * name (NODE_DEFAULTS.datasets: "mnist").
   */
  readonly publishTrain: boolean;
  readonly kernel: KernelKind;
  readonly cheat: { readonly spec: TrainingSpec; readonly data: Dataset; readonly steps: number; readonly checkpointInterval: number };
  evaluate(state: TrainingState, backend: BackendName): Promise<DemoEvaluation>;
}

/**
 * Each model's default length. The MLP's is the main job's (JOB_DEFAULTS). A CNN step is ~35x an MLP step
 * (docs/engine.md, bench:models) and a char-LM step ~4x: these keep each demo to a few minutes on 2 cores.
 */
export const DEMO_DEFAULTS: Readonly<Record<DemoModel, { readonly steps: number; readonly checkpointInterval: number }>> = {
  mlp: { steps: JOB_DEFAULTS.steps, checkpointInterval: JOB_DEFAULTS.checkpointInterval },
  cnn: { steps: 600, checkpointInterval: 30 },
  charlm: { steps: 3_000, checkpointInterval: 150 },
};


/** The first `n` examples of a dataset (its own root): the cheating job's data, so only the cheater takes it. */
export function slice(d: Dataset, n: number): Dataset {
  if (n > d.count) throw new DemoError(`a slice of ${n} examples of a dataset of ${d.count}`);
  return { count: n, features: d.features, classes: d.classes, pixels: d.pixels.slice(0, n * d.features), labels: d.labels.slice(0, n) };
}

/** The same spec on another dataset (its root and sizes): the cheating job's spec. */
function onData(spec: TrainingSpec, d: Dataset): TrainingSpec {
  return parseSpec({ ...spec, data: { root: datasetRoot(d).toString("hex"), count: d.count, features: d.features, classes: d.classes } });
}

function cheatJob(spec: TrainingSpec, train: Dataset, examples: number, steps: number, checkpointInterval: number): DemoWorkload["cheat"] {
  const data = slice(train, examples);
  return { spec: onData(spec, data), data, steps, checkpointInterval };
}

export function demoWorkload(model: DemoModel): DemoWorkload {
  if (model === "mlp") {
    const { spec, data } = mnistSpec();
    return {
      model, description: "MLP 784-128-10 on MNIST (spec version 1)", spec, train: data.train, publishTrain: false, kernel: "groth16",
      // 200 steps, 10 intervals, on a 2,000-digit slice.
      cheat: cheatJob(spec, data.train, 2_000, 200, 20),
      evaluate: async (state, backend) => ({ kind: "accuracy", heldoutAccuracy: await stateAccuracy(spec, state, data.heldout, backend), heldoutExamples: data.heldout.count }),
    };
  }
  if (model === "cnn") {
    const { spec, data } = mnistCnnSpec();
    return {
      model, description: "LeNet-style CNN on MNIST (conv 12@5x5, maxpool, conv 24@5x5, maxpool, dense 128, dense 10, softmax cross-entropy; spec version 2)", spec, train: data.train,
      publishTrain: false, kernel: "groth16",
      // 50 steps, 10 intervals, on a 2,000-digit slice (the verifier re-executes every one: a CNN step is slow).
      cheat: cheatJob(spec, data.train, 2_000, 50, 5),
      evaluate: async (state, backend) => ({ kind: "accuracy", heldoutAccuracy: await stateAccuracy(spec, state, data.heldout, backend), heldoutExamples: data.heldout.count }),
    };
  }
  if (model === "charlm") {
    const { spec, corpus } = charlmJob();
    const v2 = spec as TrainingSpecV2;
    return {
      model, description: `character LM on ${corpus.train.count.toLocaleString("en-US")} training characters of random-name (context ${corpus.context}, embedding ${CHARLM_DEFAULTS.dim}, dense ${CHARLM_DEFAULTS.hidden.join(", ")}, softmax over ${corpus.vocab.length}, Adam; spec version 2)`,
      spec, train: corpus.train, publishTrain: true, kernel: "groth16",
      // 200 steps, 10 intervals, on the first 10,000 characters.
      cheat: cheatJob(spec, corpus.train, 10_000, 200, 20),
      evaluate: async (state, backend) => {
        const params = parameters(v2, state);
        return {
          kind: "nats", heldoutNatsPerChar: await heldOutNats(v2, params, corpus.heldOut, backend), uniformNatsPerChar: Math.log(corpus.vocab.length),
          heldoutExamples: corpus.heldOut.count, samples: sampleWords(v2, params, corpus.vocab, CHARLM_DEMO_SAMPLES, v2.training.seed),
        };
      },
    };
  }
  throw new DemoError(`unknown demo model ${JSON.stringify(model)}: one of ${DEMO_MODELS.join(", ")}`);
}
