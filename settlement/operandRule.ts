import { OP_CODES, type OpKind, opDefOf, opKindOf, OPS } from "../engine/ops/index.ts";
import { SettlementError } from "./errors.ts";
import { col2imTermCount, modelOperandIndices, poolTermCountOf } from "./modelOpRule.ts";
import { softmaxTermCount } from "./softmaxTerms.ts";

/**
 * The operand rule: which elements of its inputs one output element of an op depends on, the mirror of
 * KernelVerifierBase._operandIndices (contracts/kernel/). It is keyed by the engine's op kinds: an op's arity
 * and whether its elements accumulate K terms are declared once, next to the op's definition (engine/ops/).
 */

/**
 * The term slice of a term-level settlement (level 4 of the game: TERM_LEVEL_CODES): terms [lo, hi) of the
 * element's accumulation or fold, and K as the solver declared it (`count`; the contract rejects any K but
 * the true one).
 */
export interface TermSlice {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
}

/** Codes whose element is an accumulation of K terms (the op's `accumulates`: matmul, col_sum, col2im). */
export const ACCUMULATION_CODES: readonly number[] = Object.values(OPS).filter((d) => d.accumulates).map((d) => OP_CODES[d.kind]);

/**
 * Codes whose element level 4 of the game narrows to a slice of terms: the accumulations, softmax_ce_grad,
 * whose element is the last of a fold of 2n + 1 terms over its row (settlement/softmaxTerms.ts), and maxpool
 * and maxpool_grad, folds over their window (settlement/poolTerms.ts).
 */
export const TERM_LEVEL_CODES: readonly number[] = [...ACCUMULATION_CODES, OP_CODES.softmax_ce_grad, OP_CODES.maxpool, OP_CODES.maxpool_grad];

/** Whether level 4 of the game narrows an element of op `code` (TERM_LEVEL_CODES). */
export function hasTermLevel(code: number): boolean {
  return TERM_LEVEL_CODES.includes(code);
}

/** Whether op `code` is an op at all (1 .. 19): the anchors and the batch inputs are not. */
export function isOpCode(code: number): boolean {
  return opKindOf(code) !== undefined;
}

/** Whether an element of op `code` is an accumulation of K terms (matmul, col_sum, col2im). */
export function accumulates(code: number): boolean {
  return opDefOf(code)?.accumulates ?? false;
}

/**
 * K, the number of terms of an element of a matmul (op(A) [m,k] . op(B) [k,n]: k), col_sum (D [m,n]: m),
 * col2im (ceil(k/stride)^2, from its attributes), softmax_ce_grad (Z [m,n]: 2n + 1), maxpool (size^2) or
 * maxpool_grad (size^2 + 1). Throws a SettlementError when the shapes or attributes do not fit the op.
 */
export function termCount(code: number, attrs: readonly number[], inShapes: readonly (readonly number[])[]): number {
  const kind: OpKind | undefined = opKindOf(code);
  if (kind === "matmul") {
    const a = inShapes[0];
    if (!a || a.length !== 2) throw new SettlementError("matmul operands must be 2-D");
    return attrs[0] === 1 ? a[0]! : a[1]!;
  }
  if (kind === "col_sum") {
    const d = inShapes[0];
    if (!d || d.length !== 2) throw new SettlementError("col_sum needs a 2-D input");
    return d[0]!;
  }
  if (kind === "col2im") return col2imTermCount(attrs);
  if (kind === "maxpool" || kind === "maxpool_grad") return poolTermCountOf(code, attrs);
  if (kind === "softmax_ce_grad") {
    const z = inShapes[0];
    if (!z || z.length !== 2) throw new SettlementError("softmax_ce_grad needs 2-D logits");
    return softmaxTermCount(z[1]!);
  }
  throw new SettlementError(`op ${code} has no term level`);
}

