import { InvalidValueError } from "../../core/root.ts";
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { FileReadError } from "../../engine/errors.ts";
import { stateWeights } from "../../engine/evaluate.ts";
import { exportInferenceOnnx } from "../../engine/onnx/exportInference.ts";
import { decodeState } from "../../engine/stateFile.ts";
import { checkWritable, writeOutFile } from "../outFile.ts";
import { defaultMnistSpec, type ModelName, modelName } from "./defaultSpec.ts";
import { loadSpecFile } from "../specFile.ts";

interface ExportFlags {
  onnx: string;
  state: string;
  spec?: string;
  model: ModelName;
  plain?: boolean;
}

export function registerExport(program: Command): void {
  program
    .command("export")
    .description("write a trained state as a standard float32 ONNX inference graph (input `pixels` [N, features] bytes 0..255 as floats, output `logits` [N, classes]); see docs/engine.md, \"Exporting a model\"")
    .requiredOption("--onnx <file>", "the .onnx file to write")
    .requiredOption("--state <file>", "the trained state (`veritrain train --out`)")
    .option("--spec <file>", "the spec JSON file the state belongs to (default: the --model default spec)")
    .option("--model <name>", "mlp or cnn: the default spec, when no --spec is given", modelName, "mlp")
    .option("--plain", "leave out the activation rounding (a plain float network; predictions agree slightly less)")
    .action(async (f: ExportFlags) => {
      if (!f.spec && f.model === "charlm") throw new InvalidValueError("--model", "charlm cannot be exported yet: export covers the MLP and the CNN (dense, conv2d, relu, maxpool, flatten)");
      const spec = f.spec ? await loadSpecFile(f.spec) : defaultMnistSpec({ model: f.model === "charlm" ? "mlp" : f.model }).spec;
      await checkWritable("--onnx", f.onnx);
      let bytes: Buffer;
      try {
        bytes = await readFile(f.state);
      } catch (e) {
        throw new FileReadError(`cannot read state file ${f.state}: ${(e as Error).message}`, { path: f.state });
      }
      const state = decodeState(spec, bytes);
      const onnx = exportInferenceOnnx(spec, stateWeights(spec, state), { roundActivations: !f.plain });
      await writeOutFile("--onnx", f.onnx, onnx);
      process.stdout.write(`wrote ${f.onnx} (${onnx.length} bytes): the model at step ${state.step}\n`);
    });
}
