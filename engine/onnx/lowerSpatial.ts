import type { GraphOp, StepGraph } from "../graph.ts";
import { FLOAT32_EXACT, maxAbs, type Range } from "../int.ts";
import type { OpAttrs } from "../ops/index.ts";
import { convOutput } from "../ops/windowGeometry.ts";
import { c, count, shape } from "./constants.ts";
import { computeType, type FloatType, type StoredInputs } from "./floatTypes.ts";
import type { GraphIndex } from "./graphIndex.ts";
import type { OnnxGraph } from "./protoBuilder.ts";
import { col2imBlocks, im2colBlocks } from "./windowTables.ts";
import { DELTA_ZERO_POINT, deltaLimbs, deltaLimbsFit, highLimbRange, U8_OPERAND_MAX, weightLimbs, weightLimbsFit } from "./integerMatmul.ts";

/**
 * ONNX lowering of the spatial ops (codes 11-14: im2col, col2im, maxpool, maxpool_grad), bit-identical to
 * their TypeScript references (engine/ops/). They move integers and compare them; col2im's one
 * accumulation sums integers whose partial sums stay below the compute type's exact limit, in any order.
 * Images are channels last, a batch of B images the rows of a [B*H*W, C] tensor; Gather's cost is per
 * index, so the gathers move whole pixels (C values) or [C, B] slabs, never single values.
 */

/**
 * im2col's pixel blocks narrower than this (a value counted as 4 bytes, as when it was measured) are
 * gathered batch-innermost (see im2colNodes).
 */
const NARROW_BLOCK_BYTES = 16;

export function lowerSpatialOp(g: OnnxGraph, op: GraphOp, ins: readonly string[], t: FloatType, inShapes: readonly (readonly number[])[], inRanges: readonly Range[], stored: StoredInputs, out?: string, keys?: PoolKeys): string {
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
      const unpool = keys?.keyed.has(op) && t === "float32" ? unpoolScale(a, B, inRanges[0]!) : undefined;
      if (unpool !== undefined) {
        const k = offsetKeys(g, ins[0]!, a, B, unpool);
        keys!.built.set(keyId(ins[0]!, a), k);
        return g.node("Reshape", [k.pool, shape(g, [B * OH * OW, a.C])], {}, out);
      }
      if (keys?.keyed.has(op) && t === "float32" && windowKeyType(inRanges[0]!, s) === "float32") {
        // The window keys maxpool_grad needs (below), built here once: the max key is max(x) plus a
        // fraction in [0, 1), so its floor is the max.
        const k = windowKeys(g, ins[0]!, a, B, "float32");
        keys.built.set(keyId(ins[0]!, a), k);
        return g.node("Reshape", [g.node("Floor", [k.maxKey]), shape(g, [B * OH * OW, a.C])], {}, out);
      }
      if (t === "float32") return g.node("Reshape", [poolNodes(g, imageView(g, ins[0]!, a, B), s), shape(g, [B * OH * OW, a.C])], {}, out);
      const win = g.node("Reshape", [ins[0]!, shape(g, [B, OH, s, OW, s, a.C])]);
      const m = g.node("ReduceMax", [win], { axes: [2, 4], keepdims: 0 });
      return g.node("Reshape", [m, shape(g, [B * OH * OW, a.C])], {}, out);
    }
    case "maxpool_grad": {
      // Each window's first maximum in (ky, kx) order, without moving the window to an axis of its own: by
      // MaxUnpool where the forward pool built offset keys (offsetKeys); otherwise the key
      // x + (s^2 - 1 - slot) / 2^m (windowKeys) is unique within a window (x is an integer), orders its
      // entries by value first, and among equal values puts the earliest slot highest; so the key equal to the
      // window's max key marks exactly the entry that takes the gradient (the tie rule).
      const a = op.attrs as OpAttrs["maxpool_grad"];
      const s = a.size, OH = a.H / s, OW = a.W / s, B = count(inShapes[1]!) / (a.H * a.W * a.C);
      const built = keys?.built.get(keyId(stored.names[1]!, a));
      // (MaxUnpool takes float32 only: a wider gradient, as the traced graph's may be, builds its own keys.)
      if (built?.kind === "offset" && t === "float32") {
        keys!.taken.unpool++;
        return unpoolNodes(g, built, ins[0]!, a, B, out);
      }
      const kt = windowKeyType(inRanges[1]!, s);
      const shared = built?.kind === undefined ? built : undefined;
      if (shared) keys!.taken.shared++;
      const k: SlotKeys = shared ?? windowKeys(g, stored.types[1] === kt ? stored.names[1]! : g.node("Cast", [stored.names[1]!], { to: kt === "float32" ? 1 : 11 }), a, B, kt);
      const first = g.node("Equal", [k.key, k.maxKey]);
      const gw = g.node("Reshape", [ins[0]!, shape(g, [B, OH, 1, OW, 1, a.C])]);
      const spread = g.node("Where", [first, gw, c(g, t, 0)]);
      return g.node("Reshape", [spread, shape(g, [B * a.H * a.W, a.C])], {}, out);
    }
    default:
      throw new Error(`lowerSpatialOp: ${op.kind} is not a spatial op`);
  }
}

