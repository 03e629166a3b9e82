import { SpecError } from "../errors.ts";
import { modelOf, isParameter, stateLayout } from "../graph.ts";
import { layerShapes } from "../model.ts";
import { requantize } from "../ops/requantize.ts";
import type { TrainingSpec } from "../spec.ts";
import type { Tensor } from "../tensor.ts";
import { OnnxGraph } from "./protoBuilder.ts";

/**
 * A standard float32 ONNX inference graph of a trained model, runnable by any ONNX runtime: Conv, MaxPool,
 * Gemm, Clip (ReLU with the engine's saturation), Transpose/Reshape; opset 17.
 *
 * Input `pixels`: float32 [N, features], the raw feature bytes (0..255) row-major (images HWC, as the
 * dataset stores them). The graph applies the engine's input quantization, x = min(floor(p / 2^inputShift
 * + 1/2), inputMax), so a float model sees the integers the engine sees. Output `logits`: float32
 * [N, classes] in real units (1.0 = the one-hot target).
 *
 * Weights are the engine's forward weights (master values requantized exactly as a training step does)
 * with each layer's output scale folded in: a hidden layer's weights and bias are multiplied by
 * 2^-actShift (so its activations are in the engine's activation units), the last layer's by 1/targetOne.
 * By default each hidden activation is rounded to an integer as the engine's requantization rounds it
 * (Floor(x + 1/2), then the saturating Clip): the network was trained with those activations, and with the
 * rounding the float model reproduces the integer one wherever its float32 sums are exact. Without it
 * (roundActivations: false) it is a plain float network with the engine's weights; bench:models states the
 * agreement of both with the engine's predictions.
 */
export interface ExportOptions {
  /**
   * Round each hidden activation to an integer (Floor(x + 1/2)) as the engine's requantization does, so the
   * float model computes what the integer model computes whenever its float32 sums are exact (default true).
   * false: a plain float model with the engine's weights, whose activations keep their fractions.
   */
  readonly roundActivations?: boolean;
}

export function exportInferenceOnnx(spec: TrainingSpec, weights: readonly Tensor[], options: ExportOptions = {}): Uint8Array {
  const round = options.roundActivations ?? true;
  const slots = stateLayout(spec).filter((s) => isParameter(s.name));
  if (weights.length !== slots.length) throw new SpecError("state", `expected ${slots.length} weight tensors (${slots.map((s) => s.name).join(", ")}), got ${weights.length}`);
  const q = spec.quant;
  const m = modelOf(spec);
  const shapes = layerShapes(m);
  const g = new OnnxGraph();
  const features = m.input.reduce((a, b) => a * b, 1);
  g.input("pixels", "float32", [-1, features]);
  const f = (v: number) => g.constant("float32", [v]);
  let x = g.node("Clip", [g.node("Floor", [g.node("Add", [g.node("Mul", ["pixels", f(2 ** -q.inputShift)]), f(0.5)])]), f(0), f(q.inputMax)]);
  // Images travel NCHW between convolutions (the ONNX layout); the engine's HWC order is restored to flatten.
  let layout: "flat" | "nhwc" | "nchw" = m.input.length === 3 ? "nhwc" : "flat";
  const toNchw = () => {
    if (layout !== "nhwc") return;
    const [H, W, C] = m.input as [number, number, number];
    x = g.node("Transpose", [g.node("Reshape", [x, g.constant("int64", [-1, H, W, C], [4])])], { perm: [0, 3, 1, 2] });
    layout = "nchw";
  };
  let p = 0;
  m.layers.forEach((layer, i) => {
    const last = i === m.layers.length - 1;
    const inShape = i === 0 ? m.input : shapes[i - 1]!;
    const scale = last ? 1 / q.targetOne : 2 ** -q.actShift;
    if (layer.kind === "dense" || layer.kind === "conv2d") {
      const w = forwardWeights(weights[2 * p]!, q.weightShift, q.weightMax);
      const b = forwardWeights(weights[2 * p + 1]!, q.biasShift, q.biasMax);
      p++;
      const bias = g.constant("float32", Array.from(b, (v) => v * scale), [b.length]);
      if (layer.kind === "dense") {
        const [fanIn, units] = [inShape[0]!, layer.units];
        x = g.node("Gemm", [x, g.constant("float32", Array.from(w, (v) => v * scale), [fanIn, units]), bias]);
      } else {
        toNchw();
        const { kernel: k, filters: F } = layer, C = inShape[2]!;
        // Engine kernel rows are (ky, kx, c), columns the filters; ONNX wants [F, C, ky, kx].
        const oihw = new Array<number>(F * C * k * k);
        for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) for (let c = 0; c < C; c++) for (let o = 0; o < F; o++) {
          oihw[((o * C + c) * k + ky) * k + kx] = w[((ky * k + kx) * C + c) * F + o]! * scale;
        }
        const pads = [layer.pad, layer.pad, layer.pad, layer.pad];
        x = g.node("Conv", [x, g.constant("float32", oihw, [F, C, k, k]), bias], { kernel_shape: [k, k], strides: [layer.stride, layer.stride], pads });
      }
      // The activation requantization saturates at ±actMax; a ReLU right after makes that Clip(0, actMax).
      if (!last) {
        const reluNext = m.layers[i + 1]?.kind === "relu";
        if (round) x = g.node("Floor", [g.node("Add", [x, f(0.5)])]);
        x = g.node("Clip", [x, f(reluNext ? 0 : -q.actMax), f(q.actMax)]);
      }
    } else if (layer.kind === "relu") {
      const prev = m.layers[i - 1];
      if (!(prev && (prev.kind === "dense" || prev.kind === "conv2d"))) x = g.node("Relu", [x]);
    } else if (layer.kind === "maxpool") {
      toNchw();
      x = g.node("MaxPool", [x], { kernel_shape: [layer.size, layer.size], strides: [layer.size, layer.size] });
    } else if (layer.kind === "flatten") {
      if (layout === "nchw") x = g.node("Transpose", [x], { perm: [0, 2, 3, 1] });
      const n = inShape.reduce((a, b) => a * b, 1);
      x = g.node("Reshape", [x, g.constant("int64", [-1, n], [2])]);
      layout = "flat";
    } else {
      // Never skip a layer silently: the graph would compute another model.
      throw new SpecError(`model.layers[${i}]`, `a ${layer.kind} layer cannot be exported yet (export covers dense, conv2d, relu, maxpool, flatten)`);
    }
  });
  g.node("Identity", [x], {}, "logits");
  g.output("logits", "float32", [-1, spec.data.classes]);
  return g.encode("veritrain_inference");
}

/** clamp(roundShift(master, shift), ±max): the forward values a training step computes from master values. */
function forwardWeights(master: Tensor, shift: number, max: number): Float64Array {
  return Float64Array.from(requantize.reference([master], { shift, lo: -max, hi: max }).data);
}
