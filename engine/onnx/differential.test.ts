import { describe, it, after } from "node:test";
import { expect } from "chai";
import type * as ort from "onnxruntime-node";
import onnxProto from "onnx-proto";
import type { GraphOp, GraphTensor } from "../graph.ts";
import { FLOAT32_EXACT, type Range } from "../int.ts";
import { opDef, type OpAttrs, type OpKind } from "../ops/index.ts";
import type { Tensor } from "../tensor.ts";
import { colSumChunkRows, exactMatmulPlan } from "./exactMatmul.ts";
import { computeType, lowerGraph, type LoweredGraph } from "./lower.ts";
import { openSession, runLowered } from "./session.ts";
import { rng } from "../../test/helpers/seededRng.ts";
import { expectBitIdentical, lowerOneOp, oneOpNodes } from "../../test/helpers/oneOpLowering.ts";

/**
 * Differential test: for every op, the onnxruntime lowering and the TypeScript reference agree bit for bit
 * on random and worst-case inputs (range extremes, alternating extremes, rounding ties), in both compute
 * types the lowering can pick (float32 under 2^24, float64 above).
 */

type Pattern = "random" | "min" | "max" | "alternate" | "ties" | "small" | "high";

function fill(shape: readonly number[], range: Range, pattern: Pattern, rand: () => number, tieShift = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const [lo, hi] = range;
  const data = new Float64Array(n);
  const uniform = () => lo + Math.floor(rand() * (hi - lo + 1));
  for (let i = 0; i < n; i++) {
    switch (pattern) {
      case "random": data[i] = uniform(); break;
      case "min": data[i] = lo; break;
      case "max": data[i] = hi; break;
      case "alternate": data[i] = i % 2 ? lo : hi; break;
      case "small": data[i] = Math.max(lo, Math.min(hi, Math.floor(rand() * 7) - 3)); break;
      // The upper half of the range, so long sums grow to their bound with random low bits.
      case "high": data[i] = Math.max(lo, Math.ceil(hi / 2)) + Math.floor(rand() * (hi - Math.max(lo, Math.ceil(hi / 2)) + 1)); break;
      case "ties": {
        // x = k * 2^s + 2^(s-1) (exactly half way), k of both signs, within the range.
        const step = 2 ** tieShift, half = tieShift > 0 ? 2 ** (tieShift - 1) : 0;
        const k = Math.floor(uniform() / step);
        const v = k * step + half;
        data[i] = v < lo ? lo : v > hi ? hi : v;
        break;
      }
    }
  }
  return { shape, data };
}

interface Case<K extends OpKind> {
  readonly name: string;
  readonly kind: K;
  readonly attrs: OpAttrs[K];
  readonly inputs: readonly { shape: number[]; range: Range }[];
  readonly tieShift?: number;
  /** Expected compute type, so both lowerings stay covered. */
  readonly expect: "float32" | "float64";
}

