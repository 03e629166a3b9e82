// A test party's knowledge as the production player's ComputationView (dispute/view.ts): its History
// (gameWorld.ts: a state root and an op trace by step, honest, deviated or hand-crafted) over the World's
// program, spec and dataset. Every move of a test game is dispute/move.ts's nextMove over such a view, the
// lying party's included: a liar's honest-looking move is what production code computes from its lying view.
//
// A History holds no states: the view's state at a step is the world's where the party's root is the world's
// (the agreed pre-state of the disputed step always is), and no state elsewhere. What the view cannot answer
// it refuses with a ViewError, as a ReplayView does outside its interval: a step without a root or trace, and
// an output its trace commits but cannot open (a hand-crafted record whose output root is not its
// commitment's, or a data tree deeper than the program's shape).
import { commitState } from "../../../commitment/stateRoot.ts";
import type { Hash } from "../../../commitment/hash.ts";
import { depthFor } from "../../../commitment/merkle.ts";
import type { Program } from "../../../commitment/program.ts";
import { LEAF_BYTES, type TensorCommitment } from "../../../commitment/tensorCommit.ts";
import type { OpTrace } from "../../../commitment/trace.ts";
import type { TrainingState } from "../../../engine/state.ts";
import { elementPartials, operandValues } from "../../../settlement/operands.ts";
import type { SettlementSource } from "../../../settlement/step.ts";
import { ViewError } from "../../../dispute/errors.ts";
import type { ComputationView } from "../../../dispute/view.ts";
import type { History, World } from "./gameWorld.ts";

export class HistoryView implements ComputationView {
  readonly loStep = 0;
  readonly hiStep: number;
  readonly program: Program;
  readonly world: World;
  readonly history: History;
  private readonly sources = new Map<number, SettlementSource>();
  private readonly sums = new Map<string, readonly bigint[]>();

  /** The view of a party holding `history` (default: the honest world's); `program` replaces the world's (a malformed one). */
  constructor(world: World, history: History = world, program: Program = world.program) {
    this.world = world;
    this.history = history;
    this.program = program;
    this.hiStep = history.roots.length - 1;
  }

  rootAt(step: number): Hash {
    const r = this.history.roots[step];
    if (!r) throw new ViewError(`the party has no state root at step ${step}`);
    return r;
  }

  stateAt(step: number): TrainingState {
    const s = this.world.states[step];
    if (!s || !this.rootAt(step).equals(this.world.roots[step]!)) throw new ViewError(`the party's state at step ${step} is not the world's: its history holds only its root`);
    return s;
  }

  traceAt(step: number): OpTrace {
    const t = this.history.trace(step);
    if (!t) throw new ViewError(`the party has no trace of step ${step}`);
    return t;
  }

  outputAt(step: number, entry: number): TensorCommitment {
    const tr = this.traceAt(step);
    const c = tr.commitments[entry - 1], e = tr.entries[entry];
    if (entry < 1 || !c || !e) throw new ViewError(`trace entry ${entry} of step ${step} has no output tensor (entries 1 .. ${tr.entries.length - 2})`);
    const leaves = Math.ceil((c.shape.reduce((a, b) => a * b, 1) * c.width) / LEAF_BYTES);
    if (!c.root.equals(e.outputRoot) || c.tree.depth !== depthFor(leaves)) {
      throw new ViewError(`the party cannot open the output of entry ${entry} of step ${step}: its commitment is not the record's output, or its data tree is not of the shape's depth`);
    }
    return c;
  }

  /** The agreed pre-state and this party's trace of step `step`. */
  sourceAt(step: number): SettlementSource {
    let src = this.sources.get(step);
    if (!src) {
      const { spec, graph, dataset } = this.world;
      const pre = this.stateAt(step - 1);
      src = { spec, graph, program: this.program, pre, preCommitment: commitState(spec, pre), trace: this.traceAt(step), dataset };
      this.sources.set(step, src);
    }
    return src;
  }

  /** P(0..K) of (step, entry, element) from this party's operands (those both parties agree on at level 4). */
  sumsAt(step: number, entry: number, element: number): readonly bigint[] {
    const key = `${step}/${entry}/${element}`;
    let sums = this.sums.get(key);
    if (!sums) {
      const p = this.program.entries[entry];
      if (!p) throw new ViewError(`entry ${entry} is not in the program`);
      sums = elementPartials(p.code, p.attrs, p.shape, operandValues(this.sourceAt(step), entry), element);
      this.sums.set(key, sums);
    }
    return sums;
  }

  async stateRoot(step: number): Promise<Hash> {
    return this.rootAt(step);
  }
  async state(step: number): Promise<TrainingState> {
    return this.stateAt(step);
  }
  async trace(step: number): Promise<OpTrace> {
    return this.traceAt(step);
  }
  async output(step: number, entry: number): Promise<TensorCommitment> {
    return this.outputAt(step, entry);
  }
  async partialSums(step: number, entry: number, element: number): Promise<readonly bigint[]> {
    return this.sumsAt(step, entry, element);
  }
  async settlementSource(step: number): Promise<SettlementSource> {
    return this.sourceAt(step);
  }
}

const worldViews = new WeakMap<World, HistoryView>();

/** The honest world's own view, one per world (its partial sums are computed once). */
export function worldView(world: World): HistoryView {
  let v = worldViews.get(world);
  if (!v) worldViews.set(world, (v = new HistoryView(world)));
  return v;
}