/**
 * Window keys shared by a maxpool and the maxpool_grad of the same activation and windows: the forward pool
 * takes its max from the keys' max, and the gradient finds each window's first max from the same keys
 * (offsetKeys: its flat index for MaxUnpool; windowKeys: one ReduceMax over the activation instead of two).
 * `keyed` names the maxpools to build them for (lower.ts: those with such a maxpool_grad); `built` holds
 * them by activation.
 */
export interface PoolKeys {
  readonly keyed: ReadonlySet<GraphOp>;
  readonly built: Map<string, WindowKeys>;
  /** How many maxpool_grads took their pool's keys: by MaxUnpool, or shared slot keys (LoweredGraph.forms). */
  readonly taken: { unpool: number; shared: number };
}

type WindowKeys = SlotKeys | OffsetKeys;

interface SlotKeys {
  readonly kind?: undefined;
  readonly key: string;
  readonly maxKey: string;
}

/** offsetKeys': the window's max key and its floor, the pooled value; the fraction between them names the entry. */
interface OffsetKeys {
  readonly kind: "offset";
  readonly maxKey: string;
  readonly pool: string;
  /** The keys' scale 2^m. */
  readonly scale: number;
}

/** The maxpool over the same activation and windows as a maxpool_grad (its forward pool), if the graph has one. */
export function forwardPool(graph: Pick<StepGraph, "ops">, poolGrad: GraphOp): GraphOp | undefined {
  const attrs = JSON.stringify(poolGrad.attrs);
  return graph.ops.find((m) => m.kind === "maxpool" && m.inputs[0] === poolGrad.inputs[1] && JSON.stringify(m.attrs) === attrs);
}

/** The pools whose keys can be shared: the forward pools of the graph's maxpool_grads. */
export function sharedPoolKeys(graph: Pick<StepGraph, "ops">): PoolKeys {
  const keyed = new Set<GraphOp>();
  for (const q of graph.ops) {
    const m = q.kind === "maxpool_grad" ? forwardPool(graph, q) : undefined;
    if (m) keyed.add(m);
  }
  return { keyed, built: new Map(), taken: { unpool: 0, shared: 0 } };
}

const keyId = (x: string, a: OpAttrs["maxpool"]) => `${x}:${JSON.stringify(a)}`;

/** 2^m, the first power of two at least s^2: the keys' fractions are multiples of 2^-m. */
const keyScale = (s: number) => 2 ** Math.ceil(Math.log2(s * s));

/** float32 when every key x + j / 2^m is exact there (x's integer bits and m fraction bits within 24). */
function windowKeyType(x: Range, s: number): FloatType {
  return (maxAbs(x) + 1) * keyScale(s) < FLOAT32_EXACT ? "float32" : "float64";
}

/**
 * Each window's entries keyed x + (s^2 - 1 - slot) / 2^m: unique within a window (x is an integer and the
 * fraction below 1), ordered by value first and, among equal values, earliest slot highest; one Add. With
 * the window's max key (kept as an axis of 1, to broadcast back).
 */
