// node bench/cnnSelect.ts '<candidate json>': trains one CNN candidate on the fit part of the training digits
// (engine/mnist.ts mnistValidationSplit) and prints its VALIDATION accuracy every CNN_SELECT_EVERY steps
// (default 250) up to CNN_SELECT_STEPS (default 6000). It never reads the held-out digits: the CNN default
// (training/mnistJob.ts) was chosen from these curves alone (docs/engine.md, "The CNN workload").
//
// Candidate: {"loss"?: "mse"|"softmax_ce", "filters"?: [c1, c2], "dense"?: n, "batch"?: n, "optimizer"?: {...},
// "quant"?: {...}}; every field defaults to the current CNN default.
import { stateAccuracy } from "../engine/evaluate.ts";
import { mnistValidationSplit } from "../engine/mnist.ts";
import type { ModelV2 } from "../engine/model.ts";
import { CNN_MODEL, cnnSpecFor } from "../training/mnistJob.ts";
import { train } from "../training/train.ts";
import { report, round } from "./report.ts";

const arg = process.argv[2];
if (arg === undefined) throw new Error("usage: node bench/cnnSelect.ts '<candidate json>'");
const c = JSON.parse(arg) as { name?: string; loss?: "mse" | "softmax_ce"; filters?: [number, number]; dense?: number; batch?: number; optimizer?: Record<string, number>; quant?: Record<string, number> };
const int = (name: string, dflt: number) => {
  const v = process.env[name];
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return n;
};
const steps = int("CNN_SELECT_STEPS", 6000), every = int("CNN_SELECT_EVERY", 250);

const layers = CNN_MODEL.layers.map((l, i) => {
  if (l.kind === "conv2d" && c.filters) return { ...l, filters: c.filters[CNN_MODEL.layers.slice(0, i).filter((x) => x.kind === "conv2d").length]! };
  if (l.kind === "dense" && l.units !== 10 && c.dense) return { ...l, units: c.dense };
  return l;
});
const model: ModelV2 = { ...CNN_MODEL, layers, loss: c.loss ?? CNN_MODEL.loss };
const { fit, validation } = mnistValidationSplit();
const spec = cnnSpecFor(fit, { model, ...(c.batch ? { batchSize: c.batch } : {}), ...(c.optimizer ? { optimizer: c.optimizer } : {}), ...(c.quant ? { quant: c.quant } : {}) });
const name = c.name ?? "candidate";
const curve: { step: number; validation: number }[] = [];
const t0 = performance.now();
let evalMs = 0;
await train({
  spec, dataset: fit, steps, checkpointInterval: every,
  onCheckpoint: async (ck, st) => {
    if (ck.step === 0) return;
    const e0 = performance.now();
    const acc = round(await stateAccuracy(spec, st, validation), 4);
    evalMs += performance.now() - e0;
    curve.push({ step: ck.step, validation: acc });
    process.stderr.write(`${name}: step ${ck.step}: validation ${acc} (${((performance.now() - t0 - evalMs) / ck.step).toFixed(1)} ms/step)\n`);
  },
});
const msPerStep = (performance.now() - t0 - evalMs) / steps;
report(`cnn_select_${name}`, { steps, fit_examples: fit.count, validation_examples: validation.count, ms_per_step: round(msPerStep, 1) }, { candidate: c, model, optimizer: spec.optimizer, batch: spec.training.batchSize, curve });
