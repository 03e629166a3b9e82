import { describe, it } from "node:test";
import { expect } from "chai";
import { loadMnist, mnistValidationSplit } from "./mnist.ts";

describe("mnistValidationSplit", () => {
  it("splits the training digits (never the held-out ones) into fit and every tenth as validation, about a tenth of each digit", () => {
    const { train, heldout } = loadMnist();
    const { fit, validation } = mnistValidationSplit();
    expect(fit.count + validation.count).to.equal(train.count);
    expect(validation.count).to.equal(Math.floor(train.count / 10));
    const row = (d: typeof train, i: number) => Buffer.from(d.pixels.subarray(i * 784, (i + 1) * 784)).toString("hex") + d.labels[i];
    // In order: training example i goes to validation when i % 10 == 9, else to fit.
    let f = 0, v = 0;
    for (let i = 0; i < train.count; i++) {
      if (i % 10 === 9) expect(row(validation, v++)).to.equal(row(train, i));
      else expect(row(fit, f++)).to.equal(row(train, i));
    }
    // Stratified: each digit's share of the validation set is within one example of a tenth of its training count.
    for (let digit = 0; digit < 10; digit++) {
      const inTrain = train.labels.filter((l) => l === digit).length;
      const inVal = validation.labels.filter((l) => l === digit).length;
      expect(Math.abs(inVal - inTrain / 10), `digit ${digit}`).to.be.lessThanOrEqual(1);
    }
    // No validation image is also a held-out image (the shipped digits hold no duplicate across the two).
    const held = new Set(Array.from({ length: heldout.count }, (_, i) => row(heldout, i)));
    const leaked = Array.from({ length: validation.count }, (_, i) => row(validation, i)).filter((r) => held.has(r));
    expect(leaked.length).to.equal(0);
  });
});
