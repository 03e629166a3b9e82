import { describe, it } from "node:test";
import { expect } from "chai";
import { SpecError, ShapeError } from "../errors.ts";
import { EXP_INDEX_FRAC_BITS, EXP_ONE_BITS } from "../expTable.ts";
import { adamM } from "./adamM.ts";
import { adamMomentRanges } from "./adamState.ts";
import { adamUpdate } from "./adamUpdate.ts";
import { adamV } from "./adamV.ts";
import { ceLossNats } from "./ceLoss.ts";
import { oneHot } from "./oneHot.ts";
import { softmaxCeGrad } from "./softmaxCeGrad.ts";
import { OP_CODES } from "./op.ts";
import type { Tensor } from "../tensor.ts";
import { rng } from "../../test/helpers/seededRng.ts";

/**
 * Typing (shapes, ranges, the rejections each op defines) and semantics of ops 15-19 beyond bit-equality
 * with ONNX (engine/onnx/differentialLm.test.ts): the integer softmax stays within its documented error of
 * the real softmax, and Adam's ops do what Adam does.
 */
const T = (shape: number[], v: number[]): Tensor => ({ shape, data: Float64Array.from(v) });

/**
 * The documented bound (docs/engine.md): |q/one - p| <= p rho + h' + 1/(2 one), with eps = 2^-(T+1) nat when
 * fracBits > T (else 0), h = 2^-(P+1), rho = e^eps / (e^-eps - (n-1) h) - 1 and h' = h / (e^-eps - (n-1) h).
 */
export function softmaxErrorBound(p: number, n: number, fracBits: number, one: number): number {
  const eps = fracBits > EXP_INDEX_FRAC_BITS ? 2 ** -(EXP_INDEX_FRAC_BITS + 1) : 0;
  const h = 2 ** -(EXP_ONE_BITS + 1);
  const den = Math.exp(-eps) - (n - 1) * h;
  return p * (Math.exp(eps) / den - 1) + h / den + 1 / (2 * one);
}

