import { SpecError } from "./errors.ts";
import { MAX_EXACT, type Range } from "./int.ts";
import { opDef, type OpAttrs, type OpKind } from "./ops/index.ts";
import { type ActShape, layerShapes, type LayerSpec, v1Layers } from "./model.ts";
import type { TrainingSpec } from "./spec.ts";
import { adamMomentRanges } from "./ops/adamState.ts";
import { embeddingShift, logitFracBits } from "./specLm.ts";

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

/** A spec's model as a layer list with the per-example input shape (a version 1 spec: dense layers, ReLU between). */
export function modelOf(spec: TrainingSpec): { readonly input: ActShape; readonly layers: readonly LayerSpec[] } {
  if (spec.version === 1) return { input: [spec.model.layers[0]!], layers: v1Layers(spec.model.layers) };
  const i = spec.model.input;
  return { input: i.length === 3 ? [i[0]!, i[1]!, i[2]!] : [i[0]!], layers: spec.model.layers };
}

/** A parametric layer: its index among parametric layers (the state's `l{p}` prefix) and weight shape. */
interface ParamLayer {
  readonly layer: number;
  readonly p: number;
  readonly fanIn: number;
  readonly units: number;
  /** An embedding table has no bias. */
  readonly bias: boolean;
}

function paramLayers(spec: TrainingSpec): ParamLayer[] {
  const m = modelOf(spec);
  const shapes = layerShapes(m);
  const out: ParamLayer[] = [];
  m.layers.forEach((l, i) => {
    const inShape = i === 0 ? m.input : shapes[i - 1]!;
    if (l.kind === "dense") out.push({ layer: i, p: out.length, fanIn: inShape[0]!, units: l.units, bias: true });
    if (l.kind === "conv2d") out.push({ layer: i, p: out.length, fanIn: l.kernel * l.kernel * inShape[2]!, units: l.filters, bias: true });
    if (l.kind === "embedding") out.push({ layer: i, p: out.length, fanIn: l.vocab, units: l.dim, bias: false });
  });
  return out;
}

/**
 * Names and ranges of the state tensors a spec defines, in committed order: per parametric layer p its master
 * weight l{p}.w ([fan-in, units]; a conv2d kernel is [k*k*C, filters], rows in im2col's (ky, kx, c) order)
 * and bias l{p}.b, then (with momentum) their velocities.
 */
export function stateLayout(spec: TrainingSpec): StateSlot[] {
  const master = sym(spec.quant.masterMax);
  const vel = sym(spec.optimizer.velocityMax);
  const params = paramLayers(spec);
  const slots: StateSlot[] = [];
  for (const { p, fanIn, units, bias } of params) {
    slots.push({ name: `l${p}.w`, shape: [fanIn, units], range: master });
    if (bias) slots.push({ name: `l${p}.b`, shape: [units], range: master });
  }
  if (spec.version === 2 && spec.optimizer.name === "adam") slots.push(...adamSlots(spec, slots));
  if (spec.optimizer.momentumNum > 0) {
    for (const { p, fanIn, units } of params) {
      slots.push({ name: `l${p}.w.v`, shape: [fanIn, units], range: vel });
      slots.push({ name: `l${p}.b.v`, shape: [units], range: vel });
    }
  }
  return slots;
}

/** Whether a state slot is a parameter (a master weight or bias) rather than optimizer state (velocities, Adam's moments). */
export function isParameter(name: string): boolean {
  return /^l\d+\.[wb]$/.test(name);
}

/**
 * Adam's state: per parameter, in the parameters' order, its first moment `{param}.adam_m` and second moment
 * `{param}.adam_v`, with the ranges adamMomentRanges gives the parameter's gradient range (closed under
 * adam_m/adam_v, so their clamps never bind). The gradient ranges are those of the same graph with plain SGD:
 * the forward and backward ops do not depend on the optimizer.
 */
function adamSlots(spec: TrainingSpec & { version: 2 }, params: readonly StateSlot[]): StateSlot[] {
  // Building the SGD twin costs a graph: state roots ask for the layout at every checkpoint, so keep it per spec.
  const cached = adamSlotCache.get(spec);
  if (cached) return cached;
  const slots = adamSlotsOf(spec, params);
  adamSlotCache.set(spec, slots);
  return slots;
}
const adamSlotCache = new WeakMap<TrainingSpec, StateSlot[]>();

