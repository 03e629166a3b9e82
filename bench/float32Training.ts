import * as ort from "onnxruntime-node";
import { OnnxGraph } from "../engine/onnx/protoBuilder.ts";
import { openSession, type SessionOptions } from "../engine/onnx/session.ts";
import { hexToBytes32, uniformInts } from "../engine/random.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { realLearningRate } from "./realLearningRate.ts";

/**
 * The pieces the float32 baselines of bench:engine share (bench/float32Cnn.ts, bench/float32CharLm.ts): the
 * state tensors a graph takes and returns, the loss's output error, the optimizer updates in float32, and a
 * session that feeds each step's next state to the following step. Nothing here is committed or exact: it is
 * the plain training step a float framework would run, the yardstick determinism is priced against.
 */
export interface FloatParam {
  readonly name: string;
  readonly dims: readonly number[];
  /** A weight's fan-in: He-uniform values (limit sqrt(6 / fanIn)) and the weights' rate. None: a bias (zeros, the biases' rate). */
  readonly fanIn?: number;
}

export type FloatOptimizer =
  | { readonly name: "momentum"; readonly lrW: number; readonly lrB: number; readonly mu: number }
  | { readonly name: "adam"; readonly lrW: number; readonly lrB: number; readonly b1: number; readonly b2: number; readonly eps: number };

/**
 * A spec's optimizer in real units: its learning rates per unit of batch-summed gradient, momentum's mu, and
 * Adam's rates (b1 = 1 - beta1, b2 = 1 - beta2; Adam's rate is in master units per unit of m / sqrt(v)).
 */
export function floatOptimizer(spec: TrainingSpec, adamEps = 1e-8): FloatOptimizer {
  const o = spec.optimizer;
  if (spec.version === 2 && spec.optimizer.name === "adam") {
    const a = spec.optimizer.adam!, unit = 2 ** -spec.quant.masterFrac;
    return { name: "adam", lrW: (o.lrNum / 2 ** o.lrShift) * unit, lrB: (o.lrNum / 2 ** o.biasLrShift) * unit, b1: a.b1Num / 2 ** a.b1Shift, b2: a.b2Num / 2 ** a.b2Shift, eps: adamEps };
  }
  return { name: "momentum", lrW: realLearningRate(spec, "w"), lrB: realLearningRate(spec, "b"), mu: o.momentumNum / 2 ** o.momentumShift };
}

/** One state tensor of the graph: a parameter or an optimizer slot, `{name}_next` its value after the step. */
interface StateTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly init: Float32Array;
}

const SEED = hexToBytes32("ab".repeat(32));
const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/**
 * A float32 training graph under construction: declares the parameters (and their optimizer state) as graph
 * inputs, and writes each parameter's update from its gradient.
 */
export class FloatTrainingGraph {
  readonly g = new OnnxGraph();
  private readonly state: StateTensor[] = [];
  private readonly params = new Map<string, FloatParam>();

  readonly optimizer: FloatOptimizer;

  constructor(optimizer: FloatOptimizer) {
    this.optimizer = optimizer;
  }

  /** Declares a parameter (its optimizer state with it); returns its input name. */
  param(p: FloatParam): string {
    const n = size(p.dims), stream = this.params.size;
    const init = p.fanIn === undefined ? new Float32Array(n)
      : Float32Array.from(uniformInts(SEED, stream, n, 1 << 20), (v) => (v / (1 << 20)) * Math.sqrt(6 / p.fanIn!));
    this.params.set(p.name, p);
    this.addState(p.name, p.dims, init);
    const slots = this.optimizer.name === "adam" ? [`${p.name}_m`, `${p.name}_v`] : this.optimizer.mu > 0 ? [`${p.name}_vel`] : [];
    for (const s of slots) this.addState(s, p.dims, new Float32Array(n));
    return p.name;
  }

  private addState(name: string, dims: readonly number[], init: Float32Array): void {
    this.g.input(name, "float32", dims);
    this.g.output(`${name}_next`, "float32", dims);
    this.state.push({ name, dims, init });
  }

