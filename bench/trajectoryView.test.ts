// bench:growth's long-interval view answers exactly what the production ReplayView answers (roots at every
// step, the traces, outputs and settlement sources of single steps), for an honest run and for a liar that
// shares the honest run's kept states up to its deviation; and it refuses steps outside its interval.
import { describe, it } from "node:test";
import { expect } from "chai";
import { buildProgram } from "../commitment/program.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { referenceRunner } from "../engine/reference.ts";
import { initialState } from "../engine/state.ts";
import { deviatingStepper } from "../dispute/deviation.ts";
import { engineStepper, ReplayView } from "../dispute/replayView.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { fitLine } from "./fitLine.ts";
import { Trajectory, TrajectoryView } from "./trajectoryView.ts";

const dataset = syntheticDataset(12, 6, 3);
const spec = tinySpec(dataset);
const graph = buildStepGraph(spec);
const program = buildProgram(spec, graph);
const world = { spec, dataset, graph, program };
const honestStepper = engineStepper(referenceRunner(graph), spec, dataset);
const HI = 40, DEV = 23, KEEP = 8;
const entry = 3 + graph.ops.findIndex((op) => graph.tensors[op.output]!.name === "l0.w'");
const lyingStepper = deviatingStepper(honestStepper, world, [{ kind: "op", step: DEV, entry, element: 5, delta: 1 << 20 }]);

describe("bench:growth's TrajectoryView", () => {
  it("answers as the production ReplayView does, honest and lying, the liar sharing the honest prefix", async () => {
    const honest = new Trajectory(world, honestStepper, KEEP, initialState(spec));
    await honest.runTo(HI);
    const liar = new Trajectory(world, lyingStepper, KEEP, { from: honest, until: DEV });
    for (const [run, stepper] of [[honest, honestStepper], [liar, lyingStepper]] as const) {
      const mine = new TrajectoryView(run, HI);
      const ref = new ReplayView({ spec, dataset, graph, program, start: initialState(spec), hiStep: HI, stepper });
      // Out of order, as the game asks.
      for (const s of [HI, 5, 17, DEV - 1, DEV, DEV + 1, 0, 33, 8, 16]) expect((await mine.stateRoot(s)).equals(await ref.stateRoot(s))).to.equal(true);
      for (const s of [DEV, DEV + 1, 1]) {
        expect((await mine.trace(s)).root.equals((await ref.trace(s)).root)).to.equal(true);
        expect((await mine.output(s, entry)).root.equals((await ref.output(s, entry)).root)).to.equal(true);
        expect((await mine.settlementSource(s)).preCommitment.root.equals((await ref.settlementSource(s)).preCommitment.root)).to.equal(true);
      }
    }
    expect((await liar.root(DEV - 1)).equals(await honest.root(DEV - 1))).to.equal(true);
    expect((await liar.root(DEV)).equals(await honest.root(DEV))).to.equal(false);
  });

  it("refuses a step outside its interval and a bad keep", async () => {
    const run = new Trajectory(world, honestStepper, KEEP, initialState(spec));
    let err: unknown;
    await new TrajectoryView(run, 4).stateRoot(5).catch((e) => (err = e));
    expect(err).to.be.instanceOf(RangeError);
    expect(() => new Trajectory(world, honestStepper, 0, initialState(spec))).to.throw(RangeError);
  });

  it("fits a line", () => {
    const f = fitLine([1, 2, 3, 4], [3, 5, 7, 9]);
    expect(f.slope).to.be.closeTo(2, 1e-12);
    expect(f.intercept).to.be.closeTo(1, 1e-12);
    expect(f.r2).to.be.closeTo(1, 1e-12);
    expect(fitLine([1, 2, 3], [1, 3, 2]).r2).to.be.closeTo(0.25, 1e-12);
    expect(() => fitLine([1, 1], [2, 3])).to.throw(RangeError);
  });
});
