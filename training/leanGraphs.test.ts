import { describe, it } from "node:test";
import { expect } from "chai";
import onnxProto from "onnx-proto";
import { type Dataset, sampleBatch } from "../engine/batch.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { lowerGraph } from "../engine/onnx/lower.ts";
import { onnxRunner } from "../engine/onnx/runner.ts";
import { nextRng } from "../engine/random.ts";
import { referenceRunner } from "../engine/reference.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { initialState } from "../engine/state.ts";
import { charlmJob } from "./charlmJob.ts";
import { mnistCnnSpec, mnistSpec } from "./mnistJob.ts";

/**
 * The lean training graph (what a solver runs: only the next state and the logits are outputs, so the
 * lowering folds and splits ops across tensors it never materializes) gives the TypeScript reference's bits
 * on every default model, at the default batch size, from the initial state on.
 */
async function expectLeanEqualsReference(spec: TrainingSpec, data: Dataset, steps: number): Promise<void> {
  const graph = buildStepGraph(spec);
  const lean = await onnxRunner(graph), ref = referenceRunner(graph);
  try {
    let st = initialState(spec), rng = st.rng, state = st.tensors;
    for (let step = 0; step < steps; step++) {
      const batch = sampleBatch(data, rng, spec);
      const [a, b] = [await ref.run(state, batch), await lean.run(state, batch)];
      const pairs = [...a.state.map((t, i) => [graph.tensors[graph.stateOut[i]!]!.name, t, b.state[i]!] as const), ["logits", a.logits, b.logits] as const];
      for (const [name, x, y] of pairs) {
        for (let i = 0; i < x.data.length; i++) if (x.data[i] !== y.data[i]) expect.fail(`step ${step}, ${name}[${i}]: reference ${x.data[i]} != lean onnx ${y.data[i]}`);
      }
      state = a.state;
      rng = nextRng(rng);
    }
  } finally {
    await lean.close();
  }
}

/** The op types of a spec's lean graph. */
function leanNodeTypes(spec: TrainingSpec): string[] {
  const graph = buildStepGraph(spec);
  const lowered = lowerGraph(graph, [...new Set([...graph.stateOut, graph.logits])]);
  return onnxProto.onnx.ModelProto.decode(lowered.bytes).graph!.node!.map((n) => n.opType!);
}

describe("the lean training graph against the reference", () => {
  it("the default CNN: col2im position-major, float64-bound products in float32 pieces, first-max keys; bit-identical over 2 steps", async () => {
    const { spec, data } = mnistCnnSpec();
    // The pieces are in the graph, so this comparison covers them: batched MatMuls (weight-gradient chunks,
    // position-major col2im), a Concat (split weights), and no ArgMax (the pools' first-max keys).
    const types = leanNodeTypes(spec);
    expect(types).to.include.members(["MatMul", "Concat"]);
    expect(types).to.not.include("ArgMax");
    await expectLeanEqualsReference(spec, data.train, 2);
  });

  it("the default MLP, bit-identical over 3 steps", async () => {
    const { spec, data } = mnistSpec();
    await expectLeanEqualsReference(spec, data.train, 3);
  });

  it("the default char LM, bit-identical over 3 steps", async () => {
    const { spec, corpus } = charlmJob();
    await expectLeanEqualsReference(spec, corpus.train, 3);
  });
});
