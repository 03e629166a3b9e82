import { describe, it } from "node:test";
import { expect } from "chai";
import { datasetRoot } from "../commitment/dataset.ts";
import { specHash } from "../engine/spec.ts";
import { CNN_MODEL, CNN_STEPS, mnistCnnSpec, mnistCnnValidationSpec } from "./mnistJob.ts";

describe("the CNN job and its validation twin", () => {
  it("the validation spec is the default CNN bound to the fit split: same model, quantization, optimizer, batch; other data", () => {
    const { spec } = mnistCnnSpec();
    const { spec: fitSpec, split } = mnistCnnValidationSpec();
    expect(fitSpec.data).to.deep.equal({ root: datasetRoot(split.fit).toString("hex"), count: split.fit.count, features: 784, classes: 10 });
    expect(fitSpec.data.count).to.equal(spec.data.count - split.validation.count);
    expect(specHash(fitSpec)).to.not.equal(specHash(spec));
    expect({ ...fitSpec, data: spec.data }).to.deep.equal(spec);
    expect(spec.model).to.deep.equal(CNN_MODEL);
    expect(spec.model.loss).to.equal("softmax_ce");
    expect(CNN_STEPS).to.equal(2500);
  });

  it("options still override the default (a variant is validated like any spec)", () => {
    const { spec } = mnistCnnValidationSpec({ batchSize: 128, model: { ...CNN_MODEL, loss: "mse" } });
    expect(spec.training.batchSize).to.equal(128);
    expect(spec.model.loss).to.equal("mse");
    expect(() => mnistCnnSpec({ optimizer: { momentumNum: 8, momentumShift: 3 } })).to.throw(/optimizer\.momentumNum/);
  });
});
