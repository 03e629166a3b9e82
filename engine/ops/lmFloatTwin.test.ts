import { describe, it } from "node:test";
import { expect } from "chai";
import type { Range } from "../int.ts";
import type { Tensor } from "../tensor.ts";
import { adamMomentRanges } from "./adamState.ts";
import { ceLossNats } from "./ceLoss.ts";
import { opDef, type OpAttrs, type OpKind } from "./index.ts";
import { rng } from "../../test/helpers/seededRng.ts";

/**
 * The integer softmax cross-entropy and integer Adam learn what their float definitions learn: an embedding
 * + dense model of a random bigram language (V = 16) trained with ops 15-19 (TypeScript reference) and a
 * float64 twin of the same shape, the same initial weights, the same batches and the same Adam (rates 1/8 and
 * 1/32, no bias correction) reach held-out losses within 1% of each other, both close to the language's
 * entropy. Bit-equality with ONNX is engine/onnx/lmTrain.test.ts's job.
 */
const T = (shape: number[], d: ArrayLike<number>): Tensor => ({ shape, data: Float64Array.from(d) });
const run = <K extends OpKind>(k: K, a: OpAttrs[K], ins: Tensor[]) => opDef(k).reference(ins, a);

const V = 16, D = 12, B = 64, STEPS = 800, LR = 0.01;

/** A random bigram language: each token's successor distribution is a softmax of random scores (peaked). */
function language(rand: () => number) {
  const P = Array.from({ length: V }, () => {
    const s = Array.from({ length: V }, () => Math.exp(6 * rand()));
    const t = s.reduce((a, b) => a + b, 0);
    return s.map((v) => v / t);
  });
  const draw = (x: number) => {
    let r = rand(), k = 0;
    while (k < V - 1 && (r -= P[x]![k]!) >= 0) k++;
    return k;
  };
  const entropy = P.reduce((a, row) => a - row.reduce((s, p) => s + p * Math.log(p), 0), 0) / V;
  return { draw, entropy };
}

