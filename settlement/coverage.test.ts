// settlement/coverage.ts: the shipped specs are fully covered by the settle circuits zk-setup builds (a
// change of the default spec without a circuit fails here), and a spec with another instantiation is
// reported missing. Reading a deployment's registry: chain/settleCoverage.test.ts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { makeSpec } from "../engine/spec.ts";
import { charlmJob } from "../training/charlmJob.ts";
import { buildProgram } from "../commitment/program.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { mnistCnnSpec, mnistSpec } from "../training/mnistJob.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { circuitInstance, describeMissing, GROTH16_SOFTMAX_MAX_CLASSES, MAX_OP_CODE, missingFrom, settleInstantiations, unsettleableOps, V1_MAX_OP_CODE } from "./coverage.ts";
import { isOpCode } from "./operandRule.ts";
import { zkCircuits } from "./prover.ts";

describe("settle circuit coverage", () => {
  const { spec: mnist } = mnistSpec();
  const d = syntheticDataset(16, 6, 3);
  // The default specs of `veritrain spec default --model mlp|cnn|charlm` (cli/commands/defaultSpec.ts) and the tiny ones.
  const shipped = {
    mnist, cnn: mnistCnnSpec().spec, charlm: charlmJob().spec, tiny: tinySpec(d), tinyMomentum: tinySpec(d, { momentumNum: 7, momentumShift: 3 }),
  };

  it("every op of the shipped specs has a settlement circuit in build/zk/manifest.json", () => {
    for (const [name, spec] of Object.entries(shipped)) {
      const needed = settleInstantiations(spec);
      assert.ok(needed.some((i) => i.code === 1), `${name}: matmul present`);
      assert.deepEqual(missingFrom(spec, zkCircuits()), [], `${name}: ${describeMissing(missingFrom(spec, zkCircuits()))}`);
    }
  });

  it("the default CNN and char LM are covered, softmax_ce_grad (16) by its generic slice circuit", () => {
    for (const spec of [shipped.cnn, shipped.charlm]) {
      const softmax = settleInstantiations(spec).filter((i) => i.code === 16);
      assert.deepEqual(softmax.map((i) => [i.code, i.attrs, i.classes]), [[16, [], 0]]);
      assert.deepEqual(zkCircuits().filter((c) => c.code === 16).map((c) => [c.id, c.attrs, c.classes]), [["softmax_terms8", [], 0]]);
      assert.deepEqual(missingFrom(spec, zkCircuits()), []);
      // Without the softmax circuit, exactly softmax_ce_grad would be missing.
      const without = missingFrom(spec, zkCircuits().filter((c) => c.code !== 16));
      assert.deepEqual(without.map((m) => m.code), [16]);
      assert.match(describeMissing(without), /no settlement circuit for op code 16 attrs \[\]/);
    }
  });

  it("names the instantiations a spec needs that no circuit covers", () => {
    const other = makeSpec({ seed: "02".repeat(32), data: mnist.data, quant: { actShift: 7 } });
    const missing = missingFrom(other, zkCircuits());
    assert.equal(missing.length, 1, describeMissing(missing));
    assert.equal(missing[0]!.code, 3);
    assert.deepEqual(missing[0]!.attrs, [7, -127, 127]);
    assert.match(describeMissing(missing), /no settlement circuit for op code 3 attrs \[7, -127, 127\] \(entries \d+/);
    assert.deepEqual(missingFrom(mnist, []).length, settleInstantiations(mnist).length, "nothing registered: everything missing");
  });

  it("a softmax_ce_grad wider than the Groth16 circuit's 4096 classes keeps its attributes and classes (no circuit), a narrower one is the generic circuit's", () => {
    assert.deepEqual(circuitInstance(16, [12, 4096], [128, 30]), { attrs: [], classes: 0 });
    assert.deepEqual(circuitInstance(16, [12, 4096], [128, GROTH16_SOFTMAX_MAX_CLASSES]), { attrs: [], classes: 0 });
    assert.deepEqual(circuitInstance(16, [12, 4096], [128, GROTH16_SOFTMAX_MAX_CLASSES + 1]), { attrs: [12, 4096], classes: 4097 });
    assert.deepEqual(circuitInstance(6, [4096], [64, 10]), { attrs: [4096], classes: 10 });
    assert.deepEqual(circuitInstance(13, [28, 28, 8, 2], [1568, 8]), { attrs: [], classes: 0 });
    const wide = [{ code: 16, attrs: [12, 4096], classes: 5000, entries: [40] }];
    assert.match(describeMissing(wide), /no settlement circuit for op code 16 attrs \[12, 4096\] classes 5000 \(Groth16 proves rows of at most 4096 classes\) \(entries 40\)/);
  });
});

describe("settleable ops (the protocol guard)", () => {
  it("this version settles every op code the engine has; an older deployment (MAX_OP_CODE 9) only protocol v1's", () => {
    assert.equal(MAX_OP_CODE, 19);
    assert.equal(V1_MAX_OP_CODE, 9);
    for (let code = 1; code <= MAX_OP_CODE; code++) assert.ok(isOpCode(code), `code ${code} is an op`);
    assert.ok(!isOpCode(MAX_OP_CODE + 1));
  });

  it("the shipped models (MLP, CNN, char LM) are settleable; before the model ops the CNN names each CNN op with its code", () => {
    const { spec: mnist } = mnistSpec();
    const { spec: cnn } = mnistCnnSpec();
    const { spec: charlm } = charlmJob();
    for (const spec of [mnist, cnn, charlm]) assert.deepEqual(unsettleableOps(spec), []);
    assert.deepEqual(unsettleableOps(mnist, V1_MAX_OP_CODE), []);
    const found = unsettleableOps(cnn, V1_MAX_OP_CODE);
    // The CNN's layer ops and, its loss being softmax cross-entropy, softmax_ce_grad.
    assert.deepEqual(found.map((m) => m.code).sort((a, b) => a - b), [10, 11, 12, 13, 14, 16]);
    const text = describeMissing(found);
    for (const name of ["reshape (code 10)", "im2col (code 11)", "col2im (code 12)", "maxpool (code 13)", "maxpool_grad (code 14)", "softmax_ce_grad (code 16)"]) {
      assert.match(text, new RegExp(`op ${name.replace(/[()]/g, "\\$&")} cannot be settled: the deployment's kernel verifier settles op codes up to 9`));
    }
    // Every entry that uses such an op is listed (the program entry numbers of the step).
    const program = buildProgram(cnn, buildStepGraph(cnn));
    const uses = program.entries.filter((e) => e.code >= 10 && e.code <= 16).map((e) => e.entry).sort((a, b) => a - b);
    assert.deepEqual(found.flatMap((m) => m.entries).sort((a, b) => a - b), uses);
  });
});