const cases: Case<OpKind>[] = [
  { name: "matmul 784-deep, default layer bounds", kind: "matmul", attrs: { transA: false, transB: false }, inputs: [{ shape: [8, 784], range: [0, 15] }, { shape: [784, 16], range: [-1024, 1024] }], expect: "float32" },
  { name: "matmul transA (weight gradient)", kind: "matmul", attrs: { transA: true, transB: false }, inputs: [{ shape: [64, 40], range: [0, 15] }, { shape: [64, 12], range: [-1024, 1024] }], expect: "float32" },
  { name: "matmul transB (input gradient)", kind: "matmul", attrs: { transA: false, transB: true }, inputs: [{ shape: [16, 10], range: [-1024, 1024] }, { shape: [32, 10], range: [-1024, 1024] }], expect: "float32" },
  { name: "matmul wide values (float64)", kind: "matmul", attrs: { transA: false, transB: false }, inputs: [{ shape: [6, 50], range: [-(2 ** 20), 2 ** 20] }, { shape: [50, 7], range: [-(2 ** 20), 2 ** 20] }], expect: "float64" },
  { name: "matmul both transposed (float64)", kind: "matmul", attrs: { transA: true, transB: true }, inputs: [{ shape: [9, 5], range: [-(2 ** 16), 2 ** 16] }, { shape: [4, 9], range: [-(2 ** 16), 2 ** 16] }], expect: "float64" },
  // float64-bound products of float32 operands, computed in exact float32 pieces (exactMatmul.ts).
  // Odd extremes: the all-max pattern's sums then need every bit, so a chunk or piece too long would round.
  { name: "matmul weight gradient in float32 chunks (float64 bound)", kind: "matmul", attrs: { transA: true, transB: false }, inputs: [{ shape: [2048, 40], range: [-127, 127] }, { shape: [2048, 12], range: [-1023, 1023] }], expect: "float64" },
  { name: "matmul chunks, the left operand the narrower", kind: "matmul", attrs: { transA: true, transB: false }, inputs: [{ shape: [1024, 6], range: [-127, 127] }, { shape: [1024, 20], range: [-1023, 1023] }], expect: "float64" },
  { name: "matmul forward with split weights (float64 bound)", kind: "matmul", attrs: { transA: false, transB: false }, inputs: [{ shape: [64, 300], range: [-127, 127] }, { shape: [300, 24], range: [-1023, 1023] }], expect: "float64" },
  { name: "matmul split weights, transB", kind: "matmul", attrs: { transA: false, transB: true }, inputs: [{ shape: [32, 600], range: [-127, 127] }, { shape: [20, 600], range: [-1023, 1023] }], expect: "float64" },
  { name: "bias_add", kind: "bias_add", attrs: {}, inputs: [{ shape: [8, 33], range: [-(2 ** 23), 2 ** 23 - 2 ** 20] }, { shape: [33], range: [-(2 ** 19), 2 ** 19] }], expect: "float32" },
  { name: "bias_add wide (float64)", kind: "bias_add", attrs: {}, inputs: [{ shape: [4, 9], range: [-(2 ** 40), 2 ** 40] }, { shape: [9], range: [-(2 ** 30), 2 ** 30] }], expect: "float64" },
  { name: "requantize shift 8 with clamp", kind: "requantize", attrs: { shift: 8, lo: -127, hi: 127 }, inputs: [{ shape: [300], range: [-(2 ** 23) + 200, 2 ** 23 - 200] }], tieShift: 8, expect: "float32" },
  { name: "requantize shift 4, clamp never binds", kind: "requantize", attrs: { shift: 4, lo: -(2 ** 14), hi: 2 ** 14 }, inputs: [{ shape: [300], range: [-(2 ** 18), 2 ** 18] }], tieShift: 4, expect: "float32" },
  { name: "requantize shift 1 (smallest tie)", kind: "requantize", attrs: { shift: 1, lo: -1000, hi: 1000 }, inputs: [{ shape: [300], range: [-3000, 3000] }], tieShift: 1, expect: "float32" },
  { name: "requantize shift 0 (clamp only)", kind: "requantize", attrs: { shift: 0, lo: 0, hi: 15 }, inputs: [{ shape: [100], range: [-40, 40] }], expect: "float32" },
  { name: "requantize wide (float64)", kind: "requantize", attrs: { shift: 20, lo: -(2 ** 20), hi: 2 ** 20 }, inputs: [{ shape: [300], range: [-(2 ** 45), 2 ** 45] }], tieShift: 20, expect: "float64" },
  { name: "relu", kind: "relu", attrs: {}, inputs: [{ shape: [257], range: [-(2 ** 23), 2 ** 23] }], expect: "float32" },
  { name: "relu_mask", kind: "relu_mask", attrs: {}, inputs: [{ shape: [16, 20], range: [-(2 ** 22), 2 ** 22] }, { shape: [16, 20], range: [-3, 3] }], expect: "float32" },
  { name: "relu_mask wide (float64)", kind: "relu_mask", attrs: {}, inputs: [{ shape: [16, 20], range: [-(2 ** 40), 2 ** 40] }, { shape: [16, 20], range: [-2, 2] }], expect: "float64" },
  { name: "mse_grad", kind: "mse_grad", attrs: { one: 4096 }, inputs: [{ shape: [16, 10], range: [-(2 ** 23) + 4096, 2 ** 23] }, { shape: [16], range: [0, 9] }], expect: "float32" },
  { name: "mse_grad wide (float64)", kind: "mse_grad", attrs: { one: 2 ** 30 }, inputs: [{ shape: [8, 3], range: [-(2 ** 40), 2 ** 40] }, { shape: [8], range: [0, 2] }], expect: "float64" },
  { name: "col_sum", kind: "col_sum", attrs: {}, inputs: [{ shape: [64, 12], range: [-1024, 1024] }], expect: "float32" },
  { name: "col_sum wide (float64)", kind: "col_sum", attrs: {}, inputs: [{ shape: [64, 12], range: [-(2 ** 30), 2 ** 30] }], expect: "float64" },
  // 8192 rows of |x| <= 8191: 4 chunks of 2048 rows, whose sums reach 2048 * 8191 = 2^24 - 2048 (the min and max patterns).
  { name: "col_sum in float32 chunks (float64 bound)", kind: "col_sum", attrs: {}, inputs: [{ shape: [8192, 12], range: [-8191, 8191] }], expect: "float64" },
  { name: "momentum 7/8", kind: "momentum", attrs: { muNum: 7, muShift: 3, lo: -(2 ** 19), hi: 2 ** 19 }, inputs: [{ shape: [500], range: [-(2 ** 19), 2 ** 19] }, { shape: [500], range: [-(2 ** 22), 2 ** 22] }], tieShift: 3, expect: "float32" },
  { name: "momentum 15/16 wide (float64)", kind: "momentum", attrs: { muNum: 15, muShift: 4, lo: -(2 ** 30), hi: 2 ** 30 }, inputs: [{ shape: [500], range: [-(2 ** 30), 2 ** 30] }, { shape: [500], range: [-(2 ** 25), 2 ** 25] }], tieShift: 4, expect: "float64" },
  { name: "sgd_update lr 1/32", kind: "sgd_update", attrs: { lrNum: 1, lrShift: 5, lo: -(2 ** 18), hi: 2 ** 18 }, inputs: [{ shape: [500], range: [-(2 ** 18), 2 ** 18] }, { shape: [500], range: [-(2 ** 22), 2 ** 22] }], tieShift: 5, expect: "float32" },
  { name: "sgd_update lr 5/1024 wide (float64)", kind: "sgd_update", attrs: { lrNum: 5, lrShift: 10, lo: -(2 ** 23), hi: 2 ** 23 }, inputs: [{ shape: [500], range: [-(2 ** 23), 2 ** 23] }, { shape: [500], range: [-(2 ** 24), 2 ** 24] }], tieShift: 10, expect: "float64" },
];

