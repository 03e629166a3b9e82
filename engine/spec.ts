import { createHash } from "node:crypto";
import { SpecError } from "./errors.ts";
import { type ModelV2, type OptimizerName, parseModelV2, parseOptimizerName } from "./model.ts";
import { hexField, intField, type Json, noExtraKeys, objField } from "./specFields.ts";
import { type AdamFields, checkLmRules, parseAdamFields } from "./specLm.ts";

/**
 * A training spec: everything that determines the result of a training step, in integers only (so that its
 * canonical encoding and hash are unambiguous on every platform). The spec hash is stored in every state
 * header and posted on chain with the job.
 *
 * Fixed-point scales (documented in docs/engine.md): input bytes are requantized to `inputShift` fewer
 * bits when a batch is gathered; activations and inputs share one scale; forward weights are master weights shifted right by
 * `weightShift`; the output of each matmul has the activation scale plus the weight scale.
 */
export interface TrainingSpecV1 extends SpecSections {
  readonly version: 1;
  readonly model: {
    /** Layer widths, input first: [784, 128, 10] is one hidden layer of 128 (dense, ReLU between). */
    readonly layers: readonly number[];
  };
}

/**
 * Version 2: the model is an ordered list of layers (engine/model.ts), with a loss and an optimizer chosen by
 * name; the quantization, training and data sections are version 1's.
 */
export interface TrainingSpecV2 extends SpecSections {
  readonly version: 2;
  readonly model: ModelV2;
  readonly optimizer: OptimizerFields & { readonly name: OptimizerName; readonly adam?: AdamFields };
}

export type TrainingSpec = TrainingSpecV1 | TrainingSpecV2;

/** The sections both versions share. */
export interface SpecSections {
  readonly quant: QuantFields;
  readonly optimizer: OptimizerFields;
  readonly training: TrainingFields;
  readonly data: DataFields;
}

export interface QuantFields {
    /**
     * Input quantization, part of the batch definition: a raw feature byte p (0..255) enters the model as
     * clamp(roundShift(p, inputShift), 0, inputMax).
     */
    readonly inputShift: number;
    readonly inputMax: number;
    /** Master weights and biases are integers in [-masterMax, masterMax] (optimizer state lives here). */
    readonly masterMax: number;
    /** Scale of master values: 1.0 is 2^masterFrac (weight initialization uses it). */
    readonly masterFrac: number;
    /** Forward weights = clamp(roundShift(master, weightShift), ±weightMax). */
    readonly weightShift: number;
    readonly weightMax: number;
    /** Forward biases = clamp(roundShift(master bias, biasShift), ±biasMax). */
    readonly biasShift: number;
    readonly biasMax: number;
    /** Hidden activations: clamp(roundShift(z, actShift), ±actMax) then ReLU. */
    readonly actShift: number;
    readonly actMax: number;
    /** 1.0 in the logits' scale: the one-hot target value of the squared-error loss. */
    readonly targetOne: number;
    /** Output error: clamp(roundShift(z - target, errShift), ±gradMax). */
    readonly errShift: number;
    /** Back-propagated errors: clamp(roundShift(dH, backShift), ±gradMax). */
    readonly backShift: number;
    readonly gradMax: number;
}

export interface OptimizerFields {
    /** Weight update = roundShift(g * lrNum, lrShift) in master units. */
    readonly lrNum: number;
    readonly lrShift: number;
    /**
     * Bias update = roundShift(g * lrNum, biasLrShift). Bias gradients lack the activation scale that weight
     * gradients carry, so the same real learning rate needs a smaller shift (lrShift minus the activation bits).
     */
    readonly biasLrShift: number;
    /** Heavy-ball momentum mu = momentumNum / 2^momentumShift; 0 disables it (no velocity state). */
    readonly momentumNum: number;
    readonly momentumShift: number;
    /** Velocities are integers in [-velocityMax, velocityMax]. */
    readonly velocityMax: number;
}

export interface TrainingFields {
    readonly batchSize: number;
    /** 32-byte seed, hex (64 chars, no 0x): weight init and batch sampling derive from it. */
    readonly seed: string;
}

export interface DataFields {
    /** Content root of the training dataset (hex, 64 chars): binds the job to its data. */
    readonly root: string;
    readonly count: number;
    readonly features: number;
    readonly classes: number;
}

/**
 * Defaults chosen so that the big layer's ops are exact in float32 (every bound below 2^24) and the forward
 * weight/bias requantizations can never clamp (masterMax >> weightShift == weightMax).
 */
