// A computation that deviates from the honest one at chosen steps: the lying party of the tests, the
// adversary modes of the nodes (test-only switches), and nothing else. The deviation is consistent: every
// op after a changed value sees the changed value, so a lying party can answer the game about its lie.
import { sampleBatch, type Dataset } from "../engine/batch.ts";
import type { StepGraph } from "../engine/graph.ts";
import { opDef } from "../engine/ops/index.ts";
import { nextRng } from "../engine/random.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";
import type { Tensor } from "../engine/tensor.ts";
import type { Stepper } from "./replayView.ts";

/** A change to one step of the honest computation. */
export type Deviation =
  /** Entry `entry` (1 .. E-2) of step `step` gets element `element` changed (+delta, default 4096; labels: next class). */
  | { readonly kind: "op"; readonly step: number; readonly entry: number; readonly element: number; readonly delta?: number }
  /** Step `step` computes every op honestly but assembles a wrong post-state (data cursor off by one). */
  | { readonly kind: "post"; readonly step: number }
  /** Step `step` is skipped: the post-state is the pre-state with its step, cursor and RNG advanced (a lazy solver). */
  | { readonly kind: "skip"; readonly step: number };

export interface DeviationWorld {
  readonly graph: StepGraph;
  readonly spec: TrainingSpec;
  readonly dataset: Dataset;
}

/** One step from `pre`, executed op by op with the reference kernels, with the deviation (if any) applied. */
export function deviatedStep(w: DeviationWorld, pre: TrainingState, dev?: Deviation): { post: TrainingState; all: Tensor[] } {
  const { graph, spec, dataset } = w;
  const batch = sampleBatch(dataset, pre.rng, spec);
  const values: Tensor[] = new Array(graph.tensors.length);
  const tamper = (entry: number, id: number) => {
    if (dev?.kind !== "op" || dev.entry !== entry) return;
    const t = values[id]!;
    const data = Float64Array.from(t.data);
    data[dev.element] = id === graph.labels ? (data[dev.element]! + 1) % spec.data.classes : data[dev.element]! + (dev.delta ?? 4096);
    values[id] = { shape: t.shape, data };
  };
  values[graph.x] = batch.x;
  tamper(1, graph.x);
  values[graph.labels] = batch.labels;
  tamper(2, graph.labels);
  graph.stateIn.forEach((id, i) => (values[id] = pre.tensors[i]!));
  graph.ops.forEach((op, i) => {
    values[op.output] = opDef(op.kind).reference(op.inputs.map((id) => values[id]!), op.attrs);
    tamper(3 + i, op.output);
  });
  const cursor = pre.dataCursor + spec.training.batchSize + (dev?.kind === "post" ? 1 : 0);
  const tensors = dev?.kind === "skip" ? pre.tensors : graph.stateOut.map((id) => values[id]!);
  const post: TrainingState = { specHash: pre.specHash, step: pre.step + 1, dataCursor: cursor, rng: nextRng(pre.rng), tensors };
  return { post, all: values };
}

/** `base` except at the deviations' steps (post-state step numbers), where the deviated step is taken. */
export function deviatingStepper(base: Stepper, w: DeviationWorld, devs: readonly Deviation[]): Stepper {
  const at = new Map(devs.map((d) => [d.step, d]));
  return {
    next: async (pre) => {
      const d = at.get(pre.step + 1);
      return d ? deviatedStep(w, pre, d).post : base.next(pre);
    },
    traced: async (pre) => {
      const d = at.get(pre.step + 1);
      return d ? deviatedStep(w, pre, d) : base.traced(pre);
    },
  };
}

/** The trace entry of the op that produces state tensor `j`'s next value (a weight update, for j < layers). */
export function stateUpdateEntry(graph: StepGraph, j = 0): number {
  const id = graph.stateOut[j]!;
  const k = graph.ops.findIndex((op) => op.output === id);
  if (k < 0) throw new RangeError(`state tensor ${j} is not produced by an op`);
  return 3 + k;
}
