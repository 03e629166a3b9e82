import { describe, it, after } from "node:test";
import { expect } from "chai";
import type * as ort from "onnxruntime-node";
import onnxProto from "onnx-proto";
import type { GraphOp, GraphTensor } from "../graph.ts";
import type { Range } from "../int.ts";
import { opDef, type OpAttrs, type OpKind } from "../ops/index.ts";
import type { Tensor } from "../tensor.ts";
import { lowerGraph } from "./lower.ts";
import { openSession, runLowered } from "./session.ts";
import { rng } from "../../test/helpers/seededRng.ts";
import { expectBitIdentical, lowerOneOp } from "../../test/helpers/oneOpLowering.ts";

/**
 * Differential test of the spatial ops (reshape, im2col, col2im, maxpool, maxpool_grad): the onnxruntime
 * lowering and the TypeScript reference agree bit for bit on random shapes and geometries (padding, strides
 * that skip pixels, windows larger than the stride), range extremes and ties (maxpool_grad's first-max rule:
 * inputs drawn from a handful of values make most windows tie), in float32 and float64.
 */

type Pattern = "random" | "min" | "max" | "alternate" | "few";
const PATTERNS: Pattern[] = ["random", "random", "min", "max", "alternate", "few", "few"];

function fill(shape: readonly number[], [lo, hi]: Range, pattern: Pattern, rand: () => number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (pattern === "random") data[i] = lo + Math.floor(rand() * (hi - lo + 1));
    else if (pattern === "min") data[i] = lo;
    else if (pattern === "max") data[i] = hi;
    else if (pattern === "alternate") data[i] = i % 2 ? lo : hi;
    else data[i] = [lo, hi, 0, Math.max(lo, Math.min(hi, 1))][Math.floor(rand() * 4)]!;
  }
  return { shape, data };
}

interface Case {
  readonly name: string;
  readonly kind: OpKind;
  readonly attrs: OpAttrs[OpKind];
  readonly inputs: readonly { shape: number[]; range: Range }[];
  readonly expect: "float32" | "float64";
}

/** Random geometries: every attribute drawn in its valid range, the batch too. */
function randomCases(seed: number, n: number): Case[] {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const k = int(1, 5), pad = int(0, k - 1), stride = int(1, 3);
    const H = int(Math.max(1, k - 2 * pad), 9), W = int(Math.max(1, k - 2 * pad), 9), C = int(1, 4), B = int(1, 3);
    const geo = { H, W, C, k, stride, pad };
    const OH = Math.floor((H + 2 * pad - k) / stride) + 1, OW = Math.floor((W + 2 * pad - k) / stride) + 1;
    const wide = i % 3 === 2;
    const range: Range = wide ? [-(2 ** 40), 2 ** 40] : [-(2 ** 18), 2 ** 18];
    out.push({ name: `im2col random #${i} ${JSON.stringify(geo)} B=${B}`, kind: "im2col", attrs: geo, inputs: [{ shape: i % 2 ? [B, H * W * C] : [B * H * W, C], range }], expect: wide ? "float64" : "float32" });
    out.push({ name: `col2im random #${i} ${JSON.stringify(geo)} B=${B}`, kind: "col2im", attrs: geo, inputs: [{ shape: [B * OH * OW, k * k * C], range }], expect: wide ? "float64" : "float32" });
    const size = int(1, 3);
    const pg = { H: size * int(1, 4), W: size * int(1, 4), C, size };
    const rows = B * pg.H * pg.W, prow = rows / (size * size);
    out.push({ name: `maxpool random #${i} ${JSON.stringify(pg)} B=${B}`, kind: "maxpool", attrs: pg, inputs: [{ shape: [rows, C], range }], expect: wide ? "float64" : "float32" });
    out.push({ name: `maxpool_grad random #${i} ${JSON.stringify(pg)} B=${B}`, kind: "maxpool_grad", attrs: pg, inputs: [{ shape: [prow, C], range }, { shape: [rows, C], range: [-3, 3] }], expect: wide ? "float64" : "float32" });
  }
  return out;
}

