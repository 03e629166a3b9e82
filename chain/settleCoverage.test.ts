// chain/settleCoverage.ts: getSettleCoverage reads the real registry of a Groth16 deployment (and recognises
// the recomputing verifier). Which instantiations a spec needs: settlement/coverage.test.ts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { encodeAbiParameters, keccak256 } from "viem";
import { circuitInstance, GROTH16_SOFTMAX_MAX_CLASSES } from "../settlement/coverage.ts";
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

  it("circuitInstance (settlement/coverage.ts) keys every instantiation as Groth16KernelVerifier.circuitKey does, a softmax row wider than the circuit's 4096 classes under a key nothing registers", async () => {
    const { viem } = await network.create();
    const pc = await viem.getPublicClient();
    const [deployer, treasury] = await viem.getWalletClients();
    const g = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000, kernel: "groth16" });
    // [code, attrs, output shape]; the contract is asked with the output's column count as `classes` for
    // mse_grad and softmax_ce_grad (0 for the others), as a caller that has not canonicalized would.
    const cases: [number, number[], number[]][] = [
      [1, [1, 0], [4, 8]], [7, [], [8]], [3, [8, -127, 127], [4, 8]], [9, [1, 5, -262144, 262144], [8]], [12, [14, 14, 8, 5, 1, 2], [196, 8]],
      [11, [28, 28, 1, 5, 1, 2], [196, 25]], [13, [28, 28, 8, 2], [196, 8]], [13, [12, 12, 2, 6], [4, 2]], [14, [24, 24, 1, 8], [576, 1]],
      [15, [30], [4, 30]], [6, [4096], [4, 10]], [16, [8, 4096], [4, 30]], [16, [12, 4096], [2, 4096]], [16, [12, 4096], [2, 4097]],
      [16, [12, 4096], [1, 65536]], [19, [131, 0, 1, -9, 9], [8]],
    ];
    const generic16 = await pc.readContract({ address: g.kernelVerifier, abi: groth16KernelVerifierAbi, functionName: "circuitKey", args: [16, [], 0] });
    for (const [code, attrs, shape] of cases) {
      const rawClasses = code === 6 || code === 16 ? shape[shape.length - 1]! : 0;
      const onChain = await pc.readContract({ address: g.kernelVerifier, abi: groth16KernelVerifierAbi, functionName: "circuitKey", args: [code, attrs.map(BigInt), rawClasses] });
      const mine = circuitInstance(code, attrs, shape);
      const ours = keccak256(encodeAbiParameters([{ type: "uint8" }, { type: "int64[]" }, { type: "uint32" }], [code, mine.attrs.map(BigInt), mine.classes]));
      assert.equal(ours, onChain, `code ${code} attrs [${attrs}] shape [${shape}]`);
      // The canonical fields (what chain/settleCoverage.ts passes) name the same key.
      const canonical = await pc.readContract({ address: g.kernelVerifier, abi: groth16KernelVerifierAbi, functionName: "circuitKey", args: [code, mine.attrs.map(BigInt), mine.classes] });
      assert.equal(canonical, onChain, `code ${code} canonical`);
      if (code === 16) {
        const wide = shape[1]! > GROTH16_SOFTMAX_MAX_CLASSES;
        assert.equal(onChain === generic16, !wide, `softmax of ${shape[1]} classes: ${wide ? "no" : "the generic"} circuit`);
        if (wide) assert.match(await pc.readContract({ address: g.kernelVerifier, abi: groth16KernelVerifierAbi, functionName: "verifiers", args: [onChain] }), /^0x0{40}$/i);
      }
    }
    assert.equal(await pc.readContract({ address: g.kernelVerifier, abi: groth16KernelVerifierAbi, functionName: "SOFTMAX_MAX_CLASSES" }), GROTH16_SOFTMAX_MAX_CLASSES);
  });
});
