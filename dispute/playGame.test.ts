// dispute/playGame on an in-process chain (DisputeGame + RecomputeKernelVerifier + TestMarket): both sides are
// playGame loops running at once over ReplayViews of the tiny world, one of them lying as a
// gameWorld.ts Deviation says. The honest solver wins by settlement whatever the lie (an elementwise op, a
// matmul through level 4, a wrong post-state); a lying solver cannot settle and loses on the settlement
// clock. A view outside its interval answers with a ViewError.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expect } from "chai";
import { network } from "hardhat";
import { commitState } from "../commitment/stateRoot.ts";
import { referenceRunner } from "../engine/reference.ts";
import { createGame, deployGame, type Fixture, paramsFor } from "../test/contracts/helpers/gamePlayer.ts";
import { type Deviation, makeWorld, runStep, type World } from "../test/contracts/helpers/gameWorld.ts";
import { ViewError } from "./errors.ts";
import { Phase, Reason, type Side } from "./gameState.ts";
import { type GameOutcome, playGame, type PlayProgress, readGame } from "./playGame.ts";
import { engineStepper, ReplayView, type Stepper } from "./replayView.ts";

const HI = 4;

function viewOf(w: World, dev?: Deviation): ReplayView {
  const honest = engineStepper(referenceRunner(w.graph), w.spec, w.dataset);
  const stepper: Stepper = !dev ? honest : {
    next: async (pre) => (pre.step + 1 === dev.step ? runStep(w, pre, dev).post : honest.next(pre)),
    traced: async (pre) => (pre.step + 1 === dev.step ? runStep(w, pre, dev) : honest.traced(pre)),
  };
  return new ReplayView({ spec: w.spec, dataset: w.dataset, start: w.states[0]!, hiStep: HI, graph: w.graph, program: w.program, stepper });
}

describe("dispute/playGame: both sides automatic", async () => {
  const { viem } = await network.create();
  const f: Fixture = await deployGame(viem, "RecomputeKernelVerifier");
  const w = makeWorld("tiny", HI);
  const code = (k: number) => w.program.entries[k]!.code;
  const relu = w.program.entries.findIndex((p) => p.code === 4);
  const matmul = w.program.entries.findIndex((p) => p.code === 1);

  /** One game on [0, HI]: `liar` plays the deviated view, the other side the honest one. */
  async function play(liar: Side, dev: Deviation): Promise<{ outcome: GameOutcome; entry: number; moves: PlayProgress[] }> {
    const honest = viewOf(w), lying = viewOf(w, dev);
    const [sv, cv] = liar === "solver" ? [lying, honest] : [honest, lying];
    const id = await createGame(f, paramsFor(f, w, 0, HI, await sv.stateRoot(HI), await cv.stateRoot(HI)));
    const moves: PlayProgress[] = [];
    let done = false;
    // A lying solver never settles: once it said so, move the chain's clock past the settlement deadline.
    const clock = (async () => {
      while (!done) {
        const st = await readGame(f.pc, f.game.address, id);
        if (st.phase === Phase.Settlement && moves.some((m) => m.kind === "stuck" && m.phase === Phase.Settlement)) {
          await f.tc.increaseTime({ seconds: 3_601 });
          await f.tc.mine({ blocks: 1 });
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const common = { game: f.game.address, gameId: id, pollMs: 10, kernel: "recompute" as const, onProgress: (e: PlayProgress) => moves.push(e) };
    const [a, b] = await Promise.all([
      playGame({ ...common, client: f.solver, side: "solver", view: sv }),
      playGame({ ...common, client: f.challenger, side: "challenger", view: cv }),
    ]).finally(() => (done = true));
    await clock;
    expect(a).to.deep.equal(b);
    const st = await readGame(f.pc, f.game.address, id);
    return { outcome: a, entry: st.entry, moves };
  }

  it("a lying challenger on an elementwise op (relu) loses by settlement", async () => {
    const r = await play("challenger", { kind: "op", step: 2, entry: relu, element: 1 });
    expect(r.outcome).to.deep.equal({ resolved: true, solverWon: true, reason: Reason.Settled });
    expect(code(r.entry)).to.equal(4);
    expect(r.moves.filter((m) => m.kind === "error")).to.deep.equal([]);
  });

  it("a lying challenger on a matmul element loses through level 4", async () => {
    const r = await play("challenger", { kind: "op", step: 3, entry: matmul, element: 2 });
    expect(r.outcome).to.deep.equal({ resolved: true, solverWon: true, reason: Reason.Settled });
    expect(r.entry).to.equal(matmul);
    expect(r.moves.some((m) => m.kind === "move" && m.label === "postTerms")).to.equal(true);
  });

  it("a challenger whose post-state is assembled wrong loses on the post anchor", async () => {
    const r = await play("challenger", { kind: "post", step: 1 });
    expect(r.outcome).to.deep.equal({ resolved: true, solverWon: true, reason: Reason.Settled });
    expect(r.entry).to.equal(w.entries - 1);
  });

  it("a lying solver (elementwise op, matmul, post-state) cannot settle and loses on the settlement clock", async () => {
    for (const dev of [{ kind: "op", step: 2, entry: relu, element: 1 }, { kind: "op", step: 4, entry: matmul, element: 0 }, { kind: "post", step: 3 }] as const) {
      const r = await play("solver", dev);
      expect(r.outcome, JSON.stringify(dev)).to.deep.equal({ resolved: true, solverWon: false, reason: Reason.SettlementTimeout });
      expect(r.moves.some((m) => m.kind === "stuck" && m.phase === Phase.Settlement)).to.equal(true);
      expect(r.moves.some((m) => m.kind === "settle")).to.equal(false);
    }
  });

  it("an honest view matches the engine's roots and traces and refuses steps outside its interval", async () => {
    const v = viewOf(w);
    for (let t = 0; t <= HI; t++) expect((await v.stateRoot(t)).equals(w.roots[t]!)).to.equal(true);
    expect((await v.trace(2)).root.equals(w.traces[2]!.root)).to.equal(true);
    const mid = new ReplayView({ spec: w.spec, dataset: w.dataset, start: w.states[2]!, hiStep: HI, stepper: engineStepper(referenceRunner(w.graph), w.spec, w.dataset) });
    expect((await mid.stateRoot(HI)).equals(commitState(w.spec, w.states[HI]!).root)).to.equal(true);
    await assert.rejects(mid.stateRoot(1), (e) => e instanceof ViewError && /outside the view's interval \[2, 4\]/.test(e.message));
    await assert.rejects(v.trace(0), (e) => e instanceof ViewError && /step 0 is outside/.test(e.message));
    await assert.rejects(v.output(1, 0), (e) => e instanceof ViewError && /no output tensor/.test(e.message));
    expect(() => new ReplayView({ spec: w.spec, dataset: w.dataset, start: w.states[HI]!, hiStep: HI, stepper: engineStepper(referenceRunner(w.graph), w.spec, w.dataset) })).to.throw(ViewError);
  });
});