  /**
   * The update of parameter `p` from its batch-summed gradient. `prescaled`: the gradient is already
   * multiplied by the learning rate (folded into the Gemm that made it, as the deterministic lowering folds
   * its own); momentum then keeps lr * velocity, so the step is one Mul and one Add more than plain SGD.
   */
  update(p: string, grad: string, prescaled = false): void {
    const g = this.g, o = this.optimizer;
    const lr = this.params.get(p)!.fanIn === undefined ? o.lrB : o.lrW;
    if (o.name === "momentum") {
      const scaled = prescaled ? grad : g.node("Mul", [grad, g.constant("float32", [lr])]);
      const step = o.mu > 0 ? g.node("Add", [g.node("Mul", [`${p}_vel`, g.constant("float32", [o.mu])]), scaled], {}, `${p}_vel_next`) : scaled;
      g.node("Sub", [p, step], {}, `${p}_next`);
      return;
    }
    if (prescaled) throw new Error(`internal: Adam takes the raw gradient of ${p}`);
    // Adam without bias correction, as the engine's: m += b1 (g - m), v += b2 (g^2 - v), p -= lr m / (sqrt(v) + eps).
    const m = g.node("Add", [`${p}_m`, g.node("Mul", [g.node("Sub", [grad, `${p}_m`]), g.constant("float32", [o.b1])])], {}, `${p}_m_next`);
    const v = g.node("Add", [`${p}_v`, g.node("Mul", [g.node("Sub", [g.node("Mul", [grad, grad]), `${p}_v`]), g.constant("float32", [o.b2])])], {}, `${p}_v_next`);
    const den = g.node("Add", [g.node("Sqrt", [v]), g.constant("float32", [o.eps])]);
    g.node("Sub", [p, g.node("Div", [g.node("Mul", [m, g.constant("float32", [lr])]), den])], {}, `${p}_next`);
  }

  /** The output error of the loss, dL/dz summed over the batch: z - onehot (MSE) or softmax(z) - onehot (CE). */
  outputError(z: string, labels: string, classes: number, loss: "mse" | "softmax_ce"): string {
    const g = this.g;
    const col = g.node("Unsqueeze", [labels, g.constant("int64", [1], [1])]);
    const hot = g.node("Cast", [g.node("Equal", [col, g.constant("float32", Array.from({ length: classes }, (_, j) => j), [classes])])], { to: 1 });
    return g.node("Sub", [loss === "mse" ? z : g.node("Softmax", [z], { axis: 1 }), hot]);
  }

  /** Opens the session; `logits` is also an output, as the deterministic lean graph's are. */
  async open(name: string, logits: { name: string; dims: readonly number[] }, options: SessionOptions): Promise<FloatTrainer> {
    this.g.output(logits.name, "float32", logits.dims);
    // The deterministic engine's own session options (engine/onnx/session.ts), so only the graphs differ.
    const session = await openSession({ bytes: this.g.encode(name) }, options);
    const slots = [...this.state];
    const tensorsOf = (values: (s: StateTensor) => Float32Array) => Object.fromEntries(slots.map((s) => [s.name, new ort.Tensor("float32", values(s), [...s.dims])]));
    let state: Record<string, ort.Tensor> = tensorsOf((s) => s.init);
    return {
      stateSizes: slots.map((s) => size(s.dims)),
      async step(feeds) {
        const out = await session.run({ ...state, ...feeds });
        const next: Record<string, ort.Tensor> = {};
        for (const s of slots) next[s.name] = out[`${s.name}_next`]!;
        state = next;
        return out[logits.name]!.data as Float32Array;
      },
      state: () => Object.fromEntries(slots.map((s) => [s.name, Float32Array.from(state[s.name]!.data as Float32Array)])),
      setState(values) {
        for (const s of slots) {
          const v = values[s.name];
          if (v?.length !== size(s.dims)) throw new RangeError(`setState: ${s.name} needs ${size(s.dims)} values, got ${v?.length ?? "none"}`);
        }
        state = tensorsOf((s) => Float32Array.from(values[s.name]!));
      },
      close: () => session.release(),
    };
  }
}

export interface FloatTrainer<F = Record<string, ort.Tensor>> {
  /** Element counts of every state tensor (parameters and optimizer slots). */
  readonly stateSizes: readonly number[];
  /** One training step on the batch's feeds; returns the logits (before this step's update). */
  step(batch: F): Promise<Float32Array>;
  /** Copies of the state tensors by name, and replacing them (the gradient checks of bench/float32Twins.test.ts). */
  state(): Record<string, Float32Array>;
  setState(values: Readonly<Record<string, Float32Array>>): void;
  close(): Promise<void>;
}
