// Groth16 settlement of the model ops 10..19 on real steps: every im2col, col2im (its first and last term
// slices, col_sum's dot-slice circuit), maxpool and maxpool_grad (the first and last term slices of their
// window's fold) and reshape entry of a tiny CNN step and every one_hot, adam_m, adam_v and adam_update entry of a tiny character-LM
// step (first, last and random elements, an im2col padding tap and a maxpool_grad element that receives its
// window's gradient) gets a real proof from the op's generic circuit (settlement/prover.ts), and
// Groth16KernelVerifier returns the same true value as RecomputeKernelVerifier (ModelOps). A false claimed
// value cannot be proved and, with an honest proof's bytes, is rejected; a proof does not carry over to
// another element. softmax_ce_grad settles slice by slice (circuits/settle/softmax_terms8.circom): every kind
// of term slice of real elements of the char-LM step settles to RecomputeKernelVerifier's value; a forged exp-table
// index, an index past the table and a proof for another dispute context are refused.
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
/** softmax_ce_grad's proof: the same, then the slice's exp-table indices (12 bits each). */
const SOFTMAX_PROOF_ABI = [...PROOF_ABI, { type: "uint256" }] as const;

interface Step { src: SettlementSource; all: readonly Tensor[] }

const COL2IM = 12;
const SOFTMAX_CE_GRAD = 16;
/** Markers in settleAll's answer: an im2col padding tap, a maxpool_grad element that got its window's gradient. */
const PADDING_TAP = 111, ROUTED_GRADIENT = 114;
const TERM_SLICE = 8;

/**
 * The claim and the encoded operands of (entry, element) of a real step; a term-level op (col2im, the pools):
 * of its term slice `slice` (default the last one), from the true partial value before it.
 */
