import type * as ort from "onnxruntime-node";
import type { Batch } from "../batch.ts";
import type { StepGraph } from "../graph.ts";
import type { StepResult, StepRunner } from "../runner.ts";
import type { IntArray, Tensor } from "../tensor.ts";
import { lowerGraph, type LoweredGraph } from "./lower.ts";
import { openSession, runLowered, toOrt, type SessionOptions } from "./session.ts";

/** What the lean session outputs: the next state and the logits (each once), so that the lowering's folds apply. */
export function leanOutputIds(graph: Pick<StepGraph, "stateOut" | "logits">): number[] {
  return [...new Set([...graph.stateOut, graph.logits])];
}

/**
 * The onnxruntime backend. Two sessions per graph: a lean one that outputs only the next state and the
 * logits (training), and a tracing one that outputs every tensor (op traces, differential tests), built on
 * first use. State tensors returned by one step are fed back to the next without copies.
 */
export async function onnxRunner(graph: StepGraph, options: SessionOptions = {}): Promise<StepRunner> {
  const shapes = graph.tensors.map((t) => t.shape);
  const lean = lowerGraph(graph, leanOutputIds(graph));
  const leanSession = await openSession(lean, options);
  const xName = lean.names[graph.x]!, labelsName = lean.names[graph.labels]!, logitsName = lean.names[graph.logits]!;
  const stateNames = graph.stateIn.map((id) => lean.names[id]!), stateOutNames = graph.stateOut.map((id) => lean.names[id]!);
  let traced: { lowered: LoweredGraph; session: ort.InferenceSession } | undefined;

  const inputsOf = (state: readonly Tensor[], batch: Batch) => {
    const m = new Map<number, Tensor>([[graph.x, batch.x], [graph.labels, batch.labels]]);
    graph.stateIn.forEach((id, i) => m.set(id, state[i]!));
    return m;
  };

  return {
    backend: "onnx",
    graph,
    async run(state, batch, opts): Promise<StepResult> {
      if (!opts?.trace) {
        // The training path: feeds and results by precomputed names, no per-step maps.
        const feeds: Record<string, ort.Tensor> = { [xName]: toOrt(batch.x, lean.types[graph.x]!), [labelsName]: toOrt(batch.labels, lean.types[graph.labels]!) };
        for (let i = 0; i < stateNames.length; i++) feeds[stateNames[i]!] = toOrt(state[i]!, lean.types[graph.stateIn[i]!]!);
        const out = await leanSession.run(feeds);
        const next = graph.stateOut.map((id, i): Tensor => ({ shape: shapes[id]!, data: out[stateOutNames[i]!]!.data as IntArray }));
        return { state: next, logits: { shape: shapes[graph.logits]!, data: out[logitsName]!.data as IntArray } };
      }
      const inputs = inputsOf(state, batch);
      if (!traced) {
        const lowered = lowerGraph(graph, graph.tensors.filter((t) => t.role === "op").map((t) => t.id));
        traced = { lowered, session: await openSession(lowered, options) };
      }
      const byId = await runLowered(traced.session, traced.lowered, shapes, inputs);
      const all = graph.tensors.map((t) => inputs.get(t.id) ?? byId.get(t.id)!);
      return { state: graph.stateOut.map((id) => all[id]!), logits: all[graph.logits]!, all };
    },
    async close() {
      await leanSession.release();
      if (traced) await traced.session.release();
    },
  };
}
