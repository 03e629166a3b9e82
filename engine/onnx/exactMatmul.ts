import { FLOAT32_EXACT, maxAbs, type Range } from "../int.ts";
import type { OpAttrs } from "../ops/index.ts";
import type { OnnxGraph } from "./protoBuilder.ts";

/**
 * A matmul whose partial sums pass 2^24 but whose operands are float32-exact (below 2^24), computed in
 * float32 pieces whose own partial sums stay below 2^24, then added up in float64: exact whatever the
 * blocking or summation order of either Gemm, and cheaper than casting a large operand to float64 and
 * running a float64 Gemm (onnxruntime's float32 Gemm is about twice as fast, and the cast of a large
 * operand costs more than the product itself). Two ways, chosen by the shapes:
 *
 * - chunks of the reduction (a weight gradient, A^T x B with a long K: batch times positions): K is cut into
 *   c chunks of r rows, r a divisor of K with r * max|A| * max|B| < 2^24; one batched float32 MatMul gives
 *   the c partial products, which are cast to float64 and summed. Every partial sum inside a chunk is a sum
 *   of at most r products, each at most max|A| * max|B|: exact in float32; the c chunk results are integers
 *   whose sum is the op's (below its bound < 2^53): exact in float64.
 * - value split of the right operand (a forward product A x B with small B, the weights): B = 2^m * Bh + Bl
 *   with Bh = floor(B / 2^m) and Bl in [0, 2^m), both exact in float32; A x [Bh | Bl] is one float32 Gemm
 *   with twice the columns, exact when K * max|A| * max(|Bh|, 2^m - 1) < 2^24; then 2^m * (A x Bh) +
 *   (A x Bl) in float64.
 */
export type ExactMatmulPlan =
  | { readonly kind: "chunks"; readonly K: number; readonly M: number; readonly N: number; readonly rows: number }
  | { readonly kind: "split"; readonly R: number; readonly K: number; readonly N: number; readonly m: number };

interface Operand {
  readonly shape: readonly number[];
  readonly range: Range;
}

/** Chunks shorter than this are not worth the batched MatMul's overhead. */
const MIN_CHUNK = 16;

/**
 * The plan for a matmul of float32-exact operands, or undefined where neither way fits or pays: chunks for
 * A^T x B (K at least 2 chunks long); a split for A x B or A x B^T when K > 4N (the float64 product's cost,
 * which grows with K, outweighs the float64 combine pass over the twice-as-wide output).
 */
export function exactMatmulPlan(a: OpAttrs["matmul"], A: Operand, B: Operand): ExactMatmulPlan | undefined {
  if (maxAbs(A.range) >= FLOAT32_EXACT || maxAbs(B.range) >= FLOAT32_EXACT) return undefined;
  const term = maxAbs(A.range) * maxAbs(B.range);
  if (a.transA && !a.transB) {
    const [K, M] = A.shape as [number, number], N = B.shape[1]!;
    const rows = largestDivisorAtMost(K, Math.floor((FLOAT32_EXACT - 1) / Math.max(term, 1)));
    return rows >= MIN_CHUNK && rows < K ? { kind: "chunks", K, M, N, rows } : undefined;
  }
  if (a.transA) return undefined;
  const [R, K] = A.shape as [number, number];
  const N = a.transB ? B.shape[0]! : B.shape[1]!;
  if (K <= 4 * N) return undefined;
  const aMax = maxAbs(A.range), bMax = maxAbs(B.range);
  for (let m = 1; m < 24; m++) {
    const hi = Math.ceil(bMax / 2 ** m);
    if (K * aMax * Math.max(hi, 2 ** m - 1) < FLOAT32_EXACT) return { kind: "split", R, K, N, m };
  }
  return undefined;
}

/**
 * col_sum (a bias gradient, the column sums of a [R, N] delta) whose sums pass 2^24 over float32-exact
 * values, in chunks as a weight gradient's (above): the rows cut into c chunks of r, r a divisor of R with
 * r * max|x| < 2^24, each chunk's column sums in float32 (exact in any order), then the c partial sums in
 * float64. The number of rows per chunk, or undefined where one chunk would hold every row.
 */
export function colSumChunkRows(x: Operand): number | undefined {
  const [R] = x.shape as [number, number];
  if (maxAbs(x.range) >= FLOAT32_EXACT) return undefined;
  const rows = largestDivisorAtMost(R, Math.floor((FLOAT32_EXACT - 1) / Math.max(maxAbs(x.range), 1)));
  return rows >= MIN_CHUNK && rows < R ? rows : undefined;
}

/** The chunked column sums of `x` ([R, N], float32): a float64 [N]. */
export function lowerColSumChunks(g: OnnxGraph, x: string, shape: readonly number[], rows: number, out?: string): string {
  const [R, N] = shape as [number, number];
  const i64 = (v: readonly number[]) => g.constant("int64", v, [v.length]);
  const parts = g.node("ReduceSum", [g.node("Reshape", [x, i64([R / rows, rows, N])]), i64([1])], { keepdims: 0 });
  return g.node("ReduceSum", [g.node("Cast", [parts], { to: 11 }), i64([0])], { keepdims: 0 }, out);
}

function largestDivisorAtMost(n: number, cap: number): number {
  for (let d = Math.min(n, cap); d >= 1; d--) if (n % d === 0) return d;
  return 0;
}

/** Emits the plan's nodes over the float32 operands `A` and `B` (as the matmul takes them); returns the float64 product. */
export function lowerExactMatmul(g: OnnxGraph, plan: ExactMatmulPlan, transB: boolean, A: string, B: string, out?: string): string {
  const i64 = (v: readonly number[]) => g.constant("int64", v, [v.length]);
  if (plan.kind === "chunks") {
    const { K, M, N, rows } = plan, c = K / rows;
    // The narrower operand is transposed per chunk; the product comes out [c, N, M] or [c, M, N].
    const a3 = g.node("Reshape", [A, i64([c, rows, M])]);
    const b3 = g.node("Reshape", [B, i64([c, rows, N])]);
    const bFirst = N < M;
    const parts = bFirst
      ? g.node("MatMul", [g.node("Transpose", [b3], { perm: [0, 2, 1] }), a3])
      : g.node("MatMul", [g.node("Transpose", [a3], { perm: [0, 2, 1] }), b3]);
    const sum = g.node("ReduceSum", [g.node("Cast", [parts], { to: 11 }), i64([0])], { keepdims: 0 }, bFirst ? undefined : out);
    return bFirst ? g.node("Transpose", [sum], { perm: [1, 0] }, out) : sum;
  }
  const { R, N, m } = plan;
  const f = (v: number) => g.constant("float32", [v]);
  // Bh and Bl side by side along B's output axis: the Gemm's output is [R, 2N], Bh's product first.
  const hi = g.node("Floor", [g.node("Mul", [B, f(2 ** -m)])]);
  const lo = g.node("Sub", [B, g.node("Mul", [hi, f(2 ** m)])]);
  const both = g.node("Concat", [hi, lo], { axis: transB ? 0 : 1 });
  const parts = g.node("Reshape", [g.node("Gemm", [A, both], { transB: transB ? 1 : 0 }), i64([R, 2, N])]);
  const weighted = g.node("Mul", [g.node("Cast", [parts], { to: 11 }), g.constant("float64", [2 ** m, 1], [1, 2, 1])]);
  return g.node("ReduceSum", [weighted, i64([1])], { keepdims: 0 }, out);
}
