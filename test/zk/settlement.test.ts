// Groth16KernelVerifier settles like RecomputeKernelVerifier on real engine traces: for every elementwise entry
// of the tiny model's step (and of its momentum variant), first/last/random elements, operands from
// settlement/operands.ts, a real proof per element; both verifiers return the same true value. A proof
// for one dispute (ctx) is rejected in another; a false claimed output, a tampered proof and a claimed
// output outside the field are rejected with named errors.
import { after, describe, it } from "node:test";
import { expect } from "chai";
import { network } from "hardhat";
import { decodeAbiParameters, encodeAbiParameters, type Hex } from "viem";
import { FIELD_P, proveKernel, shutdownProver } from "../../settlement/prover.ts";
import { deployGroth16Verifier } from "../contracts/helpers/gamePlayer.ts";
import { accumulationTerms, buildSettlementOperands, encodeSettlementOperands, operandValues, partialSums, settlementContext } from "../../settlement/operands.ts";
import { type Dataset } from "../../engine/batch.ts";
import { type TrainingSpec } from "../../engine/spec.ts";
import { initialState, type TrainingState } from "../../engine/state.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { syntheticDataset, tinySpec } from "../vectors/generate.ts";
import { expectRevert } from "../contracts/helpers/viem.ts";
import { operandIndices, termCount } from "../../settlement/operandRule.ts";
import { type SettlementSource, settlementStep } from "../../settlement/step.ts";

after(shutdownProver);

const ELEMENTWISE = new Set([2, 3, 4, 5, 6, 8, 9]);
const asInt = (h: Hex): bigint => BigInt.asIntN(256, BigInt(h));
const PROOF_ABI = [{ type: "uint256[2]" }, { type: "uint256[2][2]" }, { type: "uint256[2]" }, { type: "int256" }] as const;

interface Step { src: SettlementSource; all: readonly Tensor[]; post: TrainingState }
const runStep = (spec: TrainingSpec, d: Dataset, pre: TrainingState): Promise<Step> => settlementStep(spec, d, pre);

/** Everything needed to settle (entry, element) with either verifier. */
function claimOf(step: Step, entry: number, e: number) {
  const { src, all } = step;
  const p = src.program.entries[entry]!;
  const out = all[p.tensorId]!;
  const idx = operandIndices(p.code, p.attrs, p.shape, p.inputs.map((id) => all[id]!.shape), e);
  const operands = idx.map((ix, i) => BigInt(all[p.inputs[i]!]!.data[ix[0]!]!));
  const ctx = settlementContext(src, entry, e);
  return { p, ctx, operands, output: BigInt(out.data[e]!), enc: encodeSettlementOperands(buildSettlementOperands(src, entry, e)), count: out.data.length };
}