const PATTERNS: Pattern[] = ["random", "random", "random", "min", "max", "alternate", "ties", "small", "high"];
const sessions: ort.InferenceSession[] = [];
after(async () => {
  for (const s of sessions) await s.release();
});

describe("ONNX lowering vs TypeScript reference, every op", () => {
  for (const c of cases) {
    it(`${c.name}: bit-identical on ${PATTERNS.length * 4} input sets`, async () => {
      const o = await lowerOneOp(c.name, c.kind, c.attrs, c.inputs);
      sessions.push(o.session);
      expect(o.computeType, `exact bound ${o.typing.exactBound} vs 2^24 = ${FLOAT32_EXACT}`).to.equal(c.expect);
      const rand = rng(0xc0ffee ^ c.name.length);
      for (let round = 0; round < 4; round++) {
        for (const pattern of PATTERNS) {
          // Labels (mse_grad's second input) are always random valid classes; other inputs follow the pattern.
          const ins = c.inputs.map((i, k) => fill(i.shape, i.range, c.kind === "mse_grad" && k === 1 ? "random" : pattern, rand, c.tieShift ?? 0));
          await expectBitIdentical(o, ins, pattern);
        }
      }
    });
  }
});

/** The op types of a lowered model, in node order. */
function nodeTypes(lowered: LoweredGraph): string[] {
  return onnxProto.onnx.ModelProto.decode(lowered.bytes).graph!.node!.map((n) => n.opType!);
}