export const DEFAULT_QUANT: QuantFields = {
  inputShift: 4, inputMax: 15,
  masterMax: 2 ** 18, masterFrac: 16,
  weightShift: 8, weightMax: 1024,
  biasShift: 4, biasMax: 2 ** 14,
  actShift: 8, actMax: 127,
  targetOne: 4096,
  errShift: 4, backShift: 8, gradMax: 1024,
};

export const DEFAULT_OPTIMIZER: OptimizerFields = {
  lrNum: 1, lrShift: 5, biasLrShift: 1,
  momentumNum: 0, momentumShift: 3,
  velocityMax: 2 ** 19,
};

/** Validates an untrusted JSON value as a TrainingSpec (version 1 or 2); every error names the offending field. */
export function parseSpec(input: unknown): TrainingSpec {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new SpecError("(root)", "spec must be a JSON object");
  const o = input as Record<string, Json>;
  noExtraKeys(o, "", ["version", "model", "quant", "optimizer", "training", "data"]);
  if (o.version === 1) return parseV1(o);
  if (o.version === 2) return parseV2(o);
  throw new SpecError("version", `unsupported spec version ${JSON.stringify(o.version)} (this engine reads versions 1 and 2)`);
}

function parseV1(o: Record<string, Json>): TrainingSpecV1 {
  const model = objField(o, "model");
  noExtraKeys(model, "model", ["layers"]);
  const layers = model.layers;
  if (!Array.isArray(layers) || layers.length < 2 || layers.length > 16) {
    throw new SpecError("model.layers", "must be an array of 2 to 16 layer widths");
  }
  layers.forEach((w, i) => {
    if (typeof w !== "number" || !Number.isSafeInteger(w) || w < 1 || w > 65536) {
      throw new SpecError(`model.layers[${i}]`, `must be an integer in [1, 65536], got ${JSON.stringify(w)}`);
    }
  });
  const quant = parseQuant(objField(o, "quant"));
  const p = objField(o, "optimizer");
  noExtraKeys(p, "optimizer", Object.keys(DEFAULT_OPTIMIZER));
  const optimizer = parseOptimizerFields(p);
  const training = parseTraining(objField(o, "training"));
  const data = parseData(objField(o, "data"));
  if (layers[0] !== data.features) throw new SpecError("model.layers[0]", `input width ${layers[0]} differs from the dataset's ${data.features} features`);
  if (layers[layers.length - 1] !== data.classes) {
    throw new SpecError(`model.layers[${layers.length - 1}]`, `output width ${layers[layers.length - 1]} differs from the dataset's ${data.classes} classes`);
  }
  return { version: 1, model: { layers: [...(layers as number[])] }, quant, optimizer, training, data };
}

function parseV2(o: Record<string, Json>): TrainingSpecV2 {
  const modelJson = objField(o, "model");
  const quant = parseQuant(objField(o, "quant"));
  const p = objField(o, "optimizer");
  noExtraKeys(p, "optimizer", ["name", ...Object.keys(DEFAULT_OPTIMIZER), "adam"]);
  const name = parseOptimizerName(p.name);
  const fields = parseOptimizerFields(p);
  if (name === "sgd" && fields.momentumNum !== 0) throw new SpecError("optimizer.momentumNum", `must be 0 for optimizer "sgd" (use "momentum"), got ${fields.momentumNum}`);
  if (name === "momentum" && fields.momentumNum === 0) throw new SpecError("optimizer.momentumNum", `must be positive for optimizer "momentum" (use "sgd" for none)`);
  const training = parseTraining(objField(o, "training"));
  const data = parseData(objField(o, "data"));
  const model = parseModelV2(modelJson, data);
  const adam = p.adam === undefined ? undefined : parseAdamFields(objField(p, "adam", "optimizer.adam"));
  checkLmRules(model, quant, { name, momentumNum: fields.momentumNum, ...(adam ? { adam } : {}) });
  return { version: 2, model, quant, optimizer: { name, ...fields, ...(adam ? { adam } : {}) }, training, data };
}

