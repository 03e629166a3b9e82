// Character-level language model benchmark (issue 13): trains the default char-LM spec (docs/specs/charlm.json's
// shape: training/charlmJob.ts) on the random-name corpus with the ONNX backend, and a float64 and a float32
// twin of the same shape on the same batches with the same Adam (training/charlmFloat.ts); prints the three
// held-out losses (nats per character), the step time and a few words sampled from the integer model.
//
//   npm run bench:charlm                    # CHARLM_STEPS (default 3000) steps
import { readFileSync } from "node:fs";
import { sampleBatch } from "../engine/batch.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { parseSpec, type TrainingSpecV2 } from "../engine/spec.ts";
import { initialState } from "../engine/state.ts";
import { createLogger } from "../log/logger.ts";
import { charlmJob, heldOutNats, parameters, sampleWords } from "../training/charlmJob.ts";
import { floatTwin } from "../training/charlmFloat.ts";
import { applyStep, createRunner } from "../training/train.ts";
import { report, round } from "./report.ts";

const log = createLogger("bench:charlm");
const steps = Number(process.env.CHARLM_STEPS ?? 3000);
if (!Number.isSafeInteger(steps) || steps < 1) throw new RangeError(`CHARLM_STEPS must be a positive integer, got ${process.env.CHARLM_STEPS}`);

const { spec: built, corpus } = charlmJob();
// The committed spec file must be the job's spec (its data root binds it to this corpus).
const committed = parseSpec(JSON.parse(readFileSync(new URL("../docs/specs/charlm.json", import.meta.url), "utf8"))) as TrainingSpecV2;
if (JSON.stringify(committed) !== JSON.stringify(built)) throw new Error("docs/specs/charlm.json differs from charlmJob()'s spec: regenerate it (node scripts/write-charlm-spec.ts)");
const spec = committed;
log.info({ vocab: corpus.vocab.join(""), train: corpus.train.count, heldOut: corpus.heldOut.count, steps }, "char-LM corpus");

const runner = await createRunner(buildStepGraph(spec), "onnx");
let state = initialState(spec);
const twin = floatTwin(spec, state);
const twin32 = floatTwin(spec, state, "float32");
let intMs = 0;
const t0 = performance.now();
try {
  for (let i = 0; i < steps; i++) {
    const batch = sampleBatch(corpus.train, state.rng, spec);
    const a = performance.now();
    state = (await applyStep(runner, spec, corpus.train, state)).state;
    intMs += performance.now() - a;
    twin.step(batch);
    twin32.step(batch);
    if ((i + 1) % 500 === 0 || i + 1 === steps) log.info({ step: i + 1, steps, msPerStep: round(intMs / (i + 1)) }, "training");
  }
} finally {
  await runner.close();
}
const trainS = (performance.now() - t0) / 1000;
const params = parameters(spec, state);
const intNats = await heldOutNats(spec, params, corpus.heldOut);
const floatNats = twin.loss(corpus.heldOut);
const float32Nats = twin32.loss(corpus.heldOut);
const words = sampleWords(spec, params, corpus.vocab, 12, spec.training.seed);
log.info({ words }, "sampled from the integer model (seeded draws through the integer softmax)");
report("charlm", {
  heldout_nats_per_char: round(intNats, 4),
  float_heldout_nats_per_char: round(floatNats, 4),
  float32_heldout_nats_per_char: round(float32Nats, 4),
  ratio: round(intNats / floatNats, 4),
  ratio_vs_float32: round(intNats / float32Nats, 4),
  ms_per_step: round(intMs / steps, 2),
  train_s: round(trainS, 1),
  steps,
  batch_size: spec.training.batchSize,
  uniform_nats: round(Math.log(corpus.vocab.length), 4),
}, { words, model: spec.model, optimizer: spec.optimizer });