function adamSlotsOf(spec: TrainingSpec & { version: 2 }, params: readonly StateSlot[]): StateSlot[] {
  const { adam: _adam, ...rest } = spec.optimizer;
  const sgd = buildStepGraph({ ...spec, optimizer: { ...rest, name: "sgd" } });
  const adam = spec.optimizer.adam!, gShift = adam.gShift;
  return params.flatMap((slot) => {
    const gradName = slot.name.replace(/\.([wb])$/, ".g$1");
    const grad = sgd.tensors.find((t) => t.name === gradName);
    if (!grad) throw new Error(`internal: no gradient tensor ${gradName} for ${slot.name}`);
    const r = adamMomentRanges(grad.range, gShift);
    if (!secondMomentExact(grad.range, r.v, adam, gShift)) {
      const g = Math.max(-grad.range[0], grad.range[1]);
      let fit = gShift + 1;
      while (fit <= 52 && !secondMomentExact(grad.range, adamMomentRanges(grad.range, fit).v, adam, fit)) fit++;
      throw new SpecError("optimizer.adam.gShift", fit <= 52
        ? `${slot.name}'s gradient reaches ±${g}, so adam_v's arithmetic with gShift ${gShift} exceeds 2^53: raise gShift to at least ${fit}`
        : `${slot.name}'s gradient reaches ±${g}: its square exceeds exact arithmetic (2^53) whatever gShift; narrow the widths, the batch or gradMax`);
    }
    return [{ name: `${slot.name}.adam_m`, shape: slot.shape, range: r.m }, { name: `${slot.name}.adam_v`, shape: slot.shape, range: r.v }];
  });
}

/** Whether adam_v on a gradient range and its own moment range stays within exact arithmetic. */
function secondMomentExact(g: Range, v: Range, adam: { readonly b2Num: number; readonly b2Shift: number }, gShift: number): boolean {
  if (!Number.isSafeInteger(v[1])) return false;
  const t = opDef("adam_v").type([[1], [1]], [v, g], { b2Num: adam.b2Num, b2Shift: adam.b2Shift, gShift, lo: v[0], hi: v[1] });
  return t.exactBound < MAX_EXACT;
}

class Builder {
  readonly tensors: GraphTensor[] = [];
  readonly ops: GraphOp[] = [];
  /** The layer being built: an exactness failure names it (version 2) or "quant" (version 1, as always). */
  where: { field: string; layer: string } = { field: "quant", layer: "" };
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
      throw new SpecError(this.where.field, `${this.where.layer}op ${this.ops.length} (${kind} -> ${name}) can reach ${typing.exactBound}, beyond exact integer arithmetic (2^53); narrow the widths`, { op: name, bound: typing.exactBound });
    }
    const index = this.ops.length;
    const output = this.add(name, typing.shape, typing.range, "op", index);
    this.ops.push({ index, kind, attrs, inputs, output, exactBound: typing.exactBound } as GraphOp);
    return output;
  }
  shape(id: number): readonly number[] {
    return this.tensors[id]!.shape;
  }
}

/** What the backward pass needs of each forward layer. */
type Saved = { readonly layer: number; readonly p: number } & (
  | { readonly kind: "dense"; readonly input: number; readonly weight: number }
  | { readonly kind: "conv2d"; readonly input: number; readonly cols: number; readonly weight: number; readonly geo: OpAttrs["im2col"] }
  | { readonly kind: "relu"; readonly pre: number }
  | { readonly kind: "maxpool"; readonly input: number; readonly geo: OpAttrs["maxpool"] }
  | { readonly kind: "flatten"; readonly input: number }
  | { readonly kind: "embedding"; readonly oneHot: number; readonly rows: readonly number[] });

interface Forward {
  readonly saved: readonly Saved[];
  readonly logits: number;
}

function setWhere(b: Builder, spec: TrainingSpec, i: number, kind: string): void {
  b.where = spec.version === 1 ? { field: "quant", layer: "" } : { field: `model.layers[${i}]`, layer: `${kind} layer ${i}: ` };
}

