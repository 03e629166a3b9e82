import * as ort from "onnxruntime-node";
import { OnnxGraph } from "../engine/onnx/protoBuilder.ts";
import { openSession, type SessionOptions } from "../engine/onnx/session.ts";
import type { Batch, Dataset } from "../engine/batch.ts";
import { uniformInts, hexToBytes32 } from "../engine/random.ts";

export interface FloatBatch {
  readonly x: Float32Array;
  readonly labels: Float32Array;
}

/** The float inputs of the same examples as a deterministic batch: raw bytes / 255. */
export function floatBatch(d: Dataset, b: Batch): FloatBatch {
  const f = d.features, x = new Float32Array(b.indices.length * f);
  b.indices.forEach((e, i) => {
    for (let j = 0; j < f; j++) x[i * f + j] = d.pixels[e * f + j]! / 255;
  });
  return { x, labels: Float32Array.from(b.labels.data) };
}

/**
 * The non-deterministic baseline: a plain float32 onnxruntime graph of the same MLP and batch doing the
 * same work per step (forward, squared-error gradient, backward, momentum SGD), with no quantization.
 * Used only by the benchmark to price determinism.
 */
export async function float32Mlp(layers: readonly number[], batchSize: number, lr: number, mu: number, options: SessionOptions = {}) {
  const g = new OnnxGraph();
  const L = layers.length - 1;
  const px = g.input("pixels", "float32", [batchSize, layers[0]!]);
  const labels = g.input("labels", "float32", [batchSize]);
  const params: { name: string; dims: number[] }[] = [];
  for (let l = 0; l < L; l++) params.push({ name: `w${l}`, dims: [layers[l]!, layers[l + 1]!] }, { name: `b${l}`, dims: [layers[l + 1]!] });
  const stateNames = mu > 0 ? [...params.map((p) => p.name), ...params.map((p) => `v${p.name}`)] : params.map((p) => p.name);
  const dimsOf = (n: string) => params.find((p) => p.name === n.replace(/^v/, ""))!.dims;
  for (const n of stateNames) g.input(n, "float32", dimsOf(n));
  const acts = [px];
  const pre: string[] = [];
  let z = "";
  for (let l = 0; l < L; l++) {
    z = g.node("Add", [g.node("Gemm", [acts[l]!, `w${l}`]), `b${l}`]);
    if (l < L - 1) {
      pre.push(z);
      acts.push(g.node("Relu", [z]));
    }
  }
  const n = layers[L]!;
  const col = g.node("Unsqueeze", [labels, g.constant("int64", [1], [1])]);
  const hot = g.node("Cast", [g.node("Equal", [col, g.constant("float32", Array.from({ length: n }, (_, j) => j), [n])])], { to: 1 });
  let d = g.node("Sub", [z, hot]);
  // `scaled` is lr * gradient: the weight gradient's Gemm takes lr as its alpha (the deterministic lowering
  // folds its learning rate into the same Gemm), the bias gradient is multiplied. Velocities hold lr * v.
  const upd = (p: string, scaled: string) => {
    const step = mu > 0 ? g.node("Add", [g.node("Mul", [`v${p}`, g.constant("float32", [mu])]), scaled], {}, `v${p}_next`) : scaled;
    g.node("Sub", [p, step], {}, `${p}_next`);
  };
  for (let l = L - 1; l >= 0; l--) {
    upd(`w${l}`, g.node("Gemm", [acts[l]!, d], { transA: 1, alpha: { float: lr } }));
    upd(`b${l}`, g.node("Mul", [g.node("ReduceSum", [d, g.constant("int64", [0], [1])], { keepdims: 0 }), g.constant("float32", [lr])]));
    if (l > 0) d = g.node("Where", [g.node("Greater", [pre[l - 1]!, g.constant("float32", [0])]), g.node("Gemm", [d, `w${l}`], { transB: 1 }), g.constant("float32", [0])]);
  }
  for (const name of stateNames) g.output(`${name}_next`, "float32", dimsOf(name));
  // The deterministic engine's own session options (engine/onnx/session.ts), so only the graphs differ.
  const session = await openSession({ bytes: g.encode("float32_mlp") }, options);
  const seed = hexToBytes32("ab".repeat(32));
  let state: Record<string, ort.Tensor> = {};
  for (const name of stateNames) {
    const dims = dimsOf(name), size = dims.reduce((a, b) => a * b, 1);
    const limit = Math.sqrt(6 / dims[0]!);
    state[name] = new ort.Tensor("float32", /^w/.test(name) ? Float32Array.from(uniformInts(seed, params.findIndex((p) => p.name === name), size, 1 << 20), (v) => (v / (1 << 20)) * limit) : new Float32Array(size), dims);
  }
  return {
    /** One step on inputs already scaled to [0, 1] (prepared once, like the deterministic batches). */
    async step(batch: FloatBatch): Promise<void> {
      const out = await session.run({ ...state, pixels: new ort.Tensor("float32", batch.x, [batchSize, layers[0]!]), labels: new ort.Tensor("float32", batch.labels, [batchSize]) });
      const next: Record<string, ort.Tensor> = {};
      for (const name of stateNames) next[name] = out[`${name}_next`]!;
      state = next;
    },
    close: () => session.release(),
  };
}
