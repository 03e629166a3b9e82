import { describe, it } from "node:test";
import { expect } from "chai";
import onnxProto from "onnx-proto";
import { sampleBatch } from "../batch.ts";
import { buildStepGraph } from "../graph.ts";
import { nextRng } from "../random.ts";
import { initialState } from "../state.ts";
import { mnistSpec } from "../../training/mnistJob.ts";
import { lowerGraph } from "./lower.ts";
import { openSession, runLowered } from "./session.ts";

/**
 * The lean training graph's exactness does not depend on how a runtime orders its sums: a naive float32
 * interpreter of its nodes (each Gemm starting from C and adding alpha * a * b term by term, last term
 * first; Sum left to right; an integer GEMM's int32 sums likewise, then its scale and bias) gives
 * onnxruntime's bits, step after step. Only the ops the lowering emits are interpreted; an unknown one fails
 * the test, and so does a cast to uint8 or int8 of a value that is not an integer of that type.
 */
const { onnx } = onnxProto;
const f = Math.fround;
type T = { data: Float32Array | Uint8Array; dims: number[] };

function broadcast(a: T, b: T, op: (x: number, y: number) => number, bool = false): T {
  const rank = Math.max(a.dims.length, b.dims.length);
  const dim = (t: T, d: number) => t.dims[t.dims.length - rank + d] ?? 1;
  const dims = Array.from({ length: rank }, (_, d) => Math.max(dim(a, d), dim(b, d)));
  const n = dims.reduce((p, q) => p * q, 1);
  const out = bool ? new Uint8Array(n) : new Float32Array(n);
  const at = (t: T, i: number) => {
    // Right-aligned broadcasting over row-major indices.
    let idx = 0, stride = 1, rem = i;
    const coords = dims.map(() => 0);
    for (let d = dims.length - 1; d >= 0; d--) { coords[d] = rem % dims[d]!; rem = Math.floor(rem / dims[d]!); }
    for (let d = t.dims.length - 1, e = dims.length - 1; d >= 0; d--, e--) { idx += (t.dims[d] === 1 ? 0 : coords[e]!) * stride; stride *= t.dims[d]!; }
    return t.data[idx]!;
  };
  for (let i = 0; i < n; i++) out[i] = op(at(a, i), at(b, i));
  return { data: out, dims: [...dims] };
}

function gemm(ins: T[], attrs: Record<string, number>): T {
  const [A, B] = ins as [T, T];
  const ta = attrs.transA === 1, tb = attrs.transB === 1;
  const m = ta ? A.dims[1]! : A.dims[0]!, k = ta ? A.dims[0]! : A.dims[1]!, n = tb ? B.dims[0]! : B.dims[1]!;
  const a = (i: number, p: number) => A.data[ta ? p * m + i : i * k + p]!, b = (p: number, j: number) => B.data[tb ? j * k + p : p * n + j]!;
  // C first, then alpha * a * b added term by term, last term first: an order no BLAS uses, and unlike
  // replay.py's (the whole product, then alpha, then C). Exact forms give the same bits either way.
  const alpha = attrs.alpha ?? 1;
  const c0 = ins[2] ? broadcast({ data: new Float32Array(m * n), dims: [m, n] }, ins[2], (_, c) => c) : { data: new Float32Array(m * n), dims: [m, n] };
  const y: T = { data: new Float32Array(m * n), dims: [m, n] };
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = c0.data[i * n + j]!;
    for (let p = k - 1; p >= 0; p--) s = f(s + f(alpha * f(a(i, p) * b(p, j))));
    y.data[i * n + j] = s;
  }
  return y;
}

/** MatMulIntegerToFloat (onnxruntime's domain): integer sums, last term first, then float(S) * scale + bias. */
function matMulIntegerToFloat(ins: (T | undefined)[]): T {
  const [A, B, aScale, bScale, aZero, bZero, bias] = ins;
  if (aZero || bZero) throw new Error("the interpreter's MatMulIntegerToFloat takes no zero points");
  const [m, k] = A!.dims as [number, number], n = B!.dims[1]!;
  const scale = f(aScale!.data[0]! * bScale!.data[0]!);
  const y: T = { data: new Float32Array(m * n), dims: [m, n] };
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let p = k - 1; p >= 0; p--) acc += A!.data[i * k + p]! * B!.data[p * n + j]!;
    if (Math.abs(acc) >= 2 ** 31) throw new Error(`int32 overflow in MatMulIntegerToFloat: ${acc}`);
    const v = f(f(acc) * scale);
    y.data[i * n + j] = bias ? f(v + bias.data[j]!) : v;
  }
  return y;
}

function cast(x: T, to: number): T {
  if (to === 1) return { data: Float32Array.from(x.data), dims: x.dims };
  const [lo, hi] = to === 2 ? [0, 255] : to === 3 ? [-128, 127] : [NaN, NaN];
  for (const v of x.data) if (!(Number.isInteger(v) && v >= lo && v <= hi)) throw new Error(`the interpreter casts to uint8 (2) or int8 (3) only integers of that type: Cast to ${to} of ${v}`);
  return { data: Float32Array.from(x.data), dims: x.dims };
}

/**
 * QuantizeLinear to int8 with a scalar scale and zero point: round(x / scale) + zp, saturated. A value half
 * way between two integers fails the test: the lowering's forms never make one, so its tie rule never matters.
 */
function quantizeLinear(x: T, scale: number, zp: number): T {
  const out = x.data.map((v) => {
    const q = f(v / scale), fl = Math.floor(q);
    if (q - fl === 0.5) throw new Error(`QuantizeLinear of a tie: ${v} / ${scale}`);
    return Math.min(127, Math.max(-128, (q - fl > 0.5 ? fl + 1 : fl) + zp));
  });
  return { data: Float32Array.from(out), dims: x.dims };
}

