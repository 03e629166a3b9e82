import { SpecError } from "../engine/errors.ts";
import { opKindOf, OPS } from "../engine/ops/index.ts";
import { convOutput, type ConvGeometry, poolOutput, type PoolGeometry } from "../engine/ops/windowGeometry.ts";
import { SettlementError } from "./errors.ts";
import { poolTermCount } from "./poolTerms.ts";
import { softmaxTermColumn } from "./softmaxTerms.ts";

/**
 * The operand rule of the model ops of spec v2 (codes 10..19): which elements of its inputs one output element
 * depends on, per input, in the order the kernel reads them (ascending but for softmax_ce_grad's term
 * order). The mirror of ModelOps.operandIndices (contracts/kernel/ModelOps.sol), check for check. col2im is an accumulation (the game's level 4 narrows it to a term slice, like col_sum) and
 * softmax_ce_grad, maxpool and maxpool_grad folds over their row or window (settlement/softmaxTerms.ts,
 * poolTerms.ts), narrowed the same way; the other model ops settle an element whole.
 *
 *   10 reshape{shape}                  x[e]
 *   11 im2col{H,W,C,k,stride,pad}      the tapped image element, or none (a tap in the zero padding is 0)
 *   12 col2im{H,W,C,k,stride,pad}      the column entries of e's terms in the game's slice (col2imTerms)
 *   13 maxpool{H,W,C,size}             the slice's values of e's size x size window, row-major (ky, kx)
 *   14 maxpool_grad{...}(g, x)         g at e's pooled element when the slice holds the last term (size^2),
 *                                      else none; the slice's values of x's window
 *   15 one_hot{n}                      x[e / n]
 *   16 softmax_ce_grad(z, labels)      per term t of the slice, row e / n's logit at softmaxTermColumn(n, e % n, t);
 *                                      labels[e / n] when the slice holds the last term (2n), else none
 *   17 adam_m, 18 adam_v, 19 adam_update: every input at e
 */

export interface Conv extends ConvGeometry { OH: number; OW: number }
interface Pool extends PoolGeometry { OH: number; OW: number }

const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function fail(code: number, what: string): never {
  throw new SettlementError(`op ${opKindOf(code) ?? "?"} (code ${code}): ${what}`);
}
function attrCount(code: number, attrs: readonly number[], n: number): void {
  if (attrs.length !== n) fail(code, `expects ${n} attributes, got ${attrs.length}`);
}
function attr(code: number, attrs: readonly number[], i: number, min: number, max: number): number {
  const a = attrs[i]!;
  if (!Number.isSafeInteger(a) || a < min || a > max) fail(code, `attribute ${i} is ${a}, outside [${min}, ${max}]`);
  return a;
}
function expect2(code: number, d: readonly number[], rows: number, cols: number, what: string): void {
  if (d.length !== 2 || d[0] !== rows || d[1] !== cols) fail(code, `${what} is [${d}], expected [${rows}, ${cols}]`);
}
/** The engine's own geometry check (engine/ops/windowGeometry.ts, the bounds ModelOps repeats), as a SettlementError. */
function geometry<T>(code: number, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof SpecError) fail(code, e.message);
    throw e;
  }
}

function conv(code: number, attrs: readonly number[]): Conv {
  attrCount(code, attrs, 6);
  const [H, W, C, k, stride, pad] = attrs as [number, number, number, number, number, number];
  const g = { H, W, C, k, stride, pad };
  return { ...g, ...geometry(code, () => convOutput(opKindOf(code)!, g)) };
}

function pool(code: number, attrs: readonly number[]): Pool {
  attrCount(code, attrs, 4);
  const [H, W, C, size] = attrs as [number, number, number, number];
  const g = { H, W, C, size };
  return { ...g, ...geometry(code, () => poolOutput(opKindOf(code)!, g)) };
}

/** im2col's tap of column entry (row, j): the image element it copies, or -1 in the zero padding. */
function im2colTap(g: Conv, row: number, j: number): number {
  const per = g.OH * g.OW;
  const py = Math.floor((row % per) / g.OW) * g.stride + Math.floor(j / (g.k * g.C));
  const px = (row % g.OW) * g.stride + (Math.floor(j / g.C) % g.k);
  if (py < g.pad || px < g.pad || py - g.pad >= g.H || px - g.pad >= g.W) return -1;
  return ((Math.floor(row / per) * g.H + (py - g.pad)) * g.W + (px - g.pad)) * g.C + (j % g.C);
}

/** Candidate output positions per axis that can cover an input position: ceil(k / stride). */
const perAxis = (g: Conv) => Math.ceil(g.k / g.stride);

