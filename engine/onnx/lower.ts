import type { GraphOp, GraphTensor, StepGraph } from "../graph.ts";
import { FLOAT32_EXACT, maxAbs, type Range, roundShift as roundShiftInt } from "../int.ts";
import type { OpAttrs } from "../ops/index.ts";
import { lowerLmOp } from "./lowerLm.ts";
import { OnnxGraph, type ElemTypeName } from "./protoBuilder.ts";
import { col2imIndices, im2colIndices } from "./windowTables.ts";

/**
 * Lowers a step graph to ONNX with integer-valued floating point: an op runs in float32 when its declared
 * exactness bound is below 2^24 (every partial sum of integers below 2^24 is exact in float32, whatever the
 * summation order, so any BLAS, thread count or GPU gives the same bits), otherwise in float64 (exact below
 * 2^53, which the graph builder already guarantees). Each tensor is stored in the narrowest exact type.
 */
export type FloatType = Extract<ElemTypeName, "float32" | "float64">;

export function storageType(t: GraphTensor): FloatType {
  return maxAbs(t.range) < FLOAT32_EXACT ? "float32" : "float64";
}

export function computeType(op: GraphOp): FloatType {
  return op.exactBound < FLOAT32_EXACT ? "float32" : "float64";
}

export interface LoweredGraph {
  readonly bytes: Uint8Array;
  /** ONNX input/output name of each graph tensor id. */
  readonly names: readonly string[];
  readonly types: readonly FloatType[];
  readonly outputIds: readonly number[];
}