function parseQuant(q: Record<string, Json>): QuantFields {
  noExtraKeys(q, "quant", Object.keys(DEFAULT_QUANT));
  const M = 2 ** 40;
  return {
    inputShift: intField(q, "quant", "inputShift", 0, 8),
    inputMax: intField(q, "quant", "inputMax", 1, 255),
    masterMax: intField(q, "quant", "masterMax", 1, 2 ** 31 - 1),
    masterFrac: intField(q, "quant", "masterFrac", 0, 30),
    weightShift: intField(q, "quant", "weightShift", 0, 31),
    weightMax: intField(q, "quant", "weightMax", 1, 2 ** 31 - 1),
    biasShift: intField(q, "quant", "biasShift", 0, 31),
    biasMax: intField(q, "quant", "biasMax", 1, 2 ** 31 - 1),
    actShift: intField(q, "quant", "actShift", 0, 40),
    actMax: intField(q, "quant", "actMax", 1, 2 ** 31 - 1),
    targetOne: intField(q, "quant", "targetOne", 1, M),
    errShift: intField(q, "quant", "errShift", 0, 40),
    backShift: intField(q, "quant", "backShift", 0, 40),
    gradMax: intField(q, "quant", "gradMax", 1, 2 ** 31 - 1),
  };
}

function parseOptimizerFields(p: Record<string, Json>): OptimizerFields {
  const optimizer = {
    lrNum: intField(p, "optimizer", "lrNum", 0, 2 ** 20),
    lrShift: intField(p, "optimizer", "lrShift", 0, 52),
    biasLrShift: intField(p, "optimizer", "biasLrShift", 0, 52),
    momentumNum: intField(p, "optimizer", "momentumNum", 0, 2 ** 20),
    momentumShift: intField(p, "optimizer", "momentumShift", 0, 52),
    velocityMax: intField(p, "optimizer", "velocityMax", 1, 2 ** 31 - 1),
  };
  if (optimizer.momentumNum >= 2 ** optimizer.momentumShift) {
    throw new SpecError("optimizer.momentumNum", `momentum must be < 1, got ${optimizer.momentumNum}/2^${optimizer.momentumShift}`);
  }
  return optimizer;
}

function parseTraining(t: Record<string, Json>): TrainingFields {
  noExtraKeys(t, "training", ["batchSize", "seed"]);
  return { batchSize: intField(t, "training", "batchSize", 1, 65536), seed: hexField(t, "training", "seed") };
}

function parseData(d: Record<string, Json>): DataFields {
  noExtraKeys(d, "data", ["root", "count", "features", "classes"]);
  return {
    root: hexField(d, "data", "root"),
    count: intField(d, "data", "count", 1, 2 ** 32 - 1),
    features: intField(d, "data", "features", 1, 65536),
    classes: intField(d, "data", "classes", 2, 65536),
  };
}

/**
 * Canonical bytes of a spec: JSON with keys in the fixed order of parseSpec's output and no whitespace.
 * All values are integers or hex strings, so the encoding is unique.
 */
export function canonicalSpecJson(spec: TrainingSpec): string {
  const s = parseSpec(spec); // re-validate and fix key order
  return JSON.stringify(s);
}

/** sha256 of the canonical encoding, domain-separated; hex without 0x. */
export function specHash(spec: TrainingSpec): string {
  const s = parseSpec(spec);
  // Each version hashes under its own domain, so no v2 encoding can collide with a v1 one.
  return createHash("sha256").update(`veritrain.spec.v${s.version}\0`).update(JSON.stringify(s)).digest("hex");
}

export function makeSpec(args: {
  layers?: readonly number[];
  batchSize?: number;
  seed: string;
  data: TrainingSpec["data"];
  quant?: Partial<TrainingSpec["quant"]>;
  optimizer?: Partial<TrainingSpec["optimizer"]>;
}): TrainingSpecV1 {
  return parseV1({
    version: 1,
    model: { layers: args.layers ?? [args.data.features, 128, args.data.classes] },
    quant: { ...DEFAULT_QUANT, ...args.quant },
    optimizer: { ...DEFAULT_OPTIMIZER, ...args.optimizer },
    training: { batchSize: args.batchSize ?? 64, seed: args.seed },
    data: args.data,
  });
}

/** A version 2 spec from a model and the default quantization/optimizer, overridable (validated by parseSpec). */
export function makeSpecV2(args: {
  model: ModelV2;
  batchSize?: number;
  seed: string;
  data: DataFields;
  quant?: Partial<QuantFields>;
  optimizer?: Partial<TrainingSpecV2["optimizer"]>;
}): TrainingSpecV2 {
  const optimizer = { ...DEFAULT_OPTIMIZER, ...args.optimizer };
  return parseV2({
    version: 2,
    model: args.model as unknown as Json,
    quant: { ...DEFAULT_QUANT, ...args.quant },
    optimizer: { name: optimizer.momentumNum > 0 ? "momentum" : "sgd", ...optimizer },
    training: { batchSize: args.batchSize ?? 64, seed: args.seed },
    data: args.data,
  });
}
