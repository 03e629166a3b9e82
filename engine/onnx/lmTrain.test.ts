import { describe, it } from "node:test";
import { expect } from "chai";
import type { GraphOp, GraphTensor } from "../graph.ts";
import { MAX_EXACT, type Range } from "../int.ts";
import { opDef, type OpAttrs, type OpKind } from "../ops/index.ts";
import { adamMomentRanges } from "../ops/adamState.ts";
import { ceLossNats } from "../ops/ceLoss.ts";
import type { Tensor } from "../tensor.ts";
import { lowerGraph } from "./lower.ts";
import { openSession, runLowered } from "./session.ts";
import { rng } from "../../test/helpers/seededRng.ts";

/**
 * The new ops train something, identically on both backends: a tiny embedding + dense + softmax
 * cross-entropy model, trained with Adam, assembled by hand from ops (the spec-v2 graph builder will emit the
 * same chain, docs/engine.md "Ops for language models and Adam"). Every step runs the TypeScript reference
 * and the ONNX lowering; every tensor of every step must be bit-identical, and the loss must fall.
 */

/** A step graph built op by op: each op typed by its OpDef (shapes, ranges, exactness bound). */
class MiniGraph {
  readonly tensors: GraphTensor[] = [];
  readonly ops: GraphOp[] = [];
  input(name: string, shape: number[], range: Range, role: "input" | "state" = "input"): number {
    this.tensors.push({ id: this.tensors.length, name, shape, range, role });
    return this.tensors.length - 1;
  }
  op<K extends OpKind>(kind: K, attrs: OpAttrs[K], inputs: number[], name: string): number {
    const ins = inputs.map((i) => this.tensors[i]!);
    const ty = opDef(kind).type(ins.map((t) => t.shape), ins.map((t) => t.range), attrs);
    if (!(ty.exactBound < MAX_EXACT)) throw new Error(`${name}: exactness bound ${ty.exactBound} >= 2^53`);
    const id = this.tensors.length;
    this.tensors.push({ id, name, shape: ty.shape, range: ty.range, role: "op", producer: this.ops.length });
    this.ops.push({ index: this.ops.length, kind, attrs, inputs, output: id, exactBound: ty.exactBound } as GraphOp);
    return id;
  }
  range(id: number): Range {
    return this.tensors[id]!.range;
  }
}

const V = 8, D = 8, B = 16, MASTER: Range = [-(2 ** 18), 2 ** 18];

function buildModel() {
  const g = new MiniGraph();
  const x = g.input("x", [B], [0, V - 1]);
  const labels = g.input("labels", [B], [0, V - 1]);
  const params = [
    { name: "emb", shape: [V, D] },
    { name: "w", shape: [D, V] },
    { name: "b", shape: [V] },
  ].map((p) => ({ ...p, id: g.input(p.name, p.shape, MASTER, "state") }));
  const [E, W, bias] = params.map((p) => p.id) as [number, number, number];
  // Forward: embedding = one_hot(x) . Eq; logits (12 fraction bits) = a . Wq + bq.
  const oh = g.op("one_hot", { n: V }, [x], "oh");
  const Eq = g.op("requantize", { shift: 8, lo: -1024, hi: 1024 }, [E], "emb.q");
  const emb = g.op("matmul", { transA: false, transB: false }, [oh, Eq], "emb.out");
  const a = g.op("requantize", { shift: 4, lo: -127, hi: 127 }, [emb], "a");
  const Wq = g.op("requantize", { shift: 8, lo: -1024, hi: 1024 }, [W], "w.q");
  const bq = g.op("requantize", { shift: 4, lo: -(2 ** 14), hi: 2 ** 14 }, [bias], "b.q");
  const z = g.op("matmul", { transA: false, transB: false }, [a, Wq], "z");
  const zb = g.op("bias_add", {}, [z, bq], "logits");
  // Loss gradient (units 2^-12), then 8 fraction bits.
  const dz = g.op("softmax_ce_grad", { fracBits: 12, one: 4096 }, [zb, labels], "ce.grad");
  const d = g.op("requantize", { shift: 4, lo: -256, hi: 256 }, [dz], "d");
  // Backward.
  const gW = g.op("matmul", { transA: true, transB: false }, [a, d], "w.grad");
  const gb = g.op("col_sum", {}, [d], "b.grad");
  const ga = g.op("matmul", { transA: false, transB: true }, [d, Wq], "a.grad");
  const gaq = g.op("requantize", { shift: 8, lo: -1024, hi: 1024 }, [ga], "a.grad.q");
  const gE = g.op("matmul", { transA: true, transB: false }, [oh, gaq], "emb.grad");
  // Adam, each parameter: m' = adam_m(m, g); v' = adam_v(v, g); p' = adam_update(p, m', v').
  const stateIn: number[] = [E, W, bias], stateOut: number[] = [];
  const moments: number[] = [];
  const grads = [gE, gW, gb];
  const updated = params.map((p, i) => {
    const gr = grads[i]!, r = adamMomentRanges(g.range(gr), 0);
    const m = g.input(`${p.name}.m`, p.shape, r.m, "state");
    const v = g.input(`${p.name}.v`, p.shape, r.v, "state");
    moments.push(m, v);
    const m2 = g.op("adam_m", { b1Num: 1, b1Shift: 3, lo: r.m[0], hi: r.m[1] }, [m, gr], `${p.name}.m'`);
    const v2 = g.op("adam_v", { b2Num: 1, b2Shift: 5, gShift: 0, lo: r.v[0], hi: r.v[1] }, [v, gr], `${p.name}.v'`);
    // lr = 0.02 in master units (2^16 = 1.0) per unit of m / sqrt(v).
    const p2 = g.op("adam_update", { lrNum: 1311, lrShift: 0, eps: 1, lo: MASTER[0], hi: MASTER[1] }, [p.id, m2, v2], `${p.name}'`);
    return { p2, m2, v2 };
  });
  stateIn.push(...moments);
  stateOut.push(...updated.map((u) => u.p2), ...updated.flatMap((u) => [u.m2, u.v2]));
  return { g, x, labels, zb, stateIn, stateOut };
}

