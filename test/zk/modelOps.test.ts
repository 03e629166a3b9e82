// Groth16 settlement of the model ops 10..19 on real steps: every im2col, col2im (its first and last term
// slices, col_sum's dot-slice circuit), maxpool and maxpool_grad (the first and last term slices of their
// window's fold) and reshape entry of a tiny CNN step and every one_hot, adam_m, adam_v and adam_update entry of a tiny character-LM
// step (first, last and random elements, an im2col padding tap and a maxpool_grad element that receives its
// window's gradient) gets a real proof from the op's generic circuit (settlement/prover.ts), and
// Groth16KernelVerifier returns the same true value as RecomputeKernelVerifier (ModelOps). A false claimed
// value cannot be proved and, with an honest proof's bytes, is rejected; a proof does not carry over to
// another element; softmax_ce_grad has no circuit (NoCircuit).
import { after, describe, it } from "node:test";
import { expect } from "chai";
import { network } from "hardhat";
import { decodeAbiParameters, encodeAbiParameters, type Hex } from "viem";
import { opKindOf } from "../../engine/ops/index.ts";
import { initialState, type TrainingState } from "../../engine/state.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { proveKernel, shutdownProver } from "../../settlement/prover.ts";
import { deployGroth16Verifier } from "../contracts/helpers/gamePlayer.ts";
import { buildSettlementOperands, elementPartials, encodeSettlementOperands, operandValues, settlementContext } from "../../settlement/operands.ts";
import { hasTermLevel, operandIndices, termCount } from "../../settlement/operandRule.ts";
import { type SettlementSource, settlementStep } from "../../settlement/step.ts";
import { expectRevert } from "../contracts/helpers/viem.ts";
import { tinyCharlmJob, tinyCnnJob } from "../helpers/modelWorlds.ts";
import { rng } from "../helpers/seededRng.ts";

after(shutdownProver);

const asInt = (h: Hex): bigint => BigInt.asIntN(256, BigInt(h));
const PROOF_ABI = [{ type: "uint256[2]" }, { type: "uint256[2][2]" }, { type: "uint256[2]" }, { type: "int256" }] as const;

interface Step { src: SettlementSource; all: readonly Tensor[] }

const COL2IM = 12;
/** Markers in settleAll's answer: an im2col padding tap, a maxpool_grad element that got its window's gradient. */
const PADDING_TAP = 111, ROUTED_GRADIENT = 114;
const TERM_SLICE = 8;

/**
 * The claim and the encoded operands of (entry, element) of a real step; a term-level op (col2im, the pools):
 * of its term slice `slice` (default the last one), from the true partial value before it.
 */
function claimOf(step: Step, entry: number, e: number, sliceNo?: number) {
  const { src, all } = step;
  const p = src.program.entries[entry]!;
  const inputs = operandValues(src, entry);
  let slice: { lo: number; hi: number; count: number } | undefined;
  let accIn = 0n, output = BigInt(all[p.tensorId]!.data[e]!);
  if (hasTermLevel(p.code)) {
    const K = termCount(p.code, p.attrs, inputs.map((x) => x.shape));
    const last = Math.ceil(K / TERM_SLICE) - 1;
    const lo = Math.min(sliceNo ?? last, last) * TERM_SLICE;
    slice = { lo, hi: Math.min(K, lo + TERM_SLICE), count: K };
    const P = elementPartials(p.code, p.attrs, p.shape, inputs, e);
    accIn = P[slice.lo]!;
    output = P[slice.hi]!;
  }
  const idx = operandIndices(p.code, p.attrs, p.shape, inputs.map((x) => x.shape), e, slice);
  const values = idx.map((ix, i) => ix.map((k) => BigInt(inputs[i]!.data[k]!)));
  const ctx = settlementContext(src, entry, e, slice, accIn);
  const claim = p.code === COL2IM
    ? { code: p.code, attrs: p.attrs, ctx, operands: [], output, slice: { a: values[0]! } }
    : { code: p.code, attrs: p.attrs, ctx, operands: values.map((v) => v[0] ?? 0n), values, output, outShape: p.shape };
  return { p, ctx, claim, values, output, enc: encodeSettlementOperands(buildSettlementOperands(src, entry, e, slice)) };
}

