import * as ort from "onnxruntime-node";
import { layerShapes } from "../engine/model.ts";
import type { SessionOptions } from "../engine/onnx/session.ts";
import type { TrainingSpecV2 } from "../engine/spec.ts";
import type { FloatBatch } from "./float32Mlp.ts";
import { floatOptimizer, type FloatTrainer, FloatTrainingGraph } from "./float32Training.ts";

/**
 * The float32 baseline of a convolutional spec (conv2d, relu, maxpool, flatten, dense; MSE or softmax
 * cross-entropy; SGD or momentum): the training step a float framework runs for the same layers, shapes and
 * batch, in standard ONNX ops on the same onnxruntime. Forward: Conv (bias fused), Relu, MaxPool (keeping its
 * argmax indices), Flatten, Gemm. Backward: a dense layer's gradients by Gemm (the weights' learning rate as
 * the Gemm's alpha), MaxUnpool through the pools' indices, Where for ReLU, a convolution's weight gradient as
 * the Conv of its input with its output error (batch and channels swapped, the usual trick), its input's
 * gradient by ConvTranspose. Then the spec's update in float32. Images are NCHW here (onnxruntime's Conv
 * layout); the spec's HWC input is transposed in the graph when it has more than one channel.
 */
export async function float32Cnn(spec: TrainingSpecV2, options: SessionOptions = {}): Promise<FloatTrainer<FloatBatch>> {
  const m = spec.model, B = spec.training.batchSize, classes = spec.data.classes;
  if (m.input.length !== 3) throw new RangeError(`float32Cnn: the model's input must be an image [H, W, C], got [${m.input.join(", ")}]`);
  const shapes = layerShapes(m);
  const opt = floatOptimizer(spec);
  const t = new FloatTrainingGraph(opt);
  const g = t.g;
  const prescale = opt.name === "momentum";
  const [H0, W0, C0] = m.input as [number, number, number];
  const x = g.input("x", "float32", [B, H0 * W0 * C0]);
  const labels = g.input("labels", "float32", [B]);
  const i64 = (v: readonly number[]) => g.constant("int64", v, [v.length]);
  let a = C0 === 1 ? g.node("Reshape", [x, i64([B, 1, H0, W0])])
    : g.node("Transpose", [g.node("Reshape", [x, i64([B, H0, W0, C0])])], { perm: [0, 3, 1, 2] });

  type Saved =
    | { kind: "conv2d"; p: number; input: string; w: string; b: string; pad: number; inDims: number[] }
    | { kind: "dense"; p: number; input: string; w: string; b: string }
    | { kind: "relu"; pre: string }
    | { kind: "maxpool"; indices: string; size: number; inDims: number[] }
    | { kind: "flatten"; inDims: number[] };
  const saved: Saved[] = [];
  let p = -1;
  m.layers.forEach((l, i) => {
    const inShape = i === 0 ? m.input : shapes[i - 1]!;
    switch (l.kind) {
      case "conv2d": {
        // Stride 1 only: the weight gradient's Conv trick and ConvTranspose's shape need more for a stride.
        if (l.stride !== 1) throw new RangeError(`float32Cnn: model.layers[${i}] has stride ${l.stride}; the float32 baseline implements stride 1 only`);
        p++;
        const [H, W, C] = inShape as [number, number, number];
        const w = t.param({ name: `l${p}_w`, dims: [l.filters, C, l.kernel, l.kernel], fanIn: l.kernel * l.kernel * C });
        const b = t.param({ name: `l${p}_b`, dims: [l.filters] });
        saved.push({ kind: "conv2d", p, input: a, w, b, pad: l.pad, inDims: [B, C, H, W] });
        a = g.node("Conv", [a, w, b], { kernel_shape: [l.kernel, l.kernel], pads: [l.pad, l.pad, l.pad, l.pad], strides: [1, 1] });
        break;
      }
      case "dense": {
        p++;
        const n = inShape[0]!;
        const w = t.param({ name: `l${p}_w`, dims: [n, l.units], fanIn: n });
        const b = t.param({ name: `l${p}_b`, dims: [l.units] });
        saved.push({ kind: "dense", p, input: a, w, b });
        a = g.node("Gemm", [a, w, b]);
        break;
      }
      case "relu":
        saved.push({ kind: "relu", pre: a });
        a = g.node("Relu", [a]);
        break;
      case "maxpool": {
        const [H, W, C] = inShape as [number, number, number];
        const [y, indices] = g.nodeOutputs("MaxPool", [a], [g.fresh("pool"), g.fresh("argmax")], { kernel_shape: [l.size, l.size], strides: [l.size, l.size] });
        saved.push({ kind: "maxpool", indices: indices!, size: l.size, inDims: [B, C, H, W] });
        a = y!;
        break;
      }
      case "flatten": {
        const [H, W, C] = inShape as [number, number, number];
        saved.push({ kind: "flatten", inDims: [B, C, H, W] });
        a = g.node("Flatten", [a], { axis: 1 });
        break;
      }
      case "embedding":
        throw new RangeError(`float32Cnn: model.layers[${i}] is an embedding; use float32CharLm`);
    }
  });
  const logits = a;
  let d = t.outputError(logits, labels, classes, m.loss);
  const T = (v: string) => g.node("Transpose", [v], { perm: [1, 0, 2, 3] });
  for (let i = saved.length - 1; i >= 0; i--) {
    const s = saved[i]!;
    // Below the first parametric layer no gradient is needed (the deterministic step stops there too).
    if (!saved.slice(0, i + 1).some((u) => u.kind === "conv2d" || u.kind === "dense")) break;
    switch (s.kind) {
      case "dense": {
        t.update(s.w, g.node("Gemm", [s.input, d], prescale ? { transA: 1, alpha: { float: opt.lrW } } : { transA: 1 }), prescale);
        t.update(s.b, g.node("ReduceSum", [d, i64([0])], { keepdims: 0 }));
        if (s.p > 0) d = g.node("Gemm", [d, s.w], { transB: 1 });
        break;
      }
      case "conv2d": {
        // dW[f, c] = sum over batch and positions of d[., f] * padded input[., c]: a Conv of the input with the
        // error as its kernel once batch and channels trade places, then back to [F, C, k, k].
        const pads = [s.pad, s.pad, s.pad, s.pad];
        t.update(s.w, T(g.node("Conv", [T(s.input), T(d)], { pads })));
        t.update(s.b, g.node("ReduceSum", [d, i64([0, 2, 3])], { keepdims: 0 }));
        if (s.p > 0) d = g.node("ConvTranspose", [d, s.w], { pads, strides: [1, 1] });
        break;
      }
      case "relu":
        d = g.node("Where", [g.node("Greater", [s.pre, g.constant("float32", [0])]), d, g.constant("float32", [0])]);
        break;
      case "maxpool":
        d = g.node("MaxUnpool", [d, s.indices, i64(s.inDims)], { kernel_shape: [s.size, s.size], strides: [s.size, s.size] });
        break;
      case "flatten":
        d = g.node("Reshape", [d, i64(s.inDims)]);
        break;
    }
  }
  const trainer = await t.open("float32_cnn", { name: logits, dims: [B, classes] }, options);
  return {
    ...trainer,
    step: (batch: FloatBatch) => trainer.step({ x: new ort.Tensor("float32", batch.x, [B, H0 * W0 * C0]), labels: new ort.Tensor("float32", batch.labels, [B]) }),
  };
}