/** How many inputs each Gemm of a lowered model takes (3: the update folded in, with its C). */
function gemmArity(lowered: LoweredGraph): number[] {
  return onnxProto.onnx.ModelProto.decode(lowered.bytes).graph!.node!.filter((n) => n.opType === "Gemm").map((n) => n.input!.length);
}

describe("float64-bound products of float32 operands in exact float32 pieces", () => {
  const named = (n: string) => cases.find((c) => c.name === n)!;
  const planOf = (n: string) => {
    const c = named(n);
    return exactMatmulPlan(c.attrs as OpAttrs["matmul"], c.inputs[0]!, c.inputs[1]!);
  };

  it("the cases above take the pieces (so their bit-identity covers them): chunks of r rows with r * term < 2^24, splits at m bits", () => {
    expect(planOf("matmul weight gradient in float32 chunks (float64 bound)")).to.deep.equal({ kind: "chunks", K: 2048, M: 40, N: 12, rows: 128 });
    expect(planOf("matmul chunks, the left operand the narrower")).to.deep.equal({ kind: "chunks", K: 1024, M: 6, N: 20, rows: 128 });
    expect(planOf("matmul forward with split weights (float64 bound)")).to.deep.equal({ kind: "split", R: 64, K: 300, N: 24, m: 2 });
    expect(planOf("matmul split weights, transB")).to.deep.equal({ kind: "split", R: 32, K: 600, N: 20, m: 3 });
    expect(colSumChunkRows(named("col_sum in float32 chunks (float64 bound)").inputs[0]!)).to.equal(2048);
    expect(colSumChunkRows(named("col_sum wide (float64)").inputs[0]!), "values past 2^24 stay float64").to.equal(undefined);
    for (const n of ["matmul weight gradient in float32 chunks (float64 bound)", "matmul forward with split weights (float64 bound)"]) {
      const c = named(n);
      // No operand is cast to float64: only the pieces' products are.
      for (const node of oneOpNodes("matmul", c.attrs, c.inputs).filter((x) => x.opType === "Cast")) expect(node.input![0], n).to.not.match(/^t[01]_/);
    }
  });

  it("no plan where a piece could not be exact, or would not pay", () => {
    const mm = (transA: boolean, transB: boolean) => ({ transA, transB });
    // An operand past 2^24 is not float32-exact.
    expect(exactMatmulPlan(mm(true, false), { shape: [64, 4], range: [0, 2 ** 24] }, { shape: [64, 4], range: [0, 1] })).to.equal(undefined);
    // One product term alone reaches 2^24: no chunk of even one row is exact (and 16 is the least worth it).
    expect(exactMatmulPlan(mm(true, false), { shape: [4096, 4], range: [-(2 ** 12), 2 ** 12] }, { shape: [4096, 4], range: [-(2 ** 12), 2 ** 12] })).to.equal(undefined);
    // K prime: no divisor between 16 and K.
    expect(exactMatmulPlan(mm(true, false), { shape: [4099, 4], range: [-127, 127] }, { shape: [4099, 4], range: [-1024, 1024] })).to.equal(undefined);
    // A short K (the input gradient's d x W^T): the float64 Gemm is cheaper than combining a twice-wide output.
    expect(exactMatmulPlan(mm(false, true), { shape: [512, 24], range: [-1024, 1024] }, { shape: [300, 24], range: [-1024, 1024] })).to.equal(undefined);
    // K * max|A| alone past 2^24: no split of B helps.
    expect(exactMatmulPlan(mm(false, false), { shape: [4, 70000], range: [-255, 255] }, { shape: [70000, 2], range: [-3, 3] })).to.equal(undefined);
  });
});

describe("float32 rounding without Floor (the M offset)", () => {
  it("float32 requantize, sgd_update and momentum within the offset's bounds lower without Floor; wider ones keep it", () => {
    const lowerOne = (c: Case<OpKind>) => oneOpNodes(c.kind, c.attrs, c.inputs).map((n) => n.opType!);
    const byName = (n: string) => cases.find((c) => c.name === n)!;
    for (const n of ["requantize shift 8 with clamp", "requantize shift 4, clamp never binds", "requantize shift 1 (smallest tie)", "momentum 7/8", "sgd_update lr 1/32"]) {
      expect(lowerOne(byName(n)), n).to.not.include("Floor");
    }
    // |x| >= 2^23: x * 2^-s + 2^-(s+1) needs a 25th bit, so the Floor lowering stays (and stays tested above).
    expect(lowerOne({ ...byName("requantize shift 8 with clamp"), inputs: [{ shape: [4], range: [-(2 ** 23), 2 ** 23] }] })).to.include("Floor");
  });
});

