import type { GraphOp, StepGraph } from "../graph.ts";
import { FLOAT32_EXACT, maxAbs, type Range } from "../int.ts";
import type { OpAttrs } from "../ops/index.ts";
import { convOutput } from "../ops/windowGeometry.ts";
import { c, count, shape } from "./constants.ts";
import { computeType, type FloatType, type StoredInputs } from "./floatTypes.ts";
import { graphIndex } from "./graphIndex.ts";
import type { OnnxGraph } from "./protoBuilder.ts";
import { col2imBlocks, col2imTapTable, im2colBlocks } from "./windowTables.ts";

/**
 * ONNX lowering of the spatial ops (codes 11-14: im2col, col2im, maxpool, maxpool_grad), bit-identical to
 * their TypeScript references (engine/ops/). They move integers and compare them; col2im's one
 * accumulation sums integers whose partial sums stay below the compute type's exact limit, in any order.
 * Images are channels last, a batch of B images the rows of a [B*H*W, C] tensor; Gather's cost is per
 * index, so the gathers move whole pixels (C values) or [C, B] slabs, never single values.
 */

/** im2col's pixel blocks narrower than this (in bytes) are gathered batch-innermost (see im2colNodes). */
const NARROW_BLOCK_BYTES = 16;

export function lowerSpatialOp(g: OnnxGraph, op: GraphOp, ins: readonly string[], t: FloatType, inShapes: readonly (readonly number[])[], inRanges: readonly Range[], stored: StoredInputs, out?: string): string {
  switch (op.kind) {
    case "im2col":
      return im2colNodes(g, op.attrs as OpAttrs["im2col"], ins[0]!, count(inShapes[0]!), t, out);
    case "col2im": {
      // Per image, the columns as [OH*OW*k*k tap blocks, C] plus one zero block: each pixel gathers its T
      // tap blocks (unused slots read the zero block) and sums them; the terms are integers whose partial
      // sums stay below the compute type's exact limit.
      const a = op.attrs as OpAttrs["col2im"];
      const { OH, OW } = convOutput("col2im", a);
      const blocks = OH * OW * a.k * a.k, B = count(inShapes[0]!) / (blocks * a.C);
      const padded = padOneBlock(g, g.node("Reshape", [ins[0]!, shape(g, [B, blocks, a.C])]), t);
      return gatherSum(g, padded, a, B, a.k * a.k, blocks, out);
    }
    case "maxpool": {
      const a = op.attrs as OpAttrs["maxpool"];
      const s = a.size, OH = a.H / s, OW = a.W / s, B = count(inShapes[0]!) / (a.H * a.W * a.C);
      const win = g.node("Reshape", [ins[0]!, shape(g, [B, OH, s, OW, s, a.C])]);
      const m = g.node("ReduceMax", [win], { axes: [2, 4], keepdims: 0 });
      return g.node("Reshape", [m, shape(g, [B * OH * OW, a.C])], {}, out);
    }
    case "maxpool_grad": {
      // Each window's first maximum in (ky, kx) order, without moving the window to an axis of its own: the
      // key x * s^2 + (s^2 - 1 - slot) is unique within a window (x is an integer), orders windows' entries
      // by value first, and among equal values puts the earliest slot highest; so the key equal to the
      // window's max key marks exactly the entry that takes the gradient (the tie rule).
      const a = op.attrs as OpAttrs["maxpool_grad"];
      const s = a.size, OH = a.H / s, OW = a.W / s, B = count(inShapes[1]!) / (a.H * a.W * a.C);
      const kt: FloatType = maxAbs(inRanges[1]!) * s * s + s * s < FLOAT32_EXACT ? "float32" : "float64";
      const x = stored.types[1] === kt ? stored.names[1]! : g.node("Cast", [stored.names[1]!], { to: kt === "float32" ? 1 : 11 });
      const x6 = g.node("Reshape", [x, shape(g, [B, OH, s, OW, s, a.C])]);
      const slots = Array.from({ length: s * s }, (_, i) => s * s - 1 - i);
      const key = g.node("Add", [g.node("Mul", [x6, c(g, kt, s * s)]), g.constant(kt, slots, [1, 1, s, 1, s, 1])]);
      const first = g.node("Equal", [key, g.node("ReduceMax", [key], { axes: [2, 4], keepdims: 1 })]);
      const gw = g.node("Reshape", [ins[0]!, shape(g, [B, OH, 1, OW, 1, a.C])]);
      const spread = g.node("Where", [first, gw, c(g, t, 0)]);
      return g.node("Reshape", [spread, shape(g, [B * a.H * a.W, a.C])], {}, out);
    }
    default:
      throw new Error(`lowerSpatialOp: ${op.kind} is not a spatial op`);
  }
}

