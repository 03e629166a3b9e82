import type { Batch } from "./batch.ts";
import type { StepGraph } from "./graph.ts";
import { opDef } from "./ops/index.ts";
import type { StepResult, StepRunner } from "./runner.ts";
import type { Tensor } from "./tensor.ts";

/** Executes every op of the graph in order with the TypeScript reference kernels. */
export function executeReference(graph: StepGraph, state: readonly Tensor[], batch: Batch): Tensor[] {
  const values: Tensor[] = new Array(graph.tensors.length);
  values[graph.x] = batch.x;
  values[graph.labels] = batch.labels;
  graph.stateIn.forEach((id, i) => (values[id] = state[i]!));
  for (const op of graph.ops) {
    values[op.output] = opDef(op.kind).reference(op.inputs.map((i) => values[i]!), op.attrs);
  }
  return values;
}

export function referenceRunner(graph: StepGraph): StepRunner {
  return {
    backend: "reference",
    graph,
    async run(state, batch, options): Promise<StepResult> {
      const all = executeReference(graph, state, batch);
      return { state: graph.stateOut.map((id) => all[id]!), logits: all[graph.logits]!, ...(options?.trace ? { all } : {}) };
    },
    async close() {},
  };
}
