import { InvalidArgumentError } from "commander";
import { InvalidValueError } from "../../core/root.ts";
import type { MnistSplit } from "../../engine/mnist.ts";
import type { TrainingSpec } from "../../engine/spec.ts";
import { mnistCnnSpec, mnistSpec } from "../../training/mnistJob.ts";

/** The default models `spec default` and `train` offer by name. */
export const MODEL_NAMES = ["mlp", "cnn", "charlm"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export function modelName(v: string): ModelName {
  if (!(MODEL_NAMES as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${MODEL_NAMES.join(", ")}, got "${v}"`);
  return v as ModelName;
}

/** The default MNIST spec of a model, with the flags' seed and batch size (layer widths: the MLP only). */
export function defaultMnistSpec(f: { model: Exclude<ModelName, "charlm">; seed?: string; batchSize?: number; layers?: number[] }): { spec: TrainingSpec; data: MnistSplit } {
  const common = { ...(f.seed ? { seed: f.seed } : {}), ...(f.batchSize ? { batchSize: f.batchSize } : {}) };
  if (f.model === "cnn") {
    if (f.layers) throw new InvalidValueError("--layers", "sets the MLP's widths; the CNN's layers are in its spec (write it with `veritrain spec default --model cnn` and edit it)");
    return mnistCnnSpec(common);
  }
  return mnistSpec({ ...common, ...(f.layers ? { layers: f.layers } : {}) });
}