/** The toy language: token t is followed by (3t + 1) mod V three times in four, else by a random token. */
function batch(rand: () => number): { x: Tensor; labels: Tensor } {
  const x = new Float64Array(B), y = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    x[i] = Math.floor(rand() * V);
    y[i] = rand() < 0.75 ? (3 * x[i]! + 1) % V : Math.floor(rand() * V);
  }
  return { x: { shape: [B], data: x }, labels: { shape: [B], data: y } };
}

describe("a tiny embedding + dense + softmax-CE model trained with Adam (ops 15-19)", () => {
  it("trains identically on the TypeScript reference and the ONNX lowering, and its loss falls", async () => {
    const { g, x, labels, zb, stateIn, stateOut } = buildModel();
    expect(new Set(g.ops.map((o) => o.kind))).to.include.members(["one_hot", "softmax_ce_grad", "adam_m", "adam_v", "adam_update"]);
    const opIds = g.ops.map((o) => o.output);
    const lowered = lowerGraph(g, opIds);
    const session = await openSession(lowered);
    const shapes = g.tensors.map((t) => t.shape);
    const init = rng(42);
    let state: Tensor[] = stateIn.map((id) => {
      const t = g.tensors[id]!, n = t.shape.reduce((p, q) => p * q, 1);
      const weight = t.name === "emb" || t.name === "w";
      return { shape: t.shape, data: Float64Array.from({ length: n }, () => (weight ? Math.floor((init() * 2 - 1) * 2 ** 15) : 0)) };
    });
    const data = rng(7);
    const losses: number[] = [];
    try {
      for (let step = 0; step < 150; step++) {
        const bt = batch(data);
        const inputs = new Map<number, Tensor>([[x, bt.x], [labels, bt.labels]]);
        stateIn.forEach((id, i) => inputs.set(id, state[i]!));
        // Reference: every op in order.
        const values: Tensor[] = [];
        for (const [id, t] of inputs) values[id] = t;
        for (const op of g.ops) values[op.output] = opDef(op.kind).reference(op.inputs.map((i) => values[i]!), op.attrs);
        const onnx = await runLowered(session, lowered, shapes, inputs);
        for (const op of g.ops) {
          const want = values[op.output]!, got = onnx.get(op.output)!;
          const t = g.tensors[op.output]!;
          for (let i = 0; i < want.data.length; i++) {
            if (got.data[i] !== want.data[i]) expect.fail(`step ${step}, ${t.name} (${op.kind}) element ${i}: onnx ${got.data[i]} != reference ${want.data[i]}`);
            if (want.data[i]! < t.range[0] || want.data[i]! > t.range[1]) expect.fail(`step ${step}, ${t.name}: ${want.data[i]} escapes [${t.range}]`);
          }
        }
        losses.push(ceLossNats(values[zb]!, bt.labels, 12));
        state = stateOut.map((id) => values[id]!);
      }
    } finally {
      await session.release();
    }
    const mean = (a: number[]) => a.reduce((p, q) => p + q, 0) / a.length;
    const first = mean(losses.slice(0, 10)), last = mean(losses.slice(-20));
    // The best possible loss of this language: -(0.78 ln 0.78 + 7 * 0.03125 ln 0.03125) = 0.95 nats.
    const best = -(0.78125 * Math.log(0.78125) + 7 * 0.03125 * Math.log(0.03125));
    console.log(`toy LM: loss ${first.toFixed(3)} -> ${last.toFixed(3)} nats (uniform ${Math.log(V).toFixed(3)}, best ${best.toFixed(3)})`);
    expect(first).to.be.above(1.7);
    expect(last).to.be.below(best + 0.25);
  });
});
