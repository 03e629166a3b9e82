import { createHash } from "node:crypto";
import { SpecError } from "./errors.ts";

/**
 * A training spec: everything that determines the result of a training step, in integers only (so that its
 * canonical encoding and hash are unambiguous on every platform). The spec hash is stored in every state
 * header and posted on chain with the job.
 *
 * Fixed-point scales (documented in docs/engine.md): input pixels are requantized to `inputShift` fewer
 * bits; activations and inputs share one scale; forward weights are master weights shifted right by
 * `weightShift`; the output of each matmul has the activation scale plus the weight scale.
 */
export interface TrainingSpec {
  readonly version: 1;
  readonly model: {
    /** Layer widths, input first: [784, 128, 10] is one hidden layer of 128. */
    readonly layers: readonly number[];
  };
  readonly quant: {
    /** Pixels 0..255 become roundShift(p, inputShift) clamped to [0, inputMax]. */
    readonly inputShift: number;
    readonly inputMax: number;
    /** Master weights and biases: signed integers of this many bits (optimizer state lives here). */
    readonly masterBits: number;
    /** Scale of master values: 1.0 is 2^masterFrac (weight initialization uses it). */
    readonly masterFrac: number;
    /** Forward weights = clamp(roundShift(master, weightShift), ±2^(weightBits-1)). */
    readonly weightShift: number;
    readonly weightBits: number;
    /** Forward biases = clamp(roundShift(master bias, biasShift), ±2^(biasBits-1)). */
    readonly biasShift: number;
    readonly biasBits: number;
    /** Hidden activations: clamp(roundShift(z, actShift), ±actMax) then ReLU. */
    readonly actShift: number;
    readonly actMax: number;
    /** 1.0 in the logits' scale: the one-hot target value of the squared-error loss. */
    readonly targetOne: number;
    /** Output error: clamp(roundShift(z - target, errShift), ±2^(gradBits-1)). */
    readonly errShift: number;
    /** Back-propagated errors: clamp(roundShift(dH, backShift), ±2^(gradBits-1)). */
    readonly backShift: number;
    readonly gradBits: number;
  };
  readonly optimizer: {
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
    /** Velocities: signed integers of this many bits. */
    readonly velocityBits: number;
  };
  readonly training: {
    readonly batchSize: number;
    /** 32-byte seed, hex (64 chars, no 0x): weight init and batch sampling derive from it. */
    readonly seed: string;
  };
  readonly data: {
    /** Content root of the training dataset (hex, 64 chars): binds the job to its data. */
    readonly root: string;
    readonly count: number;
    readonly features: number;
    readonly classes: number;
  };
}

export const DEFAULT_QUANT: TrainingSpec["quant"] = {
  inputShift: 4, inputMax: 15,
  masterBits: 24, masterFrac: 16,
  weightShift: 8, weightBits: 11,
  biasShift: 4, biasBits: 21,
  actShift: 8, actMax: 255,
  targetOne: 4096,
  errShift: 4, backShift: 8, gradBits: 13,
};

export const DEFAULT_OPTIMIZER: TrainingSpec["optimizer"] = {
  lrNum: 5, lrShift: 11, biasLrShift: 7,
  momentumNum: 7, momentumShift: 3,
  velocityBits: 24,
};

type Json = unknown;

function intField(obj: Record<string, Json>, path: string, key: string, min: number, max: number): number {
  const v = obj[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw new SpecError(`${path}.${key}`, `must be an integer, got ${JSON.stringify(v)}`);
  }
  if (v < min || v > max) throw new SpecError(`${path}.${key}`, `must be in [${min}, ${max}], got ${v}`);
  return v;
}

function objField(obj: Record<string, Json>, key: string): Record<string, Json> {
  const v = obj[key];
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new SpecError(key, "must be an object");
  return v as Record<string, Json>;
}

function hexField(obj: Record<string, Json>, path: string, key: string): string {
  const v = obj[key];
  if (typeof v !== "string" || !/^[0-9a-f]{64}$/.test(v)) {
    throw new SpecError(`${path}.${key}`, `must be 64 lowercase hex characters, got ${JSON.stringify(v)}`);
  }
  return v;
}

function noExtraKeys(obj: Record<string, Json>, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw new SpecError(path ? `${path}.${k}` : k, "unknown field");
}