/** One axis of a col2im term (ModelOps._axis): [o, kernel offset], or undefined outside the image or the kernel. */
function axis(g: Conv, p: number, a: number, n: number): [number, number] | undefined {
  const o = Math.floor(p / g.stride) - (perAxis(g) - 1) + a;
  if (o < 0 || o >= n || p - o * g.stride >= g.k) return undefined;
  return [o, p - o * g.stride];
}

/**
 * col2im's K = ceil(k/stride)^2 terms of image element e (ModelOps.col2imTerm): term t = (a, b) = (t / per,
 * t % per) is the column entry (b, oy, ox; ky, kx, c) with oy = floor((iy + pad) / stride) - (per - 1) + a,
 * ox likewise from b, ky = iy + pad - oy*stride, kx likewise, when 0 <= oy < OH, 0 <= ox < OW, ky < k and
 * kx < k; else -1 (a zero term). Every column entry im2col copied from e is one term, in ascending order.
 */
export function col2imTerms(g: Conv, e: number): number[] {
  const per = perAxis(g);
  const py = (Math.floor(e / (g.C * g.W)) % g.H) + g.pad, px = (Math.floor(e / g.C) % g.W) + g.pad;
  const b = Math.floor(e / (g.C * g.W * g.H));
  return Array.from({ length: per * per }, (_, t) => {
    const y = axis(g, py, Math.floor(t / per), g.OH), x = axis(g, px, t % per, g.OW);
    if (!y || !x) return -1;
    const row = (b * g.OH + y[0]) * g.OW + x[0];
    return ((row * g.k + y[1]) * g.k + x[1]) * g.C + (e % g.C);
  });
}

/** col2im's geometry from its encoded attributes (a SettlementError when they are not the engine's). */
export function col2imGeometry(attrs: readonly number[]): Conv {
  return conv(12, attrs);
}

/** col2im's K for its attributes: ceil(k / stride)^2 (DisputeGame's K_FROM_ATTRS). */
export function col2imTermCount(attrs: readonly number[]): number {
  return perAxis(col2imGeometry(attrs)) ** 2;
}

/** maxpool's and maxpool_grad's K from their attributes (DisputeGame's K_FROM_ATTRS): size^2, size^2 + 1. */
export function poolTermCountOf(code: number, attrs: readonly number[]): number {
  return poolTermCount(opKindOf(code) === "maxpool" ? "maxpool" : "maxpool_grad", pool(code, attrs).size);
}

/** The pooled row of input row r, and r's position in that window (row-major). */
function pooledRow(p: Pool, r: number): { pooled: number; position: number } {
  const b = Math.floor(r / (p.H * p.W)), y = Math.floor(r / p.W) % p.H, x = r % p.W;
  return { pooled: (b * p.OH + Math.floor(y / p.size)) * p.OW + Math.floor(x / p.size), position: (y % p.size) * p.size + (x % p.size) };
}

function poolWindow(p: Pool, r: number, c: number): number[] {
  const b = Math.floor(r / (p.OH * p.OW)), oy = Math.floor(r / p.OW) % p.OH, ox = r % p.OW;
  const w: number[] = [];
  for (let ky = 0; ky < p.size; ky++) for (let kx = 0; kx < p.size; kx++) w.push(((b * p.H + oy * p.size + ky) * p.W + ox * p.size + kx) * p.C + c);
  return w;
}

