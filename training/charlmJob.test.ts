import { describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { sampleBatch } from "../engine/batch.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { parseSpec } from "../engine/spec.ts";
import { nextRng } from "../engine/random.ts";
import { initialState } from "../engine/state.ts";
import { floatTwin } from "./charlmFloat.ts";
import { charlmJob, heldOutNats, nameWords, parameters, sampleWords } from "./charlmJob.ts";
import { normalizeWords } from "./charCorpus.ts";
import { applyStep, createRunner, train } from "./train.ts";

/**
 * The character-LM job: the random-name corpus, the committed spec file, a short training run whose integer
 * held-out loss tracks the float64 twin's, and reproducible sampling. The full-length comparison is
 * `npm run bench:charlm`.
 */
describe("character-level language model job (training/charlmJob.ts)", () => {
  const { spec, corpus } = charlmJob();

  it("reads the random-name corpus: 8,425 distinct names, a 30-character vocabulary, a by-word split", () => {
    expect(normalizeWords(nameWords()).length).to.equal(8425);
    expect(corpus.vocab.join("")).to.equal(". '-abcdefghijklmnopqrstuvwxyz");
    expect(corpus.trainWords.length + corpus.heldOutWords.length).to.equal(8425);
    expect(spec.data.count).to.equal(corpus.train.count);
    expect(spec.model.layers[0]).to.deep.equal({ kind: "embedding", vocab: 30, dim: 16 });
  });

  it("docs/specs/charlm.json is the job's spec (same fields, so the same hash and data root)", () => {
    const file = parseSpec(JSON.parse(readFileSync(new URL("../docs/specs/charlm.json", import.meta.url), "utf8")));
    expect(file).to.deep.equal(spec);
  });

  it("300 steps: the integer model's held-out loss is within 3% of the float64 twin's, both well below uniform", async () => {
    const runner = await createRunner(buildStepGraph(spec), "onnx");
    let state = initialState(spec);
    const twin = floatTwin(spec, state);
    try {
      for (let i = 0; i < 300; i++) {
        twin.step(sampleBatch(corpus.train, state.rng, spec));
        state = (await applyStep(runner, spec, corpus.train, state)).state;
      }
    } finally {
      await runner.close();
    }
    const intNats = await heldOutNats(spec, parameters(spec, state), corpus.heldOut);
    const floatNats = twin.loss(corpus.heldOut);
    console.log(`char LM, 300 steps: held-out ${intNats.toFixed(4)} (integer) vs ${floatNats.toFixed(4)} (float64) nats/char, uniform ${Math.log(30).toFixed(4)}`);
    expect(Math.abs(intNats / floatNats - 1)).to.be.below(0.03);
    expect(intNats).to.be.below(Math.log(30) - 0.7);
    // The backends agree on the evaluation too.
    expect(await heldOutNats(spec, parameters(spec, state), corpus.heldOut, "reference")).to.equal(intNats);

    const words = sampleWords(spec, parameters(spec, state), corpus.vocab, 8, "a");
    expect(sampleWords(spec, parameters(spec, state), corpus.vocab, 8, "a"), "same seed, same words").to.deep.equal(words);
    expect(sampleWords(spec, parameters(spec, state), corpus.vocab, 8, "b"), "another seed, other words").to.not.deep.equal(words);
    for (const w of words) expect([...w].every((c) => corpus.vocab.includes(c) && c !== ".")).to.equal(true);
  });

  it("the float32 twin rounds what the float64 twin keeps exact (its held-out loss differs) and learns the same (within 1% after 100 steps)", () => {
    const state = initialState(spec);
    const t64 = floatTwin(spec, state), t32 = floatTwin(spec, state, "float32");
    let s = state;
    for (let i = 0; i < 100; i++) {
      const batch = sampleBatch(corpus.train, s.rng, spec);
      t64.step(batch);
      t32.step(batch);
      s = { ...s, rng: nextRng(s.rng) };
    }
    const [n64, n32] = [t64.loss(corpus.heldOut), t32.loss(corpus.heldOut)];
    console.log(`char LM twins, 100 steps: held-out ${n64.toFixed(6)} (float64) vs ${n32.toFixed(6)} (float32) nats/char`);
    expect(n32).to.not.equal(n64);
    expect(Math.abs(n32 / n64 - 1)).to.be.below(0.01);
    expect(n32).to.be.below(Math.log(30) - 0.3);
  });

  it("train() reports a softmax_ce spec's batch loss as cross-entropy in nats (display), falling from about ln(vocab)", async () => {
    const small = charlmJob({ context: 3, dim: 8, hidden: [32], batchSize: 32 });
    const losses: number[] = [];
    await train({ spec: small.spec, dataset: small.corpus.train, steps: 60, checkpointInterval: 60, onStep: (i) => losses.push(i.loss) });
    const V = small.corpus.vocab.length;
    expect(Math.abs(losses[0]! - Math.log(V)), `first loss ${losses[0]} vs ln ${V}`).to.be.below(1);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-10))).to.be.below(mean(losses.slice(0, 10)) - 0.3);
  });
});
