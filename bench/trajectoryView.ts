// A party's whole training run over a long interval (up to 2^20 steps) without holding every state: the
// states at every `keep`-th step, the rest recomputed from the nearest kept one with the party's Stepper
// (the engine's step, or dispute/deviation.ts's deviating one). Its ComputationView answers level 1 (state
// roots) from there, and every question about one step (trace, outputs, settlement) through the production
// ReplayView started at that step's pre-state, so the game sees exactly what a node's view would compute.
// (ReplayView itself keeps every state it walks through: for 2^20 steps that is what this avoids.)
import type { Hash } from "../commitment/hash.ts";
import type { Program } from "../commitment/program.ts";
import { commitState } from "../commitment/stateRoot.ts";
import type { TensorCommitment } from "../commitment/tensorCommit.ts";
import type { OpTrace } from "../commitment/trace.ts";
import type { Dataset } from "../engine/batch.ts";
import type { StepGraph } from "../engine/graph.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";
import { ReplayView, type Stepper } from "../dispute/replayView.ts";
import type { ComputationView } from "../dispute/view.ts";
import type { SettlementSource } from "../settlement/step.ts";

export interface TrajectoryWorld {
  readonly spec: TrainingSpec;
  readonly dataset: Dataset;
  readonly graph: StepGraph;
  readonly program: Program;
}

export class Trajectory {
  readonly world: TrajectoryWorld;
  readonly stepper: Stepper;
  readonly keep: number;
  private readonly kept = new Map<number, TrainingState>();
  private readonly roots = new Map<number, Hash>();
  /** Steps computed so far (the cost of this party's answers). */
  stepsRun = 0;

  /**
   * From the kept states of `from` (another party's run, identical to this one up to but excluding step
   * `until`) or from `start` (step 0).
   */
  constructor(world: TrajectoryWorld, stepper: Stepper, keep: number, start: TrainingState | { from: Trajectory; until: number }) {
    if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError(`keep must be a positive integer, got ${keep}`);
    this.world = world;
    this.stepper = stepper;
    this.keep = keep;
    if ("from" in start) {
      for (const [s, st] of start.from.kept) if (s < start.until) this.kept.set(s, st);
      if (!this.kept.has(0)) throw new RangeError("the run this one shares a prefix with has no state at step 0");
    } else {
      if (start.step !== 0) throw new RangeError(`a trajectory starts at step 0, not ${start.step}`);
      this.kept.set(0, start);
    }
  }

  /** The state after step `step`, from the nearest kept state before it (keeping every `keep`-th on the way). */
  async state(step: number, onStep?: (s: TrainingState) => void): Promise<TrainingState> {
    if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`no state at step ${step}`);
    let at = step;
    while (!this.kept.has(at)) at--;
    let s = this.kept.get(at)!;
    while (at < step) {
      s = await this.stepper.next(s);
      at++;
      this.stepsRun++;
      if (at % this.keep === 0) this.kept.set(at, s);
      onStep?.(s);
    }
    return s;
  }

  async root(step: number): Promise<Hash> {
    let r = this.roots.get(step);
    if (!r) this.roots.set(step, (r = commitState(this.world.spec, await this.state(step)).root));
    return r;
  }

  /** Runs to `step` (keeping states on the way) and records the roots of the steps in `rootsAt` it passes. */
  async runTo(step: number, rootsAt: ReadonlySet<number> = new Set()): Promise<void> {
    await this.state(step, (s) => {
      if (rootsAt.has(s.step) && !this.roots.has(s.step)) this.roots.set(s.step, commitState(this.world.spec, s).root);
    });
  }
}

/** A party's view of [0, hiStep] of its Trajectory. */
export class TrajectoryView implements ComputationView {
  readonly loStep = 0;
  readonly hiStep: number;
  readonly program: Program;
  private readonly run: Trajectory;
  private readonly steps = new Map<number, ReplayView>();

  constructor(run: Trajectory, hiStep: number) {
    this.run = run;
    this.hiStep = hiStep;
    this.program = run.world.program;
  }

  private check(step: number): void {
    if (!Number.isInteger(step) || step < this.loStep || step > this.hiStep) throw new RangeError(`step ${step} is outside the view's interval [${this.loStep}, ${this.hiStep}]`);
  }

  /** The production view of the one step `step` (from its pre-state); the game looks at one step past level 1. */
  private async one(step: number): Promise<ReplayView> {
    this.check(step);
    let v = this.steps.get(step);
    if (!v) {
      const { spec, dataset, graph, program } = this.run.world;
      v = new ReplayView({ spec, dataset, graph, program, start: await this.run.state(step - 1), hiStep: step, stepper: this.run.stepper });
      this.steps.clear();
      this.steps.set(step, v);
    }
    return v;
  }

  async stateRoot(step: number): Promise<Hash> {
    this.check(step);
    return this.run.root(step);
  }
  async state(step: number): Promise<TrainingState> {
    this.check(step);
    return this.run.state(step);
  }
  async trace(step: number): Promise<OpTrace> {
    return (await this.one(step)).trace(step);
  }
  async output(step: number, entry: number): Promise<TensorCommitment> {
    return (await this.one(step)).output(step, entry);
  }
  async partialSums(step: number, entry: number, element: number): Promise<readonly bigint[]> {
    return (await this.one(step)).partialSums(step, entry, element);
  }
  async settlementSource(step: number): Promise<SettlementSource> {
    return (await this.one(step)).settlementSource(step);
  }
}
