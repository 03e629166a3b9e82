// dispute/playGame on an in-process chain (DisputeGame + RecomputeKernelVerifier, or Groth16KernelVerifier,
// + TestMarket): both sides are playGame loops running at once over ReplayViews of the tiny world, one of them
// lying as a deviation.ts Deviation says. Whoever is honest wins by its own settle call as soon as the game
// reaches settlement, whatever the lie (an elementwise op, a matmul through level 4, a wrong post-state, a
// batch input): the honest solver settles its claim, the honest challenger settles against the lying solver
// with its copy of the solver's trace (solverTrace.ts), never waiting for the settlement clock. A view
// outside its interval answers with a ViewError.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { expect } from "chai";
import { network } from "hardhat";
import type { Hex } from "viem";
import { shutdownProver } from "../settlement/prover.ts";
import { commitState } from "../commitment/stateRoot.ts";
import { referenceRunner } from "../engine/reference.ts";
import { deployGame, deployGroth16Game, type Fixture } from "../test/contracts/helpers/gamePlayer.ts";
import { makeWorld, type World } from "../test/contracts/helpers/gameWorld.ts";
import { type Played, playBothSides, replayViewOf } from "../test/contracts/helpers/playBoth.ts";
import type { Deviation } from "./deviation.ts";
import { ViewError } from "./errors.ts";
import { Phase, Reason, type Side } from "./gameState.ts";
import { readGame } from "./playGame.ts";
import { engineStepper, ReplayView } from "./replayView.ts";
import type { KernelKind } from "./settleCall.ts";

after(shutdownProver);

const HI = 4;

const viewOf = (w: World, dev?: Deviation): ReplayView => replayViewOf(w, HI, dev);

