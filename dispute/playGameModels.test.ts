// Disputes that end on each model op (codes 10..19), played to the end by the production playGame on an
// in-process chain (DisputeGame + RecomputeKernelVerifier, whose ModelOps settles them, + TestMarket): for
// every op kind of a tiny CNN (reshape, im2col, col2im, maxpool, maxpool_grad) and of a tiny character LM
// with Adam (one_hot, softmax_ce_grad, adam_m, adam_v, adam_update), one element of one entry is changed at
// one step (dispute/deviation.ts), once by the solver and once by the challenger. The game must come down
// to exactly that entry (col2im, maxpool, maxpool_grad and softmax_ce_grad through level 4's term slices,
// like col_sum) and the honest side must win by settlement (Reason.Settled), with no failed move.
import { after, describe, it } from "node:test";
import { expect } from "chai";
import { network } from "hardhat";
import { opKindOf } from "../engine/ops/index.ts";
import { shutdownProver } from "../settlement/prover.ts";
import { deployGame, type Fixture } from "../test/contracts/helpers/gamePlayer.ts";
import { makeWorld, type World } from "../test/contracts/helpers/gameWorld.ts";
import { firstEntryPerModelOp, playBothSides, visibleLie } from "../test/contracts/helpers/playBoth.ts";
import type { Deviation } from "./deviation.ts";
import { Reason, type Side } from "./gameState.ts";

after(shutdownProver);

const HI = 3;

describe("dispute/playGame ends on every model op (10..19), against a lying solver and a lying challenger", async () => {
  const { viem } = await network.create();
  const f: Fixture = await deployGame(viem, "RecomputeKernelVerifier");
  const worlds = [makeWorld("cnn", HI), makeWorld("charlm", HI)];
  const cnn3 = makeWorld("cnn3", HI); // col2im with K = 9 > 8: a round of level 4

  async function play(w: World, liar: Side, dev: Deviation) {
    const r = await playBothSides(f, w, HI, liar, dev, "recompute", 180_000);
    return {
      ...r,
      errors: r.moves.filter((m) => m.kind === "error" || m.kind === "timeout"),
      settledBy: r.moves.filter((m) => m.kind === "settle").map((m) => m.side),
      labels: r.moves.flatMap((m) => (m.kind === "move" ? [m.label] : [])),
    };
  }

  const cases = firstEntryPerModelOp(worlds);

  for (const liar of ["solver", "challenger"] as const) {
    it(`col2im with K = 9 (a 3x3 kernel): a lying ${liar} loses after a round of level 4 (a posted partial sum is the next slice's accIn)`, async () => {
      const entry = cnn3.program.entries.find((p) => p.code === 12)!.entry;
      const r = await play(cnn3, liar, await visibleLie(cnn3, entry, HI));
      expect(r.outcome).to.deep.equal({ resolved: true, solverWon: liar === "challenger", reason: Reason.Settled });
      expect(r.entry).to.equal(entry);
      expect(r.errors).to.deep.equal([]);
      expect(r.labels.some((l) => l.startsWith("respondTerms")), r.labels.join(" ")).to.equal(true);
    });
  }

  it("the two worlds hold every model op", () => {
    const codes = new Set(cases.map((c) => c.code));
    expect([...codes].sort((a, b) => a - b)).to.deep.equal([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  for (const { world: w, entry, code } of cases) {
    const kind = opKindOf(code)!;
    for (const liar of ["solver", "challenger"] as const) {
      it(`${kind} (entry ${entry} of the ${w.kind} step): a lying ${liar} loses by settlement on that entry`, async () => {
        const dev = await visibleLie(w, entry, HI);
        const r = await play(w, liar, dev);
        expect(r.outcome, JSON.stringify(dev)).to.deep.equal({ resolved: true, solverWon: liar === "challenger", reason: Reason.Settled });
        expect(r.entry, "the game ends on the changed entry").to.equal(entry);
        expect(r.errors).to.deep.equal([]);
        expect(r.settledBy, "the honest side settles").to.include(liar === "solver" ? "challenger" : "solver");
        // col2im (an accumulation), the pools (folds over their window) and softmax_ce_grad (a fold over its
        // row): the game narrows the element to a term slice first (level 4); softmax's K = 2n + 1 > 8 takes
        // a round of it.
        expect(r.labels.includes("postTerms"), "level 4").to.equal(["col2im", "maxpool", "maxpool_grad", "softmax_ce_grad"].includes(kind));
        if (kind === "softmax_ce_grad") expect(r.labels.some((l) => l.startsWith("respondTerms")), r.labels.join(" ")).to.equal(true);
      });
    }
  }
});
