import * as ort from "onnxruntime-node";
import type { Batch } from "../engine/batch.ts";
import type { SessionOptions } from "../engine/onnx/session.ts";
import type { TrainingSpecV2 } from "../engine/spec.ts";
import { floatOptimizer, type FloatTrainer, FloatTrainingGraph } from "./float32Training.ts";

/** A character-LM batch as the float32 baseline takes it: the context's token indices (int64) and the labels. */
export interface TokenBatch {
  readonly tokens: BigInt64Array;
  readonly labels: Float32Array;
}

/** The same examples as a deterministic batch (its x holds the token indices: the LM's input quantization is the identity). */
export function tokenBatch(b: Batch): TokenBatch {
  return { tokens: BigInt64Array.from(b.x.data, (v) => BigInt(v)), labels: Float32Array.from(b.labels.data) };
}

/**
 * The float32 baseline of a character-LM spec (embedding, (dense, relu)*, dense; softmax cross-entropy;
 * Adam or momentum): the training step a float framework runs for the same layers, shapes and batch, in
 * standard ONNX ops on the same onnxruntime. Forward: Gather of the context's rows of the table, Flatten,
 * Gemm (bias fused), Relu, Softmax. Backward: Gemm, Where for ReLU, and the table's gradient as a ScatterND
 * that adds each row's error into a zero [vocab, dim] tensor (a float framework's embedding backward). Then
 * the spec's update in float32 (Adam without bias correction, as the engine's).
 */
export async function float32CharLm(spec: TrainingSpecV2, options: SessionOptions = {}): Promise<FloatTrainer<TokenBatch>> {
  const m = spec.model, B = spec.training.batchSize, classes = spec.data.classes;
  const emb = m.layers[0];
  if (emb?.kind !== "embedding" || m.input.length !== 1) throw new RangeError("float32CharLm: the model must start with an embedding over a flat input of token indices");
  const T = m.input[0]!, V = emb.vocab, D = emb.dim;
  const opt = floatOptimizer(spec);
  const t = new FloatTrainingGraph(opt);
  const g = t.g;
  const prescale = opt.name === "momentum";
  const tokens = g.input("tokens", "int64", [B, T]);
  const labels = g.input("labels", "float32", [B]);
  const i64 = (v: readonly number[]) => g.constant("int64", v, [v.length]);
  const table = t.param({ name: "l0_w", dims: [V, D], fanIn: V });
  let a = g.node("Reshape", [g.node("Gather", [table, tokens], { axis: 0 }), i64([B, T * D])]);

  const dense: { p: number; input: string; w: string; b: string; pre?: string }[] = [];
  let width = T * D, p = 0;
  m.layers.slice(1).forEach((l, j) => {
    const i = j + 1;
    if (l.kind === "dense") {
      p++;
      const w = t.param({ name: `l${p}_w`, dims: [width, l.units], fanIn: width });
      const b = t.param({ name: `l${p}_b`, dims: [l.units] });
      dense.push({ p, input: a, w, b });
      a = g.node("Gemm", [a, w, b]);
      width = l.units;
    } else if (l.kind === "relu") {
      const last = dense[dense.length - 1];
      if (!last || last.pre !== undefined) throw new RangeError(`float32CharLm: model.layers[${i}]: a relu must follow a dense layer`);
      last.pre = a;
      a = g.node("Relu", [a]);
    } else throw new RangeError(`float32CharLm: model.layers[${i}] (${l.kind}) is not a layer of a character LM (dense, relu)`);
  });
  const logits = a;
  let d = t.outputError(logits, labels, classes, m.loss);
  for (let k = dense.length - 1; k >= 0; k--) {
    const l = dense[k]!;
    t.update(l.w, g.node("Gemm", [l.input, d], prescale ? { transA: 1, alpha: { float: opt.lrW } } : { transA: 1 }), prescale);
    t.update(l.b, g.node("ReduceSum", [d, i64([0])], { keepdims: 0 }));
    d = g.node("Gemm", [d, l.w], { transB: 1 });
    const below = dense[k - 1];
    if (below?.pre !== undefined) d = g.node("Where", [g.node("Greater", [below.pre, g.constant("float32", [0])]), d, g.constant("float32", [0])]);
  }
  // Row r of the table gets the errors of every context position that holds token r.
  const rows = g.node("Reshape", [d, i64([B * T, D])]);
  const gTable = g.node("ScatterND", [g.constant("float32", new Array<number>(V * D).fill(0), [V, D]), g.node("Reshape", [tokens, i64([B * T, 1])]), rows], { reduction: "add" });
  t.update(table, gTable);
  const trainer = await t.open("float32_charlm", { name: logits, dims: [B, classes] }, options);
  return {
    ...trainer,
    step: (batch: TokenBatch) => trainer.step({ tokens: new ort.Tensor("int64", batch.tokens, [B, T]), labels: new ort.Tensor("float32", batch.labels, [B]) }),
  };
}
