// Groth16 settlement circuits (circuits/settle/*.circom, scripts/zk-setup.ts, settlement/prover.ts): for every
// instantiated circuit a real proof is accepted by its generated on-chain verifier and its output equals
// the recomputing kernel (KernelHarness = RecomputeKernelVerifier); a false output cannot be proved; a tampered
// proof, a proof under another ctx and a public input >= p are rejected.
import { after, describe, it } from "node:test";
import { expect } from "chai";
import { network } from "hardhat";
import { decodeAbiParameters, type Hex } from "viem";
import { contextField, FIELD_P, packSlice, proveKernel, shutdownProver, toField, zkCircuits, type ProverCircuit } from "../../settlement/prover.ts";
import type { SettlementContext } from "../../settlement/abi.ts";

after(shutdownProver);

/** The term-slice circuits: matmul, col_sum, and col2im (col_sum's circuit again). */
const SLICE_CODES = new Set([1, 7, 12]);

const ctxOf = (seed: number, element = 0): SettlementContext => ({
  programRoot: `0x${seed.toString(16).padStart(64, "0")}` as Hex,
  datasetRoot: `0x${"11".repeat(32)}` as Hex,
  preStateRoot: `0x${"22".repeat(32)}` as Hex,
  traceRoot: `0x${"33".repeat(32)}` as Hex,
  entry: 7,
  element: BigInt(element),
  termLo: 0n,
  termHi: 0n,
  termCount: 0n,
  accIn: 0n,
});

/** Operand values inside every circuit's range, negative and positive. */
function operandsFor(c: ProverCircuit, k: number): bigint[] {
  const big = [-(2n ** 21n) + 12345n, 3145727n, -77n, 0n, 2n ** 52n - 1n][k % 5]!;
  const small = [-1000n, 999n, -1n, 5n, 130000n][k % 5]!;
  if (c.code === 3 || c.code === 4) return [big];
  if (c.code === 6) return [big, BigInt(k % c.classes)];
  return [big, small];
}

