// Disputes that end on a model op, settled by a Groth16 proof: the production playGame on an in-process chain
// with a Groth16KernelVerifier (every circuit of build/zk/manifest.json in its CircuitRegistry). For every model
// op with a circuit (reshape, im2col, col2im through level 4, maxpool, maxpool_grad of a tiny CNN; one_hot,
// adam_m, adam_v, adam_update of a tiny character LM) one element of one entry is changed by the solver at one
// step (dispute/deviation.ts); the game comes down to that entry and the honest challenger wins by settling it
// with a proof of the true value (dispute/settleCall.ts -> settlement/prover.ts). softmax_ce_grad (a fold of
// 2n + 1 terms over its row) is narrowed by level 4 to a term slice and settled with its slice circuit's proof
// (circuits/settle/softmax_terms8.circom), against a lying solver and a lying challenger.
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
  const charlm = makeWorld("charlm", HI);
  // softmax_ce_grad (16): both liars, below.
  const cases = firstEntryPerModelOp([makeWorld("cnn", HI), charlm], [16]);

  it("the two worlds hold every model op with a circuit", () => {
    expect([...new Set(cases.map((c) => c.code))].sort((a, b) => a - b)).to.deep.equal([10, 11, 12, 13, 14, 15, 17, 18, 19]);
    expect(charlm.program.entries.some((p) => p.code === 16)).to.equal(true);
  });

  for (const liar of ["solver", "challenger"] as const) {
    it(`softmax_ce_grad (the charlm step): a lying ${liar} loses after level 4's rounds; the honest side settles the slice with a Groth16 proof`, async () => {
      const entry = charlm.program.entries.find((p) => p.code === 16)!.entry;
      const dev = await visibleLie(charlm, entry, HI);
      const { outcome, entry: ended, moves } = await playBothSides(f, charlm, HI, liar, dev, "groth16", 240_000);
      expect(outcome, JSON.stringify(dev)).to.deep.equal({ resolved: true, solverWon: liar === "challenger", reason: Reason.Settled });
      expect(ended, "the game ends on the changed entry").to.equal(entry);
      expect(moves.filter((m) => m.kind === "error" || m.kind === "timeout")).to.deep.equal([]);
      const labels = moves.flatMap((m) => (m.kind === "move" ? [m.label] : []));
      expect(labels.includes("postTerms"), "level 4").to.equal(true);
      expect(labels.some((l) => l.startsWith("respondTerms")), labels.join(" ")).to.equal(true);
      const honest = liar === "solver" ? "challenger" : "solver";
      const proved = moves.filter((m) => m.kind === "settle" && m.side === honest && m.proveMs !== undefined);
      expect(proved.length, "the honest side settled with a proof").to.be.greaterThan(0);
      const s = proved[0]!;
      if (s.kind === "settle") console.log(`  softmax_ce_grad settle by Groth16 proof (${honest}): ${s.gasUsed} gas, proved in ${Math.round(s.proveMs!)} ms`);
    });
  }

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
