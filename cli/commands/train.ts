import type { Command } from "commander";
import { DatasetError } from "../../engine/errors.ts";
import type { Logger } from "../../log/logger.ts";
import { backendName, hex32, layerList, positiveInt } from "../options.ts";
import { defaultMnistSpec, type ModelName, modelName } from "./defaultSpec.ts";
import { trainCharlm } from "./charlm.ts";
import { loadSpecFile } from "../specFile.ts";
import { InvalidValueError } from "../../core/root.ts";
import { printSummary, runTrainJob } from "../trainJob.ts";
import { JOB_DEFAULTS } from "../../core/defaults.ts";
import { MAX_WORKERS } from "../../engine/parallel/parallelRunner.ts";
import { CHARLM_STEPS } from "../../training/charlmJob.ts";
import { CNN_STEPS } from "../../training/mnistJob.ts";

export interface TrainFlags {
  /** Unset: the model's own default (the MLP's job length, CNN_STEPS, the char LM's 3,000). */
  steps?: number;
  batchSize?: number;
  checkpointInterval: number;
  seed?: string;
  layers?: number[];
  model: ModelName;
  backend: "onnx" | "reference";
  workers: number;
  spec?: string;
  out?: string;
  json?: boolean;
}

export function registerTrain(program: Command, log: () => Logger, signal: AbortSignal): void {
  program
    .command("train")
    .description("train a model (the MLP, the CNN or a spec file's) on the shipped MNIST digits with the deterministic engine; print accuracy and roots")
    .option("--model <name>", "mlp, cnn or charlm: the default spec of `veritrain spec default --model`", modelName, "mlp")
    .option("--steps <n>", `training steps (default: mlp ${JOB_DEFAULTS.steps}, cnn ${CNN_STEPS}, charlm ${CHARLM_STEPS})`, positiveInt("--steps", 10_000_000))
    .option("--batch-size <n>", "examples per step", positiveInt("--batch-size", 65536))
    .option("--checkpoint-interval <n>", "steps between committed checkpoints", positiveInt("--checkpoint-interval"), JOB_DEFAULTS.checkpointInterval)
    .option("--seed <hex>", "32-byte job seed (hex)", hex32("--seed"))
    .option("--layers <widths>", "layer widths, e.g. 784,128,10", layerList)
    .option("--backend <name>", "onnx (fast) or reference (TypeScript); roots are identical", backendName, "onnx")
    .option("--workers <n>", "data-parallel gradient workers (threads, each its own onnxruntime session); roots are identical for any count", positiveInt("--workers", MAX_WORKERS), 1)
    .option("--spec <file>", "a spec JSON file (see `veritrain spec`); overrides --model/--seed/--layers/--batch-size")
    .option("--out <file>", "write the final training state to this file")
    .option("--json", "print the result as one JSON object")
    .action(async (f: TrainFlags) => {
      if (f.model === "charlm") {
        // The char LM trains on its own corpus and reports nats per character and sampled words.
        if (f.layers || f.workers > 1) throw new InvalidValueError(f.layers ? "--layers" : "--workers", "is not available with --model charlm");
        return trainCharlm({ ...f, steps: f.steps ?? CHARLM_STEPS, samples: 10 }, log(), signal);
      }
      const base = defaultMnistSpec({ ...f, model: f.model });
      const spec = f.spec ? await loadSpecFile(f.spec) : base.spec;
      if (spec.data.root !== base.spec.data.root) {
        throw new DatasetError(`the spec's dataset root ${spec.data.root} does not match the shipped MNIST training split (${base.spec.data.root})`);
      }
      const summary = await runTrainJob(log(), {
        spec, data: base.data, steps: f.steps ?? (f.model === "cnn" ? CNN_STEPS : JOB_DEFAULTS.steps), checkpointInterval: f.checkpointInterval, backend: f.backend, workers: f.workers, signal,
        ...(f.out ? { out: f.out } : {}),
      });
      if (f.json) process.stdout.write(JSON.stringify(summary) + "\n");
      else printSummary(summary);
    });
}
