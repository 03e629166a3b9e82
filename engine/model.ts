import { SpecError } from "./errors.ts";
import { intField, type Json, type JsonObject, noExtraKeys } from "./specFields.ts";

/**
 * The model of a version 2 spec: the per-example input shape and an ordered list of layers, with a loss and
 * (in the optimizer section) an optimizer chosen by name. Activations flow as integers in the activation
 * scale; images are channels last (HWC). A parametric layer (dense, conv2d) that is not the last layer is
 * followed by the activation requantization (quant.actShift, ±actMax); the last layer must be dense with one
 * unit per class and produces the logits.
 */
export type LayerSpec =
  | { readonly kind: "dense"; readonly units: number }
  | { readonly kind: "conv2d"; readonly filters: number; readonly kernel: number; readonly stride: number; readonly pad: number }
  | { readonly kind: "maxpool"; readonly size: number }
  | { readonly kind: "relu" }
  | { readonly kind: "flatten" }
  /** Character (token) indices -> rows of a [vocab, dim] table: the first layer only, on a flat input [T]. */
  | { readonly kind: "embedding"; readonly vocab: number; readonly dim: number };

export type LayerKind = LayerSpec["kind"];

export interface ModelV2 {
  /** Per-example input shape: [features] (flat) or [H, W, C] (an image, channels last). */
  readonly input: readonly number[];
  readonly layers: readonly LayerSpec[];
  readonly loss: LossName;
}

/** Losses and optimizers this engine implements; the others of the protocol's plan are named, not yet built. */
export const LOSSES = ["mse", "softmax_ce"] as const;
export type LossName = (typeof LOSSES)[number];
const PLANNED_LOSSES: string[] = [];
export const OPTIMIZERS = ["sgd", "momentum", "adam"] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];
const PLANNED_OPTIMIZERS: string[] = [];

const LAYER_FIELDS: { readonly [K in LayerKind]: readonly string[] } = {
  dense: ["units"],
  conv2d: ["filters", "kernel", "stride", "pad"],
  maxpool: ["size"],
  relu: [],
  flatten: [],
  embedding: ["vocab", "dim"],
};

export function parseOptimizerName(v: Json): OptimizerName {
  if ((OPTIMIZERS as readonly Json[]).includes(v)) return v as OptimizerName;
  if (PLANNED_OPTIMIZERS.includes(v as string)) throw new SpecError("optimizer.name", `optimizer ${JSON.stringify(v)} is not yet available in this engine (available: ${OPTIMIZERS.join(", ")})`);
  throw new SpecError("optimizer.name", `must be one of ${OPTIMIZERS.join(", ")}, got ${JSON.stringify(v)}`);
}

function parseLoss(v: Json): LossName {
  if ((LOSSES as readonly Json[]).includes(v)) return v as LossName;
  if (PLANNED_LOSSES.includes(v as string)) throw new SpecError("model.loss", `loss ${JSON.stringify(v)} is not yet available in this engine (available: ${LOSSES.join(", ")})`);
  throw new SpecError("model.loss", `must be one of ${LOSSES.join(", ")}, got ${JSON.stringify(v)}`);
}

function parseLayer(v: Json, i: number): LayerSpec {
  const path = `model.layers[${i}]`;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new SpecError(path, "must be an object with a kind");
  const o = v as JsonObject;
  const kind = o.kind;
  if (typeof kind !== "string" || !(kind in LAYER_FIELDS)) {
    throw new SpecError(`${path}.kind`, `must be one of ${Object.keys(LAYER_FIELDS).join(", ")}, got ${JSON.stringify(kind)}`);
  }
  noExtraKeys(o, path, ["kind", ...LAYER_FIELDS[kind as LayerKind]]);
  switch (kind as LayerKind) {
    case "dense": return { kind: "dense", units: intField(o, path, "units", 1, 65536) };
    case "conv2d": {
      const kernel = intField(o, path, "kernel", 1, 15);
      return { kind: "conv2d", filters: intField(o, path, "filters", 1, 1024), kernel, stride: intField(o, path, "stride", 1, kernel), pad: intField(o, path, "pad", 0, kernel - 1) };
    }
    case "maxpool": return { kind: "maxpool", size: intField(o, path, "size", 2, 8) };
    case "relu": return { kind: "relu" };
    case "flatten": return { kind: "flatten" };
    case "embedding": {
      if (i !== 0) throw new SpecError(path, "an embedding must be the first layer (it reads the input's token indices)");
      return { kind: "embedding", vocab: intField(o, path, "vocab", 2, 256), dim: intField(o, path, "dim", 1, 4096) };
    }
  }
}

