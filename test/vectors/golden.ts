import { toHex } from "../../commitment/hash.ts";
import { buildTrace } from "../../commitment/trace.ts";
import { buildProgram } from "../../commitment/program.ts";
import { stateRoot } from "../../commitment/stateRoot.ts";
import { sampleBatch } from "../../engine/batch.ts";
import { buildStepGraph } from "../../engine/graph.ts";
import { executeReference } from "../../engine/reference.ts";
import { specHash } from "../../engine/spec.ts";
import { initialState } from "../../engine/state.ts";
import { train } from "../../training/train.ts";
import { mnistSpec } from "../../training/mnistJob.ts";

/**
 * Golden roots of the default MNIST job (the demo's spec and seed): any change to op semantics, rounding,
 * initialization, sampling or encodings changes them.
 */
export const GOLDEN_STEPS = 50;
export const GOLDEN_INTERVAL = 10;

export async function engineGolden() {
  const { spec, data } = mnistSpec();
  const r = await train({ spec, dataset: data.train, steps: GOLDEN_STEPS, checkpointInterval: GOLDEN_INTERVAL, backend: "onnx" });
  const graph = buildStepGraph(spec);
  const s0 = initialState(spec);
  const trace = buildTrace(graph, executeReference(graph, s0.tensors, sampleBatch(data.train, s0.rng, spec)), Buffer.from(r.checkpoints[0]!.root), stateRoot(spec, (await train({ spec, dataset: data.train, steps: 1, checkpointInterval: 1 })).state));
  return {
    version: 1,
    spec, specHash: specHash(spec),
    checkpoints: r.checkpoints.map((c) => ({ step: c.step, root: toHex(c.root) })),
    historyRoot: toHex(r.historyRoot),
    programRoot: toHex(buildProgram(spec, graph).root),
    step1Trace: { root: toHex(trace.root), entries: trace.entries.map((e) => ({ name: e.name, code: e.code, outputRoot: toHex(e.outputRoot) })) },
  };
}