describe("sgd_update folded into its gradient's product (the lean training graph): a Gemm, or integer GEMM", () => {
  const matmul = opDef("matmul"), sgd = opDef("sgd_update");
  // "integer": the product on MatMulIntegerToFloat (integerSgdPlan); "gemm": folded into a float32 Gemm.
  type Fused = { name: string; a: { shape: number[]; range: Range }; d: { shape: number[]; range: Range }; w: Range; attrs: OpAttrs["sgd_update"]; form: "integer" | "gemm" | "none" };
  const fusedCases: Fused[] = [
    { name: "layer 0 (x^T d, lr 1/32, 64 x 160 x 128)", a: { shape: [64, 160], range: [0, 15] }, d: { shape: [64, 128], range: [-1024, 1024] }, w: [-(2 ** 18), 2 ** 18], attrs: { lrNum: 1, lrShift: 5, lo: -(2 ** 18), hi: 2 ** 18 }, form: "integer" },
    // The default layer 1: the gradient's bound 64 * 127 * 1024 = 8,323,072 is the largest the fold takes; a
    // product this small (64 x 16 x 10, below INTEGER_MIN_WORK) stays a Gemm.
    { name: "default layer 1 (bound 8,323,072)", a: { shape: [64, 16], range: [0, 127] }, d: { shape: [64, 10], range: [-1024, 1024] }, w: [-(2 ** 18), 2 ** 18], attrs: { lrNum: 1, lrShift: 5, lo: -(2 ** 18), hi: 2 ** 18 }, form: "gemm" },
    { name: "lr 4/2^3, narrow clamp", a: { shape: [32, 256], range: [0, 15] }, d: { shape: [32, 128], range: [-64, 64] }, w: [-5000, 5000], attrs: { lrNum: 4, lrShift: 3, lo: -4000, hi: 4000 }, form: "integer" },
    // Both limbs at their ends: dh = +-127 (d = 256 dh + dl), dl in [-128, 127].
    { name: "deltas to the int8 limbs' ends (+-32,639)", a: { shape: [32, 256], range: [0, 3] }, d: { shape: [32, 128], range: [-32639, 32639] }, w: [-(2 ** 18), 2 ** 18], attrs: { lrNum: 1, lrShift: 5, lo: -(2 ** 18), hi: 2 ** 18 }, form: "integer" },
    // Past the uint8 operand (activations to 255), past the high limb (deltas to 2^15): the Gemm.
    { name: "activations to 255: the float32 Gemm", a: { shape: [32, 24], range: [0, 255] }, d: { shape: [32, 8], range: [-1024, 1024] }, w: [-(2 ** 18), 2 ** 18], attrs: { lrNum: 1, lrShift: 5, lo: -(2 ** 18), hi: 2 ** 18 }, form: "gemm" },
    { name: "deltas to 2^15: the float32 Gemm", a: { shape: [8, 24], range: [0, 15] }, d: { shape: [8, 8], range: [-(2 ** 15), 2 ** 15] }, w: [-(2 ** 18), 2 ** 18], attrs: { lrNum: 1, lrShift: 5, lo: -(2 ** 18), hi: 2 ** 18 }, form: "gemm" },
    { name: "lr 3/2^5 (not a power of two: not folded)", a: { shape: [32, 24], range: [0, 15] }, d: { shape: [32, 8], range: [-1024, 1024] }, w: [-(2 ** 18), 2 ** 18], attrs: { lrNum: 3, lrShift: 5, lo: -(2 ** 18), hi: 2 ** 18 }, form: "none" },
    { name: "lr 1 (no rounding: not folded)", a: { shape: [32, 24], range: [0, 15] }, d: { shape: [32, 8], range: [-16, 16] }, w: [-(2 ** 18), 2 ** 18], attrs: { lrNum: 1, lrShift: 0, lo: -(2 ** 18), hi: 2 ** 18 }, form: "none" },
  ];
  for (const c of fusedCases) {
    it(`${c.name}: ${c.form === "none" ? "" : `folded (${c.form}), `}bit-identical to matmul then sgd_update, lean and traced`, async () => {
      const mm = matmul.type([c.a.shape, c.d.shape], [c.a.range, c.d.range], { transA: true, transB: false });
      const up = sgd.type([mm.shape, mm.shape], [c.w, mm.range], c.attrs);
      const tensors: GraphTensor[] = [
        { id: 0, name: "a", shape: c.a.shape, range: c.a.range, role: "input" },
        { id: 1, name: "d", shape: c.d.shape, range: c.d.range, role: "input" },
        { id: 2, name: "w", shape: mm.shape, range: c.w, role: "state" },
        { id: 3, name: "gw", shape: mm.shape, range: mm.range, role: "op", producer: 0 },
        { id: 4, name: "w_next", shape: up.shape, range: up.range, role: "op", producer: 1 },
      ];
      const ops = [
        { index: 0, kind: "matmul", attrs: { transA: true, transB: false }, inputs: [0, 1], output: 3, exactBound: mm.exactBound },
        { index: 1, kind: "sgd_update", attrs: c.attrs, inputs: [2, 3], output: 4, exactBound: up.exactBound },
      ] as GraphOp[];
      const lean = lowerGraph({ tensors, ops }, [4]), traced = lowerGraph({ tensors, ops }, [3, 4]);
      expect(gemmArity(lean), `lean graph: ${nodeTypes(lean).join(" ")}`).to.deep.equal(c.form === "integer" ? [] : [c.form === "gemm" ? 3 : 2]);
      expect(nodeTypes(lean).filter((n) => n === "MatMulIntegerToFloat").length).to.equal(c.form === "integer" ? 2 : 0);
      // The traced graph outputs the gradient itself, so it is never folded.
      expect(gemmArity(traced)).to.deep.equal([2]);
      const sLean = await openSession(lean), sTraced = await openSession(traced);
      sessions.push(sLean, sTraced);
      const rand = rng(0xfeed ^ c.name.length);
      const shapes = tensors.map((t) => t.shape);
      for (let round = 0; round < 4; round++) {
        for (const pattern of PATTERNS) {
          const a = fill(c.a.shape, c.a.range, pattern === "alternate" ? "max" : pattern, rand);
          const d = fill(c.d.shape, c.d.range, pattern, rand);
          const w = fill(mm.shape, c.w, pattern === "ties" ? "random" : pattern, rand);
          const gw = matmul.reference([a, d], { transA: true, transB: false });
          const want = sgd.reference([w, gw], c.attrs);
          const inputs = new Map([[0, a], [1, d], [2, w]]);
          const gotLean = (await runLowered(sLean, lean, shapes, inputs)).get(4)!;
          const gotTraced = (await runLowered(sTraced, traced, shapes, inputs)).get(4)!;
          for (let i = 0; i < want.data.length; i++) {
            if (gotLean.data[i] !== want.data[i] || gotTraced.data[i] !== want.data[i]) {
              expect.fail(`${c.name} (${pattern}): element ${i}: lean ${gotLean.data[i]}, traced ${gotTraced.data[i]}, reference ${want.data[i]} (gradient ${gw.data[i]})`);
            }
          }
        }
      }
    });
  }
});