const cases: Case[] = [
  { name: "reshape flatten [B*H*W, C] -> [B, H*W*C]", kind: "reshape", attrs: { shape: [3, 98] }, inputs: [{ shape: [147, 2], range: [-(2 ** 23), 2 ** 23] }], expect: "float32" },
  { name: "reshape wide (float64)", kind: "reshape", attrs: { shape: [12, 4] }, inputs: [{ shape: [6, 8], range: [-(2 ** 45), 2 ** 45] }], expect: "float64" },
  { name: "im2col LeNet conv1 28x28x1 k5 pad 2", kind: "im2col", attrs: { H: 28, W: 28, C: 1, k: 5, stride: 1, pad: 2 }, inputs: [{ shape: [2, 784], range: [0, 15] }], expect: "float32" },
  { name: "im2col LeNet conv2 14x14x8 k5 pad 2", kind: "im2col", attrs: { H: 14, W: 14, C: 8, k: 5, stride: 1, pad: 2 }, inputs: [{ shape: [2 * 196, 8], range: [0, 127] }], expect: "float32" },
  { name: "col2im LeNet conv2 (25 terms)", kind: "col2im", attrs: { H: 14, W: 14, C: 8, k: 5, stride: 1, pad: 2 }, inputs: [{ shape: [2 * 196, 200], range: [-(2 ** 19), 2 ** 19] }], expect: "float32" },
  { name: "col2im stride 3 > k 2 (uncovered pixels are 0)", kind: "col2im", attrs: { H: 7, W: 8, C: 2, k: 2, stride: 3, pad: 0 }, inputs: [{ shape: [2 * 6, 8], range: [-1000, 1000] }], expect: "float32" },
  { name: "maxpool 2x2 on 28x28x8", kind: "maxpool", attrs: { H: 28, W: 28, C: 8, size: 2 }, inputs: [{ shape: [2 * 784, 8], range: [0, 127] }], expect: "float32" },
  { name: "maxpool_grad 2x2 on 28x28x8, ties", kind: "maxpool_grad", attrs: { H: 28, W: 28, C: 8, size: 2 }, inputs: [{ shape: [2 * 196, 8], range: [-(2 ** 23), 2 ** 23] }, { shape: [2 * 784, 8], range: [0, 2] }], expect: "float32" },
  { name: "maxpool_grad 3x3, activations past the float32 keys (float64 keys), ties", kind: "maxpool_grad", attrs: { H: 6, W: 9, C: 2, size: 3 }, inputs: [{ shape: [2 * 6, 2], range: [-1000, 1000] }, { shape: [2 * 54, 2], range: [-(2 ** 40), 2 ** 40] }], expect: "float32" },
  { name: "maxpool_grad 2x2, activations at the float32 keys' limit, ties", kind: "maxpool_grad", attrs: { H: 4, W: 6, C: 3, size: 2 }, inputs: [{ shape: [2 * 6, 3], range: [-1000, 1000] }, { shape: [2 * 24, 3], range: [-(2 ** 22) + 2, 2 ** 22 - 2] }], expect: "float32" },
  ...randomCases(0x5eed, 12),
];

const sessions: ort.InferenceSession[] = [];
after(async () => {
  for (const s of sessions) await s.release();
});

describe("ONNX lowering vs TypeScript reference, spatial ops", () => {
  for (const c of cases) {
    it(`${c.name}: bit-identical on ${PATTERNS.length * 2} input sets`, async () => {
      const o = await lowerOneOp(c.name, c.kind, c.attrs, c.inputs);
      sessions.push(o.session);
      expect(o.computeType).to.equal(c.expect);
      const rand = rng(0xc0ffee ^ c.name.length);
      for (let round = 0; round < 2; round++) {
        for (const pattern of PATTERNS) await expectBitIdentical(o, c.inputs.map((i) => fill(i.shape, i.range, pattern, rand)), pattern);
      }
    });
  }
});

describe("spatial op references", () => {
  it("col2im is the adjoint of im2col: <im2col(x), y> = <x, col2im(y)>", () => {
    const r = rng(7);
    for (let trial = 0; trial < 20; trial++) {
      const k = 1 + Math.floor(r() * 4), pad = Math.floor(r() * k), stride = 1 + Math.floor(r() * 3);
      const H = k + Math.floor(r() * 5), W = k + Math.floor(r() * 5), C = 1 + Math.floor(r() * 3);
      const g = { H, W, C, k, stride, pad };
      const x = fill([2 * H * W, C], [-50, 50], "random", r);
      const cols = opDef("im2col").reference([x], g);
      const y = fill(cols.shape, [-50, 50], "random", r);
      const back = opDef("col2im").reference([y], g);
      let lhs = 0, rhs = 0;
      for (let i = 0; i < cols.data.length; i++) lhs += cols.data[i]! * y.data[i]!;
      for (let i = 0; i < x.data.length; i++) rhs += x.data[i]! * back.data[i]!;
      expect(lhs, JSON.stringify(g)).to.equal(rhs);
    }
  });

  it("maxpool_grad sends each window's gradient to the first maximum in (ky, kx) order", () => {
    // One image 2x2x1, all four equal: position (0,0) takes it; then the max at (1,0) and (1,1) tie: (1,0).
    const g = { H: 2, W: 2, C: 1, size: 2 };
    const grad = { shape: [1, 1], data: Float64Array.from([5]) };
    expect([...opDef("maxpool_grad").reference([grad, { shape: [4, 1], data: Float64Array.from([3, 3, 3, 3]) }], g).data]).to.deep.equal([5, 0, 0, 0]);
    expect([...opDef("maxpool_grad").reference([grad, { shape: [4, 1], data: Float64Array.from([1, 2, 7, 7]) }], g).data]).to.deep.equal([0, 0, 5, 0]);
  });

  it("rejects bad geometry naming the attribute", () => {
    expect(() => opDef("im2col").type([[2, 784]], [[0, 15]], { H: 28, W: 28, C: 1, k: 5, stride: 1, pad: 5 })).to.throw(/im2col\.pad/);
    expect(() => opDef("im2col").type([[2, 780]], [[0, 15]], { H: 28, W: 28, C: 1, k: 5, stride: 1, pad: 2 })).to.throw(/whole images/);
    expect(() => opDef("maxpool").type([[2 * 27 * 27, 1]], [[0, 15]], { H: 27, W: 27, C: 1, size: 2 })).to.throw(/maxpool\.size/);
    expect(() => opDef("reshape").type([[6, 8]], [[0, 15]], { shape: [7, 7] })).to.throw(/element count/);
  });
});

