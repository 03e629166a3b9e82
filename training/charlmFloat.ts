import type { Batch, Dataset } from "../engine/batch.ts";
import { isParameter, stateLayout } from "../engine/graph.ts";
import type { TrainingSpecV2 } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";

/**
 * The float twin of a character-LM spec (embedding -> (dense, relu)* -> dense, softmax cross-entropy, Adam
 * without bias correction): the same shape, the same initial weights (the integer initial state dequantized:
 * master / 2^masterFrac), fed the same batches, with the same Adam rates and learning rate in real units.
 * In float64, or in float32: every tensor, Adam slot and running sum (each multiply-add of a matrix product,
 * the softmax row sums) rounded to float32 as a float32 framework keeps them. Nothing of it is committed: it
 * is the yardstick the integer model's held-out loss is compared to.
 */
export interface FloatLm {
  step(batch: Batch): void;
  /** Mean cross-entropy in nats over a dataset. */
  loss(data: Dataset): number;
}

type Floats = Float32Array | Float64Array;

interface Param {
  readonly w: Floats;
  readonly m: Floats;
  readonly v: Floats;
  readonly lr: number;
}

/** The twin's arithmetic: float64, or float32 (storage and running sums rounded to float32). */
export type FloatPrecision = "float64" | "float32";

export function floatTwin(spec: TrainingSpecV2, init: TrainingState, precision: FloatPrecision = "float64", epsReal = 1e-8): FloatLm {
  const f32 = precision === "float32";
  const zeros = (n: number): Floats => (f32 ? new Float32Array(n) : new Float64Array(n));
  /** A scalar running sum as the twin's arithmetic keeps it. */
  const round: (x: number) => number = f32 ? Math.fround : (x) => x;
  const layers = spec.model.layers;
  const emb = layers[0];
  if (emb?.kind !== "embedding" || spec.model.loss !== "softmax_ce" || spec.optimizer.name !== "adam") {
    throw new Error("floatTwin: needs an embedding first, the softmax_ce loss and the adam optimizer");
  }
  const T = spec.model.input[0]!, V = emb.vocab, D = emb.dim;
  const adam = spec.optimizer.adam!;
  const b1 = adam.b1Num / 2 ** adam.b1Shift, b2 = adam.b2Num / 2 ** adam.b2Shift;
  const scale = 2 ** -spec.quant.masterFrac;
  const slots = stateLayout(spec).filter((s) => isParameter(s.name));
  const params = new Map<string, Param>();
  slots.forEach((s, i) => {
    const w = zeros(init.tensors[i]!.data.length);
    w.set(Array.from(init.tensors[i]!.data, (x) => x * scale));
    const shift = s.name.endsWith(".b") ? spec.optimizer.biasLrShift : spec.optimizer.lrShift;
    params.set(s.name, { w, m: zeros(w.length), v: zeros(w.length), lr: (spec.optimizer.lrNum / 2 ** shift) * scale });
  });
  // Dense layers in order: p (state prefix), fan-in, units, followed by a relu.
  const dense: { p: number; n: number; u: number; relu: boolean }[] = [];
  let width = T * D, p = 0;
  layers.forEach((l, i) => {
    if (l.kind === "dense") {
      dense.push({ p: ++p, n: width, u: l.units, relu: layers[i + 1]?.kind === "relu" });
      width = l.units;
    } else if (l.kind !== "embedding" && l.kind !== "relu") throw new Error(`floatTwin: layer ${i} (${l.kind}) is not supported`);
  });
  const P = (name: string) => params.get(name)!;

  /** Activations of every layer for rows x (B x T indices): [input, after dense 1, ...]; the last are the logits. */
  function forward(x: ArrayLike<number>, B: number): Floats[] {
    const E = P("l0.w").w, a0 = zeros(B * T * D);
    for (let i = 0; i < B * T; i++) a0.set(E.subarray(x[i]! * D, x[i]! * D + D), i * D);
    const acts = [a0];
    for (const l of dense) {
      const W = P(`l${l.p}.w`).w, bias = P(`l${l.p}.b`).w, a = acts[acts.length - 1]!, z = zeros(B * l.u);
      for (let r = 0; r < B; r++) {
        const zr = z.subarray(r * l.u, (r + 1) * l.u);
        zr.set(bias);
        for (let k = 0; k < l.n; k++) {
          const av = a[r * l.n + k]!;
          if (av === 0) continue;
          const wr = W.subarray(k * l.u, (k + 1) * l.u);
          for (let j = 0; j < l.u; j++) zr[j]! += av * wr[j]!;
        }
        if (l.relu) for (let j = 0; j < l.u; j++) if (zr[j]! < 0) zr[j] = 0;
      }
      acts.push(z);
    }
    return acts;
  }

  function softmaxRows(z: Floats, B: number): Floats {
    const out = zeros(z.length);
    for (let r = 0; r < B; r++) {
      let mx = -Infinity;
      for (let j = 0; j < V; j++) mx = Math.max(mx, z[r * V + j]!);
      let s = 0;
      for (let j = 0; j < V; j++) s = round(s + (out[r * V + j] = Math.exp(z[r * V + j]! - mx)));
      for (let j = 0; j < V; j++) out[r * V + j]! /= s;
    }
    return out;
  }

  function adamStep(q: Param, g: Floats): void {
    for (let i = 0; i < g.length; i++) {
      q.m[i]! += b1 * (g[i]! - q.m[i]!);
      q.v[i]! += b2 * (g[i]! * g[i]! - q.v[i]!);
      q.w[i]! -= (q.lr * q.m[i]!) / (Math.sqrt(q.v[i]!) + epsReal);
    }
  }

  return {
    step(batch) {
      const B = batch.labels.data.length, x = batch.x.data, y = batch.labels.data;
      const acts = forward(x, B);
      // dL/dz summed over the batch (as softmax_ce_grad): p - onehot.
      let d = softmaxRows(acts[acts.length - 1]!, B);
      for (let r = 0; r < B; r++) d[r * V + y[r]!]! -= 1;
      const grads = new Map<string, Floats>();
      for (let li = dense.length - 1; li >= 0; li--) {
        const l = dense[li]!, a = acts[li]!, W = P(`l${l.p}.w`).w;
        const gW = zeros(l.n * l.u), gb = zeros(l.u), da = zeros(B * l.n);
        for (let r = 0; r < B; r++) {
          const dr = d.subarray(r * l.u, (r + 1) * l.u);
          for (let j = 0; j < l.u; j++) gb[j]! += dr[j]!;
          for (let k = 0; k < l.n; k++) {
            const av = a[r * l.n + k]!, wr = W.subarray(k * l.u, (k + 1) * l.u), gr = gW.subarray(k * l.u, (k + 1) * l.u);
            let s = 0;
            for (let j = 0; j < l.u; j++) {
              gr[j]! += av * dr[j]!;
              s = round(s + dr[j]! * wr[j]!);
            }
            da[r * l.n + k] = s;
          }
        }
        // The layer below's relu (the input of dense li > 0 is a relu output): its mask.
        if (li > 0 && dense[li - 1]!.relu) for (let i = 0; i < da.length; i++) if (a[i]! <= 0) da[i] = 0;
        grads.set(`l${l.p}.w`, gW).set(`l${l.p}.b`, gb);
        d = da;
      }
      const gE = zeros(V * D);
      for (let i = 0; i < B * T; i++) for (let j = 0; j < D; j++) gE[x[i]! * D + j]! += d[i * D + j]!;
      grads.set("l0.w", gE);
      for (const s of slots) adamStep(P(s.name), grads.get(s.name)!);
    },
    loss(data) {
      let total = 0;
      const chunk = 1024;
      for (let start = 0; start < data.count; start += chunk) {
        const B = Math.min(chunk, data.count - start);
        const acts = forward(data.pixels.subarray(start * T, (start + B) * T), B);
        const pr = softmaxRows(acts[acts.length - 1]!, B);
        for (let r = 0; r < B; r++) total -= Math.log(pr[r * V + data.labels[start + r]!]!);
      }
      return total / data.count;
    },
  };
}
