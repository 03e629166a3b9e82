import type { Range } from "../int.ts";
import { squareScaled } from "./adamV.ts";

/**
 * The ranges a graph builder gives Adam's two state tensors for a parameter whose gradient lies in `g`:
 * m in [-max|g|, max|g|] and v in [0, g2(max|g|)] (g2 as adam_v scales it). They are closed under the ops
 * (an EMA stays between its old value and its target), so with these as the clamps of adam_m and adam_v the
 * clamps never bind and the next state is in the same ranges as the last.
 */
export function adamMomentRanges(g: Range, gShift: number): { m: Range; v: Range } {
  const gAbs = Math.max(Math.abs(g[0]), Math.abs(g[1]));
  return { m: [-gAbs, gAbs], v: [0, squareScaled(gAbs, gShift)] };
}
