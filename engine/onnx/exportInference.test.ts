import { describe, it } from "node:test";
import { expect } from "chai";
import { accuracy, predictions, stateWeights } from "../evaluate.ts";
import { mnistCnnSpec, mnistSpec } from "../../training/mnistJob.ts";
import { train } from "../../training/train.ts";
import { charlmJob, parameters } from "../../training/charlmJob.ts";
import { initialState } from "../state.ts";
import type { TrainingSpec } from "../spec.ts";
import type { Dataset } from "../batch.ts";
import { exportInferenceOnnx } from "./exportInference.ts";
import { agreement, exportedPredictions } from "./exportedPredictions.ts";

/**
 * `veritrain export --onnx`: the float32 graph of a trained state, run by onnxruntime, predicts what the
 * engine's integer inference predicts on the held-out digits (the engine's intermediate roundings are the
 * only difference, so disagreements are near-ties).
 */
async function check(spec: TrainingSpec, data: { train: Dataset; heldout: Dataset }, steps: number, minAccuracy: number) {
  const r = await train({ spec, dataset: data.train, steps, checkpointInterval: steps });
  const weights = stateWeights(spec, r.state);
  const engine = await predictions(spec, weights, data.heldout);
  const exported = await exportedPredictions(exportInferenceOnnx(spec, weights), data.heldout);
  const acc = await accuracy(spec, weights, data.heldout);
  expect(acc, "the model is trained (agreement on an untrained model would say little)").to.be.at.least(minAccuracy);
  const agree = agreement(engine, exported);
  expect(agree, `exported vs engine predictions on ${engine.length} held-out digits`).to.be.at.least(0.995);
  // Without the activation rounding it is a plain float network: close, not identical (measured: 99.3% for
  // the MLP after 300 steps, 93% for the CNN after 80; 99.5% and 99.6% once trained, bench:models).
  const plain = agreement(engine, await exportedPredictions(exportInferenceOnnx(spec, weights, { roundActivations: false }), data.heldout));
  expect(plain).to.be.at.least(0.9);
  return agree;
}

describe("ONNX export of a trained model", () => {
  it("MLP: the exported float32 model agrees with the engine on >= 99.5% of held-out predictions", async () => {
    const { spec, data } = mnistSpec();
    await check(spec, data, 300, 0.8);
  });

  it("CNN: the exported float32 model (Conv, MaxPool, Gemm) agrees on >= 99.5% of held-out predictions", async () => {
    const { spec, data } = mnistCnnSpec();
    await check(spec, data, 80, 0.5);
  });

  it("rejects a weight list that does not match the spec", () => {
    const { spec } = mnistSpec();
    expect(() => exportInferenceOnnx(spec, [])).to.throw(/expected 4 weight tensors/);
  });

  it("refuses a layer it cannot export (the char LM's embedding) instead of skipping it", () => {
    const { spec } = charlmJob({}, Array.from({ length: 40 }, (_, i) => `w${"abcdefghij"[i % 10]}${"klmnopqrst"[Math.floor(i / 10)]}`));
    const weights = parameters(spec, initialState(spec));
    expect(() => exportInferenceOnnx(spec, weights)).to.throw(/model\.layers\[0\].*embedding layer cannot be exported/);
  });
});