/** Name of tensor id in the ONNX graph. */
export function onnxName(t: GraphTensor): string {
  return `t${t.id}_${t.name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

/** Lowers the ops of a graph (a whole step, or any op list over declared tensors) with the given outputs. */
export function lowerGraph(graph: Pick<StepGraph, "tensors" | "ops">, outputIds: readonly number[]): LoweredGraph {
  const g = new OnnxGraph();
  const types = graph.tensors.map(storageType);
  const names = graph.tensors.map(onnxName);
  for (const t of graph.tensors) if (t.role !== "op") g.input(names[t.id]!, types[t.id]!, t.shape);

  const casts = new Map<string, string>();
  for (const op of graph.ops) {
    const ct = computeType(op);
    const ins = op.inputs.map((id) => {
      if (types[id] === ct) return names[id]!;
      // One cast per (tensor, type), shared by every consumer.
      const key = `${id}:${ct}`;
      let cast = casts.get(key);
      if (cast === undefined) casts.set(key, (cast = g.node("Cast", [names[id]!], { to: ct === "float32" ? 1 : 11 })));
      return cast;
    });
    const id = op.output;
    // The op's last node writes the tensor's name directly when no cast follows (no Identity copies).
    const sameType = types[id] === ct;
    const ins_ = op.inputs.map((i) => graph.tensors[i]!);
    const out = lowerOp(g, op, ins, ct, ins_.map((x) => x.shape), ins_.map((x) => x.range), sameType ? names[id] : undefined);
    if (!sameType) g.node("Cast", [out], { to: types[id] === "float32" ? 1 : 11 }, names[id]);
  }
  for (const id of outputIds) g.output(names[id]!, types[id]!, graph.tensors[id]!.shape);
  return { bytes: g.encode("veritrain_step"), names, types, outputIds };
}

function c(g: OnnxGraph, t: FloatType, v: number): string {
  return g.constant(t, [v]);
}

/**
 * roundShift(x * k, s) = floor(x * (k * 2^-s) + 1/2): one multiply by an exact power-of-two multiple, one
 * add, one floor. Exact in the op's type: x * k and x * k + 2^(s-1) are integers below the op's declared
 * bound, so scaling them by 2^-s and adding 1/2 introduces no rounding.
 */
function mulRoundShift(g: OnnxGraph, x: string, k: number, s: number, t: FloatType, out?: string): string {
  if (s === 0) return k === 1 && out === undefined ? x : g.node("Mul", [x, c(g, t, k)], {}, out);
  return g.node("Floor", [g.node("Add", [g.node("Mul", [x, c(g, t, k * 2 ** -s)]), c(g, t, 0.5)])], {}, out);
}

function clip(g: OnnxGraph, x: string, lo: number, hi: number, t: FloatType, out?: string): string {
  return g.node("Clip", [x, c(g, t, lo), c(g, t, hi)], {}, out);
}

function lowerOp(g: OnnxGraph, op: GraphOp, ins: string[], t: FloatType, inShapes: readonly (readonly number[])[], inRanges: readonly Range[], out?: string): string {
  switch (op.kind) {
    case "matmul": {
      const a = op.attrs as OpAttrs["matmul"];
      return g.node("Gemm", ins, { transA: a.transA ? 1 : 0, transB: a.transB ? 1 : 0 }, out);
    }
    case "bias_add":
      return g.node("Add", ins, {}, out);
    case "requantize": {
      const a = op.attrs as OpAttrs["requantize"];
      // The clamp is left out only where the input's declared range proves it can never bind.
      const [lo, hi] = inRanges[0]!;
      if (roundShiftInt(lo, a.shift) >= a.lo && roundShiftInt(hi, a.shift) <= a.hi) return mulRoundShift(g, ins[0]!, 1, a.shift, t, out);
      return clip(g, mulRoundShift(g, ins[0]!, 1, a.shift, t), a.lo, a.hi, t, out);
    }
    case "relu":
      return g.node("Relu", ins, {}, out);
    case "relu_mask":
      return g.node("Where", [g.node("Greater", [ins[1]!, c(g, t, 0)]), ins[0]!, c(g, t, 0)], {}, out);
    case "mse_grad": {
      const a = op.attrs as OpAttrs["mse_grad"];
      // z - one * [label_i == j]: compare the column of labels with the row [0, 1, ..., n-1].
      const n = inShapes[0]![1]!;
      const col = g.node("Unsqueeze", [ins[1]!, g.constant("int64", [1], [1])]);
      const row = g.constant(t, Array.from({ length: n }, (_, j) => j), [n]);
      const hot = g.node("Cast", [g.node("Equal", [col, row])], { to: t === "float32" ? 1 : 11 });
      return g.node("Sub", [ins[0]!, g.node("Mul", [hot, c(g, t, a.one)])], {}, out);
    }
    case "col_sum":
      return g.node("ReduceSum", [ins[0]!, g.constant("int64", [0], [1])], { keepdims: 0 }, out);
    case "momentum": {
      const a = op.attrs as OpAttrs["momentum"];
      const decayed = mulRoundShift(g, ins[0]!, a.muNum, a.muShift, t);
      return clip(g, g.node("Add", [decayed, ins[1]!]), a.lo, a.hi, t, out);
    }
    case "sgd_update": {
      const a = op.attrs as OpAttrs["sgd_update"];
      const delta = mulRoundShift(g, ins[1]!, a.lrNum, a.lrShift, t);
      return clip(g, g.node("Sub", [ins[0]!, delta]), a.lo, a.hi, t, out);
    }
    case "reshape": {
      const a = op.attrs as OpAttrs["reshape"];
      return g.node("Reshape", [ins[0]!, g.constant("int64", [...a.shape], [a.shape.length])], {}, out);
    }
    case "im2col": {
      // Per image: append one zero (the padding taps' source), then gather the column entries.
      const a = op.attrs as OpAttrs["im2col"];
      const N = a.H * a.W * a.C, B = count(inShapes[0]!) / N;
      const idx = im2colIndices(a);
      const flat = padOneZero(g, g.node("Reshape", [ins[0]!, shape(g, [B, N])]), t);
      const cols = g.node("Gather", [flat, g.constant("int64", idx, [idx.length])], { axis: 1 });
      const kkc = a.k * a.k * a.C;
      return g.node("Reshape", [cols, shape(g, [(B * idx.length) / kkc, kkc])], {}, out);
    }
    case "col2im": {
      // Per image element: gather its T column entries (unused slots read an appended zero) and sum them;
      // the terms are integers whose partial sums stay below the compute type's exact limit.
      const a = op.attrs as OpAttrs["col2im"];
      const N = a.H * a.W * a.C;
      const { indices, terms, perImage } = col2imIndices(a);
      const B = count(inShapes[0]!) / perImage;
      const flat = padOneZero(g, g.node("Reshape", [ins[0]!, shape(g, [B, perImage])]), t);
      const gathered = g.node("Gather", [flat, g.constant("int64", indices, [N, terms])], { axis: 1 });
      const summed = g.node("ReduceSum", [gathered, g.constant("int64", [2], [1])], { keepdims: 0 });
      return g.node("Reshape", [summed, shape(g, [B * a.H * a.W, a.C])], {}, out);
    }
    case "maxpool": {
      const a = op.attrs as OpAttrs["maxpool"];
      const s = a.size, OH = a.H / s, OW = a.W / s, B = count(inShapes[0]!) / (a.H * a.W * a.C);
      const win = g.node("Reshape", [ins[0]!, shape(g, [B, OH, s, OW, s, a.C])]);
      const m = g.node("ReduceMax", [win], { axes: [2, 4], keepdims: 0 });
      return g.node("Reshape", [m, shape(g, [B * OH * OW, a.C])], {}, out);
    }
    case "maxpool_grad": {
      // Windows as the last axis in (ky, kx) order; ArgMax returns the FIRST index of the max (the tie rule),
      // which selects where the window's gradient goes.
      const a = op.attrs as OpAttrs["maxpool_grad"];
      const s = a.size, OH = a.H / s, OW = a.W / s, B = count(inShapes[1]!) / (a.H * a.W * a.C);
      const x6 = g.node("Reshape", [ins[1]!, shape(g, [B, OH, s, OW, s, a.C])]);
      const win = g.node("Reshape", [g.node("Transpose", [x6], { perm: [0, 1, 3, 5, 2, 4] }), shape(g, [B, OH, OW, a.C, s * s])]);
      const first = g.node("ArgMax", [win], { axis: 4, keepdims: 1, select_last_index: 0 });
      const slots = g.constant("int64", Array.from({ length: s * s }, (_, i) => i), [s * s]);
      const mask = g.node("Cast", [g.node("Equal", [first, slots])], { to: t === "float32" ? 1 : 11 });
      const gw = g.node("Reshape", [ins[0]!, shape(g, [B, OH, OW, a.C, 1])]);
      const spread = g.node("Reshape", [g.node("Mul", [mask, gw]), shape(g, [B, OH, OW, a.C, s, s])]);
      const back = g.node("Transpose", [spread], { perm: [0, 1, 4, 2, 5, 3] });
      return g.node("Reshape", [back, shape(g, [B * a.H * a.W, a.C])], {}, out);
    }
    case "one_hot":
    case "softmax_ce_grad":
    case "adam_m":
    case "adam_v":
    case "adam_update":
      return lowerLmOp(g, op, ins, t, inShapes, out);
  }
}

function count(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

function shape(g: OnnxGraph, dims: readonly number[]): string {
  return g.constant("int64", [...dims], [dims.length]);
}

/** [B, N] -> [B, N + 1], the new last column 0. */
function padOneZero(g: OnnxGraph, x: string, t: FloatType): string {
  return g.node("Pad", [x, g.constant("int64", [0, 0, 0, 1], [4]), c(g, t, 0)], { mode: "constant" });
}
