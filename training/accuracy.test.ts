import { describe, it } from "node:test";
import { expect } from "chai";
import { accuracy } from "../engine/evaluate.ts";
import { isParameter, stateLayout } from "../engine/graph.ts";
import { mnistSpec } from "./mnistJob.ts";
import { train } from "./train.ts";

/** Real training: the default job, trained by the deterministic engine, classifies held-out MNIST digits. */
describe("real MNIST training", () => {
  it("the default job reaches >= 90% held-out accuracy in 2000 steps", async () => {
    const { spec, data } = mnistSpec();
    const r = await train({ spec, dataset: data.train, steps: 2000, checkpointInterval: 500 });
    const weights = r.state.tensors.slice(0, stateLayout(spec).filter((s) => isParameter(s.name)).length);
    const acc = await accuracy(spec, weights, data.heldout, "onnx");
    expect(acc).to.be.at.least(0.9);
    // The evaluation itself is backend-independent.
    expect(await accuracy(spec, weights, data.heldout, "reference")).to.equal(acc);
    // Held-out and training examples are disjoint splits of the 10,000 shipped digits.
    expect(data.train.count + data.heldout.count).to.equal(10000);
  });
});
