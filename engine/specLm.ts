import { SpecError } from "./errors.ts";
import type { ModelV2 } from "./model.ts";
import { intField, type JsonObject, noExtraKeys } from "./specFields.ts";

/**
 * The spec fields and cross-field rules of the language-model parts of spec version 2: the Adam optimizer's
 * rates (ops 17-19), the softmax cross-entropy loss (op 16) and the embedding layer (ops 15 and 1).
 * Kept apart from engine/spec.ts so that the version 1 encoding and its rules stay as they are.
 */
export interface AdamFields {
  /** Rate of the first moment b1 = b1Num / 2^b1Shift = 1 - beta1. */
  readonly b1Num: number;
  readonly b1Shift: number;
  /** Rate of the second moment b2 = b2Num / 2^b2Shift = 1 - beta2. */
  readonly b2Num: number;
  readonly b2Shift: number;
  /** v is in units of g^2 / 2^gShift (negative: fraction bits), adam_v's gShift. */
  readonly gShift: number;
  /** Added to isqrt(v) in the step's denominator, in isqrt(v)'s units (>= 1). */
  readonly eps: number;
}

export const DEFAULT_ADAM: AdamFields = { b1Num: 1, b1Shift: 3, b2Num: 1, b2Shift: 6, gShift: 0, eps: 1 };

export function parseAdamFields(a: JsonObject): AdamFields {
  const path = "optimizer.adam";
  noExtraKeys(a, path, Object.keys(DEFAULT_ADAM));
  const b1Shift = intField(a, path, "b1Shift", 0, 30), b2Shift = intField(a, path, "b2Shift", 0, 30);
  return {
    b1Num: intField(a, path, "b1Num", 1, 2 ** b1Shift),
    b1Shift,
    b2Num: intField(a, path, "b2Num", 1, 2 ** b2Shift),
    b2Shift,
    gShift: intField(a, path, "gShift", -26, 52),
    eps: intField(a, path, "eps", 1, 2 ** 30),
  };
}

/** Fraction bits of the logits under softmax_ce: targetOne (1.0 in the logits' scale) is 2^fracBits. */
export function logitFracBits(targetOne: number): number {
  const f = Math.round(Math.log2(targetOne));
  if (2 ** f !== targetOne) throw new SpecError("quant.targetOne", `the softmax_ce loss reads it as 2^fracBits (1.0 in the logits' scale): must be a power of two, got ${targetOne}`);
  return f;
}

/**
 * Shift from a master embedding entry to the activation scale. The activation scale has weightShift -
 * biasShift fraction bits (a forward bias, masterFrac - biasShift bits, joins a matmul output of activation
 * + weight bits, weights having masterFrac - weightShift), so the shift is masterFrac - weightShift + biasShift.
 */
export function embeddingShift(q: { readonly masterFrac: number; readonly weightShift: number; readonly biasShift: number }): number {
  return q.masterFrac - q.weightShift + q.biasShift;
}

/** The rules that tie the language-model parts of a version 2 spec to its other sections. */
export function checkLmRules(
  model: ModelV2,
  quant: { readonly inputShift: number; readonly inputMax: number; readonly masterFrac: number; readonly weightShift: number; readonly biasShift: number; readonly targetOne: number },
  optimizer: { readonly name: string; readonly momentumNum: number; readonly adam?: AdamFields },
): void {
  if (model.loss === "softmax_ce") logitFracBits(quant.targetOne);
  const first = model.layers[0];
  if (first?.kind === "embedding") {
    // The input bytes are the token indices themselves: the batch's quantization must not change them, and
    // one_hot requires every index the input range allows to be a row of the table.
    if (quant.inputShift !== 0) throw new SpecError("quant.inputShift", `must be 0 under an embedding (the input bytes are token indices), got ${quant.inputShift}`);
    if (quant.inputMax !== first.vocab - 1) throw new SpecError("quant.inputMax", `must be the embedding's vocab - 1 = ${first.vocab - 1} (the largest token index), got ${quant.inputMax}`);
    const shift = embeddingShift(quant);
    if (shift < 0 || shift > 52) throw new SpecError("model.layers[0]", `the embedding's shift to the activation scale, masterFrac - weightShift + biasShift = ${shift}, must be in [0, 52]`);
  }
  if (optimizer.name === "adam") {
    if (optimizer.momentumNum !== 0) throw new SpecError("optimizer.momentumNum", `must be 0 for optimizer "adam" (its first moment is optimizer.adam.b1), got ${optimizer.momentumNum}`);
    if (optimizer.adam === undefined) throw new SpecError("optimizer.adam", `optimizer "adam" needs its rates: { ${Object.keys(DEFAULT_ADAM).join(", ")} }`);
  } else if (optimizer.adam !== undefined) {
    throw new SpecError("optimizer.adam", `only optimizer "adam" takes these fields, this spec's is ${JSON.stringify(optimizer.name)}`);
  }
}