/**
 * The forward ops. Parametric layer p: l{p}.wq, l{p}.bq (forward weight and bias), [l{p}.cols (im2col)],
 * l{p}.z (matmul), l{p}.zb (bias), then, unless it is the last layer, l{p}.p (the activation requantization);
 * other layers are named after the parametric layer before them (l{p}.a relu, l{p}.pool, l{p}.flat).
 * A version 1 spec builds exactly the ops, names and order of the engine before version 2.
 */
function forward(b: Builder, spec: TrainingSpec, x: number, master: (p: number, kind: "w" | "b") => number): Forward {
  const q = spec.quant;
  const m = modelOf(spec);
  const shapes = layerShapes(m);
  const wr = sym(q.weightMax), br = sym(q.biasMax);
  const B = b.shape(x)[0]!;
  const saved: Saved[] = [];
  let a = x, p = -1, logits = -1;
  m.layers.forEach((layer, i) => {
    setWhere(b, spec, i, layer.kind);
    const inShape = i === 0 ? m.input : shapes[i - 1]!;
    const last = i === m.layers.length - 1;
    // Bias, then (unless this layer makes the logits) back to the activation scale.
    const biasAndRequantize = (bq: number, z: number) => {
      const zb = b.op("bias_add", [z, bq], {}, `l${p}.zb`);
      return last ? zb : b.op("requantize", [zb], { shift: q.actShift, lo: -q.actMax, hi: q.actMax }, `l${p}.p`);
    };
    switch (layer.kind) {
      case "dense": {
        p++;
        const w = b.op("requantize", [master(p, "w")], { shift: q.weightShift, lo: wr[0], hi: wr[1] }, `l${p}.wq`);
        const bq = b.op("requantize", [master(p, "b")], { shift: q.biasShift, lo: br[0], hi: br[1] }, `l${p}.bq`);
        saved.push({ kind: "dense", layer: i, p, input: a, weight: w });
        const z = b.op("matmul", [a, w], { transA: false, transB: false }, `l${p}.z`);
        a = biasAndRequantize(bq, z);
        break;
      }
      case "conv2d": {
        p++;
        const geo = { H: inShape[0]!, W: inShape[1]!, C: inShape[2]!, k: layer.kernel, stride: layer.stride, pad: layer.pad };
        const w = b.op("requantize", [master(p, "w")], { shift: q.weightShift, lo: wr[0], hi: wr[1] }, `l${p}.wq`);
        const bq = b.op("requantize", [master(p, "b")], { shift: q.biasShift, lo: br[0], hi: br[1] }, `l${p}.bq`);
        const cols = b.op("im2col", [a], geo, `l${p}.cols`);
        saved.push({ kind: "conv2d", layer: i, p, input: a, cols, weight: w, geo });
        const z = b.op("matmul", [cols, w], { transA: false, transB: false }, `l${p}.z`);
        a = biasAndRequantize(bq, z);
        break;
      }
      case "relu":
        saved.push({ kind: "relu", layer: i, p, pre: a });
        a = b.op("relu", [a], {}, `l${p}.a`);
        break;
      case "maxpool": {
        const geo = { H: inShape[0]!, W: inShape[1]!, C: inShape[2]!, size: layer.size };
        // The pool reads images as rows of pixels: [B*H*W, C] (the network input arrives as [B, H*W*C]).
        if (b.shape(a)[1] !== geo.C) a = b.op("reshape", [a], { shape: [B * geo.H * geo.W, geo.C] }, `l${p}.rows`);
        saved.push({ kind: "maxpool", layer: i, p, input: a, geo });
        a = b.op("maxpool", [a], geo, `l${p}.pool`);
        break;
      }
      case "embedding": {
        // Rows of the table at the activation scale, picked by one-hot rows: a gather written as a matmul
        // (its settlement is matmul's), then each example's T rows side by side.
        p++;
        const table = b.op("requantize", [master(p, "w")], { shift: embeddingShift(q), lo: -q.actMax, hi: q.actMax }, `l${p}.eq`);
        const oneHot = b.op("one_hot", [a], { n: layer.vocab }, `l${p}.oh`);
        const picked = b.op("matmul", [oneHot, table], { transA: false, transB: false }, `l${p}.e`);
        // A no-op on values (each row is one table row, within ±actMax) that gives the rows their true range:
        // matmul's typing cannot know that a one-hot row has a single 1, and would bound them by vocab * actMax.
        const rows = b.op("requantize", [picked], { shift: 0, lo: -q.actMax, hi: q.actMax }, `l${p}.rows`);
        saved.push({ kind: "embedding", layer: i, p, oneHot, rows: [...b.shape(rows)] });
        a = b.op("reshape", [rows], { shape: [B, shapes[i]![0]!] }, `l${p}.flat`);
        break;
      }
      case "flatten": {
        const n = inShape.reduce((s, d) => s * d, 1);
        if (b.shape(a)[1] !== n) {
          saved.push({ kind: "flatten", layer: i, p, input: a });
          a = b.op("reshape", [a], { shape: [B, n] }, `l${p}.flat`);
        }
        break;
      }
    }
    if (last) logits = a;
  });
  return { saved, logits };
}