function windowKeys(g: OnnxGraph, x: string, a: OpAttrs["maxpool"], B: number, kt: FloatType): SlotKeys {
  const s = a.size, OH = a.H / s, OW = a.W / s;
  const x6 = g.node("Reshape", [x, shape(g, [B, OH, s, OW, s, a.C])]);
  const fractions = Array.from({ length: s * s }, (_, i) => (s * s - 1 - i) / keyScale(s));
  const key = g.node("Add", [x6, g.constant(kt, fractions, [1, 1, s, 1, s, 1])]);
  return { key, maxKey: g.node("ReduceMax", [key], { axes: [2, 4], keepdims: 1 }) };
}

/**
 * onnxruntime's MaxPool over an image as [B, 1, H, W, C] with a size x size x 1 window: a pool over the two
 * spatial axes that leaves the channels last, so no transpose; a max, exact. Measured on the CNN's first
 * pool (64 x 28 x 28 x 12): 0.34 ms, against about 1.1 ms for ReduceMax over a [B, OH, s, OW, s, C] view.
 */
function poolNodes(g: OnnxGraph, image: string, s: number): string {
  return g.node("MaxPool", [image], { kernel_shape: [s, s, 1], strides: [s, s, 1] });
}

/** A batch [B*H*W, C] as the [B, 1, H, W, C] image poolNodes takes. */
function imageView(g: OnnxGraph, x: string, a: OpAttrs["maxpool"], B: number): string {
  return g.node("Reshape", [x, shape(g, [B, 1, a.H, a.W, a.C])]);
}

/** The largest offset of an entry from its window's first in the flattened [B, H, W, C] image. */
const topOffset = (a: OpAttrs["maxpool"]) => (a.size - 1) * (a.W * a.C + a.C);

/**
 * The scale 2^m of offsetKeys, when they and the flat indices computed from them are float32-exact: every key
 * x + j / 2^m (j at most the top offset, below 2^m) has x's integer bits and m fraction bits within 24, and
 * every index of the [B, H, W, C] image is below 2^24.
 */
function unpoolScale(a: OpAttrs["maxpool"], B: number, x: Range): number | undefined {
  const scale = 2 ** Math.ceil(Math.log2(topOffset(a) + 1));
  return (maxAbs(x) + 1) * scale < FLOAT32_EXACT && B * a.H * a.W * a.C <= FLOAT32_EXACT ? scale : undefined;
}

/**
 * Window keys that carry their entry's place: x + (top - offset) / 2^m, where offset = ky*W*C + kx*C is the
 * entry's distance from its window's first in the flattened image, increasing in (ky, kx) order. Unique
 * within a window (x is an integer, the fraction below 1), ordered by value first and, among equal values,
 * earliest entry highest (the tie rule), as windowKeys'. The max key comes from MaxPool (poolNodes) and its
 * floor is the pooled value; the fraction between them gives the first max's offset, and so its flat index,
 * to MaxUnpool (unpoolNodes). The fractions are a [H, W, C] constant added over the batch, a broadcast
 * onnxruntime does in one pass (a [1, 1, s, 1, s, 1] one, as windowKeys', costs it about five times more).
 */
function offsetKeys(g: OnnxGraph, x: string, a: OpAttrs["maxpool"], B: number, scale: number): OffsetKeys {
  const { H, W, C, size: s } = a, top = topOffset(a);
  const fractions = new Array<number>(H * W * C);
  for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let ch = 0; ch < C; ch++) fractions[(h * W + w) * C + ch] = (top - ((h % s) * W * C + (w % s) * C)) / scale;
  const key = g.node("Add", [imageView(g, x, a, B), g.constant("float32", fractions, [1, 1, H, W, C])]);
  const maxKey = poolNodes(g, key, s);
  return { kind: "offset", maxKey, pool: g.node("Floor", [maxKey]), scale };
}

/**
 * maxpool_grad from offsetKeys: each window's first max is at flat index first + top - (maxKey - pool) * 2^m
 * of the [B, H, W, C] image (first: its window's first entry), every term an integer below 2^24, so float32
 * forms it exactly in any order; MaxUnpool writes each pooled gradient there and zeros elsewhere.
 */