describe("dispute/playGame: both sides automatic", async () => {
  const { viem } = await network.create();
  const f: Fixture = await deployGame(viem, "RecomputeKernelVerifier");
  const w = makeWorld("tiny", HI);
  const code = (k: number) => w.program.entries[k]!.code;
  const relu = w.program.entries.findIndex((p) => p.code === 4);
  const matmul = w.program.entries.findIndex((p) => p.code === 1);

  /** One game on [0, HI]: `liar` plays the deviated view, the other side the honest one (playBothSides). */
  const play = (liar: Side, dev: Deviation, fx: Fixture = f, kernel: KernelKind = "recompute", world: World = w): Promise<Played> =>
    playBothSides(fx, world, HI, liar, dev, kernel);

  /** The game's settlement: who sent it, and how long after the game reached settlement (block times). */
  async function settlementOf(fx: Fixture, id: bigint): Promise<{ from: string; after: bigint; window: bigint }> {
    const ev = async (eventName: "ReachedSettlement" | "Settled") =>
      (await fx.pc.getContractEvents({ address: fx.game.address, abi: fx.game.abi, eventName, args: { gameId: id }, fromBlock: 0n }))[0] as unknown as { blockNumber: bigint; transactionHash: Hex };
    const [reached, settled] = [await ev("ReachedSettlement"), await ev("Settled")];
    const time = async (n: bigint) => (await fx.pc.getBlock({ blockNumber: n })).timestamp;
    const tx = await fx.pc.getTransaction({ hash: settled.transactionHash });
    const st = await readGame(fx.pc, fx.game.address, id);
    return { from: tx.from.toLowerCase(), after: (await time(settled.blockNumber)) - (await time(reached.blockNumber)), window: st.clockDuration };
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

  const medium = makeWorld("medium", HI); // its entry 5 is x . W0 with K = 48: one level-4 round
  const lies: [string, Deviation, World][] = [
    ["an elementwise op (relu)", { kind: "op", step: 2, entry: relu, element: 1 }, w],
    ["a matmul element (K = 6), after level 4", { kind: "op", step: 4, entry: matmul, element: 0 }, w],
    ["a matmul element (K = 48), after a level-4 round (the slice's accIn is a posted sum)", { kind: "op", step: 2, entry: matmul, element: 9 }, medium],
    ["the post-state anchor", { kind: "post", step: 3 }, w],
    ["a batch-input entry (x)", { kind: "op", step: 3, entry: 1, element: 4 }, w],
  ];
  for (const [name, dev, world] of lies) {
    it(`an honest challenger against a solver lying on ${name} settles at once with its copy of the solver's trace: Reason.Settled by the challenger's own settle, within the settlement window`, async () => {
      const r = await play("solver", dev, f, "recompute", world);
      expect(r.outcome, JSON.stringify(dev)).to.deep.equal({ resolved: true, solverWon: false, reason: Reason.Settled });
      expect(r.entry).to.equal(dev.kind === "op" ? dev.entry : world.entries - 1);
      if (dev.kind === "op" && dev.entry === matmul) expect(r.moves.some((m) => m.kind === "move" && m.label === "postTerms")).to.equal(true);
      if (world === medium) {
        expect(r.moves.some((m) => m.kind === "move" && m.label.startsWith("respondTerms"))).to.equal(true);
        expect((await readGame(f.pc, f.game.address, r.id)).accIn).to.not.equal(0n);
      }
      expect(r.moves.filter((m) => m.kind === "settle").map((m) => m.side)).to.deep.equal(["challenger"]);
      // The solver reports why it does not settle only if a poll of its lands between the game reaching
      // settlement and the challenger's settle: the challenger settles at once, often first (a CI run saw it).
      const solverAtSettlement = r.moves.filter((m) => m.side === "solver" && "phase" in m && m.phase === Phase.Settlement);
      expect(solverAtSettlement.map((m) => m.kind).filter((k) => k !== "stuck")).to.deep.equal([]);
      expect(r.moves.filter((m) => m.kind === "error" || m.kind === "timeout")).to.deep.equal([]);
      const s = await settlementOf(f, r.id);
      expect(s.from).to.equal(f.challenger.account.address.toLowerCase());
      // Within the window, not after it (the in-process chain's block times follow the wall clock, so a
      // tighter bound would be a timing assertion: one failed at window / 60 on a loaded machine).
      expect(s.after < s.window, `settled ${s.after} s after reaching settlement, window ${s.window} s`).to.equal(true);
    });
  }

  it("a lying solver at settlement says why it does not settle (its claim is not the true value), and the challenger settles", async () => {
    const r = await playBothSides(f, w, HI, "solver", lies[4]![1], "recompute", 120_000, { challengerSettlesAfterSolverReport: true });
    expect(r.outcome).to.deep.equal({ resolved: true, solverWon: false, reason: Reason.Settled });
    const said = r.moves.filter((m) => m.side === "solver" && "phase" in m && m.phase === Phase.Settlement);
    expect(said.map((m) => m.kind)).to.deep.equal(["stuck"]);
    expect(said[0]!.kind === "stuck" && said[0]!.reason).to.match(/^its claim 0x[0-9a-f]{64} is not the true value 0x[0-9a-f]{64}$/);
    expect(r.moves.filter((m) => m.kind === "settle").map((m) => m.side)).to.deep.equal(["challenger"]);
  });

  it("with a Groth16KernelVerifier the honest challenger settles too (a relu element and a matmul slice, each with a proof of the true value under the game's context)", async () => {
    const g = await deployGroth16Game(viem);
    for (const [, dev, world] of [lies[0]!, lies[2]!]) {
      const r = await play("solver", dev, g, "groth16", world);
      expect(r.outcome, JSON.stringify(dev)).to.deep.equal({ resolved: true, solverWon: false, reason: Reason.Settled });
      const settles = r.moves.filter((m) => m.kind === "settle");
      expect(settles.map((m) => m.side)).to.deep.equal(["challenger"]);
      expect(settles[0]!.kind === "settle" && settles[0]!.proveMs !== undefined, "a proof was made").to.equal(true);
      expect((await settlementOf(g, r.id)).from).to.equal(g.challenger.account.address.toLowerCase());
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