/** Validates the model section of a version 2 spec against its dataset; errors name the layer. */
export function parseModelV2(m: JsonObject, data: { readonly features: number; readonly classes: number }): ModelV2 {
  noExtraKeys(m, "model", ["input", "layers", "loss"]);
  const input = m.input;
  if (!Array.isArray(input) || (input.length !== 1 && input.length !== 3)) throw new SpecError("model.input", "must be [features] or [height, width, channels]");
  input.forEach((d, i) => {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 1 || d > 65536) throw new SpecError(`model.input[${i}]`, `must be an integer in [1, 65536], got ${JSON.stringify(d)}`);
  });
  const size = (input as number[]).reduce((a, b) => a * b, 1);
  if (size !== data.features) throw new SpecError("model.input", `[${input.join(", ")}] holds ${size} values, the dataset's examples have ${data.features} features`);
  const raw = m.layers;
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > 32) throw new SpecError("model.layers", "must be an array of 1 to 32 layers");
  const layers = raw.map(parseLayer);
  const model: ModelV2 = { input: [...(input as number[])], layers, loss: parseLoss(m.loss) };
  const shapes = layerShapes(model);
  const last = layers[layers.length - 1]!;
  if (last.kind !== "dense") throw new SpecError(`model.layers[${layers.length - 1}]`, `the last layer must be dense (the logits), got ${last.kind}`);
  if (last.units !== data.classes) throw new SpecError(`model.layers[${layers.length - 1}].units`, `the output layer has ${last.units} units, the dataset has ${data.classes} classes`);
  void shapes;
  return model;
}

/** A per-example activation shape: flat [features] or an image [H, W, C]. */
export type ActShape = readonly [number] | readonly [number, number, number];

/**
 * The per-example shape after each layer (index i: the output of layer i), checking that each layer fits its
 * input: dense needs a flat input (add a flatten), conv2d and maxpool an image, maxpool windows that tile it.
 */
export function layerShapes(model: Pick<ModelV2, "input" | "layers">): ActShape[] {
  let s: ActShape = model.input.length === 3 ? [model.input[0]!, model.input[1]!, model.input[2]!] : [model.input[0]!];
  const out: ActShape[] = [];
  model.layers.forEach((l, i) => {
    const path = `model.layers[${i}]`;
    switch (l.kind) {
      case "dense":
        if (s.length !== 1) throw new SpecError(path, `dense needs a flat input, got an image [${s.join(", ")}]: add a flatten layer before it`);
        s = [l.units];
        break;
      case "conv2d": {
        if (s.length !== 3) throw new SpecError(path, `conv2d needs an image input [H, W, C], got [${s.join(", ")}]`);
        const [H, W] = s;
        if (H + 2 * l.pad < l.kernel || W + 2 * l.pad < l.kernel) throw new SpecError(`${path}.kernel`, `kernel ${l.kernel} exceeds the padded ${H + 2 * l.pad}x${W + 2 * l.pad} input`);
        s = [Math.floor((H + 2 * l.pad - l.kernel) / l.stride) + 1, Math.floor((W + 2 * l.pad - l.kernel) / l.stride) + 1, l.filters];
        break;
      }
      case "maxpool": {
        if (s.length !== 3) throw new SpecError(path, `maxpool needs an image input [H, W, C], got [${s.join(", ")}]`);
        const [H, W, C] = s;
        if (H % l.size !== 0 || W % l.size !== 0) throw new SpecError(`${path}.size`, `${H}x${W} does not divide into ${l.size}x${l.size} windows`);
        s = [H / l.size, W / l.size, C];
        break;
      }
      case "flatten":
        s = [s.reduce((a, b) => a * b, 1)];
        break;
      case "relu":
        break;
      case "embedding":
        if (s.length !== 1) throw new SpecError(path, `an embedding needs a flat input of T token indices, got [${s.join(", ")}]`);
        s = [s[0] * l.dim];
        break;
    }
    out.push(s);
  });
  return out;
}

/** The model of a version 1 spec in version 2's terms: dense layers with a ReLU between, flat input. */
export function v1Layers(widths: readonly number[]): LayerSpec[] {
  const layers: LayerSpec[] = [];
  for (let l = 1; l < widths.length; l++) {
    layers.push({ kind: "dense", units: widths[l]! });
    if (l + 1 < widths.length) layers.push({ kind: "relu" });
  }
  return layers;
}
