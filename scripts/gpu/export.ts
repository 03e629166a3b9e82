/**
 * Writes the bundle for the GPU check (docs/engine.md, "On a GPU"): for each model, the ONNX step graph the
 * solver runs, the start state, every step's batch, and what the CPU backend computed: the sha256 of each
 * state tensor after every step, and the state root at every checkpoint. `replay.py` runs the same graph on
 * a GPU with PyTorch; `compare.ts` turns the GPU's final states into roots.
 *
 *   node scripts/gpu/export.ts [outDir=out/gpu]
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sampleBatch } from "../../engine/batch.ts";
import { buildStepGraph } from "../../engine/graph.ts";
import { lowerGraph } from "../../engine/onnx/lower.ts";
import { initialState, type TrainingState } from "../../engine/state.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { stateRoot } from "../../commitment/stateRoot.ts";
import { historyRoot } from "../../commitment/history.ts";
import { applyStep, createRunner } from "../../training/train.ts";
import { mnistSpec } from "../../training/mnistJob.ts";

export interface GpuCase {
  readonly name: string;
  readonly layers: readonly number[];
  readonly batchSize: number;
  readonly steps: number;
  readonly checkpointInterval: number;
}

/** The default job's model, and a wider one whose larger products run in float64 (both compute types). */
export const CASES: readonly GpuCase[] = [
  { name: "default", layers: [784, 128, 10], batchSize: 64, steps: 32, checkpointInterval: 8 },
  { name: "wide", layers: [784, 512, 256, 10], batchSize: 256, steps: 12, checkpointInterval: 4 },
];

/** Float64 little-endian bytes with -0 written as +0 (the commitments encode integers: -0 and 0 are one value). */
export function tensorBytes(t: Tensor): Buffer {
  const f = new Float64Array(t.data.length);
  for (let i = 0; i < f.length; i++) f[i] = t.data[i]! + 0;
  return Buffer.from(f.buffer);
}

export const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

export const stateMeta = (s: TrainingState) => ({ step: s.step, dataCursor: s.dataCursor, rng: Buffer.from(s.rng).toString("hex") });

async function exportCase(c: GpuCase, dir: string) {
  const { spec, data } = mnistSpec({ layers: c.layers, batchSize: c.batchSize });
  const graph = buildStepGraph(spec);
  const lowered = lowerGraph(graph, graph.stateOut);
  writeFileSync(path.join(dir, `${c.name}.onnx`), lowered.bytes);

  const runner = await createRunner(graph, "onnx");
  let s = initialState(spec);
  writeFileSync(path.join(dir, `${c.name}.init.bin`), Buffer.concat(s.tensors.map(tensorBytes)));
  const batches: Buffer[] = [];
  const stepHashes: string[][] = [];
  const checkpoints = [{ ...stateMeta(s), root: stateRoot(spec, s) }];
  const started = performance.now();
  try {
    while (s.step < c.steps) {
      const batch = sampleBatch(data.train, s.rng, spec);
      batches.push(tensorBytes(batch.x), tensorBytes(batch.labels));
      s = (await applyStep(runner, spec, data.train, s)).state;
      stepHashes.push(s.tensors.map((t) => sha256(tensorBytes(t))));
      if (s.step % c.checkpointInterval === 0 || s.step === c.steps) checkpoints.push({ ...stateMeta(s), root: stateRoot(spec, s) });
    }
  } finally {
    await runner.close();
  }
  const cpuStepMs = (performance.now() - started) / c.steps;
  writeFileSync(path.join(dir, `${c.name}.batches.bin`), Buffer.concat(batches));
  const name = (id: number) => lowered.names[id]!;
  return {
    ...c,
    specHash: s.specHash,
    onnx: `${c.name}.onnx`,
    init: `${c.name}.init.bin`,
    batches: `${c.name}.batches.bin`,
    x: { name: name(graph.x), shape: graph.tensors[graph.x]!.shape },
    labels: { name: name(graph.labels), shape: graph.tensors[graph.labels]!.shape },
    stateIn: graph.stateIn.map(name),
    stateOut: graph.stateOut.map(name),
    stateShapes: graph.stateIn.map((id) => graph.tensors[id]!.shape),
    computeTypes: { float32: lowered.types.filter((t) => t === "float32").length, float64: lowered.types.filter((t) => t === "float64").length },
    stepHashes,
    checkpoints: checkpoints.map((k) => ({ ...k, root: k.root.toString("hex") })),
    historyRoot: historyRoot(checkpoints).toString("hex"),
    cpuStepMs,
  };
}

async function main() {
  const dir = path.resolve(process.argv[2] ?? "out/gpu");
  mkdirSync(dir, { recursive: true });
  const cases = [];
  for (const c of CASES) {
    const e = await exportCase(c, dir);
    process.stderr.write(`exported ${c.name}: ${c.steps} steps, ${e.checkpoints.length} checkpoints, ${e.cpuStepMs.toFixed(1)} ms/step on the CPU (onnxruntime)\n`);
    cases.push(e);
  }
  writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ version: 1, cases }, null, 2) + "\n");
  process.stderr.write(`wrote ${path.join(dir, "manifest.json")}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
