import { datasetRoot } from "../../commitment/dataset.ts";
import { toHex } from "../../commitment/hash.ts";
import { buildProgram } from "../../commitment/program.ts";
import { stateRoot } from "../../commitment/stateRoot.ts";
import { buildStepGraph } from "../../engine/graph.ts";
import type { OpKind } from "../../engine/ops/index.ts";
import { referenceRunner } from "../../engine/reference.ts";
import { makeSpecV2, specHash, type TrainingSpecV2 } from "../../engine/spec.ts";
import { initialState } from "../../engine/state.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { applyStep } from "../../training/train.ts";
import { opVectorCase, syntheticDataset, vt } from "./generate.ts";

/**
 * Shared vectors of spec version 2 and the CNN ops (codes 10-14): per-op input/output cases (padding taps,
 * col2im's overlapping sums, max pooling's ties), and a small CNN job's spec hash, program root and first
 * state roots. `node test/vectors/writeModels.ts` rewrites ops.v2.models.json; models.test.ts checks it.
 */
export function modelOpVectors() {
  const t = vt;
  const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
  const cases: { kind: OpKind; attrs: unknown; inputs: Tensor[] }[] = [
    { kind: "reshape", attrs: { shape: [2, 6] }, inputs: [t([4, 3], ramp(12, (i) => i * (i % 2 ? -1 : 1)))] },
    // 3x3x2 image, k 2, stride 1, pad 1: a 4x4 output grid whose border taps are padding.
    { kind: "im2col", attrs: { H: 3, W: 3, C: 2, k: 2, stride: 1, pad: 1 }, inputs: [t([9, 2], ramp(18, (i) => i - 9))] },
    // Stride 2, k 3, pad 1 on 4x4x1: overlapping windows.
    { kind: "im2col", attrs: { H: 4, W: 4, C: 1, k: 3, stride: 2, pad: 1 }, inputs: [t([1, 16], ramp(16, (i) => 3 * i - 20))] },
    { kind: "col2im", attrs: { H: 3, W: 3, C: 1, k: 2, stride: 1, pad: 0 }, inputs: [t([4, 4], ramp(16, (i) => (i % 3) - 1 + i))] },
    { kind: "col2im", attrs: { H: 4, W: 4, C: 1, k: 3, stride: 2, pad: 1 }, inputs: [t([4, 9], ramp(36, (i) => (i % 2 ? -i : i)))] },
    // Windows: all equal (first wins), a later max, a tie of the last two, negatives.
    { kind: "maxpool", attrs: { H: 2, W: 4, C: 2, size: 2 }, inputs: [t([8, 2], [3, -1, 3, -2, 5, 7, 5, 7, 3, -3, 3, -1, 2, 0, 8, 0])] },
    { kind: "maxpool_grad", attrs: { H: 2, W: 4, C: 2, size: 2 }, inputs: [t([2, 2], [10, -20, 30, -40]), t([8, 2], [3, -1, 3, -2, 5, 7, 5, 7, 3, -3, 3, -1, 2, 0, 8, 0])] },
  ];
  return {
    version: 2,
    layout: "images are channels last (HWC); a batch of B images is [B*H*W, C] (im2col also reads [B, H*W*C]); im2col columns are ordered (ky, kx, c)",
    maxpoolTies: "maxpool_grad sends a window's gradient to the first position in (ky, kx) order where x equals the window max",
    cases: cases.map(opVectorCase),
  };
}

/** A small version 2 CNN job on synthetic 6x6x1 images: every CNN op, momentum. */
export function tinyCnnSpec(): { spec: TrainingSpecV2; data: ReturnType<typeof syntheticDataset> } {
  const data = syntheticDataset(24, 36, 3);
  const spec = makeSpecV2({
    model: {
      input: [6, 6, 1],
      layers: [
        { kind: "conv2d", filters: 3, kernel: 3, stride: 1, pad: 1 }, { kind: "relu" }, { kind: "maxpool", size: 2 },
        { kind: "conv2d", filters: 4, kernel: 2, stride: 1, pad: 0 }, { kind: "relu" }, { kind: "flatten" },
        { kind: "dense", units: 3 },
      ],
      loss: "mse",
    },
    batchSize: 4, seed: "0c".repeat(32),
    optimizer: { momentumNum: 7, momentumShift: 3 },
    data: { root: datasetRoot(data).toString("hex"), count: data.count, features: data.features, classes: data.classes },
  });
  return { spec, data };
}

export async function modelJobVectors() {
  const { spec, data } = tinyCnnSpec();
  const graph = buildStepGraph(spec);
  const runner = referenceRunner(graph);
  let s = initialState(spec);
  const roots = [{ step: 0, root: toHex(stateRoot(spec, s)) }];
  for (let i = 0; i < 3; i++) {
    s = (await applyStep(runner, spec, data, s)).state;
    roots.push({ step: s.step, root: toHex(stateRoot(spec, s)) });
  }
  return {
    version: 2,
    spec,
    specHash: specHash(spec),
    programRoot: toHex(buildProgram(spec, graph).root),
    ops: graph.ops.map((o) => `${o.kind}:${graph.tensors[o.output]!.name}`),
    stateRoots: roots,
  };
}
