import type { Command } from "commander";
import { toHex } from "../../commitment/hash.ts";
import { DatasetError } from "../../engine/errors.ts";
import type { TrainingSpecV2 } from "../../engine/spec.ts";
import { encodeState } from "../../engine/stateFile.ts";
import { specHash } from "../../engine/spec.ts";
import type { Logger } from "../../log/logger.ts";
import { CHARLM_STEPS, charlmJob, heldOutNats, parameters, sampleWords } from "../../training/charlmJob.ts";
import { train } from "../../training/train.ts";
import { backendName, hex32, positiveInt } from "../options.ts";
import { checkWritable, writeOutFile } from "../outFile.ts";
import { createProgress } from "../progress.ts";
import { loadSpecFile } from "../specFile.ts";

/**
 * `veritrain charlm`: the character-level language model of issue 13 (training/charlmJob.ts) from the command
 * line: print its default spec, train it (this spec or a spec file over the same corpus) and report the
 * held-out loss in nats per character, the roots and words sampled from the trained integer model.
 */
interface CharlmFlags {
  seed?: string;
  batchSize?: number;
}

function defaultJob(f: CharlmFlags) {
  return charlmJob({ ...(f.seed ? { seed: f.seed } : {}), ...(f.batchSize ? { batchSize: f.batchSize } : {}) });
}

export function registerCharlm(program: Command, log: () => Logger, signal: AbortSignal): void {
  const cmd = program.command("charlm").description("the character-level language model (random-name corpus, spec version 2): its spec, training");
  cmd
    .command("spec")
    .description("print the default char-LM spec as JSON (docs/specs/charlm.json with the flags' seed and batch size)")
    .option("--seed <hex>", "32-byte job seed (hex)", hex32("--seed"))
    .option("--batch-size <n>", "examples per step", positiveInt("--batch-size", 65536))
    .action((f: CharlmFlags) => {
      process.stdout.write(JSON.stringify(defaultJob(f).spec, null, 2) + "\n");
    });
  cmd
    .command("train")
    .description("train the char LM with the deterministic engine; print held-out nats per character, roots and sampled words")
    .option("--steps <n>", "training steps", positiveInt("--steps", 10_000_000), CHARLM_STEPS)
    .option("--checkpoint-interval <n>", "steps between committed checkpoints", positiveInt("--checkpoint-interval"), 500)
    .option("--seed <hex>", "32-byte job seed (hex)", hex32("--seed"))
    .option("--batch-size <n>", "examples per step", positiveInt("--batch-size", 65536))
    .option("--backend <name>", "onnx (fast) or reference (TypeScript); roots are identical", backendName, "onnx")
    .option("--spec <file>", "a spec file over the same corpus (its data root must be the char-LM training split's)")
    .option("--samples <n>", "words to sample from the trained model", positiveInt("--samples", 1000), 10)
    .option("--out <file>", "write the final training state to this file")
    .option("--json", "print the result as one JSON object")
    .action((f: CharlmTrainFlags) => trainCharlm(f, log(), signal));
}

export type CharlmTrainFlags = CharlmFlags & { steps: number; checkpointInterval: number; backend: "onnx" | "reference"; spec?: string; samples: number; out?: string; json?: boolean };

/** Trains the char LM (its default spec or a spec file over the same corpus) and prints the result: `charlm train` and `train --model charlm`. */
export async function trainCharlm(f: CharlmTrainFlags, logger: Logger, signal: AbortSignal): Promise<void> {
  const log = () => logger;
  const base = defaultJob(f);
  const spec = f.spec ? await loadSpecFile(f.spec) : base.spec;
  if (spec.data.root !== base.spec.data.root || spec.version !== 2) {
    throw new DatasetError(`the spec's dataset root ${spec.data.root} is not the char-LM training split's (${base.spec.data.root})`);
  }
  if (spec.model.input.length !== 1 || spec.model.input[0] !== base.corpus.context) {
    throw new DatasetError(`the spec's input [${spec.model.input}] is not the corpus's context window [${base.corpus.context}]`);
  }
  if (f.out) await checkWritable("--out", f.out);
  const hash = specHash(spec);
  log().info({ specHash: hash, layers: spec.model.layers, batchSize: spec.training.batchSize, steps: f.steps, backend: f.backend }, "training the char LM");
  const progress = createProgress(log(), "charlm", f.steps);
  let lossAvg = NaN;
  const t0 = performance.now();
  const result = await train({
    spec, dataset: base.corpus.train, steps: f.steps, checkpointInterval: f.checkpointInterval, backend: f.backend, signal,
    onStep: (i) => {
      lossAvg = Number.isNaN(lossAvg) ? i.loss : 0.98 * lossAvg + 0.02 * i.loss;
      progress.update(i.step, { nats: lossAvg.toFixed(4) });
    },
  });
  progress.stop();
  const trainSeconds = Math.round(performance.now() - t0) / 1000;
  const params = parameters(spec as TrainingSpecV2, result.state);
  const nats = await heldOutNats(spec as TrainingSpecV2, params, base.corpus.heldOut, f.backend);
  const words = sampleWords(spec as TrainingSpecV2, params, base.corpus.vocab, f.samples, spec.training.seed);
  if (f.out) {
    await writeOutFile("--out", f.out, encodeState(spec, result.state), "trained, but ");
    log().info({ file: f.out, step: result.state.step }, "state written");
  }
  const summary = {
    specHash: hash, backend: f.backend, steps: f.steps, trainSeconds, heldoutNatsPerChar: Math.round(nats * 1e4) / 1e4,
    heldoutExamples: base.corpus.heldOut.count, finalStateRoot: toHex(result.checkpoints.at(-1)!.root), historyRoot: toHex(result.historyRoot),
    samples: words, ...(f.out ? { stateFile: f.out } : {}),
  };
  if (f.json) {
    process.stdout.write(JSON.stringify(summary) + "\n");
    return;
  }
  const lines = [
    `spec hash           0x${summary.specHash}`,
    `backend             ${summary.backend}`,
    `steps               ${summary.steps} in ${trainSeconds.toFixed(2)} s`,
    `held-out loss       ${summary.heldoutNatsPerChar.toFixed(4)} nats per character over ${summary.heldoutExamples} characters (uniform ${Math.log(base.corpus.vocab.length).toFixed(4)})`,
    `final state root    ${summary.finalStateRoot}`,
    `history root        ${summary.historyRoot}`,
    `sampled words       ${words.join(", ")}`,
  ];
  if (f.out) lines.push(`state file          ${f.out}`);
  process.stdout.write(lines.join("\n") + "\n");
}
