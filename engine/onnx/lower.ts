import type { GraphOp, GraphTensor, StepGraph } from "../graph.ts";
import { FLOAT32_EXACT, maxAbs, type Range, roundShift as roundShiftInt } from "../int.ts";
import type { OpAttrs } from "../ops/index.ts";
import { colSumChunkRows, exactMatmulPlan, lowerColSumChunks, lowerExactMatmul } from "./exactMatmul.ts";
import { lowerLmOp } from "./lowerLm.ts";
import { integerGradientPlan, type IntegerGradientPlan, integerSgdOffset, integerSgdPlan, type IntegerSgdPlan, integerSplitFits, integerSplitRequantize, lowerIntegerGradient, weightLimbsPlan, type WeightLimbsPlan, weightLimbsRequantize } from "./integerMatmul.ts";
import { directCol2im, directCol2imPlan, foldableCol2ims, forwardPool, im2colNodes, integerCol2im, integerCol2imFits, lowerSpatialOp, type PoolKeys, positionMajorCol2im, sharedPoolKeys } from "./lowerSpatial.ts";
import { c, count, shape } from "./constants.ts";
import { M32, M32_REACH, mulRoundShift, roundsInFloat32 } from "./rounding.ts";
import { computeType, type FloatType, storageType, type StoredInputs } from "./floatTypes.ts";
import { graphIndex, type GraphIndex } from "./graphIndex.ts";
import { OnnxGraph } from "./protoBuilder.ts";

export { computeType, type FloatType, storageType } from "./floatTypes.ts";

export interface LoweredGraph {
  readonly bytes: Uint8Array;
  /** ONNX input/output name of each graph tensor id. */
  readonly names: readonly string[];
  readonly types: readonly FloatType[];
  readonly outputIds: readonly number[];
  /** How many ops took each special form (the folds and exact pieces named in this file): what tests pin. */
  readonly forms: Readonly<Record<string, number>>;
}