/** Builds the training-step graph of a spec; throws SpecError if any op's exactness bound fails. */
export function buildStepGraph(spec: TrainingSpec): StepGraph {
  const b = new Builder();
  const m = modelOf(spec);
  const B = spec.training.batchSize;
  const features = m.input.reduce((s, d) => s * d, 1);
  const x = b.add("batch.x", [B, features], [0, spec.quant.inputMax], "input");
  const labels = b.add("batch.labels", [B], [0, spec.data.classes - 1], "input");
  const slots = stateLayout(spec);
  const stateIn = slots.map((s) => b.add(s.name, s.shape, s.range, "state"));
  const slotId = (name: string) => stateIn[slots.findIndex((s) => s.name === name)]!;
  const f = forward(b, spec, x, (p, k) => slotId(`l${p}.${k}`));

  const q = spec.quant, opt = spec.optimizer;
  const gr = sym(q.gradMax);
  const P = paramLayers(spec).length;
  setWhere(b, spec, m.layers.length - 1, "loss");
  const err = spec.version === 2 && spec.model.loss === "softmax_ce"
    ? b.op("softmax_ce_grad", [f.logits, labels], { fracBits: logitFracBits(q.targetOne), one: q.targetOne }, "loss.e")
    : b.op("mse_grad", [f.logits, labels], { one: q.targetOne }, "loss.e");
  // d is the error flowing back; `quantized` says whether it is in gradient units (±gradMax). A parametric
  // layer's backward needs it quantized: the back-propagated error is requantized (backShift) right before it.
  let d = b.op("requantize", [err], { shift: q.errShift, lo: gr[0], hi: gr[1] }, `l${P - 1}.d`);
  const outputError = d;
  let quantized = true;
  const grads: { w: number; b?: number }[] = [];
  for (let i = f.saved.length - 1; i >= 0; i--) {
    const s = f.saved[i]!;
    // Below the first parametric layer no gradient is needed.
    if (!f.saved.slice(0, i + 1).some((t) => t.kind === "dense" || t.kind === "conv2d" || t.kind === "embedding")) break;
    setWhere(b, spec, s.layer, s.kind);
    switch (s.kind) {
      case "dense":
      case "conv2d": {
        if (!quantized) d = b.op("requantize", [d], { shift: q.backShift, lo: gr[0], hi: gr[1] }, `l${s.p}.d`);
        quantized = true;
        const acts = s.kind === "dense" ? s.input : s.cols;
        const gw = b.op("matmul", [acts, d], { transA: true, transB: false }, `l${s.p}.gw`);
        const gb = b.op("col_sum", [d], {}, `l${s.p}.gb`);
        grads[s.p] = { w: gw, b: gb };
        if (s.p > 0) {
          if (s.kind === "dense") {
            d = b.op("matmul", [d, s.weight], { transA: false, transB: true }, `l${s.p - 1}.gh`);
          } else {
            const gcols = b.op("matmul", [d, s.weight], { transA: false, transB: true }, `l${s.p}.gcols`);
            d = b.op("col2im", [gcols], s.geo, `l${s.p - 1}.gh`);
            if (!sameDims(b.shape(d), b.shape(s.input))) d = b.op("reshape", [d], { shape: [...b.shape(s.input)] }, `l${s.p - 1}.gin`);
          }
          quantized = false;
        }
        break;
      }
      case "relu":
        d = b.op("relu_mask", [d, s.pre], {}, `l${s.p}.gm`);
        break;
      case "maxpool":
        d = b.op("maxpool_grad", [d, s.input], s.geo, `l${s.p}.gpool`);
        break;
      case "flatten":
        d = b.op("reshape", [d], { shape: [...b.shape(s.input)] }, `l${s.p}.gflat`);
        break;
      case "embedding": {
        // No gradient flows into the indices: only the table's, one-hot rows transposed times the rows' errors.
        if (!quantized) d = b.op("requantize", [d], { shift: q.backShift, lo: gr[0], hi: gr[1] }, `l${s.p}.d`);
        quantized = true;
        const drows = b.op("reshape", [d], { shape: [...s.rows] }, `l${s.p}.drows`);
        grads[s.p] = { w: b.op("matmul", [s.oneHot, drows], { transA: true, transB: false }, `l${s.p}.gw`) };
        break;
      }
    }
  }
  const master = sym(q.masterMax), vel = sym(opt.velocityMax);
  const next = new Map<string, number>();
  const adam = spec.version === 2 && spec.optimizer.name === "adam" ? spec.optimizer.adam! : undefined;
  for (let p = 0; p < P; p++) {
    for (const k of ["w", "b"] as const) {
      if (grads[p]![k] === undefined) continue; // an embedding table has no bias
      if (adam) {
        // Adam: m' = adam_m(m, g), v' = adam_v(v, g), P' = adam_update(P, m', v') (docs/engine.md).
        const name = `l${p}.${k}`, g = grads[p]![k]!;
        const mIn = slotId(`${name}.adam_m`), vIn = slotId(`${name}.adam_v`);
        const mr = b.tensors[mIn]!.range, vr = b.tensors[vIn]!.range;
        const m2 = b.op("adam_m", [mIn, g], { b1Num: adam.b1Num, b1Shift: adam.b1Shift, lo: mr[0], hi: mr[1] }, `${name}.adam_m'`);
        const v2 = b.op("adam_v", [vIn, g], { b2Num: adam.b2Num, b2Shift: adam.b2Shift, gShift: adam.gShift, lo: vr[0], hi: vr[1] }, `${name}.adam_v'`);
        const lrShift = k === "w" ? opt.lrShift : opt.biasLrShift;
        next.set(name, b.op("adam_update", [slotId(name), m2, v2], { lrNum: opt.lrNum, lrShift, eps: adam.eps, lo: master[0], hi: master[1] }, `${name}'`));
        next.set(`${name}.adam_m`, m2);
        next.set(`${name}.adam_v`, v2);
        continue;
      }
      let g = grads[p]![k]!;
      if (opt.momentumNum > 0) {
        g = b.op("momentum", [slotId(`l${p}.${k}.v`), g], { muNum: opt.momentumNum, muShift: opt.momentumShift, lo: vel[0], hi: vel[1] }, `l${p}.${k}.v'`);
        next.set(`l${p}.${k}.v`, g);
      }
      const lrShift = k === "w" ? opt.lrShift : opt.biasLrShift;
      next.set(`l${p}.${k}`, b.op("sgd_update", [slotId(`l${p}.${k}`), g], { lrNum: opt.lrNum, lrShift, lo: master[0], hi: master[1] }, `l${p}.${k}'`));
    }
  }
  return {
    tensors: b.tensors, ops: b.ops, x, labels, state: slots, stateIn,
    stateOut: slots.map((s) => next.get(s.name)!), logits: f.logits, outputError, inputQuant: { inputShift: q.inputShift, inputMax: q.inputMax },
  };
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The inference graph of a spec for a given batch size: forward ops only, logits out. */
export function buildForwardGraph(spec: TrainingSpec, batchSize: number): StepGraph {
  const b = new Builder();
  const m = modelOf(spec);
  const features = m.input.reduce((s, d) => s * d, 1);
  const x = b.add("batch.x", [batchSize, features], [0, spec.quant.inputMax], "input");
  const labels = b.add("batch.labels", [batchSize], [0, spec.data.classes - 1], "input");
  const slots = stateLayout(spec).filter((s) => isParameter(s.name));
  const stateIn = slots.map((s) => b.add(s.name, s.shape, s.range, "state"));
  const f = forward(b, spec, x, (p, k) => stateIn[slots.findIndex((s) => s.name === `l${p}.${k}`)]!);
  return {
    tensors: b.tensors, ops: b.ops, x, labels, state: slots, stateIn, stateOut: [], logits: f.logits,
    inputQuant: { inputShift: spec.quant.inputShift, inputMax: spec.quant.inputMax },
  };
}
