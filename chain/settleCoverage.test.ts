// chain/settleCoverage.ts: getSettleCoverage reads the real registry of a Groth16 deployment (and recognises
// the recomputing verifier). Which instantiations a spec needs: settlement/coverage.test.ts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { encodeAbiParameters, keccak256 } from "viem";
import { circuitAttrs } from "../settlement/coverage.ts";
import { groth16KernelVerifierAbi } from "./generated/contracts.ts";
import { makeSpec } from "../engine/spec.ts";
import { charlmJob } from "../training/charlmJob.ts";
import { mnistCnnSpec, mnistSpec } from "../training/mnistJob.ts";
import { deployProtocol } from "./deploy.ts";
import { getSettleCoverage, maxOpCodeOf } from "./settleCoverage.ts";

describe("settle coverage of a deployment", () => {
  const { spec: mnist } = mnistSpec();

  it("reads a deployment's registry: groth16 covers the default spec, recompute covers everything", async () => {
    const { viem } = await network.create();
    const pc = await viem.getPublicClient();
    const [deployer, treasury] = await viem.getWalletClients();
    const base = { walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000 };
    const g = await deployProtocol({ ...base, kernel: "groth16" });
    const cov = await getSettleCoverage(pc, { market: g.jobMarket, spec: mnist });
    assert.equal(cov.kernel, "groth16");
    assert.equal(cov.verifier, g.kernelVerifier);
    assert.deepEqual(cov.missing, []);
    const other = makeSpec({ seed: "02".repeat(32), data: mnist.data, quant: { actShift: 7 } });
    const gap = await getSettleCoverage(pc, { market: g.jobMarket, spec: other });
    assert.deepEqual(gap.missing.map((m) => [m.code, m.attrs]), [[3, [7, -127, 127]]]);
    const r = await deployProtocol({ ...base, kernel: "recompute" });
    const rc = await getSettleCoverage(pc, { market: r.jobMarket, spec: other });
    assert.equal(rc.kernel, "recompute");
    assert.deepEqual(rc.missing, []);
    // The recomputing verifier settles the model ops (ModelOps): the CNN and the char LM are covered. So does
    // the Groth16 registry: the model ops with their generic circuits (Groth16KernelVerifier.circuitKey keys
    // them without attributes), softmax_ce_grad with its term-slice circuit, and the CNN's learning rates and
    // the char LM's requantize shifts with their own.
    const { spec: cnn } = mnistCnnSpec();
    const rcnn = await getSettleCoverage(pc, { market: r.jobMarket, spec: cnn });
    assert.equal(rcnn.maxOpCode, 19);
    assert.deepEqual(rcnn.missing, []);
    assert.deepEqual((await getSettleCoverage(pc, { market: r.jobMarket, spec: charlmJob().spec })).missing, []);
    const gcnn = await getSettleCoverage(pc, { market: g.jobMarket, spec: cnn });
    assert.equal(gcnn.kernel, "groth16");
    assert.deepEqual(gcnn.missing, []);
    const glm = await getSettleCoverage(pc, { market: g.jobMarket, spec: charlmJob().spec });
    assert.deepEqual(glm.missing, []);
    // A contract without the MAX_OP_CODE getter (a verifier deployed before the model ops) settles v1's 1..9.
    assert.equal(await maxOpCodeOf(pc, r.jobMarket), 9);
  });

  it("circuitAttrs (settlement/coverage.ts) keys every instantiation as Groth16KernelVerifier.circuitKey does", async () => {
    const { viem } = await network.create();
    const pc = await viem.getPublicClient();
    const [deployer, treasury] = await viem.getWalletClients();
    const g = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000, kernel: "groth16" });
    const cases: [number, number[]][] = [
      [1, [1, 0]], [7, []], [3, [8, -127, 127]], [9, [1, 5, -262144, 262144]], [12, [14, 14, 8, 5, 1, 2]], [11, [28, 28, 1, 5, 1, 2]],
      [13, [28, 28, 8, 2]], [13, [12, 12, 2, 5]], [13, [12, 12, 2, 6]], [14, [24, 24, 1, 8]], [15, [30]], [16, [8, 4096]], [19, [131, 0, 1, -9, 9]],
    ];
    for (const [code, attrs] of cases) {
      const onChain = await pc.readContract({ address: g.kernelVerifier, abi: groth16KernelVerifierAbi, functionName: "circuitKey", args: [code, attrs.map(BigInt), 0] });
      const ours = keccak256(encodeAbiParameters([{ type: "uint8" }, { type: "int64[]" }, { type: "uint32" }], [code, circuitAttrs(code, attrs).map(BigInt), 0]));
      assert.equal(ours, onChain, `code ${code} attrs [${attrs}]`);
    }
  });
});