function unpoolNodes(g: OnnxGraph, k: OffsetKeys, grad: string, a: OpAttrs["maxpool_grad"], B: number, out?: string): string {
  const { H, W, C, size: s } = a, OH = H / s, OW = W / s, top = topOffset(a);
  const image = Array.from({ length: B }, (_, b) => b * H * W * C);
  const first = new Array<number>(OH * OW * C);
  for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let ch = 0; ch < C; ch++) first[(oy * OW + ox) * C + ch] = (oy * s * W + ox * s) * C + ch + top;
  const back = g.node("Mul", [g.node("Sub", [k.maxKey, k.pool]), c(g, "float32", -k.scale)]);
  const flat = g.node("Sum", [back, g.constant("float32", first, [1, 1, OH, OW, C]), g.constant("float32", image, [B, 1, 1, 1, 1])]);
  const index = g.node("Cast", [flat], { to: 7 });
  const spread = g.node("MaxUnpool", [g.node("Reshape", [grad, shape(g, [B, 1, OH, OW, C])]), index, shape(g, [B, 1, H, W, C])], { kernel_shape: [s, s, 1], strides: [s, s, 1] });
  return g.node("Reshape", [spread, shape(g, [B * H * W, C])], {}, out);
}

/**
 * im2col of `x` (`size` elements, channels last) in element type `t` (a float type, or uint8 for the
 * integer products of integerMatmul.ts). Gather's cost is per index, so it never moves single values:
 * with few channels it moves [B, C] slabs of a pixel-major copy of the batch (one index per tap of one
 * image, then one Transpose back); uint8 columns whole kernel rows of k pixels (rowSegmentIm2col); float
 * ones single pixels from a [B, pixels, C] view with one zero pixel appended (the padding taps' source).
 * Measured on the CNN's second convolution (12 channels) and its col2im (24): uint8 pixels 2.4 ms one by
 * one, 1.1 ms by row segments; float32 ones 2.9 ms and 3.4 ms (12 channels), 3.4 ms and 5.4 ms (24): for
 * floats the bytes moved, not the indices, set the cost, and the row segments' Concat adds to them.
 * `zero` is the value of a padding tap (the zero point of limbs fed as limb + 64).
 */
export function im2colNodes(g: OnnxGraph, a: OpAttrs["im2col"], x: string, size: number, t: FloatType | "uint8", out?: string, zero = 0): string {
  const P = a.H * a.W, B = size / (P * a.C);
  const idx = im2colBlocks(a);
  const kk = a.k * a.k;
  const narrow = a.C * 4 < NARROW_BLOCK_BYTES;
  if (!narrow && t === "uint8") return rowSegmentIm2col(g, a, x, B, t, out, zero);
  if (!narrow) {
    const padded = padOneBlock(g, g.node("Reshape", [x, shape(g, [B, P, a.C])]), t, zero);
    const cols = g.node("Gather", [padded, g.constant("int64", idx, [idx.length])], { axis: 1 });
    return g.node("Reshape", [cols, shape(g, [(B * idx.length) / kk, kk * a.C])], {}, out);
  }
  const pixelMajor = g.node("Transpose", [g.node("Reshape", [x, shape(g, [B, P, a.C])])], { perm: [1, 0, 2] });
  const padded = g.node("Pad", [pixelMajor, g.constant("int64", [0, 0, 0, 1, 0, 0], [6]), g.constant(t, [zero])], { mode: "constant" });
  const cols = g.node("Transpose", [g.node("Gather", [padded, g.constant("int64", idx, [idx.length])], { axis: 0 })], { perm: [1, 0, 2] });
  return g.node("Reshape", [cols, shape(g, [(B * idx.length) / kk, kk * a.C])], {}, out);
}

/**
 * im2col from row segments: the image padded with zeros, then R[b, y, ox, (kx, c)] = padded[b, y, ox*stride
 * + kx, c] (k Slices and one Concat: every kernel row's k taps side by side), then one Gather of whole rows
 * of R, (oy*stride + ky) * OW + ox for each (oy, ox, ky): k times fewer indices than gathering pixels, each
 * moving k*C values. The columns come out in im2col's (ky, kx, c) order.
 */