describe("Groth16KernelVerifier settles the model ops 10..19 like RecomputeKernelVerifier (ModelOps)", async () => {
  const { viem } = await network.create();
  const recompute = await viem.deployContract("RecomputeKernelVerifier");
  const { verifier: groth } = await deployGroth16Verifier(viem);
  const pc = await viem.getPublicClient();

  const cnn = tinyCnnJob();
  const cnnStep: Step = await settlementStep(cnn.spec, cnn.dataset, initialState(cnn.spec));
  const lm = tinyCharlmJob();
  const lmPre: TrainingState = (await settlementStep(lm.spec, lm.dataset, initialState(lm.spec))).post;
  const lmStep: Step = await settlementStep(lm.spec, lm.dataset, lmPre);

  /** Proves and settles a few elements of every model-op entry (but softmax_ce_grad); returns the codes seen. */
  async function settleAll(step: Step, seed: number): Promise<Set<number>> {
    const r = rng(seed);
    const codes = new Set<number>();
    const E = step.src.program.header.entries;
    for (let entry = 1; entry < E - 1; entry++) {
      const p = step.src.program.entries[entry]!;
      if (p.code < 10 || p.code > 19 || p.code === 16) continue;
      const out = step.all[p.tensorId]!.data;
      const picks = new Set([0, out.length - 1, Math.floor(r() * out.length)]);
      // An im2col tap in the zero padding, and a maxpool_grad element its window's gradient goes to.
      if (p.code === 11 || p.code === 14) {
        const shapes = p.inputs.map((id) => step.all[id]!.shape);
        const special = [...out.keys()].filter((e) => (p.code === 11 ? operandIndices(p.code, p.attrs, p.shape, shapes, e)[0]!.length === 0 : out[e] !== 0));
        // (A convolution without padding has no padding tap.)
        if (special.length > 0) {
          picks.add(special[Math.floor(r() * special.length)]!);
          codes.add(p.code === 11 ? PADDING_TAP : ROUTED_GRADIENT);
        }
      }
      for (const e of picks) {
        // col2im and the pools: their first and their last term slice (the partial value before it agreed).
        for (const sl of hasTermLevel(p.code) ? [0, 99] : [undefined]) {
          const c = claimOf(step, entry, e, sl);
          const { proof } = await proveKernel(c.claim);
          const zk = (await groth.read.trueValue([c.ctx, c.enc, proof])) as Hex;
          const re = (await recompute.read.trueValue([c.ctx, c.enc, "0x"])) as Hex;
          const what = `${opKindOf(p.code)} entry ${entry} element ${e}${sl === undefined ? "" : ` slice ${sl}`}`;
          expect(zk, what).to.equal(re);
          expect(asInt(zk), what).to.equal(c.output);
        }
      }
      codes.add(p.code);
    }
    return codes;
  }

  it("a tiny CNN step: im2col (with a padding tap), col2im, maxpool, maxpool_grad (a routed gradient) and reshape", async () => {
    expect([...(await settleAll(cnnStep, 11))].sort((a, b) => a - b)).to.deep.equal([10, 11, 12, 13, 14, PADDING_TAP, ROUTED_GRADIENT]);
  });

  it("a tiny character-LM step (Adam): one_hot, adam_m, adam_v, adam_update and reshape", async () => {
    expect([...(await settleAll(lmStep, 12))].sort((a, b) => a - b)).to.deep.equal([10, 15, 17, 18, 19]);
  });

  it("every op: a false value is unprovable and, with an honest proof's bytes, rejected; a proof is bound to its element", async () => {
    const gas: Record<string, number> = {};
    for (const step of [cnnStep, lmStep]) {
      const seen = new Set<number>();
      for (const p of step.src.program.entries) {
        if (p.code < 10 || p.code > 19 || p.code === 16 || seen.has(p.code)) continue;
        seen.add(p.code);
        const n = step.all[p.tensorId]!.data.length;
        const e = n - 1;
        const c = claimOf(step, p.entry, e);
        const kind = opKindOf(p.code)!;
        let threw = false;
        try { await proveKernel({ ...c.claim, output: c.output + 1n }); } catch { threw = true; }
        expect(threw, `${kind}: a false value was proved`).to.equal(true);
        const { proof } = await proveKernel(c.claim);
        const [a, b, cc, out] = decodeAbiParameters(PROOF_ABI, proof);
        for (const d of [1n, -1n]) {
          await expectRevert(groth.read.trueValue([c.ctx, c.enc, encodeAbiParameters(PROOF_ABI, [a, b, cc, out + d])]), "ProofRejected");
        }
        // The same proof for another element of the entry (another ctx, other operands).
        const o = claimOf(step, p.entry, 0);
        await expectRevert(groth.read.trueValue([o.ctx, o.enc, proof]), "ProofRejected");
        gas[kind] = Number(await pc.estimateContractGas({ address: groth.address, abi: groth.abi, functionName: "trueValue", args: [c.ctx, c.enc, proof] }));
      }
    }
    console.log(`  gas of one Groth16 settlement: ${JSON.stringify(gas)}`);
    expect(Object.keys(gas).sort()).to.deep.equal(["adam_m", "adam_update", "adam_v", "col2im", "im2col", "maxpool", "maxpool_grad", "one_hot", "reshape"]);
    for (const [k, g] of Object.entries(gas)) expect(g, k).to.be.lessThan(1_500_000);
  });

  it("circuitKey names the circuit that settles an instantiation: the generic one for any attributes, pools of every size included", async () => {
    const key = (code: number, attrs: readonly number[], classes = 0) => groth.read.circuitKey([code, attrs.map(BigInt), classes]) as Promise<Hex>;
    const generic = async (code: number) => key(code, []);
    for (const [code, attrs] of [[10, [2, 6]], [11, [6, 6, 1, 3, 1, 1]], [12, [6, 6, 1, 3, 1, 1]], [13, [4, 4, 3, 2]], [14, [10, 10, 1, 5]], [15, [27]], [17, [1, 3, -100, 100]], [18, [1, 6, 0, 0, 10000]], [19, [3, 1, 1, -1000, 1000]]] as const) {
      expect(await key(code, attrs), `code ${code}`).to.equal(await generic(code));
      expect(await groth.read.verifiers([await key(code, attrs)]), `code ${code} registered`).to.not.equal("0x0000000000000000000000000000000000000000");
    }
    for (const size of [6, 8]) {
      expect(await key(13, [size * 2, size * 2, 1, size]), `maxpool size ${size}`).to.equal(await generic(13));
      expect(await key(14, [size * 2, size * 2, 1, size]), `maxpool_grad size ${size}`).to.equal(await generic(14));
    }
    // The ops of protocol v1 keep their attributes (requantize), mse_grad its classes.
    expect(await key(3, [8, -127, 127])).to.not.equal(await key(3, []));
    expect(await key(6, [4096], 10)).to.not.equal(await key(6, [4096], 3));
  });

  it("softmax_ce_grad has no circuit: NoCircuit under Groth16 (it settles by recomputation)", async () => {
    const p = lmStep.src.program.entries.find((x) => x.code === 16)!;
    const c = claimOf(lmStep, p.entry, 0);
    let threw = false;
    try { await proveKernel(c.claim); } catch (err) { threw = /no settlement circuit/.test(String(err)); }
    expect(threw).to.equal(true);
    const someProof = (await proveKernel(claimOf(lmStep, lmStep.src.program.entries.find((x) => x.code === 15)!.entry, 0).claim)).proof;
    await expectRevert(groth.read.trueValue([c.ctx, c.enc, someProof]), "NoCircuit");
    expect(asInt((await recompute.read.trueValue([c.ctx, c.enc, "0x"])) as Hex)).to.equal(c.output);
  });
});