/** Operand indices of output element `e` of model op `code` (10..19); a SettlementError when shapes or attributes do not fit. */
export function modelOperandIndices(code: number, attrs: readonly number[], outShape: readonly number[], inShapes: readonly (readonly number[])[], e: number, slice?: { lo: number; hi: number }): number[][] {
  const kind = opKindOf(code);
  if (kind === undefined || code < 10) fail(code, "is not a model op");
  const arity = OPS[kind].arity;
  if (inShapes.length !== arity) fail(code, `expects ${arity} inputs, got ${inShapes.length}`);
  const [a, b] = inShapes as [readonly number[], readonly number[] | undefined];
  switch (kind) {
    case "reshape": {
      attrCount(code, attrs, outShape.length);
      if (outShape.length === 0 || outShape.length > 4) fail(code, `output rank ${outShape.length} is not 1..4`);
      outShape.forEach((d, i) => { if (attrs[i] !== d) fail(code, `attribute ${i} (${attrs[i]}) is not the output's dimension ${d}`); });
      if (count(a) !== count(outShape)) fail(code, `[${a}] and [${outShape}] hold different element counts`);
      return [[e]];
    }
    case "im2col": {
      const g = conv(code, attrs);
      const n = g.H * g.W * g.C, cols = g.k * g.k * g.C;
      if (a.length !== 2 || count(a) === 0 || count(a) % n !== 0) fail(code, `input [${a}] does not hold whole ${g.H}x${g.W}x${g.C} images`);
      expect2(code, outShape, (count(a) / n) * g.OH * g.OW, cols, "the output");
      const t = im2colTap(g, Math.floor(e / cols), e % cols);
      return [t < 0 ? [] : [t]];
    }
    case "col2im": {
      const g = conv(code, attrs);
      const cols = g.k * g.k * g.C;
      if (a.length !== 2 || a[1] !== cols || a[0] === 0 || a[0]! % (g.OH * g.OW) !== 0) fail(code, `columns [${a}] are not [B*${g.OH * g.OW}, ${cols}]`);
      expect2(code, outShape, (a[0]! / (g.OH * g.OW)) * g.H * g.W, g.C, "the output");
      const terms = col2imTerms(g, e);
      return [terms.slice(slice?.lo ?? 0, slice?.hi ?? terms.length).filter((i) => i >= 0)];
    }
    case "maxpool":
    case "maxpool_grad": {
      const p = pool(code, attrs);
      const x = kind === "maxpool" ? a : b!;
      if (x.length !== 2 || x[1] !== p.C || x[0] === 0 || x[0]! % (p.H * p.W) !== 0) fail(code, `pool input [${x}] is not [B*${p.H * p.W}, ${p.C}]`);
      const B = x[0]! / (p.H * p.W);
      const cells = p.size * p.size, lo = slice?.lo ?? 0, hi = slice?.hi ?? poolTermCount(kind, p.size);
      if (kind === "maxpool") {
        expect2(code, outShape, B * p.OH * p.OW, p.C, "the output");
        return [poolWindow(p, Math.floor(e / p.C), e % p.C).slice(lo, hi)];
      }
      expect2(code, a, B * p.OH * p.OW, p.C, "the gradient");
      expect2(code, outShape, x[0]!, p.C, "the output");
      const { pooled } = pooledRow(p, Math.floor(e / p.C));
      return [hi === cells + 1 ? [pooled * p.C + (e % p.C)] : [], poolWindow(p, pooled, e % p.C).slice(lo, Math.min(hi, cells))];
    }
    case "one_hot": {
      attrCount(code, attrs, 1);
      const n = attr(code, attrs, 0, 1, 2 ** 32 - 1);
      if (a.length === 0 || a.length > 2) fail(code, `indices [${a}] are not 1-D or 2-D`);
      expect2(code, outShape, count(a), n, "the output");
      return [[Math.floor(e / n)]];
    }
    case "softmax_ce_grad": {
      attrCount(code, attrs, 2);
      attr(code, attrs, 0, 0, 52);
      attr(code, attrs, 1, 1, Number.MAX_SAFE_INTEGER);
      if (outShape.length !== 2 || outShape[1] === 0) fail(code, `output [${outShape}] is not [m, n]`);
      expect2(code, a, outShape[0]!, outShape[1]!, "the logits");
      if (b!.length !== 1 || b![0] !== outShape[0]) fail(code, `labels [${b}] are not [${outShape[0]}]`);
      const n = outShape[1]!, row = Math.floor(e / n), j = e % n;
      const lo = slice?.lo ?? 0, hi = slice?.hi ?? 2 * n + 1;
      return [Array.from({ length: hi - lo }, (_, s) => row * n + softmaxTermColumn(n, j, lo + s)), hi === 2 * n + 1 ? [row] : []];
    }
    default: {
      // adam_m (4 attributes), adam_v, adam_update (5): elementwise.
      attrCount(code, attrs, kind === "adam_m" ? 4 : 5);
      inShapes.forEach((s, i) => { if (!same(s, outShape)) fail(code, `input ${i} [${s}] is not the output's shape [${outShape}]`); });
      return inShapes.map(() => [e]);
    }
  }
}

/** ModelOps.elementFact: the element-derived public input of a model op's settlement circuit (see there). */
export function modelElementFact(code: number, attrs: readonly number[], outShape: readonly number[], e: number): number {
  const kind = opKindOf(code);
  if (kind === "one_hot" || kind === "softmax_ce_grad") return e % outShape[1]!;
  if (kind === "maxpool_grad") {
    const p = pool(code, attrs);
    return pooledRow(p, Math.floor(e / p.C)).position;
  }
  if (kind === "im2col") {
    const g = conv(code, attrs);
    const cols = g.k * g.k * g.C;
    return im2colTap(g, Math.floor(e / cols), e % cols) < 0 ? 1 : 0;
  }
  return 0;
}
