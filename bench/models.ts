// npm run bench:models — per default model (the MLP of spec v1, the LeNet-style CNN of spec v2): held-out
// accuracy after training with the deterministic engine (onnx backend), ms per step, training time, the curve
// every 500 steps, and the agreement of `veritrain export --onnx`'s float32 graph with the engine's integer
// predictions on the held-out digits (with the activation rounding, the default, and without: a plain float
// network). `cnn_fit` is the same CNN trained on the fit part of the training digits and measured on their
// validation part (engine/mnist.ts mnistValidationSplit): the curve that chose the CNN's step count.
//
//   BENCH_MLP_STEPS (default 2000, the default job), BENCH_CNN_STEPS (default CNN_STEPS) override the step
//   counts; BENCH_MODELS=mlp,cnn_fit,cnn (the default: all) runs only the parts listed.
import { predictions, stateAccuracy, stateWeights } from "../engine/evaluate.ts";
import { exportInferenceOnnx } from "../engine/onnx/exportInference.ts";
import { agreement, exportedPredictions } from "../engine/onnx/exportedPredictions.ts";
import type { Dataset } from "../engine/batch.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { CNN_STEPS, mnistCnnSpec, mnistCnnValidationSpec, mnistSpec } from "../training/mnistJob.ts";
import { train } from "../training/train.ts";
import { report, round } from "./report.ts";

const stepsOf = (name: string, dflt: number) => {
  const v = process.env[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return n;
};

const curves: Record<string, { step: number; accuracy: number }[]> = {};

/**
 * Trains a spec on `trainSet` and measures it on `evalSet` (named `evalName` in the metrics: "heldout", or
 * "validation" for the run on the fit part of the training digits that chose the CNN's step count).
 */
async function measure(name: string, spec: TrainingSpec, trainSet: Dataset, evalSet: Dataset, evalName: string, steps: number, exportCheck: boolean) {
  const t0 = performance.now();
  let last = t0, evalMs = 0;
  const curve: { step: number; accuracy: number }[] = [];
  const r = await train({
    spec, dataset: trainSet, steps, checkpointInterval: Math.min(500, steps),
    // The curve (not counted in the training time).
    onCheckpoint: async (c, st) => {
      if (c.step === 0 || c.step === steps) return;
      const e0 = performance.now();
      curve.push({ step: c.step, accuracy: round(await stateAccuracy(spec, st, evalSet), 4) });
      evalMs += performance.now() - e0;
      process.stderr.write(`${name}: step ${c.step}: ${evalName} ${curve[curve.length - 1]!.accuracy}\n`);
    },
    onStep: (i) => {
      if (performance.now() - last > 30_000) {
        last = performance.now();
        process.stderr.write(`${name}: step ${i.step}/${i.steps}, ${((last - t0) / i.step).toFixed(1)} ms/step\n`);
      }
    },
  });
  const trainMs = performance.now() - t0 - evalMs;
  const weights = stateWeights(spec, r.state);
  const engine = await predictions(spec, weights, evalSet);
  let correct = 0;
  engine.forEach((p, i) => { if (p === evalSet.labels[i]) correct++; });
  curve.push({ step: steps, accuracy: round(correct / evalSet.count, 4) });
  curves[name] = curve;
  const m: Record<string, number> = {
    [`${name}_steps`]: steps,
    [`${name}_${evalName}_accuracy`]: round(correct / evalSet.count, 4),
    [`${name}_ms_per_step`]: round(trainMs / steps, 1),
    [`${name}_train_s`]: round(trainMs / 1000, 1),
  };
  if (exportCheck) {
    const exported = await exportedPredictions(exportInferenceOnnx(spec, weights), evalSet);
    const plain = await exportedPredictions(exportInferenceOnnx(spec, weights, { roundActivations: false }), evalSet);
    let exportedCorrect = 0;
    exported.forEach((p, i) => { if (p === evalSet.labels[i]) exportedCorrect++; });
    m[`${name}_export_agreement`] = round(agreement(engine, exported), 4);
    m[`${name}_export_plain_agreement`] = round(agreement(engine, plain), 4);
    m[`${name}_export_${evalName}_accuracy`] = round(exportedCorrect / evalSet.count, 4);
  }
  process.stderr.write(`${name}: ${JSON.stringify(m)}\n`);
  return m;
}

const PARTS = ["mlp", "cnn_fit", "cnn"] as const;
const parts = (process.env.BENCH_MODELS ?? PARTS.join(",")).split(",");
for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) throw new RangeError(`BENCH_MODELS must list parts of ${PARTS.join(", ")}, got "${p}"`);
const all = PARTS.every((p) => parts.includes(p));

const mlp = mnistSpec();
const cnn = mnistCnnSpec();
// The same CNN on the fit part of the training digits, measured on the validation part: the run whose curve
// chose the default's step count (docs/engine.md). It never sees the held-out digits.
const cnnVal = mnistCnnValidationSpec();
const cnnSteps = stepsOf("BENCH_CNN_STEPS", CNN_STEPS);
const metrics = {
  ...(parts.includes("mlp") ? await measure("mlp", mlp.spec, mlp.data.train, mlp.data.heldout, "heldout", stepsOf("BENCH_MLP_STEPS", 2000), true) : {}),
  ...(parts.includes("cnn_fit") ? await measure("cnn_fit", cnnVal.spec, cnnVal.split.fit, cnnVal.split.validation, "validation", cnnSteps, false) : {}),
  ...(parts.includes("cnn") ? await measure("cnn", cnn.spec, cnn.data.train, cnn.data.heldout, "heldout", cnnSteps, true) : {}),
  heldout_examples: mlp.data.heldout.count,
  validation_examples: cnnVal.split.validation.count,
};
// A partial run (BENCH_MODELS) reports under its own name, so that it never overwrites the whole bench's results.
report(all ? "models" : `models_${parts.join("_")}`, metrics, { batchSize: mlp.spec.training.batchSize, cnn: cnn.spec.model, cnnOptimizer: cnn.spec.optimizer, cnnBatchSize: cnn.spec.training.batchSize, curves });