/** Name of tensor id in the ONNX graph. */
export function onnxName(t: GraphTensor): string {
  return `t${t.id}_${t.name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

/**
 * Lowers the ops of a graph (a whole step, or any op list over declared tensors) with the given outputs.
 * A tensor that is not an output may be folded away into another op's nodes (fusedSgd, scaledWeights,
 * foldedRequantize, splitRequantize, requantizeFirst, lowerSpatial's positionMajorCol2im): the training
 * session's graph, which outputs only the next state and the logits, gets those folds; a traced graph, which
 * outputs every tensor, gets none. Every output holds exactly the op's defined values either way.
 */
export function lowerGraph(graph: Pick<StepGraph, "tensors" | "ops">, outputIds: readonly number[]): LoweredGraph {
  const g = new OnnxGraph();
  const types = graph.tensors.map(storageType);
  const names = graph.tensors.map(onnxName);
  for (const t of graph.tensors) if (t.role !== "op") g.input(names[t.id]!, types[t.id]!, t.shape);

  const casts = new Map<string, string>();
  const forms: Record<string, number> = {};
  // An op's inputs in its compute type: one cast per (tensor, type), shared by every consumer, made on first use.
  const castIns = (op: GraphOp, ct: FloatType) =>
    op.inputs.map((id) => {
      if (types[id] === ct) return names[id]!;
      const key = `${id}:${ct}`;
      let cast = casts.get(key);
      if (cast === undefined) casts.set(key, (cast = g.node("Cast", [names[id]!], { to: ct === "float32" ? 1 : 11 })));
      return cast;
    });
  // Which op produces each tensor and how often it is read: what every fold below checks.
  const index = graphIndex(graph);
  const fused = fusableGradients(graph, index, types, outputIds);
  const scaled = scaledWeights(graph, types, outputIds);
  // alpha that undoes the scaling of a matmul's scaled operands (exact: a power of two).
  const unscale = (op: GraphOp) => op.inputs.reduce((a, i) => a * 2 ** -(scaled.get(i) ?? 0), 1);
  const requantFolds = foldableRequantizes(graph, index, types, outputIds);
  const col2imFolds = foldableCol2ims(graph, index, outputIds, unscale);
  const routedRequantizes = requantizesBeforeRouting(graph, index, types, outputIds);
  const integer = integerProducts(graph, index, types, outputIds, requantFolds, fused, unscale);
  const poolKeys = sharedPoolKeys(graph);
  // The uint8/int8 form of an integer product's activations: a column matrix gathered from its uint8
  // input (the float one is not built when nothing reads it), any other tensor cast; one per (tensor, type).
  const int8Forms = new Map<string, string>();
  const int8Of = (id: number, to: "uint8" | "int8"): string => {
    const key = `${id}:${to}`;
    let v = int8Forms.get(key);
    if (v !== undefined) return v;
    const im2col = integer.columns.get(id);
    if (im2col && to === "uint8") {
      const x = im2col.inputs[0]!;
      v = im2colNodes(g, im2col.attrs as OpAttrs["im2col"], g.node("Cast", [names[x]!], { to: 2 }), count(graph.tensors[x]!.shape), "uint8");
    } else if (im2col) v = g.node("Cast", [int8Of(id, "uint8")], { to: 3 });
    else v = g.node("Cast", [names[id]!], { to: to === "uint8" ? 2 : 3 });
    int8Forms.set(key, v);
    return v;
  };
  // Ops computed inside another op's lowering (fusedSgd, foldedRequantize, col2im's, requantizeFirst), not on their own.
  const folded = new Set<GraphOp>([
    ...fused.values(),
    ...[...requantFolds.values()].flatMap((f) => [f.mm, f.via]),
    ...col2imFolds.values(),
    ...[...routedRequantizes.values()].flatMap((r) => (r.mask ? [r.pool, r.mask] : [r.pool])),
    ...integer.integerOnly,
    ...[...integer.weightLimbs.values()].map((l) => l.weights),
  ]);
  for (const op of graph.ops) {
    if (folded.has(op)) continue;
    const ct = computeType(op);
    const id = op.output;
    const ins_ = op.inputs.map((i) => graph.tensors[i]!);
    const grad = fused.get(op);
    const shift = scaled.get(id);
    const fold = requantFolds.get(op);
    // The op's last node writes the tensor's name directly when no cast follows (no Identity copies); a
    // split or routed requantize computes in float32 whatever the op's type.
    const outType: FloatType = fold?.split || routedRequantizes.has(op) ? "float32" : ct;
    const sameType = types[id] === outType;
    const gcols = col2imFolds.get(op);
    const exact = op.kind === "matmul" && ct === "float64" && unscale(op) === 1 && op.inputs.every((i) => types[i] === "float32")
      ? exactMatmulPlan((op as GraphOp<"matmul">).attrs, ins_[0]!, ins_[1]!)
      : undefined;
    const colSumRows = op.kind === "col_sum" && ct === "float64" && types[op.inputs[0]!] === "float32" ? colSumChunkRows(ins_[0]!) : undefined;
    const target = sameType ? names[id] : undefined;
    const route = routedRequantizes.get(op);
    const intGrad = integer.gradients.get(op);
    const used = (form: string, name: string) => ((forms[form] = (forms[form] ?? 0) + 1), name);
    const emit = (): string => {
      const limbs = integer.weightLimbs.get(op);
      if (limbs) return used("integer-weight-limbs", weightLimbsForward(g, op as GraphOp<"requantize">, fold!, limbs, names, int8Of(fold!.mm.inputs[0]!, "uint8"), graph.tensors[op.inputs[0]!]!.range, names[id]!));
      if (integer.forward.has(op)) return used("integer-split-requantize", integerRequantize(g, op as GraphOp<"requantize">, fold!, names, int8Of(fold!.mm.inputs[0]!, "uint8"), graph.tensors[op.inputs[0]!]!.range, names[id]!));
      if (intGrad) return used("integer-gradient", lowerIntegerGradient(g, intGrad, int8Of(op.inputs[0]!, "int8"), names[op.inputs[1]!]!, target));
      if (fold?.split) return used("split-requantize", splitRequantize(g, op as GraphOp<"requantize">, fold, names, graph.tensors[op.inputs[0]!]!.range, names[id]!));
      if (fold) return used("folded-requantize", foldedRequantize(g, op as GraphOp<"requantize">, fold, names, graph.tensors[op.inputs[0]!]!.range, unscale(fold.mm), names[id]!));
      if (route) return used(route.pooledActivation === undefined ? "requantize-first" : "requantize-first-pooled-mask", requantizeFirst(g, op as GraphOp<"requantize">, route, graph.tensors, names, types, names[id]!, poolKeys));
      if (grad) {
        const intSgd = integer.sgd.get(op);
        // The transposed uint8 activations and the delta, for the integer form.
        const onInteger = intSgd && { plan: intSgd, aT8: g.node("Transpose", [int8Of(grad.inputs[0]!, "uint8")], { perm: [1, 0] }), d: names[grad.inputs[1]!]!, F: graph.tensors[grad.output]!.shape[1]! };
        return used(onInteger ? "integer-sgd" : "fused-sgd", fusedSgd(g, op as GraphOp<"sgd_update">, grad, castIns(op, ct)[0]!, grad.inputs.map((i) => names[i]!), graph.tensors[op.inputs[0]!]!.range, graph.tensors[grad.output]!.range, names[id], unscale(grad), onInteger));
      }
      if (shift !== undefined) return used("scaled-weights", scaledRequantize(g, op as GraphOp<"requantize">, castIns(op, ct)[0]!, ins_[0]!.range, names[id]!));
      if (gcols) {
        const [d, w] = gcols.inputs.map((i) => graph.tensors[i]!) as [GraphTensor, GraphTensor];
        const transB = (gcols.attrs as OpAttrs["matmul"]).transB;
        const f32 = types[d.id] === "float32" && types[w.id] === "float32";
        const a = (op as GraphOp<"col2im">).attrs;
        if (f32 && ct === "float64" && integerCol2imFits(a, d.shape[1]!, d.range, w.range)) return used("col2im-integer", integerCol2im(g, op as GraphOp<"col2im">, names[d.id]!, names[w.id]!, transB, d.shape[1]!, d.shape[0]!, target));
        const direct = f32 ? directCol2imPlan(a, d.shape[1]!, d.range, w.range) : undefined;
        if (direct) return used("col2im-direct", directCol2im(g, op as GraphOp<"col2im">, direct, names[d.id]!, names[w.id]!, transB, d.shape[1]!, d.shape[0]!, ct, target));
      }
      if (gcols) return used("col2im-position-major", positionMajorCol2im(g, op as GraphOp<"col2im">, gcols, castIns(gcols, computeType(gcols)), graph.tensors[gcols.output]!.shape, ct, target));
      if (colSumRows) return used("col_sum-chunks", lowerColSumChunks(g, names[op.inputs[0]!]!, ins_[0]!.shape, colSumRows, target));
      if (exact) return used(`matmul-${exact.kind}`, lowerExactMatmul(g, exact, (op as GraphOp<"matmul">).attrs.transB, names[op.inputs[0]!]!, names[op.inputs[1]!]!, target));
      if (op.kind === "matmul" && unscale(op) !== 1) {
        const a = (op as GraphOp<"matmul">).attrs;
        return g.node("Gemm", castIns(op, ct), { transA: a.transA ? 1 : 0, transB: a.transB ? 1 : 0, alpha: { float: unscale(op) } }, target);
      }
      return lowerOp(g, op, castIns(op, ct), ct, ins_.map((x) => x.shape), ins_.map((x) => x.range), { names: op.inputs.map((i) => names[i]!), types: op.inputs.map((i) => types[i]!) }, target, poolKeys);
    };
    const out = emit();
    if (!sameType) {
      g.node("Cast", [out], { to: types[id] === "float32" ? 1 : 11 }, names[id]);
      // The value before its cast to storage is the tensor in outType (exact either way): a consumer
      // computing in outType takes it instead of casting the stored tensor back.
      casts.set(`${id}:${outType}`, out);
    }
  }
  if (poolKeys.taken.unpool > 0) forms["pool-unpool"] = poolKeys.taken.unpool;
  if (poolKeys.taken.shared > 0) forms["pool-keys-shared"] = poolKeys.taken.shared;
  for (const id of outputIds) g.output(names[id]!, types[id]!, graph.tensors[id]!.shape);
  return { bytes: g.encode("veritrain_step"), names, types, outputIds, forms };
}

function clip(g: OnnxGraph, x: string, lo: number, hi: number, t: FloatType, out?: string): string {
  return g.node("Clip", [x, c(g, t, lo), c(g, t, hi)], {}, out);
}

/** The clamp of a requantize can be left out: its input's declared range proves it never binds. */
function requantizeClampIdle(a: OpAttrs["requantize"], x: Range): boolean {
  return roundShiftInt(x[0], a.shift) >= a.lo && roundShiftInt(x[1], a.shift) <= a.hi;
}

/** The clamp of sgd_update can be left out: the declared ranges prove it never binds. */
function sgdClampIdle(a: OpAttrs["sgd_update"], w: Range, grad: Range): boolean {
  return w[0] - roundShiftInt(grad[1] * a.lrNum, a.lrShift) >= a.lo && w[1] - roundShiftInt(grad[0] * a.lrNum, a.lrShift) <= a.hi;
}

/**
 * sgd_update in float32 with the M offset: t = fl(-(g * k * 2^-s) - 2^-(s+1) + M) = M - roundShift(g * k, s)
 * (roundHalfUp of the negated value: round to nearest is symmetric, and the offset keeps it off ties), then
 * w' = clamp(Sum(t, w, -M)). Every partial sum of the three terms (w + t, w - M, t - M) is an integer below
 * 2^24 when |w| + |delta| < 2^22, so Sum's order does not matter; t comes first so that onnxruntime may
 * write the sum over t's buffer (w is a graph input). sgdOffsetFits says whether the bounds allow it (the
 * Floor lowering is used where they do not).
 */
function sgdOffsetFits(a: OpAttrs["sgd_update"], w: Range, grad: Range): boolean {
  const gMax = maxAbs(grad) * a.lrNum;
  // |g * k * 2^-s| + 1 bounds both the value rounded by the M offset and the step |delta|.
  return a.lrShift >= 1 && roundsInFloat32(gMax, a.lrShift) && maxAbs(w) + gMax * 2 ** -a.lrShift + 1 < M32_REACH;
}

function sgdFromOffset(g: OnnxGraph, a: OpAttrs["sgd_update"], w: string, t: string, wr: Range, gr: Range, out?: string): string {
  if (sgdClampIdle(a, wr, gr)) return g.node("Sum", [t, w, c(g, "float32", -M32)], {}, out);
  return clip(g, g.node("Sum", [t, w, c(g, "float32", -M32)]), a.lo, a.hi, "float32", out);
}

/**
 * Weight gradients that can be folded into their update's Gemm: a float32 matmul whose output only feeds
 * one float32 sgd_update (and is not an output of the lowered graph, as it is in a traced session), with a
 * power-of-two learning rate numerator and bounds that keep every value of fusedSgd exact. Keyed by the
 * sgd_update op.
 */
function fusableGradients(graph: Pick<StepGraph, "tensors" | "ops">, { uses, producer }: GraphIndex, types: readonly FloatType[], outputIds: readonly number[]): Map<GraphOp, GraphOp> {
  const out = new Map<GraphOp, GraphOp>();
  for (const op of graph.ops) {
    if (op.kind !== "sgd_update") continue;
    const [w, gradId] = op.inputs as [number, number];
    const mm = producer.get(gradId);
    if (!mm || mm.kind !== "matmul" || uses.get(gradId) !== 1 || outputIds.includes(gradId)) continue;
    const a = op.attrs as OpAttrs["sgd_update"];
    const float32 = computeType(op) === "float32" && computeType(mm) === "float32" && [w, op.output, ...mm.inputs].every((i) => types[i] === "float32");
    const pow2 = a.lrNum > 0 && Number.isInteger(Math.log2(a.lrNum));
    // mm.exactBound bounds every partial sum of the product, in any order.
    const fits = sgdOffsetFits(a, graph.tensors[w]!.range, [-mm.exactBound, mm.exactBound]);
    if (float32 && pow2 && fits) out.set(op, mm);
  }
  return out;
}

/**
 * sgd_update folded into the Gemm of its gradient: y = Gemm(A, B, C = -2^-(s+1), alpha = -k * 2^-s) =
 * -(A x B) * k * 2^-s - 2^-(s+1), then the M offset and the clamped Sum of sgdFromOffset. Exact whatever
 * the Gemm's blocking or summation order: alpha is a power of two, so every value the Gemm can form (a
 * partial sum of products, scaled by alpha, plus C) is a multiple of 2^-(s+1) below k * bound * 2^-s + 1,
 * i.e. below 2^24 units (fusableGradients checked it); the float32 baseline folds its learning rate into
 * alpha the same way (bench/float32Mlp.ts).
 */
function fusedSgd(g: OnnxGraph, op: GraphOp<"sgd_update">, grad: GraphOp, w: string, gradIns: string[], wr: Range, gr: Range, out: string, unscale: number, onInteger?: { plan: IntegerSgdPlan; aT8: string; d: string; F: number }): string {
  const a = op.attrs;
  if (onInteger) return sgdFromOffset(g, a, w, integerSgdOffset(g, onInteger.plan, onInteger.aT8, onInteger.d, onInteger.F, M32), wr, gr, out);
  const mm = grad.attrs as OpAttrs["matmul"];
  const s = a.lrShift;
  const y = g.node("Gemm", [...gradIns, c(g, "float32", -(2 ** -(s + 1)))], { transA: mm.transA ? 1 : 0, transB: mm.transB ? 1 : 0, alpha: { float: -a.lrNum * 2 ** -s * unscale } });
  return sgdFromOffset(g, a, w, g.node("Add", [y, c(g, "float32", M32)]), wr, gr, out);
}

function lowerOp(g: OnnxGraph, op: GraphOp, ins: string[], t: FloatType, inShapes: readonly (readonly number[])[], inRanges: readonly Range[], stored: StoredInputs, out?: string, keys?: PoolKeys): string {
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
      const xMax = maxAbs(inRanges[0]!);
      if (requantizeClampIdle(a, inRanges[0]!)) return mulRoundShift(g, ins[0]!, 1, a.shift, t, out, xMax);
      return clip(g, mulRoundShift(g, ins[0]!, 1, a.shift, t, undefined, xMax), a.lo, a.hi, t, out);
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
      const hot = g.node("Where", [g.node("Equal", [col, row]), c(g, t, a.one), c(g, t, 0)]);
      return g.node("Sub", [ins[0]!, hot], {}, out);
    }
    case "col_sum":
      return g.node("ReduceSum", [ins[0]!, g.constant("int64", [0], [1])], { keepdims: 0 }, out);
    case "momentum": {
      const a = op.attrs as OpAttrs["momentum"];
      const decayed = mulRoundShift(g, ins[0]!, a.muNum, a.muShift, t, undefined, maxAbs(inRanges[0]!));
      return clip(g, g.node("Add", [decayed, ins[1]!]), a.lo, a.hi, t, out);
    }
    case "sgd_update": {
      const a = op.attrs as OpAttrs["sgd_update"];
      if (t === "float32" && sgdOffsetFits(a, inRanges[0]!, inRanges[1]!)) {
        const v = g.node("Add", [g.node("Mul", [ins[1]!, c(g, t, -a.lrNum * 2 ** -a.lrShift)]), c(g, t, -(2 ** -(a.lrShift + 1)))]);
        return sgdFromOffset(g, a, ins[0]!, g.node("Add", [v, c(g, t, M32)]), inRanges[0]!, inRanges[1]!, out);
      }
      const delta = mulRoundShift(g, ins[1]!, a.lrNum, a.lrShift, t);
      return clip(g, g.node("Sub", [ins[0]!, delta]), a.lo, a.hi, t, out);
    }
    case "reshape": {
      const a = op.attrs as OpAttrs["reshape"];
      return g.node("Reshape", [ins[0]!, g.constant("int64", [...a.shape], [a.shape.length])], {}, out);
    }
    case "im2col":
    case "col2im":
    case "maxpool":
    case "maxpool_grad":
      return lowerSpatialOp(g, op, ins, t, inShapes, inRanges, stored, out, keys);
    case "one_hot":
    case "softmax_ce_grad":
    case "adam_m":
    case "adam_v":
    case "adam_update":
      return lowerLmOp(g, op, ins, t, inShapes, inRanges, out);
  }
}

/**
 * Requantized weights that only feed float32 matmuls of the lean graph (the forward weights): held as
 * 2^s * q instead of q, which takes one pass less (scaledRequantize), and the matmuls take alpha = 2^-s.
 * A product with a 2^s * q operand is exact when the plain one is: every partial sum is the plain one times
 * 2^s (the same significant bits), and scaling by the power of two alpha is exact. Keyed by tensor id.
 */
function scaledWeights(graph: Pick<StepGraph, "tensors" | "ops">, types: readonly FloatType[], outputIds: readonly number[]): Map<number, number> {
  const consumers = new Map<number, GraphOp[]>();
  for (const op of graph.ops) for (const i of op.inputs) consumers.set(i, [...(consumers.get(i) ?? []), op]);
  const out = new Map<number, number>();
  for (const op of graph.ops) {
    if (op.kind !== "requantize") continue;
    const a = op.attrs as OpAttrs["requantize"];
    const [x] = op.inputs as [number];
    const users = consumers.get(op.output) ?? [];
    const float32 = computeType(op) === "float32" && types[x] === "float32" && types[op.output] === "float32";
    const onlyMatmuls = users.length > 0 && users.every((u) => u.kind === "matmul" && computeType(u) === "float32");
    if (float32 && onlyMatmuls && a.shift >= 1 && maxAbs(graph.tensors[x]!.range) + 1 < 2 ** 22 && !outputIds.includes(op.output)) out.set(op.output, a.shift);
  }
  return out;
}

/**
 * 2^s * requantize(x): fl(fl(x + 1/2) + M_s) - M_s with M_s = 1.5 * 2^(23+s), where float32's spacing is
 * 2^s, so the sum rounds x + 1/2 to the nearest multiple of 2^s; x + 1/2 is never half way between two
 * (those are integers), and rounding it to nearest is floor((x + 2^(s-1)) / 2^s) * 2^s, roundShift's half
 * up. |x| + 1 < 2^22 keeps x + 1/2 exact and the sum inside [2^(23+s), 2^(24+s)).
 */
function scaledRequantize(g: OnnxGraph, op: GraphOp<"requantize">, x: string, xr: Range, out: string): string {
  const a = op.attrs, Ms = 1.5 * 2 ** (23 + a.shift), f = "float32";
  const idle = requantizeClampIdle(a, xr);
  const t = g.node("Add", [g.node("Add", [x, c(g, f, 0.5)]), c(g, f, Ms)]);
  if (idle) return g.node("Add", [t, c(g, f, -Ms)], {}, out);
  return clip(g, g.node("Add", [t, c(g, f, -Ms)]), a.lo * 2 ** a.shift, a.hi * 2 ** a.shift, f, out);
}

/** A requantize computed from a matmul's Gemm: the matmul, and the bias_add or relu_mask between them. */
interface RequantizeFold {
  readonly mm: GraphOp;
  readonly via: GraphOp;
  /** The matmul's partial sums pass 2^24: its weights are split at the requantize's shift (splitRequantize). */
  readonly split?: true;
}

/**
 * Requantizes of the lean graph whose input is a float32 matmul through a bias_add (the pre-activation) or
 * a relu_mask (the back-propagated delta), each intermediate used once and not an output: the scale 2^-s
 * goes into the Gemm's alpha and the half (with the bias) into its C, so that only the Floor (and the clamp)
 * remain. Exact when the matmul's partial-sum bound plus |bias| plus 2^(s-1) is below 2^24: every value the
 * Gemm forms is then a multiple of 2^-s below 2^24 units. Keyed by the requantize.
 */
function foldableRequantizes(graph: Pick<StepGraph, "tensors" | "ops">, { uses, producer }: GraphIndex, types: readonly FloatType[], outputIds: readonly number[]): Map<GraphOp, RequantizeFold> {
  const inner = (id: number) => uses.get(id) === 1 && !outputIds.includes(id);
  const f32 = (op: GraphOp) => computeType(op) === "float32" && [...op.inputs, op.output].every((i) => types[i] === "float32");
  const out = new Map<GraphOp, RequantizeFold>();
  for (const op of graph.ops) {
    if (op.kind !== "requantize") continue;
    const a = op.attrs as OpAttrs["requantize"];
    const via = producer.get(op.inputs[0]!);
    if (!via || (via.kind !== "bias_add" && via.kind !== "relu_mask") || !inner(via.output)) continue;
    const mm = producer.get(via.inputs[0]!);
    if (!mm || mm.kind !== "matmul" || !inner(mm.output)) continue;
    const bias = via.kind === "bias_add" ? maxAbs(graph.tensors[via.inputs[1]!]!.range) : 0;
    if (a.shift >= 1 && f32(op) && f32(via) && f32(mm) && mm.exactBound + bias + 2 ** (a.shift - 1) < FLOAT32_EXACT) out.set(op, { mm, via });
    else if (via.kind === "bias_add" && splitFits(graph, op as GraphOp<"requantize">, via, mm, types)) out.set(op, { mm, via, split: true });
  }
  return out;
}

/**
 * A pre-activation requantize whose matmul z = A x W (A, W and the bias b float32-exact, no scaling, no
 * transposed A) passes 2^24: with W = 2^s * Wh + Wl (Wh = floor(W / 2^s), Wl in [0, 2^s)),
 * roundShift(z + b, s) = A x Wh + floor((A x Wl + b + 2^(s-1)) / 2^s), because A x Wh is an integer. Both
 * products fit float32 when K * max|A| * max(|Wh|, 2^s - 1) + |b| + 2^(s-1) < 2^24; the second is formed
 * by one Gemm as A x (Wl * 2^-s) + (b + 2^(s-1)) * 2^-s, every value of it a multiple of 2^-s below 2^24
 * units. The output must be float32 too.
 */
function splitFits(graph: Pick<StepGraph, "tensors" | "ops">, op: GraphOp<"requantize">, via: GraphOp, mm: GraphOp, types: readonly FloatType[]): boolean {
  const s = op.attrs.shift, m = mm.attrs as OpAttrs["matmul"];
  const [A, W] = mm.inputs.map((i) => graph.tensors[i]!) as [GraphTensor, GraphTensor];
  const b = graph.tensors[via.inputs[1]!]!;
  if (s < 1 || m.transA || types[op.output] !== "float32" || ![A.id, W.id, b.id].every((i) => types[i] === "float32")) return false;
  const K = A.shape[1]!, aMax = maxAbs(A.range), wh = Math.ceil(maxAbs(W.range) / 2 ** s);
  return K * aMax * wh < FLOAT32_EXACT && K * aMax * (2 ** s - 1) + maxAbs(b.range) + 2 ** (s - 1) < FLOAT32_EXACT;
}

function splitRequantize(g: OnnxGraph, op: GraphOp<"requantize">, fold: RequantizeFold, names: readonly string[], xr: Range, out: string): string {
  const a = op.attrs, s = a.shift, f = "float32";
  const transB = (fold.mm.attrs as OpAttrs["matmul"]).transB ? 1 : 0;
  const [A, W] = fold.mm.inputs.map((i) => names[i]!) as [string, string];
  const scaled = g.node("Mul", [W, c(g, f, 2 ** -s)]);
  const wh = g.node("Floor", [scaled]);
  const zh = g.node("Gemm", [A, wh], { transB });
  const bias = g.node("Mul", [g.node("Add", [names[fold.via.inputs[1]!]!, c(g, f, 2 ** (s - 1))]), c(g, f, 2 ** -s)]);
  const u = g.node("Gemm", [A, g.node("Sub", [scaled, wh]), bias], { transB });
  return clampedRequantize(g, a, xr, out, (target) => g.node("Add", [zh, g.node("Floor", [u])], {}, target));
}

/**
 * A float32 requantize whose value `body` builds (writing `target`, the output's name, when nothing follows
 * it), then its clamp unless the input's range proves it idle: the ending of every folded requantize form.
 */
function clampedRequantize(g: OnnxGraph, a: OpAttrs["requantize"], xr: Range, out: string, body: (target?: string) => string): string {
  if (requantizeClampIdle(a, xr)) return body(out);
  return clip(g, body(), a.lo, a.hi, "float32", out);
}

/** splitRequantize by integer GEMM (integerMatmul.ts), then the clamp unless the input's range proves it idle. */
function integerRequantize(g: OnnxGraph, op: GraphOp<"requantize">, fold: RequantizeFold, names: readonly string[], a8: string, xr: Range, out: string): string {
  const transB = (fold.mm.attrs as OpAttrs["matmul"]).transB;
  return clampedRequantize(g, op.attrs, xr, out, (target) => integerSplitRequantize(g, a8, names[fold.mm.inputs[1]!]!, transB, names[fold.via.inputs[1]!]!, op.attrs.shift, target));
}

/** weightLimbsRequantize (integerMatmul.ts), then the clamp unless the input's range proves it idle. */
function weightLimbsForward(g: OnnxGraph, op: GraphOp<"requantize">, fold: RequantizeFold, plan: WeightLimbsPlan & { readonly weights: GraphOp }, names: readonly string[], a8: string, xr: Range, out: string): string {
  return clampedRequantize(g, op.attrs, xr, out, (target) => weightLimbsRequantize(g, plan, a8, names[plan.weights.inputs[0]!]!, names[fold.via.inputs[1]!]!, op.attrs.shift, target));
}

/** The lean graph's products taken by integer GEMM (integerMatmul.ts). */
interface IntegerProducts {
  /** Split pre-activation requantizes (their folded matmul's activations in [0, 127]). */
  readonly forward: ReadonlySet<GraphOp>;
  /** Float64-bound weight gradients A^T x d, keyed by the matmul. */
  readonly gradients: ReadonlyMap<GraphOp, IntegerGradientPlan>;
  /** Folded pre-activation requantizes whose weights' requantize is cut into int8 limbs (keyed by the requantize). */
  readonly weightLimbs: ReadonlyMap<GraphOp, WeightLimbsPlan & { readonly weights: GraphOp }>;
  /** Fused SGD updates (keyed by the sgd_update) whose weight gradient A^T x d runs on integer GEMM. */
  readonly sgd: ReadonlyMap<GraphOp, IntegerSgdPlan>;
  /** The im2col of each column matrix an integer forward product reads (gathered again as uint8), by tensor id. */
  readonly columns: ReadonlyMap<number, GraphOp>;
  /** Those im2cols whose every reader is an integer product: no float32 columns are built. */
  readonly integerOnly: ReadonlySet<GraphOp>;
}

/**
 * Which products go to integer GEMM: every split requantize that integerSplitFits; a float64-bound weight
 * gradient A^T x d (float32 operands, no scaling) when integerGradientPlan fits and its activations' int8
 * form is at hand, i.e. they are the columns of an integer forward product (a cast of the uint8 columns)
 * or not a column matrix at all (one cast); a weight gradient folded into its SGD update (fusedSgd) when
 * integerSgdPlan fits, on the same terms for its activations; a folded pre-activation requantize whose
 * weights are a requantize of float32 master weights read by nothing else, its clamp idle, when
 * weightLimbsPlan fits (the weights' requantize then folds away). A column matrix whose every reader is
 * integer is gathered only as uint8.
 */
function integerProducts(graph: Pick<StepGraph, "tensors" | "ops">, { producer, uses }: GraphIndex, types: readonly FloatType[], outputIds: readonly number[], folds: ReadonlyMap<GraphOp, RequantizeFold>, fused: ReadonlyMap<GraphOp, GraphOp>, unscale: (op: GraphOp) => number): IntegerProducts {
  const t = (id: number) => graph.tensors[id]!;
  const columnsOf = (id: number) => {
    const p = producer.get(id);
    return p?.kind === "im2col" && !outputIds.includes(id) ? p : undefined;
  };
  const forward = new Set<GraphOp>();
  const columns = new Map<number, GraphOp>();
  for (const [op, fold] of folds) {
    if (!fold.split || fold.via.kind !== "bias_add") continue;
    const [A, W] = fold.mm.inputs as [number, number];
    const s = (op.attrs as OpAttrs["requantize"]).shift;
    if (!integerSplitFits(t(A).shape[1]!, t(A).range, t(W).range, maxAbs(t(fold.via.inputs[1]!).range), s)) continue;
    forward.add(op);
    const im2col = columnsOf(A);
    if (im2col) columns.set(A, im2col);
  }
  const gradients = new Map<GraphOp, IntegerGradientPlan>();
  for (const op of graph.ops) {
    const a = op.attrs as OpAttrs["matmul"];
    if (op.kind !== "matmul" || !a.transA || a.transB || computeType(op) !== "float64" || unscale(op) !== 1) continue;
    const [A, d] = op.inputs as [number, number];
    if (types[A] !== "float32" || types[d] !== "float32" || (columnsOf(A) && !columns.has(A))) continue;
    const plan = integerGradientPlan(t(A), t(d));
    if (plan) gradients.set(op, plan);
  }
  const weightLimbs = new Map<GraphOp, WeightLimbsPlan & { weights: GraphOp }>();
  for (const [op, fold] of folds) {
    const m = fold.mm.attrs as OpAttrs["matmul"], s = (op.attrs as OpAttrs["requantize"]).shift;
    if (fold.split || fold.via.kind !== "bias_add" || m.transA || m.transB) continue;
    const [A, Wq] = fold.mm.inputs as [number, number];
    const R = producer.get(Wq);
    if (!R || R.kind !== "requantize" || uses.get(Wq) !== 1 || outputIds.includes(Wq) || columnsOf(A)) continue;
    const W = R.inputs[0]!, ra = R.attrs as OpAttrs["requantize"];
    if (types[W] !== "float32" || computeType(R) !== "float32" || !requantizeClampIdle(ra, t(W).range)) continue;
    const plan = weightLimbsPlan(t(A), t(W), t(Wq).range, ra.shift, s, maxAbs(t(fold.via.inputs[1]!).range));
    if (plan) weightLimbs.set(op, { ...plan, weights: R });
  }
  const sgd = new Map<GraphOp, IntegerSgdPlan>();
  for (const [update, mm] of fused) {
    const a = mm.attrs as OpAttrs["matmul"], u = update.attrs as OpAttrs["sgd_update"];
    const [A, d] = mm.inputs as [number, number];
    if (!a.transA || a.transB || unscale(mm) !== 1 || (columnsOf(A) && !columns.has(A))) continue;
    const plan = integerSgdPlan(t(A), t(d), u.lrNum, u.lrShift);
    if (plan) sgd.set(update, plan);
  }
  const integerReaders = new Set<GraphOp>([...[...forward, ...weightLimbs.keys()].map((op) => folds.get(op)!.mm), ...gradients.keys(), ...[...sgd.keys()].map((u) => fused.get(u)!)]);
  const integerOnly = new Set<GraphOp>();
  for (const [id, im2col] of columns) {
    if (graph.ops.every((op) => !op.inputs.includes(id) || integerReaders.has(op))) integerOnly.add(im2col);
  }
  return { forward, weightLimbs, gradients, sgd, columns, integerOnly };
}

/**
 * roundShift(z + b, s) = Floor(Gemm(A, B, C = (b + 2^(s-1)) * 2^-s, alpha = 2^-s)), and for a relu_mask
 * Floor(Where(p > 0, Gemm(A, B, C = 1/2, alpha = 2^-s), 0)) (a masked element is 0, whose roundShift is 0);
 * then the clamp unless the input's range proves it idle. `unscale` undoes 2^s * q operands.
 */
function foldedRequantize(g: OnnxGraph, op: GraphOp<"requantize">, fold: RequantizeFold, names: readonly string[], xr: Range, unscale: number, out: string): string {
  const a = op.attrs, s = a.shift, f = "float32";
  const mm = fold.mm.attrs as OpAttrs["matmul"];
  const ab = fold.mm.inputs.map((i) => names[i]!);
  const gemm = (cIn: string) => g.node("Gemm", [...ab, cIn], { transA: mm.transA ? 1 : 0, transB: mm.transB ? 1 : 0, alpha: { float: 2 ** -s * unscale } });
  const scaledSum = fold.via.kind === "bias_add"
    ? gemm(g.node("Mul", [g.node("Add", [names[fold.via.inputs[1]!]!, c(g, f, 2 ** (s - 1))]), c(g, f, 2 ** -s)]))
    : g.node("Where", [g.node("Greater", [names[fold.via.inputs[1]!]!, c(g, f, 0)]), gemm(c(g, f, 0.5)), c(g, f, 0)]);
  return clampedRequantize(g, a, xr, out, (target) => g.node("Floor", [scaledSum], {}, target));
}

/** A requantize of a pooled gradient: maxpool_grad, optionally then relu_mask (requantizeFirst). */
interface RoutedRequantize {
  readonly pool: GraphOp;
  readonly mask?: GraphOp;
  /** With a mask: the forward maxpool's output when the pooled activation is relu(p) of the mask's p. */
  readonly pooledActivation?: number;
}

/**
 * Requantizes of the lean graph whose input is a gradient routed through maxpool_grad (and a relu_mask),
 * each intermediate used once and not an output, with a float32 result and a clamp that keeps 0. Keyed by
 * the requantize.
 */
function requantizesBeforeRouting(graph: Pick<StepGraph, "tensors" | "ops">, { uses, producer }: GraphIndex, types: readonly FloatType[], outputIds: readonly number[]): Map<GraphOp, RoutedRequantize> {
  const inner = (op: GraphOp | undefined): op is GraphOp => op !== undefined && uses.get(op.output) === 1 && !outputIds.includes(op.output);
  const out = new Map<GraphOp, RoutedRequantize>();
  for (const op of graph.ops) {
    if (op.kind !== "requantize" || types[op.output] !== "float32") continue;
    const a = op.attrs as OpAttrs["requantize"];
    if (a.lo > 0 || a.hi < 0) continue;
    const via = producer.get(op.inputs[0]!);
    if (!inner(via)) continue;
    if (via.kind === "maxpool_grad") out.set(op, { pool: via });
    else if (via.kind === "relu_mask") {
      const pool = producer.get(via.inputs[0]!);
      if (!inner(pool) || pool.kind !== "maxpool_grad") continue;
      const relu = producer.get(pool.inputs[1]!), forward = forwardPool(graph, pool);
      const masksRelu = relu?.kind === "relu" && relu.inputs[0] === via.inputs[1];
      out.set(op, masksRelu && forward ? { pool, mask: via, pooledActivation: forward.output } : { pool, mask: via });
    }
  }
  return out;
}

/**
 * requantize(relu_mask(maxpool_grad(g, a), p)) as relu_mask(maxpool_grad(requantize(g), a), p): the routing
 * only moves values and writes zeros, requantize maps each value on its own and keeps 0 (roundShift(0) = 0,
 * the clamp holds 0), so the two orders give the same elements. Requantizing first works on the pooled
 * gradient, size^2 times smaller, and routes float32 values instead of float64 ones.
 */
function requantizeFirst(g: OnnxGraph, op: GraphOp<"requantize">, route: RoutedRequantize, tensors: readonly GraphTensor[], names: readonly string[], types: readonly FloatType[], out: string, keys: PoolKeys): string {
  const f = "float32";
  const as = (id: number, t: FloatType) => (types[id] === t ? names[id]! : g.node("Cast", [names[id]!], { to: t === "float32" ? 1 : 11 }));
  const grad = tensors[route.pool.inputs[0]!]!, act = tensors[route.pool.inputs[1]!]!;
  // The requantize alone on the pooled gradient, in its own compute type (the gradient's range is within its input's).
  const ct = computeType(op);
  const qRaw = lowerOp(g, op, [as(grad.id, ct)], ct, [grad.shape], [grad.range], { names: [names[grad.id]!], types: [types[grad.id]!] });
  const q = ct === f ? qRaw : g.node("Cast", [qRaw], { to: 1 });
  const qRange: Range = [op.attrs.lo, op.attrs.hi];
  const stored = (ids: readonly number[], first: string) => ({ names: [first, ...ids.map((i) => names[i]!)], types: [f, ...ids.map((i) => types[i]!)] as FloatType[] });
  if (route.mask && route.pooledActivation !== undefined) {
    // relu_mask(maxpool_grad(q, a), p) with a = relu(p): the gradient lands on its window's first maximum,
    // where a = max(window) = pooled; p > 0 there iff pooled > 0. So the mask applies to the pooled
    // gradient, size^2 times smaller: maxpool_grad(Where(pooled > 0, q, 0), a).
    const kept = g.node("Where", [g.node("Greater", [as(route.pooledActivation, f), c(g, f, 0)]), q, c(g, f, 0)]);
    return lowerOp(g, route.pool, [kept, as(act.id, f)], f, [grad.shape, act.shape], [qRange, act.range], stored([act.id], kept), out, keys);
  }
  const pooled = lowerOp(g, route.pool, [q, as(act.id, f)], f, [grad.shape, act.shape], [qRange, act.range], stored([act.id], q), route.mask ? undefined : out, keys);
  if (!route.mask) return pooled;
  const p = tensors[route.mask.inputs[1]!]!;
  const poolOut = tensors[route.pool.output]!;
  return lowerOp(g, route.mask, [pooled, as(p.id, f)], f, [poolOut.shape, p.shape], [qRange, p.range], stored([p.id], pooled), out);
}


