// npm run bench:models — per default model (the MLP of spec v1, the LeNet-style CNN of spec v2, and that CNN
// with the softmax cross-entropy loss): held-out
// accuracy after training with the deterministic engine (onnx backend), ms per step, training time, and the
// agreement of `veritrain export --onnx`'s float32 graph with the engine's integer predictions on the held-out
// digits (with the activation rounding, the default, and without: a plain float network).
//
//   BENCH_MLP_STEPS (default 2000, the default job), BENCH_CNN_STEPS (default 4000) override the step counts.
import { predictions, stateAccuracy, stateWeights } from "../engine/evaluate.ts";
import { exportInferenceOnnx } from "../engine/onnx/exportInference.ts";
import { agreement, exportedPredictions } from "../engine/onnx/exportedPredictions.ts";
import type { MnistSplit } from "../engine/mnist.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { CNN_MODEL, mnistCnnSpec, mnistSpec } from "../training/mnistJob.ts";
import { train } from "../training/train.ts";
import { report, round } from "./report.ts";

const stepsOf = (name: string, dflt: number) => {
  const v = process.env[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return n;
};

const curves: Record<string, { step: number; heldout: number }[]> = {};

async function measure(name: string, spec: TrainingSpec, data: MnistSplit, steps: number) {
  const t0 = performance.now();
  let last = t0, evalMs = 0;
  const curve: { step: number; heldout: number }[] = [];
  const r = await train({
    spec, dataset: data.train, steps, checkpointInterval: Math.min(500, steps),
    // The held-out curve (not counted in the training time).
    onCheckpoint: async (c, st) => {
      if (c.step === 0 || c.step === steps) return;
      const e0 = performance.now();
      curve.push({ step: c.step, heldout: round(await stateAccuracy(spec, st, data.heldout), 4) });
      evalMs += performance.now() - e0;
      process.stderr.write(`${name}: step ${c.step}: held-out ${curve[curve.length - 1]!.heldout}\n`);
    },
    onStep: (i) => {
      if (performance.now() - last > 30_000) {
        last = performance.now();
        process.stderr.write(`${name}: step ${i.step}/${i.steps}, ${((last - t0) / i.step).toFixed(1)} ms/step\n`);
      }
    },
  });
  const trainMs = performance.now() - t0 - evalMs;
  curves[name] = curve;
  const weights = stateWeights(spec, r.state);
  const engine = await predictions(spec, weights, data.heldout);
  let correct = 0;
  engine.forEach((p, i) => { if (p === data.heldout.labels[i]) correct++; });
  const exported = await exportedPredictions(exportInferenceOnnx(spec, weights), data.heldout);
  const plain = await exportedPredictions(exportInferenceOnnx(spec, weights, { roundActivations: false }), data.heldout);
  let exportedCorrect = 0;
  exported.forEach((p, i) => { if (p === data.heldout.labels[i]) exportedCorrect++; });
  const m = {
    [`${name}_steps`]: steps,
    [`${name}_heldout_accuracy`]: round(correct / data.heldout.count, 4),
    [`${name}_ms_per_step`]: round(trainMs / steps, 1),
    [`${name}_train_s`]: round(trainMs / 1000, 1),
    [`${name}_export_agreement`]: round(agreement(engine, exported), 4),
    [`${name}_export_plain_agreement`]: round(agreement(engine, plain), 4),
    [`${name}_export_heldout_accuracy`]: round(exportedCorrect / data.heldout.count, 4),
  };
  process.stderr.write(`${name}: ${JSON.stringify(m)}\n`);
  return m;
}

const mlp = mnistSpec();
const cnn = mnistCnnSpec();
// The same CNN with the softmax cross-entropy loss (ops 15-16) instead of MSE: what the loss alone changes.
const cnnCe = mnistCnnSpec({ model: { ...CNN_MODEL, loss: "softmax_ce" } });
const metrics = {
  ...(await measure("mlp", mlp.spec, mlp.data, stepsOf("BENCH_MLP_STEPS", 2000))),
  ...(await measure("cnn", cnn.spec, cnn.data, stepsOf("BENCH_CNN_STEPS", 4000))),
  ...(await measure("cnn_ce", cnnCe.spec, cnnCe.data, stepsOf("BENCH_CNN_STEPS", 4000))),
  heldout_examples: mlp.data.heldout.count,
};
report("models", metrics, { batchSize: mlp.spec.training.batchSize, cnn: cnn.spec.model, cnnOptimizer: cnn.spec.optimizer, curves });