function rowSegmentIm2col(g: OnnxGraph, a: OpAttrs["im2col"], x: string, B: number, t: FloatType | "uint8", out: string | undefined, zero: number): string {
  const { OH, OW } = convOutput("im2col", a);
  const p = a.pad, s = a.stride, Hp = a.H + 2 * p;
  const i64 = (v: readonly number[]) => g.constant("int64", v, [v.length]);
  const padded = g.node("Pad", [g.node("Reshape", [x, shape(g, [B, a.H, a.W, a.C])]), i64([0, p, p, 0, 0, p, p, 0]), g.constant(t, [zero])], { mode: "constant" });
  const slices = Array.from({ length: a.k }, (_, kx) => g.node("Slice", [padded, i64([kx]), i64([kx + (OW - 1) * s + 1]), i64([2]), i64([s])]));
  const rows = g.node("Reshape", [g.node("Concat", slices, { axis: 3 }), shape(g, [B, Hp * OW, a.k * a.C])]);
  const idx: number[] = [];
  for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let ky = 0; ky < a.k; ky++) idx.push((oy * s + ky) * OW + ox);
  const cols = g.node("Gather", [rows, g.constant("int64", idx, [idx.length])], { axis: 1 });
  return g.node("Reshape", [cols, shape(g, [B * OH * OW, a.k * a.k * a.C])], {}, out);
}

/**
 * col2im ops of the lean graph whose input is a matmul A x W or A x W^T (A the back-propagated delta, W the
 * layer's weights, no scaling) used only there. Keyed by the col2im; see positionMajorCol2im.
 */
export function foldableCol2ims(graph: Pick<StepGraph, "tensors" | "ops">, { uses, producer }: GraphIndex, outputIds: readonly number[], unscale: (op: GraphOp) => number): Map<GraphOp, GraphOp> {
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
 * col2im(d x W^T) as the product of d's own column matrix and the flipped weights: pixel (py, px) sums
 * d[(py + pad - ky, px + pad - kx), f] * W[(ky, kx, c), f] over the taps and filters, the same integer
 * terms col2im adds up; with ky' = k - 1 - ky that is im2col of d (an OH x OW image of F channels, padding
 * k - 1 - pad, stride 1, which gives H x W positions) times W with its taps reversed, rows (ky', kx', f).
 * One float32 Gemm multiplies d's columns [B*H*W, k*k*F] by [Wh | Wl] ([k*k*F, 2C]); b * (. x Wh) +
 * (. x Wl) is formed in the output type. `d` is [B*OH*OW, F], `w` the matmul's second operand.
 */
export function directCol2im(g: OnnxGraph, op: GraphOp<"col2im">, plan: DirectCol2imPlan, d: string, w: string, transB: boolean, F: number, rows: number, t: FloatType, out?: string): string {
  const a = op.attrs, f = "float32", b = plan.base;
  const cols = im2colNodes(g, dColumnsGeometry(a, F), d, rows * F, f);
  const w2 = reversedTaps(g, a, w, transB, F);
  const wh = g.node("Floor", [g.node("Div", [g.node("Add", [w2, c(g, f, Math.floor(b / 2))]), c(g, f, b)])]);
  const wl = g.node("Sub", [w2, g.node("Mul", [wh, c(g, f, b)])]);
  const parts = g.node("Gemm", [cols, g.node("Concat", [wh, wl], { axis: 1 })]);
  return weightedHalves(g, t === f ? parts : g.node("Cast", [parts], { to: 11 }), t, a.C, b, out);
}

/**
 * b * x[:, :C] + x[:, C:] of x [rows, 2C] in t, by a product with [b I; I]: each output is one exact
 * multiple plus one exact term (the other products are exact zeros), cheaper than onnxruntime's ReduceSum
 * over an axis of 2. (onnxruntime may fuse a following Mul by a scalar into this MatMul's alpha; with
 * K = 2C the product is a single block, so alpha scales each exact result once, as the Mul would.)
 */
function weightedHalves(g: OnnxGraph, x: string, t: FloatType, C: number, b: number, out?: string): string {
  const m: number[] = [];
  for (let r = 0; r < 2 * C; r++) for (let j = 0; j < C; j++) m.push(r === j ? b : r - C === j ? 1 : 0);
  return g.node("MatMul", [x, g.constant(t, m, [2 * C, C])], {}, out);
}

/** d's column geometry in a direct col2im: the OH x OW image of F channels, padding k - 1 - pad, stride 1. */
function dColumnsGeometry(a: OpAttrs["col2im"], F: number): OpAttrs["im2col"] {
  const { OH, OW } = convOutput("col2im", a);
  return { H: OH, W: OW, C: F, k: a.k, stride: 1, pad: a.k - 1 - a.pad };
}

