import { SpecError } from "./errors.ts";
import { MAX_EXACT, type Range } from "./int.ts";
import { opDef, type OpAttrs, type OpKind } from "./ops/index.ts";
import type { TrainingSpec } from "./spec.ts";

/**
 * The step graph: the fixed, ordered list of integer ops that one training step performs, with every
 * tensor's shape and proven range. Both backends execute exactly this list; the op trace commits to each
 * op's output in this order, and the dispute game bisects over it.
 */
export type TensorRole = "input" | "state" | "op";

export interface GraphTensor {
  readonly id: number;
  readonly name: string;
  readonly shape: readonly number[];
  readonly range: Range;
  readonly role: TensorRole;
  /** Index of the producing op (role "op"). */
  readonly producer?: number;
}

export interface GraphOp<K extends OpKind = OpKind> {
  readonly index: number;
  readonly kind: K;
  readonly attrs: OpAttrs[K];
  readonly inputs: readonly number[];
  readonly output: number;
  /** Largest intermediate magnitude: the backend must compute in a type exact up to this. */
  readonly exactBound: number;
}

export interface StateSlot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly range: Range;
}

export interface StepGraph {
  readonly tensors: readonly GraphTensor[];
  readonly ops: readonly GraphOp[];
  /** Tensor ids of the batch inputs: quantized inputs [B, features] and labels [B]. */
  readonly x: number;
  readonly labels: number;
  /**
   * The training state's tensors, in their committed order, and the ids holding their next values
   * (empty for an inference graph).
   */
  readonly state: readonly StateSlot[];
  readonly stateIn: readonly number[];
  readonly stateOut: readonly number[];
  readonly logits: number;
  /** How raw feature bytes became `x` (docs/engine.md, "Data and batches"); part of x's trace record. */
  readonly inputQuant: { readonly inputShift: number; readonly inputMax: number };
  /** The output error tensor (d_L, in gradient units) — used for the loss shown while training. */
  readonly outputError?: number;
}

/** The symmetric range [-max, max]: every clamp of the engine is symmetric. */
function sym(max: number): Range {
  return [-max, max];
}

/** Names and ranges of the state tensors a spec defines, in committed order. */
export function stateLayout(spec: TrainingSpec): StateSlot[] {
  const { layers } = spec.model;
  const master = sym(spec.quant.masterMax);
  const vel = sym(spec.optimizer.velocityMax);
  const slots: StateSlot[] = [];
  for (let l = 0; l + 1 < layers.length; l++) {
    slots.push({ name: `l${l}.w`, shape: [layers[l]!, layers[l + 1]!], range: master });
    slots.push({ name: `l${l}.b`, shape: [layers[l + 1]!], range: master });
  }
  if (spec.optimizer.momentumNum > 0) {
    for (let l = 0; l + 1 < layers.length; l++) {
      slots.push({ name: `l${l}.w.v`, shape: [layers[l]!, layers[l + 1]!], range: vel });
      slots.push({ name: `l${l}.b.v`, shape: [layers[l + 1]!], range: vel });
    }
  }
  return slots;
}

class Builder {
  readonly tensors: GraphTensor[] = [];
  readonly ops: GraphOp[] = [];
  add(name: string, shape: readonly number[], range: Range, role: TensorRole, producer?: number): number {
    const id = this.tensors.length;
    this.tensors.push({ id, name, shape: [...shape], range, role, ...(producer === undefined ? {} : { producer }) });
    return id;
  }
  op<K extends OpKind>(kind: K, inputs: number[], attrs: OpAttrs[K], name: string): number {
    const def = opDef(kind);
    const ins = inputs.map((i) => this.tensors[i]!);
    const typing = def.type(ins.map((t) => t.shape), ins.map((t) => t.range), attrs);
    if (!(typing.exactBound < MAX_EXACT)) {
      throw new SpecError("quant", `op ${this.ops.length} (${kind} -> ${name}) can reach ${typing.exactBound}, beyond exact integer arithmetic (2^53); narrow the widths`, { op: name, bound: typing.exactBound });
    }
    const index = this.ops.length;
    const output = this.add(name, typing.shape, typing.range, "op", index);
    this.ops.push({ index, kind, attrs, inputs, output, exactBound: typing.exactBound } as GraphOp);
    return output;
  }
}

interface ForwardIds {
  /** Per layer: the activation fed in, the quantized weight used, the pre-ReLU tensor (hidden layers). */
  acts: number[];
  weights: number[];
  pre: number[];
  logits: number;
}

