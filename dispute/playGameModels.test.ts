// Disputes that end on each model op (codes 10..19), played to the end by the production playGame on an
// in-process chain (DisputeGame + RecomputeKernelVerifier, whose ModelOps settles them, + TestMarket): for
// every op kind of a tiny CNN (reshape, im2col, col2im, maxpool, maxpool_grad) and of a tiny character LM
// with Adam (one_hot, softmax_ce_grad, adam_m, adam_v, adam_update), one element of one entry is changed at
// one step (dispute/deviation.ts), once by the solver and once by the challenger. The game must come down
// to exactly that entry (col2im through level 4's term slices, like col_sum) and the honest side must win by
// settlement (Reason.Settled), with no failed move.
import { after, describe, it } from "node:test";
import { expect } from "chai";
import { network } from "hardhat";
import { opKindOf } from "../engine/ops/index.ts";
import { referenceRunner } from "../engine/reference.ts";
import { shutdownProver } from "../settlement/prover.ts";
import { createGame, deployGame, type Fixture, paramsFor } from "../test/contracts/helpers/gamePlayer.ts";
import { makeWorld, type World } from "../test/contracts/helpers/gameWorld.ts";
import { type Deviation, deviatingStepper } from "./deviation.ts";
import { Reason, type Side } from "./gameState.ts";
import { type GameOutcome, playGame, type PlayProgress, readGame } from "./playGame.ts";
import { engineStepper, ReplayView, type Stepper } from "./replayView.ts";

after(shutdownProver);

const HI = 3;

function viewOf(w: World, dev?: Deviation): ReplayView {
  const honest = engineStepper(referenceRunner(w.graph), w.spec, w.dataset);
  const stepper: Stepper = dev ? deviatingStepper(honest, w, [dev]) : honest;
  return new ReplayView({ spec: w.spec, dataset: w.dataset, start: w.states[0]!, hiStep: HI, graph: w.graph, program: w.program, stepper });
}

describe("dispute/playGame ends on every model op (10..19), against a lying solver and a lying challenger", async () => {
  const { viem } = await network.create();
  const f: Fixture = await deployGame(viem, "RecomputeKernelVerifier");
  const worlds = { cnn: makeWorld("cnn", HI), charlm: makeWorld("charlm", HI) };
  const cnn3 = makeWorld("cnn3", HI); // col2im with K = 9 > 8: a round of level 4

  async function play(w: World, liar: Side, dev: Deviation): Promise<{ outcome: GameOutcome; entry: number; errors: PlayProgress[]; settledBy: Side[]; labels: string[] }> {
    const honest = viewOf(w), lying = viewOf(w, dev);
    const [sv, cv] = liar === "solver" ? [lying, honest] : [honest, lying];
    const id = await createGame(f, paramsFor(f, w, 0, HI, await sv.stateRoot(HI), await cv.stateRoot(HI)));
    const moves: (PlayProgress & { side: Side })[] = [];
    const common = { game: f.game.address, gameId: id, pollMs: 10, kernel: "recompute" as const, signal: AbortSignal.timeout(180_000) };
    const [a, b] = await Promise.all([
      playGame({ ...common, client: f.solver, side: "solver", view: sv, onProgress: (e) => moves.push({ ...e, side: "solver" }) }),
      playGame({ ...common, client: f.challenger, side: "challenger", view: cv, onProgress: (e) => moves.push({ ...e, side: "challenger" }) }),
    ]);
    expect(a).to.deep.equal(b);
    const st = await readGame(f.pc, f.game.address, id);
    return { outcome: a, entry: st.entry, errors: moves.filter((m) => m.kind === "error" || m.kind === "timeout"), settledBy: moves.filter((m) => m.kind === "settle").map((m) => m.side), labels: moves.flatMap((m) => (m.kind === "move" ? [m.label] : [])) };
  }

  /**
   * A change of one element of `entry` at step 2 that reaches the state at HI (a change that a later op
   * rounds, clamps or masks away leaves both parties with the same root: no dispute). Tries the last
   * element, then others, in a fixed order.
   */
  async function visibleLie(w: World, entry: number): Promise<Deviation> {
    const n = w.graph.tensors[w.program.entries[entry]!.tensorId]!.shape.reduce((x, y) => x * y, 1);
    const honest = await viewOf(w).stateRoot(HI);
    for (const element of [n - 1, 0, n >> 1, n >> 2, (3 * n) >> 2, 1, n - 2]) {
      const dev: Deviation = { kind: "op", step: 2, entry, element };
      if (!(await viewOf(w, dev).stateRoot(HI)).equals(honest)) return dev;
    }
    throw new Error(`no tried element of entry ${entry} changes the state at step ${HI}`);
  }

  const cases: [string, World, number][] = [];
  for (const w of Object.values(worlds)) {
    const seen = new Set<number>();
    for (const p of w.program.entries) {
      if (p.code < 10 || p.code > 19 || seen.has(p.code)) continue;
      seen.add(p.code);
      cases.push([opKindOf(p.code)!, w, p.entry]);
    }
  }

  for (const liar of ["solver", "challenger"] as const) {
    it(`col2im with K = 9 (a 3x3 kernel): a lying ${liar} loses after a round of level 4 (a posted partial sum is the next slice's accIn)`, async () => {
      const entry = cnn3.program.entries.find((p) => p.code === 12)!.entry;
      const r = await play(cnn3, liar, await visibleLie(cnn3, entry));
      expect(r.outcome).to.deep.equal({ resolved: true, solverWon: liar === "challenger", reason: Reason.Settled });
      expect(r.entry).to.equal(entry);
      expect(r.errors).to.deep.equal([]);
      expect(r.labels.some((l) => l.startsWith("respondTerms")), r.labels.join(" ")).to.equal(true);
    });
  }

  it("the two worlds hold every model op", () => {
    const codes = new Set(cases.map(([, w, entry]) => w.program.entries[entry]!.code));
    expect([...codes].sort((a, b) => a - b)).to.deep.equal([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  for (const [kind, w, entry] of cases) {
    for (const liar of ["solver", "challenger"] as const) {
      it(`${kind} (entry ${entry} of the ${w.kind} step): a lying ${liar} loses by settlement on that entry`, async () => {
        const dev = await visibleLie(w, entry);
        const r = await play(w, liar, dev);
        expect(r.outcome, JSON.stringify(dev)).to.deep.equal({ resolved: true, solverWon: liar === "challenger", reason: Reason.Settled });
        expect(r.entry, "the game ends on the changed entry").to.equal(entry);
        expect(r.errors).to.deep.equal([]);
        expect(r.settledBy, "the honest side settles").to.include(liar === "solver" ? "challenger" : "solver");
        // col2im is an accumulation: the game narrows its element to a term slice first (level 4).
        expect(r.labels.includes("postTerms"), "level 4").to.equal(kind === "col2im");
      });
    }
  }
});