/** W as [k*k*F, C], rows (ky', kx', f) with the taps reversed: from [k*k*C, F] (transB) or [F, k*k*C], by Slices of step -1. */
function reversedTaps(g: OnnxGraph, a: OpAttrs["col2im"], w: string, transB: boolean, F: number): string {
  const k = a.k;
  const w4 = transB
    ? g.node("Transpose", [g.node("Reshape", [w, shape(g, [k, k, a.C, F])])], { perm: [0, 1, 3, 2] })
    : g.node("Transpose", [g.node("Reshape", [w, shape(g, [F, k, k, a.C])])], { perm: [1, 2, 0, 3] });
  const i64 = (v: readonly number[]) => g.constant("int64", v, [v.length]);
  const flipped = g.node("Slice", [w4, i64([-1, -1]), i64([-(k + 1), -(k + 1)]), i64([0, 1]), i64([-1, -1])]);
  return g.node("Reshape", [flipped, shape(g, [k * k * F, a.C])]);
}

/**
 * Whether a direct col2im can run on integer GEMM (integerCol2im): stride 1, d within two base-2^7 limbs and
 * W within two int8 limbs at base 2^8 (integerMatmul.ts), the raw int32 sums K * 127 * 128 below 2^31
 * (K = k*k*F), and the int32 combinations U = 2^7 S_hh + S_lh and V = 2^7 S_hl + S_ll too, bounded from
 * the limbs' own maxima.
 */
export function integerCol2imFits(a: OpAttrs["col2im"], F: number, d: Range, w: Range): boolean {
  if (a.stride !== 1 || !deltaLimbsFit(d) || !weightLimbsFit(w)) return false;
  const K = a.k * a.k * F;
  const high = (r: Range, base: number) => maxAbs(highLimbRange(r, base));
  const dh = high(d, 128), wh = high(w, 256), dl = 64, wl = 128;
  const u = K * (128 * dh * wh + dl * wh), v = K * (128 * dh * wl + dl * wl);
  return K * U8_OPERAND_MAX * 128 < 2 ** 31 && Math.max(u, v) < 2 ** 31;
}

/**
 * The direct col2im on integer GEMM: d = 128 dh + dl (limbs fed as limb + 64, zero point 64, so a padding
 * tap is 64) and the reversed weights W = 256 Wh + Wl (int8); d's two uint8 column matrices, each times
 * [Wh | Wl], give the int32 sums [S_hh | S_hl] and [S_lh | S_ll] of the same integer terms, and
 * d x W = 2^8 (2^7 S_hh + S_lh) + (2^7 S_hl + S_ll).
 */
export function integerCol2im(g: OnnxGraph, op: GraphOp<"col2im">, d: string, w: string, transB: boolean, F: number, rows: number, out?: string): string {
  const a = op.attrs, geometry = dColumnsGeometry(a, F);
  const [dh, dl] = deltaLimbs(g, d);
  const columns = (limb: string) => im2colNodes(g, geometry, limb, rows * F, "uint8", undefined, DELTA_ZERO_POINT);
  const wBoth = weightLimbs(g, reversedTaps(g, a, w, transB, F));
  const zp = g.constant("uint8", [DELTA_ZERO_POINT]);
  const high = g.node("MatMulInteger", [columns(dh), wBoth, zp]);
  const low = g.node("MatMulInteger", [columns(dl), wBoth, zp]);
  // 2^7 [S_hh | S_hl] + [S_lh | S_ll] = [U | V] in int32, then 2^8 U + V in float64.
  const uv = g.node("Cast", [g.node("Add", [g.node("Mul", [high, g.constant("int32", [2 ** 7])]), low])], { to: 11 });
  return weightedHalves(g, uv, "float64", a.C, 2 ** 8, out);
}

/** [B, N, C] -> [B, N + 1, C], the new block N filled with `zero`. */
function padOneBlock(g: OnnxGraph, x: string, t: FloatType | "uint8", zero = 0): string {
  return g.node("Pad", [x, g.constant("int64", [0, 0, 0, 0, 1, 0], [6]), g.constant(t, [zero])], { mode: "constant" });
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
