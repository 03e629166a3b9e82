// settlement/coverage.ts: the shipped specs are fully covered by the settle circuits zk-setup builds (a
// change of the default spec without a circuit fails here), and a spec with another instantiation is
// reported missing. Reading a deployment's registry: chain/settleCoverage.test.ts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { makeSpec } from "../engine/spec.ts";
import { mnistSpec } from "../training/mnistJob.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { describeMissing, missingFrom, settleInstantiations } from "./coverage.ts";
import { zkCircuits } from "./prover.ts";

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
});