/**
 * im2col of `x` (`size` elements, channels last) in element type `t` (a float type, or uint8 for the
 * integer products of integerMatmul.ts). Per image, as [pixels, C]: append one zero pixel (the padding
 * taps' source), then gather whole pixels (C values each) in tap order, which is the column matrix's
 * row-major order.
 */
export function im2colNodes(g: OnnxGraph, a: OpAttrs["im2col"], x: string, size: number, t: FloatType | "uint8", out?: string): string {
  const P = a.H * a.W, B = size / (P * a.C);
  const idx = im2colBlocks(a);
  const kk = a.k * a.k;
  const taps = g.constant("int64", idx, [idx.length]);
  const zero = g.constant(t, [0]);
  let cols: string;
  // Whatever the type: a uint8 pixel gathered whole costs less than its slab's two Transposes of bytes.
  if (a.C * 4 < NARROW_BLOCK_BYTES) {
    // Few channels: Gather's cost is per index, so gather [B, C] slabs from a pixel-major copy of the
    // batch instead (one Transpose each way).
    const pixelMajor = g.node("Transpose", [g.node("Reshape", [x, shape(g, [B, P, a.C])])], { perm: [1, 0, 2] });
    const padded = g.node("Pad", [pixelMajor, g.constant("int64", [0, 0, 0, 1, 0, 0], [6]), zero], { mode: "constant" });
    cols = g.node("Transpose", [g.node("Gather", [padded, taps], { axis: 0 })], { perm: [1, 0, 2] });
  } else {
    const padded = g.node("Pad", [g.node("Reshape", [x, shape(g, [B, P, a.C])]), g.constant("int64", [0, 0, 0, 0, 1, 0], [6]), zero], { mode: "constant" });
    cols = g.node("Gather", [padded, taps], { axis: 1 });
  }
  return g.node("Reshape", [cols, shape(g, [(B * idx.length) / kk, kk * a.C])], {}, out);
}

/**
 * col2im ops of the lean graph whose input is a matmul A x W or A x W^T (A the back-propagated delta, W the
 * layer's weights, no scaling) used only there. Keyed by the col2im; see positionMajorCol2im.
 */
export function foldableCol2ims(graph: Pick<StepGraph, "tensors" | "ops">, outputIds: readonly number[], unscale: (op: GraphOp) => number): Map<GraphOp, GraphOp> {
  const { uses, producer } = graphIndex(graph);
  const out = new Map<GraphOp, GraphOp>();
  for (const op of graph.ops) {
    if (op.kind !== "col2im") continue;
    const [x] = op.inputs as [number];
    const mm = producer.get(x);
    if (!mm || mm.kind !== "matmul" || (mm.attrs as OpAttrs["matmul"]).transA || unscale(mm) !== 1) continue;
    if (uses.get(x) === 1 && !outputIds.includes(x)) out.set(op, mm);
  }
  return out;
}

