import { describe, it } from "node:test";
import { expect } from "chai";
import { buildStepGraph } from "../engine/graph.ts";
import { charlmJob } from "./charlmJob.ts";
import { mnistCnnSpec, mnistSpec } from "./mnistJob.ts";
import { expectLeanEqualsReference, leanForms, leanNodeTypes } from "../test/helpers/leanVsReference.ts";

/**
 * The lean training graph (what a solver runs) gives the TypeScript reference's bits on every default
 * model, at the default batch size, from the initial state on.
 */
describe("the lean training graph against the reference", () => {
  it("the default CNN: integer GEMM (col2im too), float64-bound products in float32 pieces, pools by MaxPool and MaxUnpool on first-max keys; bit-identical over 2 steps", async () => {
    const { spec, data } = mnistCnnSpec();
    const graph = buildStepGraph(spec);
    // The pieces are in the graph, so this comparison covers them, and no ArgMax (the pools' first-max keys).
    expect(leanForms(graph)).to.include({ "integer-split-requantize": 1, "integer-gradient": 1, "col2im-integer": 1, "matmul-chunks": 1, "matmul-split": 1, "col_sum-chunks": 1, "pool-unpool": 2 });
    expect(leanNodeTypes(graph)).to.not.include("ArgMax");
    await expectLeanEqualsReference(spec, graph, data.train, 2);
  });

  it("the default MLP, bit-identical over 3 steps", async () => {
    const { spec, data } = mnistSpec();
    await expectLeanEqualsReference(spec, buildStepGraph(spec), data.train, 3);
  });

  it("the default char LM, bit-identical over 3 steps", async () => {
    const { spec, corpus } = charlmJob();
    await expectLeanEqualsReference(spec, buildStepGraph(spec), corpus.train, 3);
  });
});
