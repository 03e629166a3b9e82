import { describe, it } from "node:test";
import { expect } from "chai";
import { stateRoot } from "../commitment/stateRoot.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { referenceRunner } from "../engine/reference.ts";
import { initialState } from "../engine/state.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { applyStep } from "./train.ts";
import { traceStep } from "./traceStep.ts";

describe("traceStep", () => {
  it("anchors the trace to the pre- and post-state roots of the same transition applyStep makes", async () => {
    const d = syntheticDataset(12, 6, 3);
    const spec = tinySpec(d);
    const runner = referenceRunner(buildStepGraph(spec));
    const s0 = initialState(spec);
    const t = await traceStep(runner, spec, d, s0);
    const { state: s1 } = await applyStep(runner, spec, d, s0);
    expect(t.post.step).to.equal(1);
    expect(t.postCommitment.root.equals(stateRoot(spec, s1))).to.equal(true);
    expect(t.trace.entries[0]!.outputRoot.equals(stateRoot(spec, s0))).to.equal(true);
    expect(t.trace.entries.at(-1)!.outputRoot.equals(t.postCommitment.root)).to.equal(true);
  });
});
