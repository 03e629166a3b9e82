// What one party believes about a disputed checkpoint interval: every question the game can ask it.
import type { Hash } from "../commitment/hash.ts";
import type { Program } from "../commitment/program.ts";
import type { TensorCommitment } from "../commitment/tensorCommit.ts";
import type { OpTrace } from "../commitment/trace.ts";
import type { SettlementSource } from "../settlement/step.ts";
import type { TrainingState } from "../engine/state.ts";

/**
 * A party's view of steps loStep .. hiStep of a job. Steps are post-states: trace(t) is the op trace of the
 * step from state t - 1 to state t (anchored to both roots), output(t, k) the commitment of its entry k.
 */
export interface ComputationView {
  readonly loStep: number;
  readonly hiStep: number;
  readonly program: Program;
  stateRoot(step: number): Promise<Hash>;
  state(step: number): Promise<TrainingState>;
  trace(step: number): Promise<OpTrace>;
  /** The output commitment of trace entry `entry` (1 .. E-2) of step `step`. */
  output(step: number, entry: number): Promise<TensorCommitment>;
  /**
   * The partial values P(0..K) of element `element` of term-level entry `entry` (settlement/operands.ts
   * elementPartials) of step `step`, from this view's operands (P(K) is the true value of the element given them).
   */
  partialSums(step: number, entry: number, element: number): Promise<readonly bigint[]>;
  /** What settling an entry of step `step` needs: the pre-state and this view's trace. */
  settlementSource(step: number): Promise<SettlementSource>;
}
