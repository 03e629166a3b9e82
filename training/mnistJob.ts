import { datasetRoot } from "../commitment/dataset.ts";
import { loadMnist, type MnistSplit } from "../engine/mnist.ts";
import { makeSpec, type TrainingSpecV1 } from "../engine/spec.ts";

/** The default MNIST job: the shipped digits, the default quantization, a fixed demo seed unless given. */
export const DEMO_SEED = "5eed".repeat(16);

export function mnistSpec(opts: { seed?: string; batchSize?: number; layers?: readonly number[] } = {}): { spec: TrainingSpecV1; data: MnistSplit } {
  const data = loadMnist();
  const spec = makeSpec({
    seed: opts.seed ?? DEMO_SEED,
    ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
    ...(opts.layers === undefined ? {} : { layers: opts.layers }),
    data: { root: datasetRoot(data.train).toString("hex"), count: data.train.count, features: data.train.features, classes: data.train.classes },
  });
  return { spec, data };
}
