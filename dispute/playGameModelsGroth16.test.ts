// Disputes that end on a model op, settled by a Groth16 proof: the production playGame on an in-process chain
// with a Groth16KernelVerifier (every circuit of build/zk/manifest.json in its CircuitRegistry). For every model
// op with a circuit (reshape, im2col, col2im through level 4, maxpool, maxpool_grad of a tiny CNN; one_hot,
// adam_m, adam_v, adam_update of a tiny character LM) one element of one entry is changed by the solver at one
// step (dispute/deviation.ts); the game comes down to that entry and the honest challenger wins by settling it
// with a proof of the true value (dispute/settleCall.ts -> settlement/prover.ts). softmax_ce_grad has no circuit.
import { after, describe, it } from "node:test";
import { expect } from "chai";
import { network } from "hardhat";
import { opKindOf } from "../engine/ops/index.ts";
import { referenceRunner } from "../engine/reference.ts";
import { shutdownProver } from "../settlement/prover.ts";
import { createGame, deployGroth16Game, type Fixture, paramsFor } from "../test/contracts/helpers/gamePlayer.ts";
import { makeWorld, type World } from "../test/contracts/helpers/gameWorld.ts";
import { type Deviation, deviatingStepper } from "./deviation.ts";
import { Reason } from "./gameState.ts";
import { playGame, type PlayProgress, readGame } from "./playGame.ts";
import { engineStepper, ReplayView, type Stepper } from "./replayView.ts";

after(shutdownProver);

const HI = 3;

function viewOf(w: World, dev?: Deviation): ReplayView {
  const honest = engineStepper(referenceRunner(w.graph), w.spec, w.dataset);
  const stepper: Stepper = dev ? deviatingStepper(honest, w, [dev]) : honest;
  return new ReplayView({ spec: w.spec, dataset: w.dataset, start: w.states[0]!, hiStep: HI, graph: w.graph, program: w.program, stepper });
}

describe("dispute/playGame with a Groth16KernelVerifier ends on the model ops with a proof", async () => {
  const { viem } = await network.create();
  const f: Fixture = await deployGroth16Game(viem);
  const worlds = [makeWorld("cnn", HI), makeWorld("charlm", HI)];

  /** A change of one element of `entry` at step 2 that reaches the state at HI (playGameModels.test.ts's rule). */
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
  for (const w of worlds) {
    const seen = new Set<number>();
    for (const p of w.program.entries) {
      if (p.code < 10 || p.code > 19 || p.code === 16 || seen.has(p.code)) continue;
      seen.add(p.code);
      cases.push([opKindOf(p.code)!, w, p.entry]);
    }
  }

  it("the two worlds hold every model op with a circuit", () => {
    expect([...new Set(cases.map(([, w, e]) => w.program.entries[e]!.code))].sort((a, b) => a - b)).to.deep.equal([10, 11, 12, 13, 14, 15, 17, 18, 19]);
  });

  for (const [kind, w, entry] of cases) {
    it(`${kind} (entry ${entry} of the ${w.kind} step): a lying solver loses; the challenger settles with a Groth16 proof`, async () => {
      const dev = await visibleLie(w, entry);
      const sv = viewOf(w, dev), cv = viewOf(w);
      const id = await createGame(f, paramsFor(f, w, 0, HI, await sv.stateRoot(HI), await cv.stateRoot(HI)));
      const moves: (PlayProgress & { side: string })[] = [];
      const common = { game: f.game.address, gameId: id, pollMs: 10, kernel: "groth16" as const, signal: AbortSignal.timeout(240_000) };
      const [a, b] = await Promise.all([
        playGame({ ...common, client: f.solver, side: "solver", view: sv, onProgress: (e) => moves.push({ ...e, side: "solver" }) }),
        playGame({ ...common, client: f.challenger, side: "challenger", view: cv, onProgress: (e) => moves.push({ ...e, side: "challenger" }) }),
      ]);
      expect(a).to.deep.equal(b);
      expect(a, JSON.stringify(dev)).to.deep.equal({ resolved: true, solverWon: false, reason: Reason.Settled });
      expect((await readGame(f.pc, f.game.address, id)).entry, "the game ends on the changed entry").to.equal(entry);
      expect(moves.filter((m) => m.kind === "error" || m.kind === "timeout")).to.deep.equal([]);
      const settles = moves.filter((m) => m.kind === "settle");
      expect(settles.map((m) => m.side)).to.include("challenger");
      expect(settles.some((m) => m.kind === "settle" && m.side === "challenger" && m.proveMs !== undefined), "a proof was made").to.equal(true);
    });
  }
});
