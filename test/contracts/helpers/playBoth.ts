// Both sides of a game played by the production dispute/playGame over ReplayViews of a world, one side lying as
// a dispute/deviation.ts Deviation says: what dispute/playGame*.test.ts share.
import { expect } from "chai";
import { type Deviation, deviatingStepper } from "../../../dispute/deviation.ts";
import { Phase, type Side } from "../../../dispute/gameState.ts";
import { type GameOutcome, playGame, type PlayProgress, readGame } from "../../../dispute/playGame.ts";
import { engineStepper, ReplayView, type Stepper } from "../../../dispute/replayView.ts";
import type { KernelKind } from "../../../dispute/settleCall.ts";
import { referenceRunner } from "../../../engine/reference.ts";
import { createGame, type Fixture, paramsFor } from "./gamePlayer.ts";
import type { World } from "./gameWorld.ts";

/** A view of the world's steps 0 .. hiStep: honest, or deviating as `dev` says. */
export function replayViewOf(w: World, hiStep: number, dev?: Deviation): ReplayView {
  const honest = engineStepper(referenceRunner(w.graph), w.spec, w.dataset);
  const stepper: Stepper = dev ? deviatingStepper(honest, w, [dev]) : honest;
  return new ReplayView({ spec: w.spec, dataset: w.dataset, start: w.states[0]!, hiStep, graph: w.graph, program: w.program, stepper });
}

export interface PlayBothOptions {
  /** The challenger settles only after the solver has reported at settlement (an order the clocks leave open). */
  readonly challengerSettlesAfterSolverReport?: true;
}

export interface Played {
  readonly outcome: GameOutcome;
  /** The entry the game came down to. */
  readonly entry: number;
  readonly moves: readonly (PlayProgress & { readonly side: Side })[];
  readonly id: bigint;
}

/**
 * One game on [0, hiStep]: `liar` plays the deviated view, the other side the honest one, both at once. No
 * time travel: a game that waits for a clock fails (its players are interrupted after `timeoutMs`). Both
 * players must see the same outcome.
 */
export async function playBothSides(f: Fixture, w: World, hiStep: number, liar: Side, dev: Deviation, kernel: KernelKind, timeoutMs = 120_000, o: PlayBothOptions = {}): Promise<Played> {
  const honest = replayViewOf(w, hiStep), lying = replayViewOf(w, hiStep, dev);
  const [sv, cv] = liar === "solver" ? [lying, honest] : [honest, lying];
  const id = await createGame(f, paramsFor(f, w, 0, hiStep, await sv.stateRoot(hiStep), await cv.stateRoot(hiStep)));
  const moves: (PlayProgress & { side: Side })[] = [];
  let solverReported = () => {};
  if (o.challengerSettlesAfterSolverReport) {
    // The challenger's settle reads its settlement source once the game is in Settlement; hold that read
    // (not the term level's, which reads it before) until the solver has reported what it does there.
    const reported = new Promise<void>((resolve) => (solverReported = resolve));
    const source = cv.settlementSource.bind(cv);
    cv.settlementSource = async (step) => {
      if ((await readGame(f.pc, f.game.address, id)).phase === Phase.Settlement) await reported;
      return source(step);
    };
  }
  const common = { game: f.game.address, gameId: id, pollMs: 10, kernel, signal: AbortSignal.timeout(timeoutMs) };
  const [a, b] = await Promise.all([
    playGame({ ...common, client: f.solver, side: "solver", view: sv, onProgress: (e) => {
      moves.push({ ...e, side: "solver" });
      if ("phase" in e && e.phase === Phase.Settlement) solverReported();
    } }),
    playGame({ ...common, client: f.challenger, side: "challenger", view: cv, onProgress: (e) => moves.push({ ...e, side: "challenger" }) }),
  ]);
  expect(a).to.deep.equal(b);
  const st = await readGame(f.pc, f.game.address, id);
  return { outcome: a, entry: st.entry, moves, id };
}

/**
 * A change of one element of `entry` at step 2 that reaches the state at `hiStep` (a change that a later op
 * rounds, clamps or masks away leaves both parties with the same root: no dispute). Tries the last element,
 * then others, in a fixed order.
 */
export async function visibleLie(w: World, entry: number, hiStep: number): Promise<Deviation> {
  const n = w.graph.tensors[w.program.entries[entry]!.tensorId]!.shape.reduce((x, y) => x * y, 1);
  const honest = await replayViewOf(w, hiStep).stateRoot(hiStep);
  for (const element of [n - 1, 0, n >> 1, n >> 2, (3 * n) >> 2, 1, n - 2]) {
    const dev: Deviation = { kind: "op", step: 2, entry, element };
    if (!(await replayViewOf(w, hiStep, dev).stateRoot(hiStep)).equals(honest)) return dev;
  }
  throw new Error(`no tried element of entry ${entry} changes the state at step ${hiStep}`);
}

/** The first entry of each model op (codes 10..19, but those in `skip`) of each world, in world then entry order. */
export function firstEntryPerModelOp(worlds: readonly World[], skip: readonly number[] = []): { world: World; entry: number; code: number }[] {
  const out: { world: World; entry: number; code: number }[] = [];
  for (const world of worlds) {
    const seen = new Set<number>(skip);
    for (const p of world.program.entries) {
      if (p.code < 10 || p.code > 19 || seen.has(p.code)) continue;
      seen.add(p.code);
      out.push({ world, entry: p.entry, code: p.code });
    }
  }
  return out;
}
