import type { GraphOp, GraphTensor, StepGraph } from "../graph.ts";
import { FLOAT32_EXACT, maxAbs, type Range, roundShift as roundShiftInt } from "../int.ts";
import type { OpAttrs } from "../ops/index.ts";
import { lowerLmOp } from "./lowerLm.ts";
import { OnnxGraph, type ElemTypeName } from "./protoBuilder.ts";

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
    case "one_hot":
    case "softmax_ce_grad":
    case "adam_m":
    case "adam_v":
    case "adam_update":
      return lowerLmOp(g, op, ins, t, inShapes, out);
  }
}
