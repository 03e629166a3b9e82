import type { TrainingSpec } from "../engine/spec.ts";

/**
 * The real learning rate of a spec's integer one, per unit of batch-summed gradient (docs/engine.md,
 * "Scales"): activations carry 8 - inputShift fraction bits, errors that plus weightShift - errShift, master
 * values masterFrac. A weight gradient has both (activation x error), a bias gradient the error's alone, so
 * `biasLrShift` is what makes the two rates equal in the default specs. The float32 baselines of bench:engine
 * take these rates, so they train like the deterministic step they are timed against.
 */
export function realLearningRate(spec: TrainingSpec, param: "w" | "b" = "w"): number {
  const q = spec.quant, o = spec.optimizer;
  const actFrac = 8 - q.inputShift, errFrac = actFrac + q.weightShift - q.errShift;
  const gradFrac = param === "w" ? actFrac + errFrac : errFrac;
  const lrShift = param === "w" ? o.lrShift : o.biasLrShift;
  return (o.lrNum / 2 ** lrShift) * 2 ** (gradFrac - q.masterFrac);
}