function transpose(x: T): T {
  const [r, c] = x.dims as [number, number];
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = x.data[i * c + j]!;
  return { data: out, dims: [c, r] };
}

function run(model: InstanceType<typeof onnx.ModelProto>, feeds: Map<string, T>): Map<string, T> {
  const env = new Map(feeds);
  for (const init of model.graph!.initializer!) {
    const dims = init.dims!.map(Number);
    const values = init.dataType === 7 ? init.int64Data!.map(Number) : [2, 3, 6].includes(init.dataType!) ? init.int32Data! : init.floatData!;
    env.set(init.name!, { data: Float32Array.from(values), dims });
  }
  for (const node of model.graph!.node!) {
    const ins = node.input!.map((n) => env.get(n)!); // an empty name (a skipped optional input) is undefined
    const attrs = Object.fromEntries(node.attribute!.map((a) => [a.name!, a.type === onnx.AttributeProto.AttributeType.FLOAT ? a.f! : Number(a.i)]));
    const bin = (op: (x: number, y: number) => number, bool = false) => broadcast(ins[0]!, ins[1]!, op, bool);
    let out: T;
    switch (node.opType) {
      case "Add": out = bin((x, y) => f(x + y)); break;
      case "Sub": out = bin((x, y) => f(x - y)); break;
      case "Mul": out = bin((x, y) => f(x * y)); break;
      case "Sum": out = ins.slice(1).reduce((acc, t) => broadcast(acc, t, (x, y) => f(x + y)), ins[0]!); break;
      case "Floor": out = { data: ins[0]!.data.map(Math.floor) as Float32Array, dims: ins[0]!.dims }; break;
      case "Relu": out = { data: ins[0]!.data.map((x) => Math.max(x, 0)) as Float32Array, dims: ins[0]!.dims }; break;
      case "Clip": out = broadcast(broadcast(ins[0]!, ins[1]!, (x, lo) => Math.max(x, lo)), ins[2]!, (x, hi) => Math.min(x, hi)); break;
      case "Greater": out = bin((x, y) => (x > y ? 1 : 0), true); break;
      case "Equal": out = bin((x, y) => (x === y ? 1 : 0), true); break;
      case "Where": out = broadcast(broadcast(ins[0]!, ins[1]!, (c, x) => (c ? x : NaN)), ins[2]!, (x, y) => (Number.isNaN(x) ? y : x)); break;
      case "Unsqueeze": out = { data: ins[0]!.data, dims: [...ins[0]!.dims, 1] }; break;
      case "ReduceSum": {
        const [r, c] = ins[0]!.dims as [number, number];
        const o = new Float32Array(c);
        for (let j = 0; j < c; j++) { let s = 0; for (let i = r - 1; i >= 0; i--) s = f(s + ins[0]!.data[i * c + j]!); o[j] = s; }
        out = { data: o, dims: [c] };
        break;
      }
      case "Gemm": out = gemm(ins, attrs); break;
      case "Cast": out = cast(ins[0]!, attrs.to!); break;
      case "Transpose": out = transpose(ins[0]!); break;
      case "MatMulIntegerToFloat": out = matMulIntegerToFloat(ins); break;
      case "QuantizeLinear": out = quantizeLinear(ins[0]!, ins[1]!.data[0]!, ins[2]!.data[0]!); break;
      case "DequantizeLinear": out = { data: ins[0]!.data.map((v) => f((v - ins[2]!.data[0]!) * ins[1]!.data[0]!)) as Float32Array, dims: ins[0]!.dims }; break;
      default: throw new Error(`the interpreter has no ${node.opType}`);
    }
    env.set(node.output![0]!, out);
  }
  return env;
}

describe("the lean graph is exact in any summation order", () => {
  it("default job, batch 16: a reverse-order float32 interpreter matches onnxruntime for 3 steps", async () => {
    const { spec, data } = mnistSpec({ batchSize: 16 });
    const graph = buildStepGraph(spec);
    const lean = lowerGraph(graph, graph.stateOut);
    const model = onnx.ModelProto.decode(lean.bytes);
    expect(model.graph!.node!.map((n) => n.opType), "the folded forms are in the graph").to.include.members(["Sum", "Gemm", "MatMulIntegerToFloat", "QuantizeLinear"]);
    const session = await openSession(lean);
    try {
      let s = initialState(spec);
      let rng = s.rng;
      for (let step = 0; step < 3; step++) {
        const batch = sampleBatch(data.train, rng, spec);
        const inputs = new Map([[graph.x, batch.x], [graph.labels, batch.labels], ...graph.stateIn.map((id, i) => [id, s.tensors[i]!] as const)]);
        const got = await runLowered(session, lean, graph.tensors.map((t) => t.shape), inputs);
        const feeds = new Map([...inputs].map(([id, t]) => [lean.names[id]!, { data: Float32Array.from(t.data), dims: [...t.shape] }]));
        const env = run(model, feeds);
        for (const id of graph.stateOut) {
          const a = got.get(id)!.data, b = env.get(lean.names[id]!)!.data;
          for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) expect.fail(`step ${step}, ${graph.tensors[id]!.name}[${i}]: onnxruntime ${a[i]}, interpreter ${b[i]}`);
        }
        s = { ...s, tensors: graph.stateOut.map((id) => got.get(id)!) };
        rng = nextRng(rng);
      }
    } finally {
      await session.release();
    }
  });
});