function claimOf(step: Step, entry: number, e: number, sliceNo?: number, range?: { lo: number; hi: number }) {
  const { src, all } = step;
  const p = src.program.entries[entry]!;
  const inputs = operandValues(src, entry);
  let slice: { lo: number; hi: number; count: number } | undefined;
  let accIn = 0n, output = BigInt(all[p.tensorId]!.data[e]!);
  if (hasTermLevel(p.code)) {
    const K = termCount(p.code, p.attrs, inputs.map((x) => x.shape));
    const last = Math.ceil(K / TERM_SLICE) - 1;
    const lo = Math.min(sliceNo ?? last, last) * TERM_SLICE;
    slice = range ? { ...range, count: K } : { lo, hi: Math.min(K, lo + TERM_SLICE), count: K };
    // The partial values of the element's sum (col2im) or fold (the pools, softmax_ce_grad).
    const P = elementPartials(p.code, p.attrs, p.shape, inputs, e);
    accIn = P[slice.lo]!;
    output = P[slice.hi]!;
  }
  const idx = operandIndices(p.code, p.attrs, p.shape, inputs.map((x) => x.shape), e, slice);
  const values = idx.map((ix, i) => ix.map((k) => BigInt(inputs[i]!.data[k]!)));
  const ctx = settlementContext(src, entry, e, slice, accIn);
  const label = p.code === SOFTMAX_CE_GRAD && values[1]!.length > 0 ? { label: values[1]![0]! } : {};
  // col2im's and softmax_ce_grad's slices as a slice claim; the pools' as every opened value per input.
  const claim = p.code === COL2IM || p.code === SOFTMAX_CE_GRAD
    ? { code: p.code, attrs: p.attrs, ctx, operands: [], output, slice: { a: values[0]!, ...label }, outShape: p.shape }
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

  it("softmax_ce_grad: every kind of term slice of the char-LM step settles by proof to RecomputeKernelVerifier's value", async () => {
    const p = lmStep.src.program.entries.find((x) => x.code === SOFTMAX_CE_GRAD)!;
    const [m, n] = p.shape as [number, number];
    const K = 2 * n + 1;
    const r = rng(16);
    // Slices: the first (max phase), one crossing t = n, one inside the sum phase, one crossing into the last
    // term, the last term alone, the game's own last slice.
    const ranges = [
      { lo: 0, hi: Math.min(K, 8) }, { lo: Math.max(0, n - 3), hi: Math.min(K, n + 5) }, { lo: n + 1, hi: Math.min(2 * n, n + 9) },
      { lo: 2 * n - 4, hi: K }, { lo: 2 * n, hi: K }, undefined,
    ];
    const elements = [0, m * n - 1, Math.floor(r() * m * n)];
    // An element whose column is its row's label (the one-hot subtraction).
    const labels = operandValues(lmStep.src, p.entry)[1]!.data;
    elements.push(Number(labels[1]!) + n);
    let gas = 0, reGas = 0;
    const proveMs: number[] = [];
    for (const e of elements) {
      for (const range of ranges) {
        const c = claimOf(lmStep, p.entry, e, undefined, range);
        const { proof, circuit, ms } = await proveKernel(c.claim);
        proveMs.push(ms);
        expect(circuit.id).to.equal("softmax_terms8");
        const zk = (await groth.read.trueValue([c.ctx, c.enc, proof])) as Hex;
        const re = (await recompute.read.trueValue([c.ctx, c.enc, "0x"])) as Hex;
        const what = `element ${e} slice [${c.ctx.termLo}, ${c.ctx.termHi})`;
        expect(zk, what).to.equal(re);
        expect(asInt(zk), what).to.equal(c.output);
        if (c.ctx.termHi === BigInt(K)) expect(c.output, what).to.equal(BigInt(lmStep.all[p.tensorId]!.data[e]!));
        gas = Math.max(gas, Number(await pc.estimateContractGas({ address: groth.address, abi: groth.abi, functionName: "trueValue", args: [c.ctx, c.enc, proof] })));
        reGas = Math.max(reGas, Number(await pc.estimateContractGas({ address: recompute.address, abi: recompute.abi, functionName: "trueValue", args: [c.ctx, c.enc, "0x"] })));
      }
    }
    proveMs.sort((x, y) => x - y);
    console.log(`  gas of one Groth16 softmax_ce_grad slice settlement (trueValue, the largest of ${elements.length * ranges.length}): ${gas} (recompute ${reGas}); prove ms median ${Math.round(proveMs[proveMs.length >> 1]!)}`);
    expect(gas).to.be.lessThan(1_500_000);
  });

  it("softmax_ce_grad: a false value, a forged or out-of-table index, a proof for another context are refused", async () => {
    const p = lmStep.src.program.entries.find((x) => x.code === SOFTMAX_CE_GRAD)!;
    const n = p.shape[1]!;
    const c = claimOf(lmStep, p.entry, 3, undefined, { lo: n - 2, hi: n + 6 });
    let threw = false;
    try { await proveKernel({ ...c.claim, output: c.output + 1n }); } catch { threw = true; }
    expect(threw, "a false value was proved").to.equal(true);
    const { proof } = await proveKernel(c.claim);
    const [a, b, cc, out, indices] = decodeAbiParameters(SOFTMAX_PROOF_ABI, proof);
    expect(indices, "the slice reads the table").to.not.equal(0n);
    for (const d of [1n, -1n]) {
      await expectRevert(groth.read.trueValue([c.ctx, c.enc, encodeAbiParameters(SOFTMAX_PROOF_ABI, [a, b, cc, out + d, indices])]), "ProofRejected");
    }
    // A forged index in a slot that reads the table (slot 2 is term n) and in one that does not (slot 0): the
    // contract reads the table at it, the circuit's index constraint refuses it.
    for (const slot of [2, 0]) {
      const idx = (indices >> BigInt(12 * slot)) & 0xfffn;
      for (const forged of [idx + 1n, idx === 0n ? 3017n : idx - 1n]) {
        const f = indices - (idx << BigInt(12 * slot)) + (forged << BigInt(12 * slot));
        await expectRevert(groth.read.trueValue([c.ctx, c.enc, encodeAbiParameters(SOFTMAX_PROOF_ABI, [a, b, cc, out, f])]), "ProofRejected");
      }
    }
    // An index past the table, or bits above the 8 indices: the contract refuses to read.
    await expectRevert(groth.read.trueValue([c.ctx, c.enc, encodeAbiParameters(SOFTMAX_PROOF_ABI, [a, b, cc, out, indices | (3018n << 84n)])]), "ExpIndexOutOfRange");
    await expectRevert(groth.read.trueValue([c.ctx, c.enc, encodeAbiParameters(SOFTMAX_PROOF_ABI, [a, b, cc, out, indices | (1n << 96n)])]), "ExpIndexOutOfRange");
    // Without the indices (the other ops' encoding): malformed.
    await expectRevert(groth.read.trueValue([c.ctx, c.enc, encodeAbiParameters(PROOF_ABI, [a, b, cc, out])]), "MalformedProof");
    // The same proof for another dispute context: another element, and the same slice with another accIn.
    const o = claimOf(lmStep, p.entry, 4, undefined, { lo: n - 2, hi: n + 6 });
    await expectRevert(groth.read.trueValue([o.ctx, o.enc, proof]), "ProofRejected");
    await expectRevert(groth.read.trueValue([{ ...c.ctx, accIn: c.ctx.accIn + 1n }, c.enc, proof]), "ProofRejected");
  });
});
