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
import { shutdownProver } from "../settlement/prover.ts";
import { deployGroth16Game, type Fixture } from "../test/contracts/helpers/gamePlayer.ts";
import { makeWorld } from "../test/contracts/helpers/gameWorld.ts";
import { firstEntryPerModelOp, playBothSides, visibleLie } from "../test/contracts/helpers/playBoth.ts";
import { Reason } from "./gameState.ts";

after(shutdownProver);

const HI = 3;

describe("dispute/playGame with a Groth16KernelVerifier ends on the model ops with a proof", async () => {
  const { viem } = await network.create();
  const f: Fixture = await deployGroth16Game(viem);
  // softmax_ce_grad (16) has no circuit.
  const cases = firstEntryPerModelOp([makeWorld("cnn", HI), makeWorld("charlm", HI)], [16]);

  it("the two worlds hold every model op with a circuit", () => {
    expect([...new Set(cases.map((c) => c.code))].sort((a, b) => a - b)).to.deep.equal([10, 11, 12, 13, 14, 15, 17, 18, 19]);
  });

  for (const { world: w, entry, code } of cases) {
    it(`${opKindOf(code)!} (entry ${entry} of the ${w.kind} step): a lying solver loses; the challenger settles with a Groth16 proof`, async () => {
      const dev = await visibleLie(w, entry, HI);
      const { outcome: a, entry: ended, moves } = await playBothSides(f, w, HI, "solver", dev, "groth16", 240_000);
      expect(a, JSON.stringify(dev)).to.deep.equal({ resolved: true, solverWon: false, reason: Reason.Settled });
      expect(ended, "the game ends on the changed entry").to.equal(entry);
      expect(moves.filter((m) => m.kind === "error" || m.kind === "timeout")).to.deep.equal([]);
      const settles = moves.filter((m) => m.kind === "settle");
      expect(settles.map((m) => m.side)).to.include("challenger");
      expect(settles.some((m) => m.kind === "settle" && m.side === "challenger" && m.proveMs !== undefined), "a proof was made").to.equal(true);
    });
  }
});
