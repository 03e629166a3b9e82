// Groth16 settlement circuits (circuits/settle/*.circom, scripts/zk-setup.ts, chain/prover.ts): for every
// instantiated circuit a real proof is accepted by its generated on-chain verifier and its output equals
// the recomputing kernel (KernelHarness = MockKernelVerifier); a false output cannot be proved; a tampered
// proof, a proof under another ctx and a public input >= p are rejected.
import { after, describe, it } from "node:test";
import { expect } from "chai";
import { network } from "hardhat";
import { decodeAbiParameters, type Hex } from "viem";
import { contextField, FIELD_P, proveKernel, shutdownProver, toField, zkCircuits, type ProverCircuit } from "../../chain/prover.ts";
import type { SettlementContext } from "../../chain/settlementOperands.ts";

after(shutdownProver);

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

  it("covers every elementwise op (bias_add, requantize, relu, relu_mask, mse_grad, momentum, sgd_update)", () => {
    expect(new Set(circuits.map((c) => c.code))).to.deep.equal(new Set([2, 3, 4, 5, 6, 8, 9]));
    for (const c of circuits) expect(c.constraints, c.id).to.be.lessThan(400);
  });

  for (const c of zkCircuits()) {
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