function forward(b: Builder, spec: TrainingSpec, x: number, master: (l: number, kind: "w" | "b") => number): ForwardIds {
  const q = spec.quant;
  const L = spec.model.layers.length - 1;
  const wr = sym(q.weightMax), br = sym(q.biasMax);
  let a = x;
  const ids: ForwardIds = { acts: [], weights: [], pre: [], logits: -1 };
  for (let l = 0; l < L; l++) {
    ids.acts.push(a);
    const w = b.op("requantize", [master(l, "w")], { shift: q.weightShift, lo: wr[0], hi: wr[1] }, `l${l}.wq`);
    const bq = b.op("requantize", [master(l, "b")], { shift: q.biasShift, lo: br[0], hi: br[1] }, `l${l}.bq`);
    ids.weights.push(w);
    const z = b.op("matmul", [a, w], { transA: false, transB: false }, `l${l}.z`);
    const zb = b.op("bias_add", [z, bq], {}, `l${l}.zb`);
    if (l === L - 1) {
      ids.logits = zb;
    } else {
      const p = b.op("requantize", [zb], { shift: q.actShift, lo: -q.actMax, hi: q.actMax }, `l${l}.p`);
      ids.pre.push(p);
      a = b.op("relu", [p], {}, `l${l}.a`);
    }
  }
  return ids;
}

/** Builds the training-step graph of a spec; throws SpecError if any op's exactness bound fails. */
export function buildStepGraph(spec: TrainingSpec): StepGraph {
  const b = new Builder();
  const { layers } = spec.model;
  const L = layers.length - 1;
  const B = spec.training.batchSize;
  const x = b.add("batch.x", [B, layers[0]!], [0, spec.quant.inputMax], "input");
  const labels = b.add("batch.labels", [B], [0, spec.data.classes - 1], "input");
  const slots = stateLayout(spec);
  const stateIn = slots.map((s) => b.add(s.name, s.shape, s.range, "state"));
  const slotId = (name: string) => stateIn[slots.findIndex((s) => s.name === name)]!;
  const f = forward(b, spec, x, (l, k) => slotId(`l${l}.${k}`));

  const q = spec.quant, opt = spec.optimizer;
  const gr = sym(q.gradMax);
  const next = new Map<string, number>();
  const err = b.op("mse_grad", [f.logits, labels], { one: q.targetOne }, "loss.e");
  let d = b.op("requantize", [err], { shift: q.errShift, lo: gr[0], hi: gr[1] }, `l${L - 1}.d`);
  const outputError = d;
  const grads: { w: number; b: number }[] = [];
  for (let l = L - 1; l >= 0; l--) {
    const gw = b.op("matmul", [f.acts[l]!, d], { transA: true, transB: false }, `l${l}.gw`);
    const gb = b.op("col_sum", [d], {}, `l${l}.gb`);
    grads[l] = { w: gw, b: gb };
    if (l > 0) {
      const gh = b.op("matmul", [d, f.weights[l]!], { transA: false, transB: true }, `l${l - 1}.gh`);
      const gm = b.op("relu_mask", [gh, f.pre[l - 1]!], {}, `l${l - 1}.gm`);
      d = b.op("requantize", [gm], { shift: q.backShift, lo: gr[0], hi: gr[1] }, `l${l - 1}.d`);
    }
  }
  const master = sym(q.masterMax), vel = sym(opt.velocityMax);
  for (let l = 0; l < L; l++) {
    for (const k of ["w", "b"] as const) {
      let g = grads[l]![k];
      if (opt.momentumNum > 0) {
        g = b.op("momentum", [slotId(`l${l}.${k}.v`), g], { muNum: opt.momentumNum, muShift: opt.momentumShift, lo: vel[0], hi: vel[1] }, `l${l}.${k}.v'`);
        next.set(`l${l}.${k}.v`, g);
      }
      const lrShift = k === "w" ? opt.lrShift : opt.biasLrShift;
      next.set(`l${l}.${k}`, b.op("sgd_update", [slotId(`l${l}.${k}`), g], { lrNum: opt.lrNum, lrShift, lo: master[0], hi: master[1] }, `l${l}.${k}'`));
    }
  }
  return {
    tensors: b.tensors, ops: b.ops, x, labels, state: slots, stateIn,
    stateOut: slots.map((s) => next.get(s.name)!), logits: f.logits, outputError, inputQuant: { inputShift: q.inputShift, inputMax: q.inputMax },
  };
}

/** The inference graph of a spec for a given batch size: forward ops only, logits out. */
export function buildForwardGraph(spec: TrainingSpec, batchSize: number): StepGraph {
  const b = new Builder();
  const { layers } = spec.model;
  const x = b.add("batch.x", [batchSize, layers[0]!], [0, spec.quant.inputMax], "input");
  const labels = b.add("batch.labels", [batchSize], [0, spec.data.classes - 1], "input");
  const slots = stateLayout(spec).filter((s) => !s.name.endsWith(".v"));
  const stateIn = slots.map((s) => b.add(s.name, s.shape, s.range, "state"));
  const f = forward(b, spec, x, (l, k) => stateIn[slots.findIndex((s) => s.name === `l${l}.${k}`)]!);
  return {
    tensors: b.tensors, ops: b.ops, x, labels, state: slots, stateIn, stateOut: [], logits: f.logits,
    inputQuant: { inputShift: spec.quant.inputShift, inputMax: spec.quant.inputMax },
  };
}
