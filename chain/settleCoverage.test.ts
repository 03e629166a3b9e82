// chain/settleCoverage.ts: getSettleCoverage reads the real registry of a Groth16 deployment (and recognises
// the recomputing verifier). Which instantiations a spec needs: settlement/coverage.test.ts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { makeSpec } from "../engine/spec.ts";
import { mnistCnnSpec, mnistSpec } from "../training/mnistJob.ts";
import { deployProtocol } from "./deploy.ts";
import { getSettleCoverage } from "./settleCoverage.ts";

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
    // The CNN's ops (10-14) have no settlement path under either verifier: both report them missing (the
    // Groth16 registry also lacks the CNN's sgd_update learning rates).
    const { spec: cnn } = mnistCnnSpec();
    const rcnn = await getSettleCoverage(pc, { market: r.jobMarket, spec: cnn });
    assert.deepEqual(rcnn.missing.map((m) => m.code).sort(), [10, 11, 12, 13, 14]);
    const gcnn = await getSettleCoverage(pc, { market: g.jobMarket, spec: cnn });
    assert.deepEqual(gcnn.missing.map((m) => m.code).filter((c) => c >= 10).sort(), [10, 11, 12, 13, 14]);
  });
});
