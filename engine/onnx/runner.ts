import * as ort from "onnxruntime-node";
import type { Batch } from "../batch.ts";
import type { StepGraph } from "../graph.ts";
import type { StepResult, StepRunner } from "../runner.ts";
import type { IntArray, Tensor } from "../tensor.ts";
import { lowerGraph, type FloatType, type LoweredGraph } from "./lower.ts";

/**
 * The onnxruntime backend. Two sessions per graph: a lean one that outputs only the next state and the
 * logits (training), and a tracing one that outputs every tensor (op traces, differential tests), built on
 * first use. State tensors returned by one step are fed back to the next without copies.
 */
export interface OnnxRunnerOptions {
  /** Threads for one op (onnxruntime's intra-op pool); results do not depend on it. */
  readonly threads?: number;
}

function toOrt(t: Tensor, type: FloatType): ort.Tensor {
  const want = type === "float32" ? Float32Array : Float64Array;
  const data: IntArray = t.data instanceof want ? t.data : want.from(t.data);
  return new ort.Tensor(type, data, t.shape as number[]);
}

async function open(lowered: LoweredGraph, options: OnnxRunnerOptions): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(lowered.bytes, {
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    intraOpNumThreads: options.threads ?? 0,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  });
}

export async function onnxRunner(graph: StepGraph, options: OnnxRunnerOptions = {}): Promise<StepRunner> {
  const leanIds = [...graph.stateOut, graph.logits].filter((id, i, a) => a.indexOf(id) === i);
  const lean = lowerGraph(graph, leanIds);
  const leanSession = await open(lean, options);
  let traced: { lowered: LoweredGraph; session: ort.InferenceSession } | undefined;

  async function execute(lowered: LoweredGraph, session: ort.InferenceSession, state: readonly Tensor[], batch: Batch) {
    const feeds: Record<string, ort.Tensor> = {
      [lowered.names[graph.x]!]: toOrt(batch.x, lowered.types[graph.x]!),
      [lowered.names[graph.labels]!]: toOrt(batch.labels, lowered.types[graph.labels]!),
    };
    graph.stateIn.forEach((id, i) => (feeds[lowered.names[id]!] = toOrt(state[i]!, lowered.types[id]!)));
    const out = await session.run(feeds);
    const byId = new Map<number, Tensor>();
    for (const id of lowered.outputIds) {
      const o = out[lowered.names[id]!]!;
      byId.set(id, { shape: graph.tensors[id]!.shape, data: o.data as IntArray });
    }
    return byId;
  }

  return {
    backend: "onnx",
    graph,
    async run(state, batch, opts): Promise<StepResult> {
      if (!opts?.trace) {
        const byId = await execute(lean, leanSession, state, batch);
        return { state: graph.stateOut.map((id) => byId.get(id)!), logits: byId.get(graph.logits)! };
      }
      if (!traced) {
        const ids = graph.tensors.filter((t) => t.role === "op").map((t) => t.id);
        const lowered = lowerGraph(graph, ids);
        traced = { lowered, session: await open(lowered, options) };
      }
      const byId = await execute(traced.lowered, traced.session, state, batch);
      const all: Tensor[] = graph.tensors.map((t) => {
        if (t.id === graph.x) return batch.x;
        if (t.id === graph.labels) return batch.labels;
        if (t.role === "state") return state[graph.stateIn.indexOf(t.id)]!;
        return byId.get(t.id)!;
      });
      return { state: graph.stateOut.map((id) => all[id]!), logits: all[graph.logits]!, all };
    },
    async close() {
      await leanSession.release();
      if (traced) await traced.session.release();
    },
  };
}
