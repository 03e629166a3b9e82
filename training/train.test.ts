import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expect } from "chai";
import { toHex } from "../commitment/hash.ts";
import { stateRoot } from "../commitment/stateRoot.ts";
import { buildTrace } from "../commitment/trace.ts";
import { sampleBatch } from "../engine/batch.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { onnxRunner } from "../engine/onnx/runner.ts";
import { referenceRunner } from "../engine/reference.ts";
import { makeSpec, type TrainingSpec } from "../engine/spec.ts";
import { initialState, type TrainingState } from "../engine/state.ts";
import { mnistSpec } from "./mnistJob.ts";
import { applyStep, train } from "./train.ts";

/**
 * The two backends produce the same committed roots over whole training runs (not only per op), for the
 * default job and for other architectures and optimizers; resuming from a state changes nothing.
 */
const { spec: defaultSpec, data } = mnistSpec();

function variant(over: { layers?: number[]; batchSize?: number; momentumNum?: number; seed?: string }): TrainingSpec {
  return makeSpec({
    seed: over.seed ?? defaultSpec.training.seed,
    data: defaultSpec.data,
    ...(over.layers ? { layers: over.layers } : {}),
    ...(over.batchSize ? { batchSize: over.batchSize } : {}),
    ...(over.momentumNum ? { optimizer: { momentumNum: over.momentumNum, momentumShift: 3 } } : {}),
  });
}

async function lockstep(spec: TrainingSpec, steps: number): Promise<string[]> {
  const graph = buildStepGraph(spec);
  const ref = referenceRunner(graph);
  const onnx = await onnxRunner(graph);
  let a: TrainingState = initialState(spec), b = a;
  const roots: string[] = [toHex(stateRoot(spec, a))];
  try {
    for (let i = 0; i < steps; i++) {
      a = (await applyStep(ref, spec, data.train, a)).state;
      b = (await applyStep(onnx, spec, data.train, b)).state;
      const ra = toHex(stateRoot(spec, a)), rb = toHex(stateRoot(spec, b));
      if (ra !== rb) expect.fail(`state roots diverge at step ${a.step}: reference ${ra}, onnx ${rb}`);
      roots.push(ra);
    }
  } finally {
    await onnx.close();
  }
  return roots;
}

describe("reference and ONNX backends commit identical roots", () => {
  it("default MNIST job: 200 steps, state root equal after every step", async () => {
    const roots = await lockstep(defaultSpec, 200);
    expect(new Set(roots).size, "every step changes the state").to.equal(201);
  });

  it("with momentum (velocity state): 40 steps", async () => {
    await lockstep(variant({ momentumNum: 7 }), 40);
  });

  it("two hidden layers, batch 32: 40 steps", async () => {
    await lockstep(variant({ layers: [784, 64, 32, 10], batchSize: 32 }), 40);
  });

  it("op traces are identical too (every intermediate tensor)", async () => {
    const spec = defaultSpec;
    const graph = buildStepGraph(spec);
    const s = initialState(spec);
    const batch = sampleBatch(data.train, s.rng, spec);
    const onnx = await onnxRunner(graph);
    try {
      const pre = Buffer.alloc(32, 3), post = Buffer.alloc(32, 4);
      const a = buildTrace(graph, (await referenceRunner(graph).run(s.tensors, batch, { trace: true })).all!, pre, post);
      const b = buildTrace(graph, (await onnx.run(s.tensors, batch, { trace: true })).all!, pre, post);
      expect(b.entries.map((e) => toHex(e.outputRoot))).to.deep.equal(a.entries.map((e) => toHex(e.outputRoot)));
      expect(toHex(b.root)).to.equal(toHex(a.root));
      expect(a.entries.length).to.equal(graph.ops.length + 4);
    } finally {
      await onnx.close();
    }
  });
});

describe("training runs", () => {
  it("resuming from an intermediate state reaches the same final root as a straight run", async () => {
    const straight = await train({ spec: defaultSpec, dataset: data.train, steps: 30, checkpointInterval: 10 });
    const first = await train({ spec: defaultSpec, dataset: data.train, steps: 20, checkpointInterval: 10 });
    const resumed = await train({ spec: defaultSpec, dataset: data.train, steps: 10, checkpointInterval: 10, start: first.state });
    expect(toHex(resumed.checkpoints.at(-1)!.root)).to.equal(toHex(straight.checkpoints.at(-1)!.root));
    expect(resumed.state.step).to.equal(30);
    expect(straight.checkpoints.map((c) => c.step)).to.deep.equal([0, 10, 20, 30]);
  });

  it("a different seed gives different weights and roots", async () => {
    const a = await train({ spec: defaultSpec, dataset: data.train, steps: 5, checkpointInterval: 5 });
    const b = await train({ spec: variant({ seed: "ab".repeat(32) }), dataset: data.train, steps: 5, checkpointInterval: 5 });
    expect(toHex(a.historyRoot)).to.not.equal(toHex(b.historyRoot));
  });

  it("the backend does not change the history root", async () => {
    const a = await train({ spec: defaultSpec, dataset: data.train, steps: 12, checkpointInterval: 4, backend: "reference" });
    const b = await train({ spec: defaultSpec, dataset: data.train, steps: 12, checkpointInterval: 4, backend: "onnx" });
    expect(toHex(b.historyRoot)).to.equal(toHex(a.historyRoot));
  });

  it("rejects a non-positive step count or checkpoint interval", async () => {
    await assert.rejects(train({ spec: defaultSpec, dataset: data.train, steps: 0, checkpointInterval: 1 }), /steps must be a positive integer/);
    await assert.rejects(train({ spec: defaultSpec, dataset: data.train, steps: 3, checkpointInterval: 0 }), /checkpointInterval must be a positive integer/);
  });
});
