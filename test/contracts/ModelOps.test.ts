// The settlement of the model ops 10..19 (contracts/kernel/ModelOps.sol, created and called by the kernel
// verifiers): the on-chain operand rule and recomputation against the TS rule (settlement/modelOpRule.ts) and
// the shared vectors (test/vectors/ops.v2.models.json, ops.v2.lm.json), the on-chain exp table against
// engine/expTable.ts, range edges (isqrt, division and rounding ties, max ties, padding taps), real steps of a
// tiny CNN and a tiny character LM settled element by element through trueValue, and tampered operands.
import { describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { network } from "hardhat";
import type { Hex } from "viem";
import { toHex } from "../../commitment/hash.ts";
import { EXP_TABLE } from "../../engine/expTable.ts";
import { OP_CODES, opDef, opKindOf } from "../../engine/ops/index.ts";
import { initialState, type TrainingState } from "../../engine/state.ts";
import type { Tensor } from "../../engine/tensor.ts";
import type { SettlementContext } from "../../settlement/abi.ts";
import { col2imGeometry, col2imTerms, modelElementFact } from "../../settlement/modelOpRule.ts";
import { SettlementError } from "../../settlement/errors.ts";
import { accumulationTerms, buildSettlementOperands, elementPartials, encodeSettlementOperands, partialSums, settlementContext, sliceValue } from "../../settlement/operands.ts";
import { maxpoolGradPartials, poolUnpair } from "../../settlement/poolTerms.ts";
import { packSoftmaxIndices, softmaxPair, softmaxTableWord, softmaxUnpair } from "../../settlement/softmaxTerms.ts";
import { operandIndices, termCount, type TermSlice } from "../../settlement/operandRule.ts";
import { type SettlementSource, settlementStep } from "../../settlement/step.ts";
import { type ModelJob, tinyCharlmJob, tinyCnnJob } from "../helpers/modelWorlds.ts";
import { rng } from "../helpers/seededRng.ts";
import { expectRevert } from "./helpers/viem.ts";

interface OpCase {
  kind: string; code: number; encodedAttrs: number[]; note?: string;
  inputs: { shape: number[]; values: number[] }[];
  output: { shape: number[]; values: number[] };
}
const load = (f: string): unknown => JSON.parse(readFileSync(fileURLToPath(new URL(`../vectors/${f}`, import.meta.url)), "utf8"));
const CASES: OpCase[] = [...(load("ops.v2.models.json") as { ops: { cases: OpCase[] } }).ops.cases, ...(load("ops.v2.lm.json") as { cases: OpCase[] }).cases];

const asInt = (h: Hex): bigint => BigInt.asIntN(256, BigInt(h));
/** A seeded integer draw in [0, n). */
const seeded = (seed: number) => { const u = rng(seed); return { int: (n: number) => Math.floor(u() * n) }; };
const big = (xs: readonly number[]) => xs.map(BigInt);

describe("ModelOps: settlement of the model ops 10..19", async () => {
  const { viem } = await network.create();
  const k = await viem.deployContract("KernelHarness");
  const verifier = await viem.deployContract("RecomputeKernelVerifier");
  const modelOps = await viem.getContractAt("ModelOps", (await verifier.read.modelOps()) as Hex);
  const table = await viem.deployContract("ExpTableHarness");

  const termLevel = (code: number) => (code >= 12 && code <= 14) || code === 16;
  /**
   * K of a term-level model op (col2im, the pools from their attributes, softmax_ce_grad from its output
   * [m, n]); 0 for the others; 1 where the TS rule refuses the attributes (the contract must revert on them).
   */
  const kOf = (code: number, attrs: readonly number[], out: readonly number[]) => {
    if (!termLevel(code)) return 0;
    try {
      return termCount(code, attrs, [out]);
    } catch {
      return 1;
    }
  };
  /** The on-chain rule; the term-level ops over the whole term range [0, K) unless a slice is given. */
  const onChainIndices = async (code: number, attrs: readonly number[], out: readonly number[], ins: readonly (readonly number[])[], e: number, slice?: TermSlice) => {
    const K = kOf(code, attrs, out);
    const s = slice ?? { lo: 0, hi: K, count: K };
    return ((await k.read.operandIndices([code, big(attrs), out, ins, BigInt(e), BigInt(s.lo), BigInt(s.hi), BigInt(s.count)])) as readonly (readonly bigint[])[]).map((r) => r.map(Number));
  };
  /** The recomputing kernel; a fold's (pools, softmax_ce_grad) whole range [0, K) from 0 unless a slice and accIn are given. */
  const kernel = (code: number, attrs: readonly number[], values: readonly (readonly (number | bigint)[])[], e: number, out: readonly number[], slice?: TermSlice, accIn = 0n) => {
    const vs = values.map((v) => v.map(BigInt));
    if ((!termLevel(code) || code === 12) && !slice) return k.read.kernel([code, big(attrs), vs, BigInt(e), out, "0x"]) as Promise<bigint>;
    const K = kOf(code, attrs, out);
    const s = slice ?? { lo: 0, hi: K, count: K };
    return k.read.kernelTerms([code, big(attrs), vs, BigInt(e), out, [BigInt(s.lo), BigInt(s.hi), BigInt(s.count)], accIn, "0x"]) as Promise<bigint>;
  };

  it("the verifiers settle up to code 19 and created their own ModelOps", async () => {
    expect(await verifier.read.MAX_OP_CODE()).to.equal(19);
    for (const code of [10, 11, 12, 13, 15]) expect(await modelOps.read.arity([code])).to.equal(1n);
    for (const code of [14, 16, 17, 18]) expect(await modelOps.read.arity([code])).to.equal(2n);
    expect(await modelOps.read.arity([19])).to.equal(3n);
    await expectRevert(modelOps.read.arity([20]), "UnsupportedCode");
    await expectRevert(modelOps.read.arity([9]), "UnsupportedCode");
  });

  it("the on-chain exp table is engine/expTable.ts, entry for entry, and clamps past its end", async () => {
    const got: number[] = [];
    for (let from = 0; from < EXP_TABLE.length; from += 512) {
      const n = Math.min(512, EXP_TABLE.length - from);
      got.push(...((await table.read.entries([BigInt(from), BigInt(n)])) as bigint[]).map(Number));
    }
    expect(got).to.deep.equal([...EXP_TABLE]);
    expect(((await table.read.entries([BigInt(EXP_TABLE.length - 1), 3n])) as bigint[]).map(Number)).to.deep.equal([0, 0, 0]);
  });

  it("expTableWord (the Groth16 softmax circuit's table input): every index with its entry, packed as settlement/softmaxTerms.ts packs it; past the table reverts", async () => {
    for (let from = 0; from < EXP_TABLE.length; from += 8) {
      const idx = Array.from({ length: 8 }, (_, s) => Math.min(from + s, EXP_TABLE.length - 1));
      expect(await modelOps.read.expTableWord([packSoftmaxIndices(idx)]), `indices from ${from}`).to.equal(softmaxTableWord(idx));
    }
    const word = (await modelOps.read.expTableWord([packSoftmaxIndices([0, 1, 255, 3017, 0, 7, 0, 1000])])) as bigint;
    for (const [s, i] of [0, 1, 255, 3017, 0, 7, 0, 1000].entries()) {
      expect(Number((word >> BigInt(29 * s)) & 0xfffn)).to.equal(i);
      expect(Number((word >> BigInt(29 * s + 12)) & 0x1ffffn)).to.equal(EXP_TABLE[i]);
    }
    expect(word >> 232n).to.equal(0n);
    for (const bad of [packSoftmaxIndices([0, 0, 0, 0, 0, 0, 0, 3018]), packSoftmaxIndices([4095]), 1n << 96n]) {
      await expectRevert(modelOps.read.expTableWord([bad]), "ExpIndexOutOfRange");
    }
  });

  it("every output element of every v2 vector case: indices as in TypeScript, values as the reference", async () => {
    let n = 0;
    const kinds = new Set<string>();
    for (const c of CASES) {
      const inShapes = c.inputs.map((i) => i.shape);
      for (let e = 0; e < c.output.values.length; e++) {
        const idx = operandIndices(c.code, c.encodedAttrs, c.output.shape, inShapes, e);
        expect(await onChainIndices(c.code, c.encodedAttrs, c.output.shape, inShapes, e), `${c.kind} ${c.note ?? ""} e=${e} indices`).to.deep.equal(idx);
        const values = idx.map((ix, i) => ix.map((j) => c.inputs[i]!.values[j]!));
        expect(await kernel(c.code, c.encodedAttrs, values, e, c.output.shape), `${c.kind} ${c.note ?? ""} element ${e}`).to.equal(BigInt(c.output.values[e]!));
        expect(Number(await modelOps.read.elementFact([c.code, big(c.encodedAttrs), c.output.shape, BigInt(e)])), `${c.kind} fact ${e}`)
          .to.equal(modelElementFact(c.code, c.encodedAttrs, c.output.shape, e));
        n++;
      }
      kinds.add(c.kind);
    }
    expect([...kinds].sort()).to.deep.equal(Object.keys(OP_CODES).filter((kd) => OP_CODES[kd as keyof typeof OP_CODES] >= 10).sort());
    expect(n).to.be.greaterThan(250);
  });

  it("range edges against the TS reference: isqrt at squares +-1, division and rounding ties, clamps, max ties, padding", async () => {
    const rnd = seeded(11);
    const check = async (kind: keyof typeof OP_CODES, attrs: object, inputs: Tensor[], note: string) => {
      const def = opDef(kind);
      const out = def.reference(inputs, attrs);
      const enc = def.encodeAttrs(attrs);
      for (let e = 0; e < out.data.length; e++) {
        const idx = operandIndices(OP_CODES[kind], enc, out.shape, inputs.map((t) => t.shape), e);
        const v = await kernel(OP_CODES[kind], enc, idx.map((ix, i) => ix.map((j) => inputs[i]!.data[j]!)), e, out.shape);
        expect(v, `${kind} ${note} element ${e}`).to.equal(BigInt(out.data[e]!));
      }
    };
    const vec = (xs: number[]): Tensor => ({ shape: [xs.length], data: Float64Array.from(xs) });
    // adam_update: v at perfect squares and one either side, m giving exact .5 ties of m*lrNum/den.
    const vs: number[] = [], ms: number[] = [], ws: number[] = [];
    for (const r of [0, 1, 2, 3, 7, 100, 4095, 65535, 2 ** 20 + 1]) {
      for (const dv of [-1, 0, 1]) {
        const v = r * r + dv;
        if (v < 0) continue;
        const den = (Math.floor(Math.sqrt(v)) + 3) * 4;
        for (const m of [den / 2, -den / 2, den * 3 + 1, -(den * 3 + 1), 0, rnd.int(2 ** 30) - 2 ** 29]) { vs.push(v); ms.push(Math.round(m)); ws.push(rnd.int(2 ** 20) - 2 ** 19); }
      }
    }
    await check("adam_update", { lrNum: 1, lrShift: 2, eps: 3, lo: -(2 ** 19), hi: 2 ** 19 }, [vec(ws), vec(ms), vec(vs)], "squares, ties");
    await check("adam_update", { lrNum: 131, lrShift: 0, eps: 1, lo: -1000, hi: 1000 }, [vec(ws), vec(ms), vec(vs)], "clamped");
    const gs = Array.from({ length: 40 }, (_, i) => (i % 2 ? -1 : 1) * (i * 977 + (i % 3)));
    const m0 = Array.from({ length: 40 }, (_, i) => (i - 20) * 331);
    await check("adam_m", { b1Num: 13, b1Shift: 7, lo: -5000, hi: 5000 }, [vec(m0), vec(gs)], "ema, clamp");
    await check("adam_v", { b2Num: 1, b2Shift: 10, gShift: -4, lo: 0, hi: 2 ** 40 }, [vec(m0.map(Math.abs)), vec(gs)], "left-shifted square");
    await check("adam_v", { b2Num: 3, b2Shift: 4, gShift: 6, lo: 0, hi: 2 ** 14 }, [vec(m0.map(Math.abs)), vec(gs)], "right-shifted square, clamp");
    // maxpool / maxpool_grad with ties inside every window, and negative values.
    const H = 4, W = 4, C = 2, B = 2;
    const x: Tensor = { shape: [B * H * W, C], data: Float64Array.from({ length: B * H * W * C }, (_, i) => (i % 5 === 0 ? 7 : -(i % 3))) };
    const g: Tensor = { shape: [B * 4, C], data: Float64Array.from({ length: B * 4 * C }, (_, i) => i * 3 - 11) };
    await check("maxpool", { H, W, C, size: 2 }, [x], "ties");
    await check("maxpool_grad", { H, W, C, size: 2 }, [g, x], "ties: the first max");
    // im2col / col2im with stride 2 and padding (taps in the padding), and k not a multiple of the stride.
    const img: Tensor = { shape: [2 * 5 * 5, 2], data: Float64Array.from({ length: 100 }, (_, i) => i - 50) };
    const geo = { H: 5, W: 5, C: 2, k: 3, stride: 2, pad: 1 };
    await check("im2col", geo, [img], "stride 2, pad 1");
    const cols = opDef("im2col").reference([img], geo);
    await check("col2im", geo, [{ shape: cols.shape, data: cols.data.map((v, i) => v * 3 + (i % 7)) }], "stride 2, pad 1");
    // softmax_ce_grad: distances past the table's end, equal logits (exact division), fracBits below and above 8.
    for (const fracBits of [4, 8, 12]) {
      const z: Tensor = { shape: [3, 5], data: Float64Array.from([0, 0, 0, 0, 0, 2 ** 20, 0, -(2 ** 20), 5, 5, 1, 2, 3, 4, 5]) };
      await check("softmax_ce_grad", { fracBits, one: 4096 }, [z, vec([0, 1, 4])], `fracBits ${fracBits}`);
    }
    // one_hot with indices at both ends.
    await check("one_hot", { n: 5 }, [{ shape: [2, 2], data: Float64Array.from([0, 4, 2, 4]) }], "ends");
  });

  it("col2im's K = ceil(k/stride)^2 terms: the enumeration on chain is the TS one, and every slice of every element sums to its partial sums", async () => {
    for (const geo of [[5, 5, 2, 3, 2, 1], [6, 6, 1, 5, 1, 2], [7, 4, 3, 2, 3, 0], [4, 4, 2, 4, 2, 3]]) {
      const g = col2imGeometry(geo);
      const img: Tensor = { shape: [2 * g.H * g.W, g.C], data: Float64Array.from({ length: 2 * g.H * g.W * g.C }, (_, i) => (i * 37) % 101 - 50) };
      const attrs = { H: g.H, W: g.W, C: g.C, k: g.k, stride: g.stride, pad: g.pad };
      const cols = opDef("im2col").reference([img], attrs);
      const out = opDef("col2im").reference([cols], attrs);
      const K = termCount(12, geo, [cols.shape]);
      expect(K).to.equal(Math.ceil(g.k / g.stride) ** 2);
      for (let e = 0; e < out.data.length; e += 3) {
        const terms = col2imTerms(g, e);
        for (let t = 0; t < K; t++) {
          const [exists, index] = (await modelOps.read.col2imTerm([big(geo), BigInt(e), BigInt(t)])) as [boolean, bigint];
          expect([exists, exists ? Number(index) : -1], `geometry [${geo}] element ${e} term ${t}`).to.deep.equal([terms[t]! >= 0, terms[t]!]);
        }
        const P = partialSums(accumulationTerms(12, geo, out.shape, [{ shape: cols.shape, data: Float64Array.from(cols.data) }], e));
        expect(P[K], `element ${e}: the terms sum to col2im's value`).to.equal(BigInt(out.data[e]!));
        const lo = e % K, hi = Math.min(K, lo + 1 + (e % 8));
        const idx = await onChainIndices(12, geo, out.shape, [cols.shape], e, { lo, hi, count: K });
        expect(idx, `slice [${lo}, ${hi})`).to.deep.equal(operandIndices(12, geo, out.shape, [cols.shape], e, { lo, hi, count: K }));
        const v = await kernel(12, geo, idx.map((ix) => ix.map((j) => cols.data[j]!)), e, out.shape);
        expect(v, `slice [${lo}, ${hi}) of element ${e}`).to.equal(P[hi]! - P[lo]!);
      }
    }
    const g = [5, 5, 2, 3, 2, 1];
    await expectRevert(onChainIndices(12, g, [50, 2], [[18, 18]], 0, { lo: 0, hi: 4, count: 5 }), "TermCountMismatch");
    await expectRevert(onChainIndices(12, g, [50, 2], [[18, 18]], 0, { lo: 2, hi: 2, count: 4 }), "TermSliceOutOfRange");
    await expectRevert(onChainIndices(12, g, [50, 2], [[18, 18]], 0, { lo: 0, hi: 5, count: 4 }), "TermSliceOutOfRange");
  });

  it("softmax_ce_grad's fold of K = 2n + 1 terms: every slice of every vector element, on chain, takes P(lo) to the TS P(hi); P(K) is the reference; false partial values revert", async () => {
    let slices = 0;
    for (const c of CASES.filter((x) => x.code === 16)) {
      const inputs = c.inputs.map((i) => ({ shape: i.shape, data: Float64Array.from(i.values) }));
      const ins = c.inputs.map((i) => i.shape);
      const n = c.output.shape[1]!, K = termCount(16, c.encodedAttrs, ins);
      expect(K).to.equal(2 * n + 1);
      for (let e = 0; e < c.output.values.length; e++) {
        const P = elementPartials(16, c.encodedAttrs, c.output.shape, inputs, e);
        expect(P[K], `${c.note ?? ""} element ${e}: the fold ends on the op's value`).to.equal(BigInt(c.output.values[e]!));
        expect(softmaxUnpair(P[2 * n]!).M, "P(2n) holds the row max").to.equal(BigInt(Math.max(...c.inputs[0]!.values.slice(Math.floor(e / n) * n, Math.floor(e / n) * n + n))));
        // Every slice of at most 8 terms that a game can end on, at three starting points.
        for (const lo of new Set([0, Math.max(0, n - 2), Math.max(0, K - 8), e % K])) {
          const hi = Math.min(K, lo + 8), slice = { lo, hi, count: K };
          const idx = await onChainIndices(16, c.encodedAttrs, c.output.shape, ins, e, slice);
          expect(idx, `slice [${lo}, ${hi}) indices`).to.deep.equal(operandIndices(16, c.encodedAttrs, c.output.shape, ins, e, slice));
          const values = idx.map((ix, i) => ix.map((j) => c.inputs[i]!.values[j]!));
          expect(await kernel(16, c.encodedAttrs, values, e, c.output.shape, slice, P[lo]!), `${c.note ?? ""} element ${e} slice [${lo}, ${hi})`).to.equal(P[hi]!);
          expect(sliceValue(16, c.encodedAttrs, c.output.shape, inputs, e, slice, P[lo]!)).to.equal(P[hi]!);
          slices++;
        }
      }
    }
    expect(slices).to.be.greaterThan(50);
    // A row max below a logit of its row (sum phase), or a row sum of zero at the last term, is no honest
    // partial value: the contract reverts, and the TS mirror throws.
    const attrs = [12, 4096], out = [1, 3], K = 7;
    await expectRevert(kernel(16, attrs, [[5], []], 0, out, { lo: 3, hi: 4, count: K }, softmaxPair(4n, 0n)), "SoftmaxTermInvalid");
    await expectRevert(kernel(16, attrs, [[5], [0]], 0, out, { lo: 6, hi: 7, count: K }, softmaxPair(9n, 0n)), "SoftmaxTermInvalid");
    const tiny = [{ shape: [1, 3], data: Float64Array.from([5, 1, 2]) }, { shape: [1], data: Float64Array.from([0]) }];
    expect(() => sliceValue(16, attrs, out, tiny, 0, { lo: 3, hi: 4, count: K }, softmaxPair(4n, 0n))).to.throw(SettlementError);
    expect(() => sliceValue(16, attrs, out, tiny, 0, { lo: 6, hi: 7, count: K }, softmaxPair(9n, 0n))).to.throw(SettlementError);
    // A negative row max and a pair with a large sum round-trip (M is the signed low 64 bits).
    expect(softmaxUnpair(softmaxPair(-(2n ** 52n), 30n * 65536n))).to.deep.equal({ M: -(2n ** 52n), S: 30n * 65536n });
    await expectRevert(onChainIndices(16, attrs, out, [out, [1]], 0, { lo: 0, hi: 7, count: 6 }), "TermCountMismatch");
    await expectRevert(onChainIndices(16, attrs, out, [out, [1]], 0, { lo: 0, hi: 8, count: 7 }), "TermSliceOutOfRange");
  });

  it("maxpool's fold (K = size^2) and maxpool_grad's (K = size^2 + 1) over their window: every slice on chain takes P(lo) to the TS P(hi); P(K) is the reference, ties to the first max; a wrong K or slice reverts", async () => {
    // The vectors' pools, and a size-8 window (K = 64, 65: several slices) with ties and negative values.
    const H = 8, W = 16, C = 2, B = 1, size = 8;
    const x: Tensor = { shape: [B * H * W, C], data: Float64Array.from({ length: B * H * W * C }, (_, i) => ((i * 7919) % 13) - 9) };
    const gp: Tensor = { shape: [B * 2, C], data: Float64Array.from([5, -3, 11, 0]) };
    const attrs = { H, W, C, size };
    const made = (kind: "maxpool" | "maxpool_grad", inputs: Tensor[]) => {
      const def = opDef(kind), out = def.reference(inputs, attrs);
      return { kind, code: OP_CODES[kind], encodedAttrs: def.encodeAttrs(attrs), inputs: inputs.map((t) => ({ shape: [...t.shape], values: [...t.data] })), output: { shape: [...out.shape], values: [...out.data] } } as OpCase;
    };
    const cases = [...CASES.filter((c) => c.code === 13 || c.code === 14), made("maxpool", [x]), made("maxpool_grad", [gp, x])];
    let slices = 0, nonZeroGrads = 0;
    for (const c of cases) {
      const inputs = c.inputs.map((i) => ({ shape: i.shape, data: Float64Array.from(i.values) }));
      const ins = c.inputs.map((i) => i.shape);
      const K = termCount(c.code, c.encodedAttrs, ins), s = c.encodedAttrs[3]!;
      expect(K).to.equal(s * s + (c.code === 14 ? 1 : 0));
      for (let e = 0; e < c.output.values.length; e += c.output.values.length > 64 ? 7 : 1) {
        const P = elementPartials(c.code, c.encodedAttrs, c.output.shape, inputs, e);
        expect(P[K], `${c.kind} ${c.note ?? ""} element ${e}: the fold ends on the op's value`).to.equal(BigInt(c.output.values[e]!));
        if (c.code === 14 && P[K] !== 0n) nonZeroGrads++;
        for (const lo of new Set([0, Math.max(0, K - 8), Math.max(0, K - 1), e % K])) {
          const hi = Math.min(K, lo + 8), slice = { lo, hi, count: K };
          const idx = await onChainIndices(c.code, c.encodedAttrs, c.output.shape, ins, e, slice);
          expect(idx, `${c.kind} slice [${lo}, ${hi}) indices`).to.deep.equal(operandIndices(c.code, c.encodedAttrs, c.output.shape, ins, e, slice));
          const values = idx.map((ix, i) => ix.map((j) => c.inputs[i]!.values[j]!));
          expect(await kernel(c.code, c.encodedAttrs, values, e, c.output.shape, slice, P[lo]!), `${c.kind} element ${e} slice [${lo}, ${hi})`).to.equal(P[hi]!);
          expect(sliceValue(c.code, c.encodedAttrs, c.output.shape, inputs, e, slice, P[lo]!)).to.equal(P[hi]!);
          slices++;
        }
      }
    }
    expect(slices).to.be.greaterThan(100);
    expect(nonZeroGrads, "some maxpool_grad elements are their window's first max").to.be.greaterThan(2);
    // The tie rule through the pair: a later equal value keeps the first position.
    expect(poolUnpair(maxpoolGradPartials([3n, 7n, 7n, -1n], 2, 9n)[4]!)).to.deep.equal({ M: 7n, A: 1n });
    expect(maxpoolGradPartials([3n, 7n, 7n, -1n], 1, 9n)[5]).to.equal(9n);
    expect(maxpoolGradPartials([3n, 7n, 7n, -1n], 2, 9n)[5]).to.equal(0n);
    const g4 = [4, 4, 1, 2];
    await expectRevert(onChainIndices(13, g4, [4, 1], [[16, 1]], 0, { lo: 0, hi: 4, count: 5 }), "TermCountMismatch");
    await expectRevert(onChainIndices(14, g4, [16, 1], [[4, 1], [16, 1]], 0, { lo: 0, hi: 6, count: 5 }), "TermSliceOutOfRange");
    await expectRevert(onChainIndices(14, g4, [16, 1], [[4, 1], [16, 1]], 0, { lo: 3, hi: 3, count: 5 }), "TermSliceOutOfRange");
  });

  it("malformed attributes, shapes and operands revert with a named error", async () => {
    const conv = [5, 5, 2, 3, 2, 1];
    await expectRevert(onChainIndices(11, [5, 5, 2, 3, 2, 3], [18, 18], [[50, 2]], 0), "InvalidAttr"); // pad > k - 1
    await expectRevert(onChainIndices(11, [5, 5, 2, 3, 0, 1], [18, 18], [[50, 2]], 0), "InvalidAttr"); // stride 0
    await expectRevert(onChainIndices(11, conv, [18, 17], [[50, 2]], 0), "ShapeMismatch");
    await expectRevert(onChainIndices(11, conv.slice(1), [18, 18], [[50, 2]], 0), "AttrCountMismatch");
    await expectRevert(onChainIndices(12, conv, [50, 2], [[18, 19]], 0), "ShapeMismatch");
    await expectRevert(onChainIndices(13, [4, 4, 2, 3], [8, 2], [[32, 2]], 0), "InvalidAttr"); // 4 not divisible by 3
    await expectRevert(onChainIndices(10, [3, 4], [3, 4], [[2, 5]], 0), "ShapeMismatch");
    await expectRevert(onChainIndices(10, [4, 3], [3, 4], [[3, 4]], 0), "InvalidAttr");
    await expectRevert(onChainIndices(16, [8, 4096], [2, 3], [[2, 3], [3]], 0), "ShapeMismatch");
    await expectRevert(onChainIndices(17, [1, 3, 0, 9], [4], [[4], [5]], 0), "ShapeMismatch");
    await expectRevert(onChainIndices(19, [1, 3, 0, 9], [4], [[4], [4], [4]], 0), "AttrCountMismatch");
    await expectRevert(onChainIndices(17, [1, 3, 0, 9], [4], [[4]], 0), "ArityMismatch");
    await expectRevert(kernel(19, [1, 0, 1, -9, 9], [[1], [1], [-1]], 0, [1]), "NegativeSecondMoment");
    await expectRevert(kernel(19, [1, 0, 0, -9, 9], [[1], [1], [4]], 0, [1]), "InvalidAttr"); // eps 0: division by zero
    await expectRevert(kernel(18, [1, 3, -27, 0, 9], [[1], [1]], 0, [1]), "InvalidShift");
    await expectRevert(kernel(13, [2, 2, 1, 2], [[]], 0, [1, 1]), "MalformedOperands");
    await expectRevert(kernel(16, [8, 4096], [[1, 2], [0]], 0, [1, 3]), "MalformedOperands");
  });

  // ------------------------------------------------------------------ real steps, through trueValue

  const trueValue = (ctx: SettlementContext, operands: Hex) => verifier.read.trueValue([ctx, operands, "0x"]) as Promise<Hex>;

  async function settleModelOps(job: ModelJob, pre: TrainingState, seed: number): Promise<{ codes: Set<number>; src: SettlementSource; all: readonly Tensor[] }> {
    const s = await settlementStep(job.spec, job.dataset, pre);
    const rnd = seeded(seed);
    const codes = new Set<number>();
    const E = s.src.program.header.entries;
    for (let entry = 1; entry < E - 1; entry++) {
      const p = s.src.program.entries[entry]!;
      if (p.code < 10 || p.code > 19) continue;
      const t = s.all[p.tensorId]!;
      const picks = new Set([0, t.data.length - 1, rnd.int(t.data.length), rnd.int(t.data.length)]);
      for (const e of picks) {
        const v = await trueValue(settlementContext(s.src, entry, e), encodeSettlementOperands(buildSettlementOperands(s.src, entry, e)));
        expect(asInt(v), `entry ${entry} (${opKindOf(p.code)}) element ${e}`).to.equal(BigInt(t.data[e]!));
      }
      codes.add(p.code);
    }
    const post = await trueValue(settlementContext(s.src, E - 1, 0), encodeSettlementOperands(buildSettlementOperands(s.src, E - 1, 0)));
    expect(post).to.equal(toHex(s.postRoot));
    return { codes, src: s.src, all: s.all };
  }

  it("a tiny CNN step: every im2col, col2im, maxpool, maxpool_grad and reshape entry settles to its true value (and the post-state anchor)", async () => {
    const job = tinyCnnJob();
    const { codes } = await settleModelOps(job, initialState(job.spec), 3);
    expect([...codes].sort((a, b) => a - b)).to.deep.equal([10, 11, 12, 13, 14]);
  });

  it("a tiny character-LM step (Adam): every one_hot, softmax_ce_grad, adam_m, adam_v and adam_update entry settles to its true value", async () => {
    const job = tinyCharlmJob();
    const s1 = (await settlementStep(job.spec, job.dataset, initialState(job.spec))).post;
    const { codes } = await settleModelOps(job, s1, 5);
    expect([...codes].sort((a, b) => a - b)).to.deep.equal([10, 15, 16, 17, 18, 19]); // the embedding's output is reshaped
  });

  it("a changed operand value in a leaf is refused against the agreed roots (one entry of each model op)", async () => {
    for (const job of [tinyCnnJob(), tinyCharlmJob()]) {
      const s = await settlementStep(job.spec, job.dataset, initialState(job.spec));
      const seen = new Set<number>();
      for (const p of s.src.program.entries) {
        if (p.code < 10 || p.code > 19 || seen.has(p.code)) continue;
        const e = s.all[p.tensorId]!.data.length - 1;
        const ops = buildSettlementOperands(s.src, p.entry, e);
        if (ops.kind !== "op") throw new Error("not an op's operands");
        const input = ops.inputs.findIndex((i) => i.leaves.length > 0);
        if (input < 0) continue; // an im2col padding tap opens nothing
        const leaf = ops.inputs[input]!.leaves[0]!;
        const bytes = Buffer.from(leaf.data.slice(2), "hex");
        bytes[0]! ^= 1;
        const tampered = { ...ops, inputs: ops.inputs.map((i, j) => (j === input ? { ...i, leaves: [{ ...leaf, data: `0x${bytes.toString("hex")}` as Hex }, ...i.leaves.slice(1)] } : i)) };
        await expectRevert(trueValue(settlementContext(s.src, p.entry, e), encodeSettlementOperands(tampered)), "TensorRootMismatch");
        seen.add(p.code);
      }
      expect(seen.size).to.be.greaterThan(3);
    }
  });
});