describe("integer softmax-CE + Adam vs a float64 twin", () => {
  it("reach the same held-out loss on a random bigram language", () => {
    const rand = rng(3);
    const lang = language(rand);
    const pairs = (n: number) => {
      const x = Array.from({ length: n }, () => Math.floor(rand() * V));
      return { x, y: x.map(lang.draw) };
    };
    const train = pairs(20_000), held = pairs(4_000);
    const E0 = Array.from({ length: V * D }, () => (rand() * 2 - 1) * 0.5), W0 = Array.from({ length: D * V }, () => (rand() * 2 - 1) * 0.5);

    // Integer model: 16 fraction bits master, 8 forward weights, 4 activations, 12 logits, 8 gradients.
    const q = (v: number[]) => v.map((x) => Math.round(x * 65536));
    const P: Record<string, Tensor> = { E: T([V, D], q(E0)), W: T([D, V], q(W0)), b: T([V], new Array(V).fill(0)) };
    const gRange: Record<string, Range> = { E: [-B * 1024, B * 1024], W: [-B * 127 * 256, B * 127 * 256], b: [-B * 256, B * 256] };
    const moments: Record<string, [Tensor, Tensor]> = {};
    const forward = (x: Tensor) => {
      const oh = run("one_hot", { n: V }, [x]);
      const Eq = run("requantize", { shift: 8, lo: -1024, hi: 1024 }, [P.E!]);
      const a = run("requantize", { shift: 4, lo: -127, hi: 127 }, [run("matmul", { transA: false, transB: false }, [oh, Eq])]);
      const Wq = run("requantize", { shift: 8, lo: -1024, hi: 1024 }, [P.W!]);
      const bq = run("requantize", { shift: 4, lo: -(2 ** 14), hi: 2 ** 14 }, [P.b!]);
      return { oh, a, Wq, z: run("bias_add", {}, [run("matmul", { transA: false, transB: false }, [a, Wq]), bq]) };
    };
    const adam = (name: string, g: Tensor) => {
      const r = adamMomentRanges(gRange[name]!, 0), p = P[name]!;
      const zero = () => T([...p.shape], new Array(p.data.length).fill(0));
      const [m0, v0] = moments[name] ?? [zero(), zero()];
      const m = run("adam_m", { b1Num: 1, b1Shift: 3, lo: r.m[0], hi: r.m[1] }, [m0, g]);
      const v = run("adam_v", { b2Num: 1, b2Shift: 5, gShift: 0, lo: r.v[0], hi: r.v[1] }, [v0, g]);
      moments[name] = [m, v];
      P[name] = run("adam_update", { lrNum: Math.round(LR * 65536), lrShift: 0, eps: 1, lo: -(2 ** 18), hi: 2 ** 18 }, [p, m, v]);
    };

    // Float twin.
    const Ef = Float64Array.from(E0), Wf = Float64Array.from(W0), bf = new Float64Array(V);
    const fm = new Map<Float64Array, [Float64Array, Float64Array]>();
    const adamF = (p: Float64Array, g: Float64Array) => {
      if (!fm.has(p)) fm.set(p, [new Float64Array(p.length), new Float64Array(p.length)]);
      const [m, v] = fm.get(p)!;
      for (let i = 0; i < p.length; i++) {
        m[i]! += (g[i]! - m[i]!) / 8;
        v[i]! += (g[i]! * g[i]! - v[i]!) / 32;
        p[i]! -= (LR * m[i]!) / (Math.sqrt(v[i]!) + 1e-8);
      }
    };
    const probsF = (xs: readonly number[]) => xs.map((x) => {
      const z = Array.from({ length: V }, (_, k) => {
        let s = bf[k]!;
        for (let j = 0; j < D; j++) s += Ef[x * D + j]! * Wf[j * V + k]!;
        return s;
      });
      const mx = Math.max(...z), e = z.map((v) => Math.exp(v - mx)), t = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / t);
    });
    const lossF = (xs: readonly number[], ys: readonly number[]) => probsF(xs).reduce((a, p, i) => a - Math.log(p[ys[i]!]!), 0) / xs.length;

    const batches = rng(9);
    for (let step = 0; step < STEPS; step++) {
      const idx = Array.from({ length: B }, () => Math.floor(batches() * train.x.length));
      const xs = idx.map((i) => train.x[i]!), ys = idx.map((i) => train.y[i]!);
      const f = forward(T([B], xs));
      const d = run("requantize", { shift: 4, lo: -256, hi: 256 }, [run("softmax_ce_grad", { fracBits: 12, one: 4096 }, [f.z, T([B], ys)])]);
      const gaq = run("requantize", { shift: 8, lo: -1024, hi: 1024 }, [run("matmul", { transA: false, transB: true }, [d, f.Wq])]);
      const gE = run("matmul", { transA: true, transB: false }, [f.oh, gaq]);
      adam("W", run("matmul", { transA: true, transB: false }, [f.a, d]));
      adam("b", run("col_sum", {}, [d]));
      adam("E", gE);

      const p = probsF(xs), gW = new Float64Array(D * V), gb = new Float64Array(V), gEf = new Float64Array(V * D);
      for (let i = 0; i < B; i++) {
        for (let k = 0; k < V; k++) {
          const g = p[i]![k]! - (k === ys[i] ? 1 : 0);
          gb[k]! += g;
          for (let j = 0; j < D; j++) {
            gW[j * V + k]! += Ef[xs[i]! * D + j]! * g;
            gEf[xs[i]! * D + j]! += Wf[j * V + k]! * g;
          }
        }
      }
      adamF(Wf, gW);
      adamF(bf, gb);
      adamF(Ef, gEf);
    }
    const intLoss = ceLossNats(forward(T([held.x.length], held.x)).z, T([held.y.length], held.y), 12);
    const floatLoss = lossF(held.x, held.y);
    console.log(`bigram V=${V}: held-out loss integer ${intLoss.toFixed(4)}, float64 ${floatLoss.toFixed(4)} nats (entropy ${lang.entropy.toFixed(4)}, uniform ${Math.log(V).toFixed(4)})`);
    expect(Math.abs(intLoss - floatLoss) / floatLoss).to.be.below(0.01);
    expect(floatLoss).to.be.below(lang.entropy + 0.1);
  });
});