/**
 * col2im of a folded product A x W, computed position-major: with A as [positions, F, B] (one Transpose of
 * the small delta) and W padded with a zero block of C rows, one MatMul gives the columns as
 * [positions, k*k + 1 taps, C, B], every position ending in a zero block. col2im's gather then moves whole
 * [C, B] slabs (Gather's cost is per index) and sums them over the taps; a last Transpose of the
 * image-sized result restores the batch-major rows. The product runs in the matmul's own type (exact under
 * its bound), the sums in col2im's: the same integer terms are summed as in col2im, so exactness is the
 * ops' own bounds.
 */
export function positionMajorCol2im(g: OnnxGraph, op: GraphOp<"col2im">, mm: GraphOp, ins: readonly string[], colsShape: readonly number[], t: FloatType, out?: string): string {
  const mt = computeType(mm);
  const a = op.attrs, m = mm.attrs as OpAttrs["matmul"], kk = a.k * a.k;
  const { OH, OW } = convOutput("col2im", a);
  const positions = OH * OW, B = count(colsShape) / (positions * kk * a.C), P = a.H * a.W;
  const wRows = m.transB ? ins[1]! : g.node("Transpose", [ins[1]!], { perm: [1, 0] });
  const w = g.node("Pad", [wRows, g.constant("int64", [0, 0, a.C, 0], [4]), c(g, mt, 0)], { mode: "constant" });
  const delta = g.node("Transpose", [g.node("Reshape", [ins[0]!, shape(g, [B, positions, -1])])], { perm: [1, 2, 0] });
  const product = g.node("MatMul", [w, delta]);
  const cols = g.node("Reshape", [mt === t ? product : g.node("Cast", [product], { to: t === "float32" ? 1 : 11 }), shape(g, [positions * (kk + 1), a.C * B])]);
  const { indices, terms } = col2imBlocks(a, kk + 1, kk);
  const gathered = g.node("Gather", [cols, g.constant("int64", indices, [P, terms])], { axis: 0 });
  const summed = g.node("Reshape", [g.node("ReduceSum", [gathered, g.constant("int64", [1], [1])], { keepdims: 0 }), shape(g, [P, a.C, B])]);
  return g.node("Reshape", [g.node("Transpose", [summed], { perm: [2, 0, 1] }), shape(g, [B * P, a.C])], {}, out);
}

/** A col2im of a folded product d x W^T computed directly (directCol2im): the base its weights are split at. */
export interface DirectCol2imPlan {
  readonly base: number;
}

/**
 * The plan for col2im(d x W^T) (stride 1, d and W float32) as one float32 product, or undefined where no
 * split of W fits: every output element is a sum of at most k*k*F terms d * W, so with W = b * Wh + Wl
 * both products stay exact in float32 when k*k*F * max|d| * max(|Wh|, |Wl|) < 2^24. The base b is the one
 * that makes the larger part smallest (about sqrt(2 max|W|)); Wh = floor((W + floor(b/2)) / b) by a
 * float32 Div, whose rounding cannot cross an integer while |W| + b < 2^21 (a correctly rounded quotient,
 * or one a few ulps off, errs by less than 1/b there).
 */
export function directCol2imPlan(a: OpAttrs["col2im"], F: number, d: Range, w: Range): DirectCol2imPlan | undefined {
  if (a.stride !== 1) return undefined;
  const wMax = maxAbs(w), terms = a.k * a.k * F * maxAbs(d);
  let best: { base: number; part: number } | undefined;
  for (let b = 2; b <= Math.max(2, wMax) && b < 2 ** 12; b++) {
    const h = Math.floor(b / 2);
    const part = Math.max(Math.abs(Math.floor((w[0] + h) / b)), Math.abs(Math.floor((w[1] + h) / b)), h, b - 1 - h);
    if (!best || part < best.part) best = { base: b, part };
  }
  if (!best || wMax + best.base >= 2 ** 21 || terms * best.part >= FLOAT32_EXACT) return undefined;
  return { base: best.base };
}

