import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { expect } from "chai";
import { buildStepGraph } from "../../engine/graph.ts";
import { onnxRunner } from "../../engine/onnx/runner.ts";
import { initialState } from "../../engine/state.ts";
import { stateRoot } from "../../commitment/stateRoot.ts";
import { toHex } from "../../commitment/hash.ts";
import { applyStep } from "../../training/train.ts";
import { modelJobVectors, modelOpVectors, tinyCnnSpec } from "./generateModels.ts";

/** ops.v2.models.json: the CNN ops' semantics and a version 2 job's roots are what is committed. */
const committed = JSON.parse(readFileSync(new URL("ops.v2.models.json", import.meta.url), "utf8"));
const normalize = (v: unknown) => JSON.parse(JSON.stringify(v));

describe("shared vectors of spec v2 and ops 10-14", () => {
  it("op cases (padding, overlapping col2im sums, max pooling ties) are unchanged", () => {
    expect(normalize(modelOpVectors())).to.deep.equal(committed.ops);
  });

  it("the small CNN job's spec hash, program root and state roots are unchanged", async () => {
    expect(normalize(await modelJobVectors())).to.deep.equal(committed.job);
  });

  it("the onnx backend reproduces the committed roots", async () => {
    const { spec, data } = tinyCnnSpec();
    const runner = await onnxRunner(buildStepGraph(spec));
    try {
      let s = initialState(spec);
      const roots = [toHex(stateRoot(spec, s))];
      for (let i = 0; i < 3; i++) {
        s = (await applyStep(runner, spec, data, s)).state;
        roots.push(toHex(stateRoot(spec, s)));
      }
      expect(roots).to.deep.equal(committed.job.stateRoots.map((r: { root: string }) => r.root));
    } finally {
      await runner.close();
    }
  });

  it("max pooling's tie rule is visible in the vectors: an all-equal window sends its gradient to (0, 0)", () => {
    const g = committed.ops.cases.find((c: { kind: string }) => c.kind === "maxpool_grad");
    // Window 0 of channel 0 holds 3, 3, 3, 3 (rows 0, 1, 4, 5): only row 0 gets the gradient 10.
    expect([0, 1, 4, 5].map((r) => g.output.values[r * 2])).to.deep.equal([10, 0, 0, 0]);
  });
});
