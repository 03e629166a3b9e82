// Level 4 of the DisputeGame (terms): the partial sums of a matmul/col_sum element, as an honest party
// computes them from the traced step's tensors, the lies a dishonest solver tells about them, and the
// challenger's answer. Used by gamePlayer.ts's Player and strategies.ts's Agent.
import { accumulationTerms, type OperandValues, partialSums } from "../../../settlement/operands.ts";
import { decodeElements } from "../../../commitment/tensorCommit.ts";
import type { World } from "./gameWorld.ts";
import type { TermView } from "../../../dispute/terms.ts";
export { chooseTermResponse, NO_OPERAND, postTermsArgs, programTermCount, solverTermsMove, TERM_SLICE, tensorDescription, termPoints, type TensorDescription, type TermView } from "../../../dispute/terms.ts";
export { isAccumulation } from "../../../dispute/move.ts";

/** The true partial sums P(0..K) of element `element` of entry `entry` at step `step`. */
export interface HonestTerms {
  readonly K: number;
  readonly sums: readonly bigint[];
}

const cache = new WeakMap<World, Map<string, HonestTerms>>();

/**
 * The honest partial sums of a matmul/col_sum element of step `step`, from the agreed pre-state (state
 * operands) and the honest trace's earlier outputs (op operands): exactly what both parties agree on once
 * the game reaches level 4 (the operands precede the disputed entry).
 */
export function honestTerms(world: World, step: number, entry: number, element: number): HonestTerms {
  let m = cache.get(world);
  if (!m) cache.set(world, (m = new Map()));
  const key = `${step}/${entry}/${element}`;
  const hit = m.get(key);
  if (hit) return hit;
  const p = world.program.entries[entry]!;
  const h = world.program.header;
  const pre = world.states[step - 1]!;
  const trace = world.traces[step]!;
  const inputs: OperandValues[] = p.inputs.map((id) => {
    if (id >= 2 && id < 2 + h.stateTensors) {
      const t = pre.tensors[id - 2]!;
      return { shape: t.shape, data: Float64Array.from(t.data) };
    }
    const e = id === 0 ? 1 : id === 1 ? 2 : 3 + (id - h.firstOpTensorId);
    const c = trace.commitments[e - 1]!;
    return { shape: c.shape, data: decodeElements(c.bytes, c.width, c.shape.reduce((a, b) => a * b, 1)) };
  });
  const terms = accumulationTerms(p.code, p.attrs, p.shape, inputs, element);
  const out = { K: terms.length, sums: partialSums(terms) };
  m.set(key, out);
  return out;
}

/**
 * How a dishonest solver fills in its partial sums, given its (false) claim at K:
 *   end    every interior sum true: the lie is only at K (the last slice);
 *   step   true before a point r, shifted by the lie from r on (the lie sits in one slice);
 *   drift  the lie spread evenly: P(t) + floor(lie * t / K) (every slice looks wrong);
 *   wrongK declares K + delta (delta != 0), its sums the true ones clamped at K: the game refuses it at
 *          declaration (INV-GAME-9), so it has no valid level-4 move.
 */
export type TermLie =
  | { readonly kind: "end" }
  | { readonly kind: "step"; readonly r: number }
  | { readonly kind: "drift" }
  | { readonly kind: "wrongK"; readonly delta: number };

/** An honest party's view. */
export function honestView(h: HonestTerms): TermView {
  return { K: h.K, sum: (t) => h.sums[Math.min(Math.max(t, 0), h.K)]! };
}

/** A dishonest solver's view: its claim at K is `claim` (its element value), the rest follows `lie`. */
export function lyingView(h: HonestTerms, claim: bigint, lie: TermLie = { kind: "end" }): TermView {
  const K = h.K;
  const off = claim - h.sums[K]!;
  const at = (t: number) => h.sums[Math.min(Math.max(t, 0), K)]!;
  switch (lie.kind) {
    case "end":
      return { K, sum: (t) => (t >= K ? claim : at(t)) };
    case "step":
      return { K, sum: (t) => (t >= lie.r ? at(t) + off : at(t)) };
    case "drift":
      return { K, sum: (t) => at(t) + (off * BigInt(Math.min(t, K))) / BigInt(K) };
    case "wrongK":
      return { K: Math.max(1, K + lie.delta), sum: (t) => (t >= K ? claim : at(t)) };
  }
}