/**
 * col2im(d x W^T) as the product of d's own column matrix and the regrouped weights: pixel p's output is
 * the sum over taps (ky, kx) and filters f of d[position of p at that tap, f] * W[(ky, kx, c), f], the same
 * integer terms col2im adds up (a tap in the padding reads a zero block). One Gather builds d's columns
 * [B*H*W, k*k*F] (blocks of F values), one float32 Gemm multiplies them by [Wh | Wl] ([k*k*F, 2C]), and
 * b * (. x Wh) + (. x Wl) is formed in the output type. `d` is [B*OH*OW, F], `w` the matmul's second operand.
 */
export function directCol2im(g: OnnxGraph, op: GraphOp<"col2im">, plan: DirectCol2imPlan, d: string, w: string, transB: boolean, F: number, rows: number, t: FloatType, out?: string): string {
  const a = op.attrs, kk = a.k * a.k, f = "float32", b = plan.base;
  const { OH, OW } = convOutput("col2im", a);
  const positions = OH * OW, B = rows / positions, P = a.H * a.W;
  const dBlocks = padOneBlock(g, g.node("Reshape", [d, shape(g, [B, positions, F])]), f);
  const table = col2imTapTable(a, OH, OW);
  const cols = g.node("Reshape", [g.node("Gather", [dBlocks, g.constant("int64", table, [P, kk])], { axis: 1 }), shape(g, [B * P, kk * F])]);
  // W as [k*k, F, C] rows (tap, f): from [k*k*C, F] (transB) or [F, k*k*C].
  const wr = transB
    ? g.node("Transpose", [g.node("Reshape", [w, shape(g, [kk, a.C, F])])], { perm: [0, 2, 1] })
    : g.node("Transpose", [g.node("Reshape", [w, shape(g, [F, kk, a.C])])], { perm: [1, 0, 2] });
  const w2 = g.node("Reshape", [wr, shape(g, [kk * F, a.C])]);
  const wh = g.node("Floor", [g.node("Div", [g.node("Add", [w2, c(g, f, Math.floor(b / 2))]), c(g, f, b)])]);
  const wl = g.node("Sub", [w2, g.node("Mul", [wh, c(g, f, b)])]);
  const parts = g.node("Gemm", [cols, g.node("Concat", [wh, wl], { axis: 1 })]);
  // b * (. x Wh) + (. x Wl) by a product with [b I; I]: each output is one exact multiple plus one exact
  // term (the other products are exact zeros), cheaper than onnxruntime's ReduceSum over an axis of 2.
  const combine: number[] = [];
  for (let r = 0; r < 2 * a.C; r++) for (let j = 0; j < a.C; j++) combine.push(r === j ? b : r - a.C === j ? 1 : 0);
  const typed = t === f ? parts : g.node("Cast", [parts], { to: 11 });
  return g.node("MatMul", [typed, g.constant(t, combine, [2 * a.C, a.C])], {}, out);
}

/** [B, N, C] -> [B, N + 1, C], the new block 0. */
function padOneBlock(g: OnnxGraph, x: string, t: FloatType): string {
  return g.node("Pad", [x, g.constant("int64", [0, 0, 0, 0, 1, 0], [6]), c(g, t, 0)], { mode: "constant" });
}

/**
 * col2im's sum from a [B, blocks, C] view of the columns in which every position has `perPosition` blocks
 * (its k*k taps first) and block `zero` of each image holds zeros: gather each pixel's T tap blocks, sum them.
 */
function gatherSum(g: OnnxGraph, cols: string, a: OpAttrs["col2im"], B: number, perPosition: number, zero: number, out?: string): string {
  const { indices, terms } = col2imBlocks(a, perPosition, zero);
  const P = a.H * a.W;
  const gathered = g.node("Gather", [cols, g.constant("int64", indices, [P, terms])], { axis: 1 });
  const summed = g.node("ReduceSum", [gathered, g.constant("int64", [2], [1])], { keepdims: 0 });
  return g.node("Reshape", [summed, shape(g, [B * P, a.C])], {}, out);
}