describe("Groth16 settlement circuits", async () => {
  const { viem } = await network.create();
  const harness = await viem.deployContract("KernelHarness");
  const circuits = zkCircuits();
  const verifiers = new Map<string, any>();
  for (const c of circuits) verifiers.set(c.id, await viem.deployContract(c.contractName as never));

  const pubArgs = (proof: Hex, pub: readonly bigint[]) => {
    const [a, b, c] = decodeAbiParameters([{ type: "uint256[2]" }, { type: "uint256[2][2]" }, { type: "uint256[2]" }, { type: "int256" }], proof);
    return [a, b, c, [...pub]] as const;
  };

  it("covers every op: the elementwise ones (bias_add, requantize, relu, relu_mask, mse_grad, momentum, sgd_update), the term slices of matmul, col_sum, col2im and softmax_ce_grad, and the model ops", () => {
    expect(new Set(circuits.map((c) => c.code))).to.deep.equal(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]));
    // The model ops' generic circuits (test/circuits/modelOps.test.ts, test/zk/modelOps.test.ts) within a 2^12 ceremony.
    for (const c of circuits) expect(c.constraints, c.id).to.be.lessThan(SLICE_CODES.has(c.code) ? 1000 : c.code <= 9 ? 400 : 4096 - c.nPublic - 1);
  });

  for (const c of zkCircuits().filter((x) => SLICE_CODES.has(x.code))) {
    it(`${c.id}: real proofs of slices (8 terms, fewer terms padded with zeros, extremes of the 54-bit range) verify on chain`, async () => {
      const ext = 2n ** 53n - 1n;
      const cases: { a: bigint[]; b: bigint[]; accIn: bigint }[] = [
        { a: [3n, -4n, 5n, 0n, 127n, -128n, 9n, 1n], b: [1000n, -1000n, 7n, 3n, -1n, 2n, 0n, 5n], accIn: -123456n },
        { a: [-ext - 1n, ext], b: [1n, 1n], accIn: 0n },
        { a: [42n], b: [-17n], accIn: 2n ** 40n },
      ];
      for (const [k, x] of cases.entries()) {
        const b = c.code === 1 ? x.b : undefined;
        const output = x.accIn + x.a.reduce((acc, v, t) => acc + v * (b ? b[t]! : 1n), 0n);
        expect(output < 2n ** 53n && output >= -(2n ** 53n)).to.equal(true);
        const ctx = { ...ctxOf(k + 11, 3), termLo: 5n, termHi: 5n + BigInt(x.a.length), termCount: 784n, accIn: x.accIn };
        const p = await proveKernel({ code: c.code, attrs: [], ctx, operands: [], output, slice: { a: x.a, ...(b ? { b } : {}) } });
        expect(p.publicSignals, "public inputs: ctx, out, accIn, packed words").to.deep.equal([contextField(ctx), toField(output), toField(x.accIn), ...packSlice(x.a, b)]);
        expect(await verifiers.get(c.id).read.verifyProof(pubArgs(p.proof, p.publicSignals))).to.equal(true);
        // Another packed word (another operand value) or another accIn: rejected.
        const pub = [...p.publicSignals];
        pub[3] = pub[3]! + 1n;
        expect(await verifiers.get(c.id).read.verifyProof(pubArgs(p.proof, pub))).to.equal(false);
        const pub2 = [...p.publicSignals];
        pub2[2] = toField(x.accIn + 1n);
        expect(await verifiers.get(c.id).read.verifyProof(pubArgs(p.proof, pub2))).to.equal(false);
      }
      // A false partial sum cannot be proved.
      let threw = false;
      try {
        await proveKernel({ code: c.code, attrs: [], ctx: { ...ctxOf(1), accIn: 1n }, operands: [], output: 1n + 6n + 1n, slice: { a: [2n, 3n], ...(c.code === 1 ? { b: [1n, 1n] } : {}) } });
      } catch (e) {
        threw = true;
        expect(String(e)).to.match(/Assert Failed|Error in template|constraint/i);
      }
      expect(threw).to.equal(true);
    });
  }

  // The elementwise ops of protocol v1 (the model ops: test/zk/modelOps.test.ts).
  for (const c of zkCircuits().filter((x) => x.code <= 9 && !SLICE_CODES.has(x.code))) {
    it(`${c.id}: real proofs verify on chain and match the recomputing kernel`, async () => {
      for (let k = 0; k < 2; k++) {
        const operands = operandsFor(c, k);
        const element = c.code === 6 ? k : 0; // mse_grad: j = element % classes; k = 0 hits the label
        const outDims = c.code === 6 ? [4, c.classes] : [1];
        const output = (await harness.read.kernel([c.code, c.attrs.map(BigInt), operands.map((v) => [v]), BigInt(element), outDims, "0x"])) as bigint;
        const ctx = ctxOf(k + 1, element);
        const p = await proveKernel({ code: c.code, attrs: c.attrs, ctx, operands, output, outShape: outDims });
        const expected = [contextField(ctx), toField(output), ...operands.map(toField), ...(c.code === 6 ? [BigInt(element % c.classes)] : [])];
        expect(p.publicSignals, "public inputs: ctx, out, operands").to.deep.equal(expected);
        expect(await verifiers.get(c.id).read.verifyProof(pubArgs(p.proof, p.publicSignals))).to.equal(true);
      }
    });
  }

  const relu = circuits.find((c) => c.id === "relu")!;
  const ctx = ctxOf(99);

  it("a wrong output cannot be proved (the witness does not satisfy the circuit)", async () => {
    let threw = false;
    try {
      await proveKernel({ code: 4, attrs: [], ctx, operands: [-5n], output: 1n });
    } catch (e) {
      threw = true;
      expect(String(e)).to.match(/Assert Failed|Error in template|constraint/i);
    }
    expect(threw).to.equal(true);
  });

  it("a tampered proof, another ctx, another output and a public input >= p are rejected", async () => {
    const p = await proveKernel({ code: 4, attrs: [], ctx, operands: [42n], output: 42n });
    const v = verifiers.get(relu.id);
    const [a, b, c, pub] = pubArgs(p.proof, p.publicSignals);
    expect(await v.read.verifyProof([a, b, c, pub])).to.equal(true);
    expect(await v.read.verifyProof([[a[0], (a[1] + 1n) % FIELD_P], b, c, pub])).to.equal(false);
    expect(await v.read.verifyProof([a, b, [c[1], c[0]], pub])).to.equal(false);
    expect(await v.read.verifyProof([a, b, c, [contextField(ctxOf(100)), pub[1], pub[2]]])).to.equal(false);
    expect(await v.read.verifyProof([a, b, c, [pub[0], 41n, pub[2]]])).to.equal(false);
    // The same field element plus p: the generated verifier refuses it (Groth16KernelVerifier never sends it).
    expect(await v.read.verifyProof([a, b, c, [pub[0], pub[1] + FIELD_P, pub[2]]])).to.equal(false);
  });
});