function checkSlice(code: number, k: number, slice: TermSlice | undefined): TermSlice {
  const s = slice ?? { lo: 0, hi: k, count: k };
  if (s.count !== k) throw new SettlementError(`op ${code}: declared K = ${s.count}, the operand shapes give K = ${k}`);
  if (!(Number.isSafeInteger(s.lo) && Number.isSafeInteger(s.hi) && s.lo >= 0 && s.lo < s.hi && s.hi <= k)) {
    throw new SettlementError(`op ${code}: term slice [${s.lo}, ${s.hi}) is empty or outside [0, ${k})`);
  }
  return s;
}

/**
 * The operand elements output element `e` of op `code` depends on, per input, in the order the kernel reads
 * them (ascending but for softmax_ce_grad's term order): the mirror of KernelVerifierBase._operandIndices
 * (matmul: op(A)[i, t] and op(B)[t, j] for t in the term slice, i = e / n, j = e % n; bias_add: Z[e],
 * b[e % n]; mse_grad: z[e], labels[e / n]; col_sum: D[t, e] for t in the term slice; the other ops of
 * protocol v1: every input at e; the model ops 10..19: modelOpRule.ts, the mirror of ModelOps.operandIndices).
 * `slice` (the term-level ops only) defaults to every term. Throws a SettlementError when the shapes do not
 * fit the op, or the slice does not fit K.
 */
export function operandIndices(code: number, attrs: readonly number[], outShape: readonly number[], inShapes: readonly (readonly number[])[], e: number, slice?: TermSlice): number[][] {
  if (code > 9 && isOpCode(code)) {
    return modelOperandIndices(code, attrs, outShape, inShapes, e, hasTermLevel(code) ? checkSlice(code, termCount(code, attrs, inShapes), slice) : undefined);
  }
  const bad = (what: string) => new SettlementError(`op ${code}: ${what} (inputs [${inShapes.map((s) => `[${s}]`).join(", ")}], output [${outShape}])`);
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const kind = opKindOf(code);
  const arity = kind === undefined ? undefined : OPS[kind].arity;
  if (inShapes.length !== arity) throw bad(`expects ${arity ?? "no"} inputs, got ${inShapes.length}`);
  switch (kind) {
    case "matmul": {
      const [a, b] = inShapes as [readonly number[], readonly number[]];
      const [transA, transB] = [attrs[0] === 1, attrs[1] === 1];
      if (a.length !== 2 || b.length !== 2) throw bad("matmul operands must be 2-D");
      const [m, k] = transA ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
      const [k2, n] = transB ? [b[1]!, b[0]!] : [b[0]!, b[1]!];
      if (k !== k2 || !same(outShape, [m, n])) throw bad("matmul shapes disagree");
      const i = Math.floor(e / n), j = e % n;
      const s = checkSlice(code, k, slice);
      const ts = Array.from({ length: s.hi - s.lo }, (_, t) => s.lo + t);
      return [ts.map((t) => (transA ? t * m + i : i * k + t)), ts.map((t) => (transB ? j * k + t : t * n + j))];
    }
    case "col_sum": {
      const d = inShapes[0]!;
      if (d.length !== 2 || !same(outShape, [d[1]!])) throw bad("col_sum needs D [m,n] -> [n]");
      const s = checkSlice(code, d[0]!, slice);
      return [Array.from({ length: s.hi - s.lo }, (_, t) => (s.lo + t) * d[1]! + e)];
    }
    case "bias_add":
    case "mse_grad": {
      if (outShape.length !== 2 || !same(inShapes[0]!, outShape)) throw bad("first input must have the output's 2-D shape");
      const n = outShape[1]!;
      const isBias = kind === "bias_add"; // b[e % n]: one bias per column; mse_grad: labels[e / n], one label per row
      if (!same(inShapes[1]!, [isBias ? n : outShape[0]!])) throw bad("second input has the wrong shape");
      return [[e], [isBias ? e % n : Math.floor(e / n)]];
    }
    default:
      if (!inShapes.every((s) => same(s, outShape))) throw bad("elementwise inputs must have the output's shape");
      return inShapes.map(() => [e]);
  }
}