describe("requantized weights held as 2^s * q when only matmuls use them (the lean training graph)", () => {
  const requantize = opDef("requantize"), matmul = opDef("matmul");
  type Scaled = { name: string; w: Range; attrs: OpAttrs["requantize"]; scaled: boolean };
  const scaledCases: Scaled[] = [
    { name: "default forward weights (shift 8, clamp idle)", w: [-(2 ** 18), 2 ** 18], attrs: { shift: 8, lo: -1024, hi: 1024 }, scaled: true },
    { name: "clamp binding (shift 8, [-300, 200])", w: [-(2 ** 18), 2 ** 18], attrs: { shift: 8, lo: -300, hi: 200 }, scaled: true },
    { name: "shift 1 (smallest tie)", w: [-3000, 3000], attrs: { shift: 1, lo: -1000, hi: 1000 }, scaled: true },
    { name: "shift 0 (no rounding: not scaled)", w: [-40, 40], attrs: { shift: 0, lo: -30, hi: 30 }, scaled: false },
  ];
  for (const c of scaledCases) {
    it(`${c.name}: both products bit-identical to the reference, lean and traced`, async () => {
      const wShape = [40, 12];
      const rq = requantize.type([wShape], [c.w], c.attrs);
      const z1 = matmul.type([[16, 40], wShape], [[0, 15], rq.range], { transA: false, transB: false });
      const z2 = matmul.type([[16, 12], wShape], [[-64, 64], rq.range], { transA: false, transB: true });
      const tensors: GraphTensor[] = [
        { id: 0, name: "x", shape: [16, 40], range: [0, 15], role: "input" },
        { id: 1, name: "d", shape: [16, 12], range: [-64, 64], role: "input" },
        { id: 2, name: "w", shape: wShape, range: c.w, role: "state" },
        { id: 3, name: "wq", shape: rq.shape, range: rq.range, role: "op", producer: 0 },
        { id: 4, name: "z1", shape: z1.shape, range: z1.range, role: "op", producer: 1 },
        { id: 5, name: "z2", shape: z2.shape, range: z2.range, role: "op", producer: 2 },
      ];
      const ops = [
        { index: 0, kind: "requantize", attrs: c.attrs, inputs: [2], output: 3, exactBound: rq.exactBound },
        { index: 1, kind: "matmul", attrs: { transA: false, transB: false }, inputs: [0, 3], output: 4, exactBound: z1.exactBound },
        { index: 2, kind: "matmul", attrs: { transA: false, transB: true }, inputs: [1, 3], output: 5, exactBound: z2.exactBound },
      ] as GraphOp[];
      const lean = lowerGraph({ tensors, ops }, [4, 5]), traced = lowerGraph({ tensors, ops }, [3, 4, 5]);
      const alphas = (l: LoweredGraph) => onnxProto.onnx.ModelProto.decode(l.bytes).graph!.node!.filter((n) => n.opType === "Gemm").map((n) => n.attribute!.find((a) => a.name === "alpha")?.f ?? 1);
      expect(alphas(lean)).to.deep.equal(c.scaled ? [2 ** -c.attrs.shift, 2 ** -c.attrs.shift] : [1, 1]);
      expect(alphas(traced), "the traced graph outputs wq itself").to.deep.equal([1, 1]);
      const sLean = await openSession(lean), sTraced = await openSession(traced);
      sessions.push(sLean, sTraced);
      const rand = rng(0xbeef ^ c.name.length);
      const shapes = tensors.map((t) => t.shape);
      for (let round = 0; round < 4; round++) {
        for (const pattern of PATTERNS) {
          const x = fill([16, 40], [0, 15], pattern === "ties" ? "random" : pattern, rand);
          const d = fill([16, 12], [-64, 64], pattern === "ties" ? "random" : pattern, rand);
          const w = fill(wShape, c.w, pattern, rand, c.attrs.shift);
          const wq = requantize.reference([w], c.attrs);
          const want = [matmul.reference([x, wq], { transA: false, transB: false }), matmul.reference([d, wq], { transA: false, transB: true })];
          const inputs = new Map([[0, x], [1, d], [2, w]]);
          for (const [label, s, l] of [["lean", sLean, lean], ["traced", sTraced, traced]] as const) {
            const got = await runLowered(s, l, shapes, inputs);
            for (const [k, id] of [4, 5].entries()) {
              const g = got.get(id)!.data;
              for (let i = 0; i < want[k]!.data.length; i++) {
                if (g[i] !== want[k]!.data[i]) expect.fail(`${c.name} (${pattern}, ${label}): z${k + 1}[${i}] = ${g[i]}, reference ${want[k]!.data[i]}`);
              }
            }
          }
        }
      }
    });
  }
});

