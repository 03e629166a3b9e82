// The float32 baselines of bench:engine (bench/float32Cnn.ts, bench/float32CharLm.ts) must do the work of a
// real training step of the same model: the same state tensors as the deterministic step, gradients that are
// the gradients of their loss (central differences), and a loss that falls over a few hundred steps.
import { describe, it } from "node:test";
import { expect } from "chai";
import { type Batch, sampleBatch } from "../engine/batch.ts";
import { stateLayout } from "../engine/graph.ts";
import type { MnistSplit } from "../engine/mnist.ts";
import { nextRng } from "../engine/random.ts";
import type { TrainingSpecV2 } from "../engine/spec.ts";
import { initialState } from "../engine/state.ts";
import { sizeOf } from "../engine/tensor.ts";
import { charlmJob } from "../training/charlmJob.ts";
import { CNN_MODEL, mnistCnnSpec } from "../training/mnistJob.ts";
import { float32CharLm, tokenBatch } from "./float32CharLm.ts";
import { float32Cnn } from "./float32Cnn.ts";
import { floatBatch } from "./float32Mlp.ts";
import { floatOptimizer, type FloatTrainer } from "./float32Training.ts";

/** The twin's loss of one batch from its logits: 1/2 sum (z - onehot)^2 (MSE) or sum of -log softmax(z)[y] (CE). */
function batchLoss(z: Float32Array, labels: Float32Array, classes: number, loss: "mse" | "softmax_ce"): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = Array.from(z.subarray(i * classes, (i + 1) * classes)), y = labels[i]!;
    if (loss === "mse") total += row.reduce((s, v, j) => s + 0.5 * (v - (j === y ? 1 : 0)) ** 2, 0);
    else {
      const mx = Math.max(...row);
      total += Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0)) + mx - row[y]!;
    }
  }
  return total;
}

interface Case<F> {
  readonly spec: TrainingSpecV2;
  readonly open: () => Promise<FloatTrainer<F>>;
  readonly batches: (n: number) => F[];
  readonly labels: (b: F) => Float32Array;
}

function batchesOf<F>(spec: TrainingSpecV2, data: MnistSplit["train"], convert: (b: Batch) => F): (n: number) => F[] {
  return (n) => {
    let rng = initialState(spec).rng;
    return Array.from({ length: n }, () => {
      const b = sampleBatch(data, rng, spec);
      rng = nextRng(rng);
      return convert(b);
    });
  };
}

function describeTwin<F>(name: string, c: Case<F>): void {
  const loss = c.spec.model.loss, classes = c.spec.data.classes;
  describe(`float32 baseline: ${name}`, () => {
    it("holds as many state values per tensor as the deterministic step (parameters and optimizer state)", async () => {
      const t = await c.open();
      try {
        const ours = [...t.stateSizes].sort((a, b) => a - b);
        const det = stateLayout(c.spec).map((s) => sizeOf(s.shape)).sort((a, b) => a - b);
        expect(ours).to.deep.equal(det);
      } finally {
        await t.close();
      }
    });

    it("updates every parameter by the gradient of its loss (central differences)", async () => {
      const t = await c.open();
      try {
        // A few steps first: at step 0 the biases are zero and every ReLU over the images' blank borders sits
        // exactly on its kink, where a central difference averages the two one-sided slopes.
        const batches = c.batches(11), batch = batches[10]!, labels = c.labels(batch);
        for (const b of batches.slice(0, 10)) await t.step(b);
        const s0 = t.state();
        await t.step(batch);
        const s1 = t.state();
        const o = floatOptimizer(c.spec);
        const lossAt = async (values: Record<string, Float32Array>) => {
          t.setState(values);
          return batchLoss(await t.step(batch), labels, classes, loss);
        };
        const params = Object.keys(s0).filter((n) => /^l\d+_[wb]$/.test(n));
        expect(params.length).to.equal(stateLayout(c.spec).filter((s) => /^l\d+\.[wb]$/.test(s.name)).length);
        for (const p of params) {
          const lr = p.endsWith("_b") ? o.lrB : o.lrW;
          // The step's gradient from its update: momentum moves by mu vel + lr g (vel holds lr v); Adam's first
          // moment by b1 (g - m).
          const grad = o.name === "adam"
            ? Array.from(s1[`${p}_m`]!, (m, i) => s0[`${p}_m`]![i]! + (m - s0[`${p}_m`]![i]!) / o.b1)
            : Array.from(s0[p]!, (w, i) => (w - s1[p]![i]! - (o.mu > 0 ? o.mu * s0[`${p}_vel`]![i]! : 0)) / lr);
          // The element with the largest gradient (differences of a float32 loss resolve it best).
          const e = grad.reduce((best, g, i) => (Math.abs(g) > Math.abs(grad[best]!) ? i : best), 0);
          expect(Math.abs(grad[e]!), `${p}: a zero gradient`).to.be.greaterThan(0);
          // A small step: a larger one moves pre-activations across ReLU kinks and pooling ties (at 1e-3 the
          // convolutions' differences were off by up to 10%, at 1e-4 every one within 0.3%).
          const h = 1e-4;
          const plus = { ...s0, [p]: Float32Array.from(s0[p]!) }, minus = { ...s0, [p]: Float32Array.from(s0[p]!) };
          plus[p]![e]! += h;
          minus[p]![e]! -= h;
          const numeric = ((await lossAt(plus)) - (await lossAt(minus))) / (2 * h);
          expect(numeric / grad[e]!, `${p}[${e}]: gradient ${grad[e]} against differences ${numeric}`).to.be.closeTo(1, 0.02);
        }
      } finally {
        await t.close();
      }
    });

    it("trains: its loss falls over 300 steps", async () => {
      const t = await c.open();
      try {
        const losses: number[] = [];
        for (const b of c.batches(300)) losses.push(batchLoss(await t.step(b), c.labels(b), classes, loss) / c.labels(b).length);
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        const first = mean(losses.slice(0, 30)), last = mean(losses.slice(-30));
        expect(last, `mean loss of the first 30 steps ${first}, of the last 30 ${last}`).to.be.lessThan(0.85 * first);
      } finally {
        await t.close();
      }
    });
  });
}

const cnn = mnistCnnSpec();
describeTwin("cnn", {
  spec: cnn.spec, open: () => float32Cnn(cnn.spec, { threads: 1 }),
  batches: batchesOf(cnn.spec, cnn.data.train, (b) => floatBatch(cnn.data.train, b)), labels: (b) => b.labels,
});
// The same CNN with the softmax cross-entropy loss (bench:engine's opt-in cnn_ce).
const cnnCe = mnistCnnSpec({ model: { ...CNN_MODEL, loss: "softmax_ce" } });
describeTwin("cnn_ce", {
  spec: cnnCe.spec, open: () => float32Cnn(cnnCe.spec, { threads: 1 }),
  batches: batchesOf(cnnCe.spec, cnnCe.data.train, (b) => floatBatch(cnnCe.data.train, b)), labels: (b) => b.labels,
});
const lm = charlmJob();
describeTwin("charlm", {
  spec: lm.spec, open: () => float32CharLm(lm.spec, { threads: 1 }),
  batches: batchesOf(lm.spec, lm.corpus.train, tokenBatch), labels: (b) => b.labels,
});
