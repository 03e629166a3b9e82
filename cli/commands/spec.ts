import type { Command } from "commander";
import { InvalidValueError } from "../../core/root.ts";
import { canonicalSpecJson, specHash } from "../../engine/spec.ts";
import { hex32, layerList, positiveInt } from "../options.ts";
import { defaultMnistSpec, type ModelName, modelName } from "./defaultSpec.ts";
import { loadSpecFile } from "../specFile.ts";
import { charlmJob } from "../../training/charlmJob.ts";

export function registerSpec(program: Command): void {
  const spec = program.command("spec").description("training specs: print the default MNIST spec, or check one");
  spec
    .command("default")
    .description("print a default training spec as JSON: the MNIST MLP (spec version 1) or CNN (version 2), or the character-level language model (version 2)")
    .option("--model <name>", "mlp (dense 784-128-10), cnn (LeNet-style) or charlm (names corpus; no --layers)", modelName, "mlp")
    .option("--seed <hex>", "32-byte job seed (hex)", hex32("--seed"))
    .option("--batch-size <n>", "examples per step", positiveInt("--batch-size", 65536))
    .option("--layers <widths>", "layer widths of the mlp, e.g. 784,128,10", layerList)
    .action((f: { model: ModelName; seed?: string; batchSize?: number; layers?: number[] }) => {
      const common = { ...(f.seed ? { seed: f.seed } : {}), ...(f.batchSize ? { batchSize: f.batchSize } : {}) };
      if (f.model === "charlm" && f.layers) throw new InvalidValueError("--layers", "sets the MLP's widths; the char LM's layers are in its spec");
      const s = f.model === "charlm" ? charlmJob(common).spec : defaultMnistSpec({ ...f, model: f.model }).spec;
      process.stdout.write(JSON.stringify(s, null, 2) + "\n");
    });
  spec
    .command("check <file>")
    .description("validate a spec file and print its hash")
    .action(async (file: string) => {
      const s = await loadSpecFile(file);
      process.stdout.write(`valid spec, hash 0x${specHash(s)} (${canonicalSpecJson(s).length} canonical bytes)\n`);
    });
}
