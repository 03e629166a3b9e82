import type { StepGraph } from "./graph.ts";

/**
 * The work of one training step, counted from the step graph: a matmul [m, k] x [k, n] is m * k * n
 * multiply-adds, every other op one per output element. Used to size what a verifier must be able to
 * re-execute inside a job's challenge window (docs/verifier.md, "The window a job needs"); not committed.
 */
export function macsPerStep(graph: StepGraph): number {
  let macs = 0;
  for (const op of graph.ops) {
    const out = graph.tensors[op.output]!.shape.reduce((a, b) => a * b, 1);
    if (op.kind === "matmul") {
      const a = graph.tensors[op.inputs[0]!]!.shape;
      const transA = (op.attrs as { transA?: boolean | number }).transA;
      const k = transA ? a[0]! : a[1]!;
      macs += out * k;
    } else if (op.kind === "col_sum") {
      macs += graph.tensors[op.inputs[0]!]!.shape.reduce((x, y) => x * y, 1);
    } else {
      macs += out;
    }
  }
  return macs;
}
