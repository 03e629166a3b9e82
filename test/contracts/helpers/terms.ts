// Level 4 of the DisputeGame (terms) in the tests: the true partial sums of a matmul/col_sum element (the
// honest world's view, historyView.ts) and the lies a dishonest solver tells about them (strategies.ts's
// termLie, a deviation from the production postTerms).
import type { TermView } from "../../../dispute/terms.ts";
import type { World } from "./gameWorld.ts";
import { worldView } from "./historyView.ts";

/** The true partial sums P(0..K) of element `element` of entry `entry` at step `step`. */
export interface HonestTerms {
  readonly K: number;
  readonly sums: readonly bigint[];
}

/**
 * The honest partial sums of a matmul/col_sum element of step `step`, from the agreed pre-state (state
 * operands) and the honest trace's earlier outputs (op operands): exactly what both parties agree on once
 * the game reaches level 4 (the operands precede the disputed entry).
 */
export function honestTerms(world: World, step: number, entry: number, element: number): HonestTerms {
  const sums = worldView(world).sumsAt(step, entry, element);
  return { K: sums.length - 1, sums };
}

/**
 * How a dishonest solver fills in its partial sums, given its (false) claim at K:
 *   end    every interior sum true: the lie is only at K (the last slice), as in the production move;
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