describe("ops 15-19: codes, typing and semantics", () => {
  it("have the protocol codes of the design", () => {
    expect([OP_CODES.one_hot, OP_CODES.softmax_ce_grad, OP_CODES.adam_m, OP_CODES.adam_v, OP_CODES.adam_update]).to.deep.equal([15, 16, 17, 18, 19]);
  });

  it("one_hot: [m] and [B,T] indices, 0/1 output; rejects index ranges that can leave [0, n-1]", () => {
    expect(oneHot.type([[4, 3]], [[0, 9]], { n: 10 })).to.deep.equal({ shape: [12, 10], range: [0, 1], exactBound: 9 });
    expect(() => oneHot.type([[5]], [[0, 10]], { n: 10 })).to.throw(SpecError, /\[0,10\] does not fit 10 classes/);
    expect(() => oneHot.type([[5]], [[-1, 3]], { n: 10 })).to.throw(SpecError, /one_hot.indices/);
    expect(() => oneHot.type([[5]], [[0, 3]], { n: 0 })).to.throw(SpecError, /one_hot.n/);
    expect(() => oneHot.type([[2, 2, 2]], [[0, 3]], { n: 4 })).to.throw(ShapeError);
    // The defined behaviour outside the range (never reached in a checked graph): a row of zeros.
    expect([...oneHot.reference([T([3], [1, 7, -1])], { n: 3 }).data]).to.deep.equal([0, 1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("softmax_ce_grad: shapes, labels, attributes are checked; the output range is [-one, one]", () => {
    const ty = softmaxCeGrad.type([[8, 29], [8]], [[-(2 ** 20), 2 ** 20], [0, 28]], { fracBits: 12, one: 4096 });
    expect(ty.shape).to.deep.equal([8, 29]);
    expect(ty.range).to.deep.equal([-4096, 4096]);
    expect(ty.exactBound).to.equal(2 * 2 ** 16 * 4096 + 3 * 29 * 2 ** 16);
    expect(() => softmaxCeGrad.type([[8, 29], [8]], [[0, 10], [0, 29]], { fracBits: 12, one: 4096 })).to.throw(SpecError, /labels/);
    expect(() => softmaxCeGrad.type([[8, 29], [7]], [[0, 10], [0, 28]], { fracBits: 12, one: 4096 })).to.throw(ShapeError);
    expect(() => softmaxCeGrad.type([[8, 29], [8]], [[0, 10], [0, 28]], { fracBits: 53, one: 4096 })).to.throw(SpecError, /fracBits/);
    expect(() => softmaxCeGrad.type([[8, 29], [8]], [[0, 10], [0, 28]], { fracBits: 12, one: 0 })).to.throw(SpecError, /one/);
  });

  it("softmax_ce_grad is within its documented error of the real softmax gradient (random and adversarial rows)", () => {
    const rand = rng(7);
    let worst = 0;
    for (const [n, fracBits, one, spread] of [[2, 12, 4096, 8], [10, 12, 4096, 4], [30, 12, 4096, 12], [100, 12, 65536, 6], [30, 8, 4096, 10], [10, 4, 256, 3], [30, 12, 2 ** 20, 2]] as const) {
      const m = 200;
      const z = new Float64Array(m * n), labels = new Float64Array(m);
      for (let i = 0; i < m * n; i++) {
        // Real logits within +-spread nats, sometimes tied, sometimes a table half-step off a tie.
        const r = rand();
        z[i] = r < 0.1 ? 0 : r < 0.2 && fracBits > EXP_INDEX_FRAC_BITS ? 2 ** (fracBits - EXP_INDEX_FRAC_BITS - 1) : Math.round((rand() * 2 - 1) * spread * 2 ** fracBits);
      }
      for (let i = 0; i < m; i++) labels[i] = Math.floor(rand() * n);
      const out = softmaxCeGrad.reference([T([m, n], [...z]), T([m], [...labels])], { fracBits, one });
      for (let i = 0; i < m; i++) {
        let max = -Infinity;
        for (let j = 0; j < n; j++) max = Math.max(max, z[i * n + j]!);
        let sum = 0;
        for (let j = 0; j < n; j++) sum += Math.exp((z[i * n + j]! - max) / 2 ** fracBits);
        for (let j = 0; j < n; j++) {
          const p = Math.exp((z[i * n + j]! - max) / 2 ** fracBits) / sum;
          const y = j === labels[i] ? 1 : 0;
          const err = Math.abs(out.data[i * n + j]! / one - (p - y));
          const bound = softmaxErrorBound(p, n, fracBits, one);
          if (err > bound) expect.fail(`n ${n} fracBits ${fracBits} one ${one}: row ${i} col ${j}: error ${err} > bound ${bound} (p ${p})`);
          worst = Math.max(worst, err / bound);
        }
      }
    }
    // The bound is not vacuous: some element comes within a factor 2 of it.
    expect(worst).to.be.above(0.5);
  });

  it("ceLossNats: ln(n) for equal logits, near 0 for a confident right answer, rejects bad labels", () => {
    expect(ceLossNats(T([2, 4], [0, 0, 0, 0, 7, 7, 7, 7]), T([2], [1, 3]), 12)).to.be.closeTo(Math.log(4), 1e-12);
    expect(ceLossNats(T([1, 3], [40 * 4096, 0, 0]), T([1], [0]), 12)).to.be.below(1e-15);
    expect(() => ceLossNats(T([1, 3], [0, 0, 0]), T([1], [3]), 12)).to.throw(ShapeError);
  });

  it("adam_m / adam_v reject rates above 1, a negative second moment and bad clamps", () => {
    expect(() => adamM.type([[3], [3]], [[0, 1], [0, 1]], { b1Num: 9, b1Shift: 3, lo: -1, hi: 1 })).to.throw(SpecError, /0 <= num <= 2\^shift/);
    expect(() => adamM.type([[3], [4]], [[0, 1], [0, 1]], { b1Num: 1, b1Shift: 3, lo: -1, hi: 1 })).to.throw(ShapeError);
    expect(() => adamM.type([[3], [3]], [[0, 1], [0, 1]], { b1Num: 1, b1Shift: 3, lo: 2, hi: 1 })).to.throw(SpecError, /lo <= hi/);
    expect(() => adamV.type([[3], [3]], [[-1, 5], [0, 1]], { b2Num: 1, b2Shift: 6, gShift: 0, lo: 0, hi: 9 })).to.throw(SpecError, /non-negative/);
    expect(() => adamV.type([[3], [3]], [[0, 5], [0, 1]], { b2Num: 1, b2Shift: 6, gShift: 0, lo: -1, hi: 9 })).to.throw(SpecError, /non-negative/);
    expect(() => adamV.type([[3], [3]], [[0, 5], [0, 1]], { b2Num: 1, b2Shift: 6, gShift: -27, lo: 0, hi: 9 })).to.throw(SpecError, /gShift/);
    expect(() => adamUpdate.type([[3], [3], [3]], [[0, 5], [0, 1], [0, 4]], { lrNum: 1, lrShift: 0, eps: 0, lo: -9, hi: 9 })).to.throw(SpecError, /eps/);
    expect(() => adamUpdate.type([[3], [3], [3]], [[0, 5], [0, 1], [-1, 4]], { lrNum: 1, lrShift: 0, eps: 1, lo: -9, hi: 9 })).to.throw(SpecError, /non-negative/);
  });

  it("adam ranges hold on random inputs, and the moments converge to g and g^2 for a constant gradient", () => {
    const rand = rng(11);
    const a = { b1Num: 13, b1Shift: 7, lo: -5000, hi: 5000 };
    const av = { b2Num: 1, b2Shift: 6, gShift: -2, lo: 0, hi: 2 ** 30 };
    const tm = adamM.type([[1000], [1000]], [[-5000, 5000], [-3000, 3000]], a);
    const tv = adamV.type([[1000], [1000]], [[0, 2 ** 30], [-3000, 3000]], av);
    const m = T([1000], Array.from({ length: 1000 }, () => Math.floor(rand() * 10001) - 5000));
    const g = T([1000], Array.from({ length: 1000 }, () => Math.floor(rand() * 6001) - 3000));
    const v = T([1000], Array.from({ length: 1000 }, () => Math.floor(rand() * 2 ** 30)));
    for (const x of adamM.reference([m, g], a).data) expect(x).to.be.within(tm.range[0], tm.range[1]);
    for (const x of adamV.reference([v, g], av).data) expect(x).to.be.within(tv.range[0], tv.range[1]);
    let mm = T([2], [0, 0]), vv = T([2], [0, 0]);
    const gc = T([2], [1000, -37]);
    for (let i = 0; i < 2000; i++) {
      mm = adamM.reference([mm, gc], a);
      vv = adamV.reference([vv, gc], av);
    }
    // Within the EMA's dead zone (|g - m| < 2^(shift-1) / num) of the target.
    expect(Math.abs(mm.data[0]! - 1000)).to.be.at.most(64 / 13);
    expect(Math.abs(mm.data[1]! + 37)).to.be.at.most(64 / 13);
    expect(Math.abs(vv.data[0]! - 1000 * 1000 * 4)).to.be.at.most(32);
    expect(Math.abs(vv.data[1]! - 37 * 37 * 4)).to.be.at.most(32);
    // The update moves against the gradient's sign by lr m / (isqrt(v) + eps), about lr/2 here (v = 4 g^2).
    const w = adamUpdate.reference([T([2], [0, 0]), mm, vv], { lrNum: 200, lrShift: 0, eps: 1, lo: -(2 ** 20), hi: 2 ** 20 });
    for (let i = 0; i < 2; i++) expect(w.data[i]).to.equal(-Math.round((200 * mm.data[i]!) / (Math.floor(Math.sqrt(vv.data[i]!)) + 1)));
    expect(w.data[0]).to.be.closeTo(-100, 1);
    // -37 sits 4 units (in the EMA's dead zone) above m = -33, and eps weighs more at this size: 89.
    expect(w.data[1]).to.be.closeTo(100, 12);
  });

  it("adamMomentRanges: the moments' ranges are closed under adam_m and adam_v (the clamps never bind)", () => {
    for (const [g, gShift] of [[[-3000, 1200], 0], [[-5, 7], -6], [[0, 2 ** 20], 8]] as const) {
      const r = adamMomentRanges(g, gShift);
      const tm = adamM.type([[4], [4]], [r.m, g], { b1Num: 13, b1Shift: 7, lo: r.m[0], hi: r.m[1] });
      const tv = adamV.type([[4], [4]], [r.v, g], { b2Num: 1, b2Shift: 10, gShift, lo: r.v[0], hi: r.v[1] });
      expect(tm.range[0]).to.be.at.least(r.m[0]);
      expect(tm.range[1]).to.be.at.most(r.m[1]);
      expect(tv.range).to.deep.equal(r.v);
      // Unclamped, the ops would stay inside too.
      expect(adamM.type([[4], [4]], [r.m, g], { b1Num: 13, b1Shift: 7, lo: -(2 ** 40), hi: 2 ** 40 }).range).to.deep.equal(tm.range);
      expect(adamV.type([[4], [4]], [r.v, g], { b2Num: 1, b2Shift: 10, gShift, lo: 0, hi: 2 ** 50 }).range).to.deep.equal(tv.range);
    }
  });
});