describe("Groth16KernelVerifier vs RecomputeKernelVerifier on real steps", async () => {
  const { viem } = await network.create();
  const mock = await viem.deployContract("RecomputeKernelVerifier");
  const { verifier: groth } = await deployGroth16Verifier(viem);
  const pc = await viem.getPublicClient();

  const d = syntheticDataset(12, 6, 3);
  const spec = tinySpec(d);
  const s0 = await runStep(spec, d, initialState(spec));
  const s1 = await runStep(spec, d, s0.post);
  const momentumSpec = tinySpec(d, { momentumNum: 7, momentumShift: 3 });
  const m0 = await runStep(momentumSpec, d, initialState(momentumSpec));

  async function settleAll(step: Step, seed: number): Promise<Set<number>> {
    const codes = new Set<number>();
    const E = step.src.program.header.entries;
    for (let entry = 1; entry < E - 1; entry++) {
      if (!ELEMENTWISE.has(step.src.program.entries[entry]!.code)) continue;
      const count = claimOf(step, entry, 0).count;
      for (const e of [...new Set([0, count - 1, (seed * 7919 + entry * 31) % count])]) {
        const c = claimOf(step, entry, e);
        const { proof } = await proveKernel({ code: c.p.code, attrs: c.p.attrs, ctx: c.ctx, operands: c.operands, output: c.output, outShape: c.p.shape });
        const zk = (await groth.read.trueValue([c.ctx, c.enc, proof])) as Hex;
        const re = (await mock.read.trueValue([c.ctx, c.enc, "0x"])) as Hex;
        expect(zk, `entry ${entry} (code ${c.p.code}) element ${e}`).to.equal(re);
        expect(asInt(zk)).to.equal(c.output);
        codes.add(c.p.code);
      }
    }
    return codes;
  }

  it("step 0 -> 1 of tinySpec: every elementwise entry (bias_add, requantize, relu, relu_mask, mse_grad, sgd_update)", async () => {
    expect([...(await settleAll(s0, 1))].sort()).to.deep.equal([2, 3, 4, 5, 6, 9]);
  });

  it("step 1 -> 2 of tinySpec (non-zero biases, another batch)", async () => {
    await settleAll(s1, 2);
  });

  it("with momentum (code 8)", async () => {
    expect((await settleAll(m0, 3)).has(8)).to.equal(true);
  });

  it("a proof for one dispute is rejected in another; false, tampered and out-of-field claims are rejected", async () => {
    const entry = s0.src.program.entries.findIndex((p) => p.code === 9);
    const c = claimOf(s0, entry, 1);
    const { proof } = await proveKernel({ code: 9, attrs: c.p.attrs, ctx: c.ctx, operands: c.operands, output: c.output });
    expect(asInt((await groth.read.trueValue([c.ctx, c.enc, proof])) as Hex)).to.equal(c.output);
    // Same entry, same operand values? Another element (another ctx) and another step (another trace root).
    const other = claimOf(s0, entry, 2);
    await expectRevert(groth.read.trueValue([other.ctx, other.enc, proof]), "ProofRejected");
    const sameOps = claimOf(s1, entry, 1);
    await expectRevert(groth.read.trueValue([sameOps.ctx, sameOps.enc, proof]), "ProofRejected");
    // Operands that do not open against the context's roots never reach the verifier.
    await expectRevert(groth.read.trueValue([c.ctx, sameOps.enc, proof]), "StateRootMismatch"); // sgd_update reads state tensors
    const [a, b, cc, out] = decodeAbiParameters(PROOF_ABI, proof);
    // A false output with an honest proof.
    await expectRevert(groth.read.trueValue([c.ctx, c.enc, encodeAbiParameters(PROOF_ABI, [a, b, cc, out + 1n])]), "ProofRejected");
    // A tampered proof.
    await expectRevert(groth.read.trueValue([c.ctx, c.enc, encodeAbiParameters(PROOF_ABI, [[a[0], a[1] ^ 1n], b, cc, out])]), "ProofRejected");
    // The same field element as the true output, shifted by +-p: refused before the verifier.
    await expectRevert(groth.read.trueValue([c.ctx, c.enc, encodeAbiParameters(PROOF_ABI, [a, b, cc, out + FIELD_P])]), "PublicInputOutOfField");
    await expectRevert(groth.read.trueValue([c.ctx, c.enc, encodeAbiParameters(PROOF_ABI, [a, b, cc, out - FIELD_P])]), "PublicInputOutOfField");
    // Malformed proof bytes, and an empty proof.
    await expectRevert(groth.read.trueValue([c.ctx, c.enc, "0x1234"]), "MalformedProof");
    await expectRevert(groth.read.trueValue([c.ctx, c.enc, "0x"]), "MalformedProof");
    // A false claim cannot be proved at all.
    let threw = false;
    try { await proveKernel({ code: 9, attrs: c.p.attrs, ctx: c.ctx, operands: c.operands, output: c.output + 1n }); } catch { threw = true; }
    expect(threw).to.equal(true);
    // Gas of one settlement, for the record.
    const gas = await pc.estimateContractGas({ address: groth.address, abi: groth.abi, functionName: "trueValue", args: [c.ctx, c.enc, proof] });
    expect(Number(gas)).to.be.lessThan(1_000_000);
  });

  /** A matmul/col_sum slice claim of a real step: the true partial sum at hi from the true one at lo. */
  function sliceClaim(step: Step, entry: number, e: number, lo: number, hi: number) {
    const { src } = step;
    const p = src.program.entries[entry]!;
    const inputs = operandValues(src, entry);
    const K = termCount(p.code, p.attrs, inputs.map((x) => x.shape));
    const slice = { lo, hi: Math.min(hi, K), count: K };
    const P = partialSums(accumulationTerms(p.code, p.attrs, p.shape, inputs, e));
    const idx = operandIndices(p.code, p.attrs, p.shape, inputs.map((x) => x.shape), e, slice);
    const a = idx[0]!.map((i) => BigInt(inputs[0]!.data[i]!));
    const b = p.code === 1 ? idx[1]!.map((i) => BigInt(inputs[1]!.data[i]!)) : undefined;
    const ctx = settlementContext(src, entry, e, slice, P[slice.lo]!);
    return { p, ctx, slice, output: P[slice.hi]!, a, b, enc: encodeSettlementOperands(buildSettlementOperands(src, entry, e, slice)) };
  }
  const proveSlice = (c: ReturnType<typeof sliceClaim>, output = c.output) =>
    proveKernel({ code: c.p.code, attrs: c.p.attrs, ctx: c.ctx, operands: [], output, slice: { a: c.a, ...(c.b ? { b: c.b } : {}) } });

  it("matmul (every transA/transB form of the step) and col_sum term slices of real steps: Groth16 and the Mock return the same true partial sum", async () => {
    const forms = new Set<string>();
    for (const [si, step] of [s0, s1].entries()) {
      const E = step.src.program.header.entries;
      for (let entry = 1; entry < E - 1; entry++) {
        const p = step.src.program.entries[entry]!;
        if (p.code !== 1 && p.code !== 7) continue;
        const count = p.shape.reduce((x, y) => x * y, 1);
        const e = (si * 7919 + entry * 31) % count;
        const K = termCount(p.code, p.attrs, operandValues(step.src, entry).map((x) => x.shape));
        for (const [lo, hi] of [[0, 8], [Math.max(0, K - 3), K], [1, 2]]) {
          const c = sliceClaim(step, entry, e, lo!, hi!);
          const { proof } = await proveSlice(c);
          const zk = (await groth.read.trueValue([c.ctx, c.enc, proof])) as Hex;
          const re = (await mock.read.trueValue([c.ctx, c.enc, "0x"])) as Hex;
          expect(zk, `entry ${entry} (code ${p.code}) e ${e} [${c.slice.lo}, ${c.slice.hi})`).to.equal(re);
          expect(asInt(zk)).to.equal(c.output);
        }
        forms.add(p.code === 7 ? "col_sum" : `matmul ${p.attrs.join("")}`);
      }
    }
    expect([...forms].sort()).to.deep.equal(["col_sum", "matmul 00", "matmul 01", "matmul 10"]);
  });

  it("a dot-slice proof is bound to its dispute and slice; a false partial sum is unprovable and rejected; a wrong K never reaches the verifier", async () => {
    const entry = s0.src.program.entries.findIndex((p) => p.code === 1);
    const c = sliceClaim(s0, entry, 5, 1, 5);
    const { proof } = await proveSlice(c);
    expect(asInt((await groth.read.trueValue([c.ctx, c.enc, proof])) as Hex)).to.equal(c.output);
    // Another slice of the same element, another element, another accIn: another ctx (or other values).
    const other = sliceClaim(s0, entry, 5, 2, 6);
    await expectRevert(groth.read.trueValue([other.ctx, other.enc, proof]), "ProofRejected");
    const otherE = sliceClaim(s0, entry, 6, 1, 5);
    await expectRevert(groth.read.trueValue([otherE.ctx, otherE.enc, proof]), "ProofRejected");
    await expectRevert(groth.read.trueValue([{ ...c.ctx, accIn: c.ctx.accIn + 1n }, c.enc, proof]), "ProofRejected");
    // The same slice in another step (another trace root and operands).
    const s1c = sliceClaim(s1, entry, 5, 1, 5);
    await expectRevert(groth.read.trueValue([s1c.ctx, s1c.enc, proof]), "ProofRejected");
    // A false partial sum: no witness; with the honest proof's bytes, rejected.
    let threw = false;
    try { await proveSlice(c, c.output + 1n); } catch { threw = true; }
    expect(threw).to.equal(true);
    const [a, b, cc, out] = decodeAbiParameters(PROOF_ABI, proof);
    await expectRevert(groth.read.trueValue([c.ctx, c.enc, encodeAbiParameters(PROOF_ABI, [a, b, cc, out + 1n])]), "ProofRejected");
    // INV-GAME-9: a declared K other than the operands' is refused before any proof is looked at.
    await expectRevert(groth.read.trueValue([{ ...c.ctx, termCount: c.ctx.termCount + 1n }, c.enc, proof]), "TermCountMismatch");
    await expectRevert(groth.read.trueValue([{ ...c.ctx, termHi: c.ctx.termCount + 1n }, c.enc, proof]), "TermSliceOutOfRange");
    // A slice longer than the circuits' 8 terms (a game never makes one: TERM_SLICE = 8).
    const long = sliceClaim(s0, entry, 5, 0, 9);
    if (long.slice.hi - long.slice.lo > 8) await expectRevert(groth.read.trueValue([long.ctx, long.enc, proof]), "SliceTooLong");
    const gas = await pc.estimateContractGas({ address: groth.address, abi: groth.abi, functionName: "trueValue", args: [c.ctx, c.enc, proof] });
    expect(Number(gas)).to.be.lessThan(1_000_000);
  });

  it("an instantiation without a circuit reverts with NoCircuit", async () => {
    const none = await viem.deployContract("Groth16KernelVerifier", [(await viem.deployContract("CircuitRegistry", [[]])).address]);
    const c = claimOf(s0, s0.src.program.entries.findIndex((p) => p.code === 4), 0);
    const { proof } = await proveKernel({ code: 4, attrs: [], ctx: c.ctx, operands: c.operands, output: c.output });
    await expectRevert(none.read.trueValue([c.ctx, c.enc, proof]), "NoCircuit");
  });
});
