// ReplayView's memory: a view over a long interval keeps every STRIDE_KEPT-th state and the states the game
// asked for, not every state it walked through, and still answers every root exactly.
import { describe, it } from "node:test";
import { expect } from "chai";
import { commitState } from "../commitment/stateRoot.ts";
import { referenceRunner } from "../engine/reference.ts";
import { makeWorld } from "../test/contracts/helpers/gameWorld.ts";
import { engineStepper, ReplayView, STRIDE_KEPT } from "./replayView.ts";

describe("dispute/replayView: bounded states over a long interval", () => {
  const HI = 640;
  const w = makeWorld("tiny", HI);
  const view = () => new ReplayView({ spec: w.spec, dataset: w.dataset, start: w.states[0]!, hiStep: HI, graph: w.graph, program: w.program, stepper: engineStepper(referenceRunner(w.graph), w.spec, w.dataset) });

  it("answers the roots of an 8-ary dissection exactly while keeping O(STRIDE_KEPT) states", async () => {
    const v = view();
    let [lo, hi] = [0, HI];
    const asked = new Set<number>();
    // The level-1 pattern: 7 interior points per round, then the sub-interval of the first disagreement
    // (here: a fixed choice, the third), down to one step.
    while (hi - lo > 1) {
      const points = Array.from({ length: 7 }, (_, i) => lo + Math.floor(((i + 1) * (hi - lo)) / 8)).filter((p) => p > lo && p < hi);
      for (const p of points) {
        expect(await v.stateRoot(p)).to.deep.equal(commitState(w.spec, w.states[p]!).root);
        asked.add(p);
      }
      const pts = [lo, ...new Set(points), hi];
      [lo, hi] = [pts[Math.min(2, pts.length - 2)]!, pts[Math.min(3, pts.length - 1)]!];
    }
    expect(await v.stateRoot(HI)).to.deep.equal(commitState(w.spec, w.states[HI]!).root);
    // The start, every stride-th state, the asked ones and the last: never the 640 walked through.
    expect(v.keptStates).to.be.at.most(1 + STRIDE_KEPT + asked.size + 1);
    expect(v.keptStates).to.be.below(HI / 4);
  });

  it("replays a state it did not keep from the nearest kept one, bit-exactly", async () => {
    const v = view();
    await v.state(HI);
    for (const s of [1, 9, 10, 11, 333, 639]) expect(commitState(w.spec, await v.state(s)).root).to.deep.equal(commitState(w.spec, w.states[s]!).root);
  });
});