describe("a pooled gradient requantized before its routing (the lean graph's requantizeFirst)", () => {
  // maxpool_grad -> relu_mask -> requantize over declared tensors, as the graph builder chains them.
  function chain(withMask: boolean) {
    const pool = { H: 8, W: 12, C: 4, size: 2 }, rows = 2 * pool.H * pool.W, prow = rows / 4;
    const tensors: GraphTensor[] = [
      // Past float32 (the requantize computes in float64), and mostly inside the clamp below.
      { id: 0, name: "g", shape: [prow, 4], range: [-(2 ** 25), 2 ** 25], role: "input" },
      { id: 1, name: "a", shape: [rows, 4], range: [0, 3], role: "input" },
      { id: 2, name: "p", shape: [rows, 4], range: [-2, 3], role: "input" },
    ];
    const ops: GraphOp[] = [];
    const add = (kind: OpKind, attrs: unknown, inputs: number[]) => {
      const typing = opDef(kind).type(inputs.map((i) => tensors[i]!.shape), inputs.map((i) => tensors[i]!.range), attrs);
      const id = tensors.length;
      tensors.push({ id, name: `${kind}${id}`, shape: typing.shape, range: typing.range, role: "op", producer: ops.length });
      ops.push({ index: ops.length, kind, attrs, inputs, output: id, exactBound: typing.exactBound } as GraphOp);
      return id;
    };
    const routed = add("maxpool_grad", pool, [0, 1]);
    const masked = withMask ? add("relu_mask", {}, [routed, 2]) : routed;
    // A clamp that binds only near the range's ends.
    const out = add("requantize", { shift: 8, lo: -(2 ** 17) + 3, hi: 2 ** 17 - 5 }, [masked]);
    return { tensors, ops, out };
  }

  for (const withMask of [true, false]) {
    it(`${withMask ? "with" : "without"} a relu_mask: the lean graph requantizes first and gives the reference's bits`, async () => {
      const { tensors, ops, out } = chain(withMask);
      const lean = lowerGraph({ tensors, ops }, [out]);
      const nodes = onnxProto.onnx.ModelProto.decode(lean.bytes).graph!.node!.map((n) => n.opType!);
      // The rounding (Floor) comes before the routing's comparison (Equal): the pooled gradient is requantized first.
      expect(nodes.indexOf("Floor")).to.be.below(nodes.indexOf("Equal"));
      const session = await openSession(lean);
      sessions.push(session);
      const rand = rng(withMask ? 11 : 12);
      for (let round = 0; round < 12; round++) {
        // g: uniform, or a rounding tie k * 2^8 + 2^7 and its neighbours; a: few values (pooling ties).
        const g = fill(tensors[0]!.shape, tensors[0]!.range, round % 4 === 3 ? "max" : "random", rand);
        const gd = g.data as Float64Array;
        for (let i = 0; i < gd.length; i += 2) gd[i] = Math.floor(gd[i]! / 256) * 256 + 128 + (Math.floor(rand() * 3) - 1);
        const ins = [g, fill(tensors[1]!.shape, tensors[1]!.range, "few", rand), fill(tensors[2]!.shape, tensors[2]!.range, "random", rand)];
        let want: Tensor = ins[0]!;
        const vals: Tensor[] = [...ins];
        for (const op of ops) vals.push((want = opDef(op.kind).reference(op.inputs.map((i) => vals[i]!), op.attrs as never)));
        const got = (await runLowered(session, lean, tensors.map((t) => t.shape), new Map(ins.map((t, i) => [i, t])))).get(out)!;
        for (let i = 0; i < want.data.length; i++) if (got.data[i] !== want.data[i]) expect.fail(`round ${round}, element ${i}: lean ${got.data[i]} != reference ${want.data[i]}`);
      }
    });
  }
});
