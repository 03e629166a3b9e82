import { type Batch, type Dataset, sampleBatch } from "../engine/batch.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { onnxRunner } from "../engine/onnx/runner.ts";
import type { SessionOptions } from "../engine/onnx/session.ts";
import { nextRng } from "../engine/random.ts";
import type { StepRunner } from "../engine/runner.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { initialState } from "../engine/state.ts";
import type { Tensor } from "../engine/tensor.ts";
import { charlmJob } from "../training/charlmJob.ts";
import { CNN_MODEL, mnistCnnSpec, mnistSpec } from "../training/mnistJob.ts";
import { float32CharLm, tokenBatch } from "./float32CharLm.ts";
import { float32Cnn } from "./float32Cnn.ts";
import { floatBatch, float32Mlp } from "./float32Mlp.ts";
import { realLearningRate } from "./realLearningRate.ts";

/** The default models bench:engine prices: the MLP (spec v1), the CNN (docs/specs/cnn.json), the char LM (docs/specs/charlm.json). */
export const MODELS = ["mlp", "cnn", "charlm"] as const;
/** Also measurable (BENCH_MODELS): the CNN with the softmax cross-entropy loss (bench:models' cnn_ce). */
export const EXTRA_MODELS = ["cnn_ce"] as const;
export type ModelName = (typeof MODELS)[number] | (typeof EXTRA_MODELS)[number];
const KNOWN: readonly string[] = [...MODELS, ...EXTRA_MODELS];

/**
 * One model's two contenders, ready to step: the deterministic ONNX step of its spec and the float32
 * baseline of the same layers and batch, opened with the same session options, each stepping through the
 * same 20 batches drawn up front (neither pays for sampling inside the timed blocks).
 */
export interface ContenderPair {
  readonly model: ModelName;
  readonly spec: TrainingSpec;
  /** The deterministic runner (bench:engine also times its traced steps). */
  readonly runner: StepRunner;
  readonly batches: readonly Batch[];
  /** The deterministic contender's current state. */
  state(): readonly Tensor[];
  detStep(): Promise<void>;
  f32Step(): Promise<void>;
  close(): Promise<void>;
}

const BATCHES = 20;

/** The first `n` batches of a spec's training run (its initial RNG onwards). */
export function drawBatches(spec: TrainingSpec, data: Dataset, n = BATCHES): Batch[] {
  let rng = initialState(spec).rng;
  return Array.from({ length: n }, () => {
    const b = sampleBatch(data, rng, spec);
    rng = nextRng(rng);
    return b;
  });
}

/** The pair of a model at its own batch size, or (the MLP's batch sweep) at `batchSize`. */
export async function contenderPair(model: ModelName, session: SessionOptions, batchSize?: number): Promise<ContenderPair> {
  const opt = batchSize === undefined ? {} : { batchSize };
  let spec: TrainingSpec, data: Dataset, f32Step: (i: number) => Promise<unknown>, f32Close: () => Promise<void>;
  switch (model) {
    case "mlp": {
      const job = mnistSpec(opt);
      spec = job.spec;
      data = job.data.train;
      const o = spec.optimizer;
      const f = await float32Mlp(spec.model.layers, spec.training.batchSize, realLearningRate(spec), o.momentumNum / 2 ** o.momentumShift, session);
      const fb = drawBatches(spec, data).map((b) => floatBatch(data, b));
      f32Step = (i) => f.step(fb[i]!);
      f32Close = f.close;
      break;
    }
    case "cnn":
    case "cnn_ce": {
      const job = mnistCnnSpec(model === "cnn" ? opt : { ...opt, model: { ...CNN_MODEL, loss: "softmax_ce" } });
      spec = job.spec;
      data = job.data.train;
      const f = await float32Cnn(job.spec, session);
      const fb = drawBatches(spec, data).map((b) => floatBatch(data, b));
      f32Step = (i) => f.step(fb[i]!);
      f32Close = f.close;
      break;
    }
    case "charlm": {
      const job = charlmJob(opt);
      spec = job.spec;
      data = job.corpus.train;
      const f = await float32CharLm(job.spec, session);
      const fb = drawBatches(spec, data).map(tokenBatch);
      f32Step = (i) => f.step(fb[i]!);
      f32Close = f.close;
      break;
    }
    default:
      throw new RangeError(`unknown model ${JSON.stringify(model)} (models: ${KNOWN.join(", ")})`);
  }
  const runner = await onnxRunner(buildStepGraph(spec), session);
  const batches = drawBatches(spec, data);
  let state: readonly Tensor[] = initialState(spec).tensors;
  let kDet = 0, kF32 = 0;
  return {
    model, spec, runner, batches,
    state: () => state,
    async detStep() {
      state = (await runner.run(state, batches[kDet++ % BATCHES]!)).state;
    },
    async f32Step() {
      await f32Step(kF32++ % BATCHES);
    },
    async close() {
      await runner.close();
      await f32Close();
    },
  };
}

/** Parses a comma-separated list of model names (BENCH_MODELS); names the unknown one. */
export function parseModels(list: string): ModelName[] {
  const names = list.split(",").map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!KNOWN.includes(n)) throw new RangeError(`BENCH_MODELS: unknown model ${JSON.stringify(n)} (models: ${KNOWN.join(", ")})`);
  return names as ModelName[];
}
