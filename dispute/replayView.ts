// The ComputationView of a party that replays the job's steps from a trusted start state with the engine:
// the honest solver's view (its stored checkpoint at loStep), or any view whose steps are computed by
// another Stepper (a test's lying challenger changes one op output of one step).
import { elementPartials, operandValues } from "../settlement/operands.ts";
import type { Hash } from "../commitment/hash.ts";
import { buildProgram, type Program } from "../commitment/program.ts";
import { commitState, type StateCommitment } from "../commitment/stateRoot.ts";
import type { TensorCommitment } from "../commitment/tensorCommit.ts";
import { buildTrace, type OpTrace } from "../commitment/trace.ts";
import type { Dataset } from "../engine/batch.ts";
import { buildStepGraph, type StepGraph } from "../engine/graph.ts";
import type { StepRunner } from "../engine/runner.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";
import type { Tensor } from "../engine/tensor.ts";
import { applyStep } from "../training/train.ts";
import { traceStep } from "../training/traceStep.ts";
import type { ComputationView } from "./view.ts";
import { ViewError } from "./errors.ts";
import type { SettlementSource } from "../settlement/step.ts";

/** How a view computes one step from its pre-state. */
export interface Stepper {
  /** The post-state only (level 1 needs roots, not tensors). */
  next(pre: TrainingState): Promise<TrainingState>;
  /** The post-state with every tensor of the step, by graph tensor id. */
  traced(pre: TrainingState): Promise<{ readonly all: readonly Tensor[]; readonly post: TrainingState }>;
}

/** The engine's step (bit-exact on every backend). */
export function engineStepper(runner: StepRunner, spec: TrainingSpec, dataset: Dataset): Stepper {
  return {
    next: async (pre) => (await applyStep(runner, spec, dataset, pre)).state,
    traced: (pre) => traceStep(runner, spec, dataset, pre),
  };
}

export interface ReplayViewOptions {
  readonly spec: TrainingSpec;
  readonly dataset: Dataset;
  /** The trusted state at `loStep` (its step field must be loStep). */
  readonly start: TrainingState;
  readonly hiStep: number;
  readonly stepper: Stepper;
  readonly graph?: StepGraph;
  readonly program?: Program;
}

interface TracedEntry {
  readonly trace: OpTrace;
  readonly pre: TrainingState;
  readonly preCommitment: StateCommitment;
}

/** How many traced steps a view keeps (the game looks at one step after level 1; a tracing bound, not a tuning knob). */
const TRACED_KEPT = 2;

/**
 * How many states of the interval a view keeps besides the ones the game asked for: every `stride`-th, so
 * that any state is at most `stride` steps of replay away. A state of the default model is 408 KB; keeping
 * every state of a 100,000-step interval (the solver's default step limit, all one interval) would be 40 GB.
 */
export const STRIDE_KEPT = 64;

export class ReplayView implements ComputationView {
  readonly loStep: number;
  readonly hiStep: number;
  readonly spec: TrainingSpec;
  readonly dataset: Dataset;
  readonly graph: StepGraph;
  readonly program: Program;
  private readonly stepper: Stepper;
  // Every stride-th state of [loStep, hiStep] and the states the game asked for (a few per level-1 round);
  // any other is replayed from the nearest one before it. Roots are 32 bytes: every computed one is kept.
  private readonly states = new Map<number, TrainingState>();
  private readonly stride: number;
  private readonly roots = new Map<number, Hash>();
  private readonly traced = new Map<number, TracedEntry>();
  private readonly sums = new Map<string, readonly bigint[]>();

  constructor(o: ReplayViewOptions) {
    if (!(o.hiStep > o.start.step)) throw new ViewError(`a view needs hiStep > loStep, got [${o.start.step}, ${o.hiStep}]`);
    this.loStep = o.start.step;
    this.hiStep = o.hiStep;
    this.spec = o.spec;
    this.dataset = o.dataset;
    this.stepper = o.stepper;
    this.graph = o.graph ?? buildStepGraph(o.spec);
    this.program = o.program ?? buildProgram(o.spec, this.graph);
    this.states.set(this.loStep, o.start);
    this.stride = Math.max(1, Math.ceil((o.hiStep - this.loStep) / STRIDE_KEPT));
  }

  /** How many states the view holds now (memory: each is one full training state). */
  get keptStates(): number {
    return this.states.size;
  }

  private check(step: number, from = this.loStep): void {
    if (!Number.isInteger(step) || step < from || step > this.hiStep) throw new ViewError(`step ${step} is outside the view's interval [${from}, ${this.hiStep}]`);
  }

  async state(step: number): Promise<TrainingState> {
    this.check(step);
    let at = step;
    while (!this.states.has(at)) at--;
    let s = this.states.get(at)!;
    while (at < step) {
      s = await this.stepper.next(s);
      at++;
      if ((at - this.loStep) % this.stride === 0 || at === step) this.states.set(at, s);
    }
    return s;
  }

  async stateRoot(step: number): Promise<Hash> {
    const hit = this.roots.get(step);
    if (hit) return hit;
    const root = commitState(this.spec, await this.state(step)).root;
    this.roots.set(step, root);
    return root;
  }

  private async tracedStep(step: number): Promise<TracedEntry> {
    this.check(step, this.loStep + 1);
    const hit = this.traced.get(step);
    if (hit) return hit;
    const pre = await this.state(step - 1);
    const { all, post } = await this.stepper.traced(pre);
    const preCommitment = commitState(this.spec, pre);
    const postRoot = commitState(this.spec, post).root;
    this.states.set(step, post);
    this.roots.set(step, postRoot);
    const entry = { trace: buildTrace(this.graph, all, preCommitment.root, postRoot), pre, preCommitment };
    if (this.traced.size >= TRACED_KEPT) this.traced.delete(this.traced.keys().next().value!);
    this.traced.set(step, entry);
    return entry;
  }

  async trace(step: number): Promise<OpTrace> {
    return (await this.tracedStep(step)).trace;
  }

  async output(step: number, entry: number): Promise<TensorCommitment> {
    const tr = await this.trace(step);
    const c = tr.commitments[entry - 1];
    if (entry < 1 || !c) throw new ViewError(`trace entry ${entry} of step ${step} has no output tensor (entries 1 .. ${tr.entries.length - 2})`);
    return c;
  }

  async settlementSource(step: number): Promise<SettlementSource> {
    const t = await this.tracedStep(step);
    return { spec: this.spec, graph: this.graph, program: this.program, pre: t.pre, preCommitment: t.preCommitment, trace: t.trace, dataset: this.dataset };
  }

  async partialSums(step: number, entry: number, element: number): Promise<readonly bigint[]> {
    const key = `${step}/${entry}/${element}`;
    const hit = this.sums.get(key);
    if (hit) return hit;
    const src = await this.settlementSource(step);
    const p = this.program.entries[entry];
    if (!p) throw new ViewError(`entry ${entry} is not in the program`);
    const sums = elementPartials(p.code, p.attrs, p.shape, operandValues(src, entry), element);
    this.sums.set(key, sums);
    return sums;
  }
}