describe("requantize folded into the Gemm of its matmul, through a bias_add or a relu_mask (the lean graph)", () => {
  const matmul = opDef("matmul"), biasAdd = opDef("bias_add"), reluMask = opDef("relu_mask"), requantize = opDef("requantize");
  for (const [name, rq] of [
    ["activation (shift 8, clamp to 127)", { shift: 8, lo: -127, hi: 127 }],
    ["wide clamp never binding (shift 4)", { shift: 4, lo: -(2 ** 20), hi: 2 ** 20 }],
  ] as const) {
    it(`${name}: bit-identical to the reference, lean (folded) and traced`, async () => {
      const x = { shape: [16, 40], range: [0, 15] as Range }, v = { shape: [40, 12], range: [-1024, 1024] as Range };
      const b = { shape: [12], range: [-16384, 16384] as Range }, d = { shape: [16, 7], range: [-1024, 1024] as Range }, u = { shape: [12, 7], range: [-1024, 1024] as Range };
      const z = matmul.type([x.shape, v.shape], [x.range, v.range], { transA: false, transB: false });
      const zb = biasAdd.type([z.shape, b.shape], [z.range, b.range], {});
      const p = requantize.type([zb.shape], [zb.range], rq);
      const gh = matmul.type([d.shape, u.shape], [d.range, u.range], { transA: false, transB: true });
      const gm = reluMask.type([gh.shape, p.shape], [gh.range, p.range], {});
      const dq = requantize.type([gm.shape], [gm.range], rq);
      const specs = [x, v, b, d, u];
      const tensors: GraphTensor[] = specs.map((t, id) => ({ id, name: `in${id}`, shape: t.shape, range: t.range, role: "input" }));
      const outs = [z, zb, p, gh, gm, dq];
      outs.forEach((t, k) => tensors.push({ id: 5 + k, name: ["z", "zb", "p", "gh", "gm", "dq"][k]!, shape: t.shape, range: t.range, role: "op", producer: k }));
      const ops = [
        { index: 0, kind: "matmul", attrs: { transA: false, transB: false }, inputs: [0, 1], output: 5, exactBound: z.exactBound },
        { index: 1, kind: "bias_add", attrs: {}, inputs: [5, 2], output: 6, exactBound: zb.exactBound },
        { index: 2, kind: "requantize", attrs: rq, inputs: [6], output: 7, exactBound: p.exactBound },
        { index: 3, kind: "matmul", attrs: { transA: false, transB: true }, inputs: [3, 4], output: 8, exactBound: gh.exactBound },
        { index: 4, kind: "relu_mask", attrs: {}, inputs: [8, 7], output: 9, exactBound: gm.exactBound },
        { index: 5, kind: "requantize", attrs: rq, inputs: [9], output: 10, exactBound: dq.exactBound },
      ] as GraphOp[];
      const lean = lowerGraph({ tensors, ops }, [7, 10]), traced = lowerGraph({ tensors, ops }, [5, 6, 7, 8, 9, 10]);
      expect(gemmArity(lean), `lean graph: ${nodeTypes(lean).join(" ")}`).to.deep.equal([3, 3]);
      expect(gemmArity(traced)).to.deep.equal([2, 2]);
      const sLean = await openSession(lean), sTraced = await openSession(traced);
      sessions.push(sLean, sTraced);
      const rand = rng(0xd1ce ^ name.length);
      const shapes = tensors.map((t) => t.shape);
      for (let round = 0; round < 4; round++) {
        for (const pattern of PATTERNS) {
          const ins = specs.map((t) => fill(t.shape, t.range, pattern, rand, rq.shift));
          const all = [...ins];
          for (const op of ops) all.push(opDef(op.kind).reference(op.inputs.map((i) => all[i]!), op.attrs));
          const inputs = new Map(ins.map((t, k) => [k, t]));
          for (const [label, sess, l] of [["lean", sLean, lean], ["traced", sTraced, traced]] as const) {
            const got = await runLowered(sess, l, shapes, inputs);
            for (const id of [7, 10]) {
              const gd = got.get(id)!.data, want = all[id]!.data;
              for (let i = 0; i < want.length; i++) if (gd[i] !== want[i]) expect.fail(`${name} (${pattern}, ${label}): ${tensors[id]!.name}[${i}] = ${gd[i]}, reference ${want[i]}`);
            }
          }
        }
      }
    });
  }
});
