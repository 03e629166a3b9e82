// chain/settleCoverage.ts: the shipped specs are fully covered by the settle circuits zk-setup builds (a
// change of the default spec without a circuit fails here), a spec with another instantiation is reported
// missing, and getSettleCoverage reads the real registry of a Groth16 deployment (and recognises the
// recomputing verifier).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { makeSpec } from "../engine/spec.ts";
import { mnistSpec } from "../training/mnistJob.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { deployProtocol } from "./deploy.ts";
import { zkCircuits } from "../settlement/prover.ts";
import { describeMissing, getSettleCoverage, missingFrom, settleInstantiations } from "./settleCoverage.ts";

describe("settle circuit coverage", () => {
  const { spec: mnist } = mnistSpec();
  const d = syntheticDataset(16, 6, 3);
  const shipped = { mnist, tiny: tinySpec(d), tinyMomentum: tinySpec(d, { momentumNum: 7, momentumShift: 3 }) };

  it("every op of the shipped specs has a settlement circuit in build/zk/manifest.json", () => {
    for (const [name, spec] of Object.entries(shipped)) {
      const needed = settleInstantiations(spec);
      assert.ok(needed.some((i) => i.code === 1) && needed.some((i) => i.code === 9), `${name}: matmul and sgd_update present`);
      assert.deepEqual(missingFrom(spec, zkCircuits()), [], `${name}: ${describeMissing(missingFrom(spec, zkCircuits()))}`);
    }
  });

  it("names the instantiations a spec needs that no circuit covers", () => {
    const other = makeSpec({ seed: "02".repeat(32), data: mnist.data, quant: { actShift: 7 } });
    const missing = missingFrom(other, zkCircuits());
    assert.equal(missing.length, 1, describeMissing(missing));
    assert.equal(missing[0]!.code, 3);
    assert.deepEqual(missing[0]!.attrs, [7, -127, 127]);
    assert.match(describeMissing(missing), /op code 3 attrs \[7, -127, 127\] \(entries \d+/);
    assert.deepEqual(missingFrom(mnist, []).length, settleInstantiations(mnist).length, "nothing registered: everything missing");
  });

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
  });
});
