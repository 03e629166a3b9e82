import type { Command } from "commander";
import { canonicalSpecJson, specHash } from "../../engine/spec.ts";
import { mnistSpec } from "../../training/mnistJob.ts";
import { hex32, layerList, positiveInt } from "../options.ts";
import { loadSpecFile } from "./train.ts";

export function registerSpec(program: Command): void {
  const spec = program.command("spec").description("training specs: print the default MNIST spec, or check one");
  spec
    .command("default")
    .description("print the default MNIST training spec as JSON")
    .option("--seed <hex>", "32-byte job seed (hex)", hex32("--seed"))
    .option("--batch-size <n>", "examples per step", positiveInt("--batch-size", 65536))
    .option("--layers <widths>", "layer widths, e.g. 784,128,10", layerList)
    .action((f: { seed?: string; batchSize?: number; layers?: number[] }) => {
      const { spec: s } = mnistSpec({ ...(f.seed ? { seed: f.seed } : {}), ...(f.batchSize ? { batchSize: f.batchSize } : {}), ...(f.layers ? { layers: f.layers } : {}) });
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