/** Validates an untrusted JSON value as a TrainingSpec; every error names the offending field. */
export function parseSpec(input: unknown): TrainingSpec {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new SpecError("(root)", "spec must be a JSON object");
  const o = input as Record<string, Json>;
  noExtraKeys(o, "", ["version", "model", "quant", "optimizer", "training", "data"]);
  if (o.version !== 1) throw new SpecError("version", `unsupported spec version ${JSON.stringify(o.version)} (this engine reads version 1)`);
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
  const q = objField(o, "quant");
  const qKeys = Object.keys(DEFAULT_QUANT);
  noExtraKeys(q, "quant", qKeys);
  const quant = {
    inputShift: intField(q, "quant", "inputShift", 0, 8),
    inputMax: intField(q, "quant", "inputMax", 1, 255),
    masterBits: intField(q, "quant", "masterBits", 8, 32),
    masterFrac: intField(q, "quant", "masterFrac", 0, 30),
    weightShift: intField(q, "quant", "weightShift", 0, 31),
    weightBits: intField(q, "quant", "weightBits", 2, 32),
    biasShift: intField(q, "quant", "biasShift", 0, 31),
    biasBits: intField(q, "quant", "biasBits", 2, 32),
    actShift: intField(q, "quant", "actShift", 0, 40),
    actMax: intField(q, "quant", "actMax", 1, 2 ** 31 - 1),
    targetOne: intField(q, "quant", "targetOne", 1, 2 ** 40),
    errShift: intField(q, "quant", "errShift", 0, 40),
    backShift: intField(q, "quant", "backShift", 0, 40),
    gradBits: intField(q, "quant", "gradBits", 2, 32),
  };
  const p = objField(o, "optimizer");
  noExtraKeys(p, "optimizer", Object.keys(DEFAULT_OPTIMIZER));
  const optimizer = {
    lrNum: intField(p, "optimizer", "lrNum", 0, 2 ** 20),
    lrShift: intField(p, "optimizer", "lrShift", 0, 52),
    biasLrShift: intField(p, "optimizer", "biasLrShift", 0, 52),
    momentumNum: intField(p, "optimizer", "momentumNum", 0, 2 ** 20),
    momentumShift: intField(p, "optimizer", "momentumShift", 0, 52),
    velocityBits: intField(p, "optimizer", "velocityBits", 8, 40),
  };
  if (optimizer.momentumNum >= 2 ** optimizer.momentumShift) {
    throw new SpecError("optimizer.momentumNum", `momentum must be < 1, got ${optimizer.momentumNum}/2^${optimizer.momentumShift}`);
  }
  const t = objField(o, "training");
  noExtraKeys(t, "training", ["batchSize", "seed"]);
  const training = { batchSize: intField(t, "training", "batchSize", 1, 65536), seed: hexField(t, "training", "seed") };
  const d = objField(o, "data");
  noExtraKeys(d, "data", ["root", "count", "features", "classes"]);
  const data = {
    root: hexField(d, "data", "root"),
    count: intField(d, "data", "count", 1, 2 ** 32 - 1),
    features: intField(d, "data", "features", 1, 65536),
    classes: intField(d, "data", "classes", 2, 65536),
  };
  if (layers[0] !== data.features) throw new SpecError("model.layers[0]", `input width ${layers[0]} differs from the dataset's ${data.features} features`);
  if (layers[layers.length - 1] !== data.classes) {
    throw new SpecError(`model.layers[${layers.length - 1}]`, `output width ${layers[layers.length - 1]} differs from the dataset's ${data.classes} classes`);
  }
  return { version: 1, model: { layers: [...(layers as number[])] }, quant, optimizer, training, data };
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
  return createHash("sha256").update("veritrain.spec.v1\0").update(canonicalSpecJson(spec)).digest("hex");
}

export function makeSpec(args: {
  layers?: readonly number[];
  batchSize?: number;
  seed: string;
  data: TrainingSpec["data"];
  quant?: Partial<TrainingSpec["quant"]>;
  optimizer?: Partial<TrainingSpec["optimizer"]>;
}): TrainingSpec {
  return parseSpec({
    version: 1,
    model: { layers: args.layers ?? [args.data.features, 128, args.data.classes] },
    quant: { ...DEFAULT_QUANT, ...args.quant },
    optimizer: { ...DEFAULT_OPTIMIZER, ...args.optimizer },
    training: { batchSize: args.batchSize ?? 64, seed: args.seed },
    data: args.data,
  });
}
