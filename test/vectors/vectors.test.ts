import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { expect } from "chai";
import { commitmentVectors, opVectors } from "./generate.ts";
import { engineGolden } from "./golden.ts";
import { toHex } from "../../commitment/hash.ts";
import { stateRoot } from "../../commitment/stateRoot.ts";
import { buildStepGraph } from "../../engine/graph.ts";
import { referenceRunner } from "../../engine/reference.ts";
import { initialState } from "../../engine/state.ts";
import { applyStep } from "../../training/train.ts";
import { mnistSpec } from "../../training/mnistJob.ts";

/**
 * Golden vectors: the committed JSON files are what the contracts and circuits test against. The code must
 * still produce them exactly; a deliberate change of semantics regenerates them with `npm run vectors`.
 */
const load = (name: string) => JSON.parse(readFileSync(new URL(name, import.meta.url), "utf8"));
const normalize = (v: unknown) => JSON.parse(JSON.stringify(v));

describe("shared test vectors", () => {
  it("commitments.v1.json: encodings, roots and proofs are unchanged", () => {
    expect(normalize(commitmentVectors())).to.deep.equal(load("commitments.v1.json"));
  });

  it("ops.v1.json: op semantics (rounding ties, negatives, clamps) are unchanged", () => {
    expect(normalize(opVectors())).to.deep.equal(load("ops.v1.json"));
  });

  it("engine-golden.v1.json: the default job's checkpoint roots, history root and first trace are unchanged", async () => {
    expect(normalize(await engineGolden())).to.deep.equal(load("engine-golden.v1.json"));
  });

  it("the golden roots are backend-independent: the TypeScript reference reproduces the first checkpoints", async () => {
    const golden = load("engine-golden.v1.json") as { checkpoints: { step: number; root: string }[] };
    const { spec, data } = mnistSpec();
    const runner = referenceRunner(buildStepGraph(spec));
    let s = initialState(spec);
    expect(toHex(stateRoot(spec, s))).to.equal(golden.checkpoints[0]!.root);
    const target = golden.checkpoints[1]!;
    while (s.step < target.step) s = (await applyStep(runner, spec, data.train, s)).state;
    expect(toHex(stateRoot(spec, s))).to.equal(target.root);
  });

  it("op vectors hold the documented rounding rule: ties round up, for negative values too", () => {
    const v = load("ops.v1.json") as { cases: { kind: string; attrs: { shift?: number }; inputs: { values: number[] }[]; output: { values: number[] } }[] };
    const rq = v.cases.find((c) => c.kind === "requantize" && c.attrs.shift === 4)!;
    // 8/16 = 0.5 -> 1, -8/16 = -0.5 -> 0, -24/16 = -1.5 -> -1, 24/16 = 1.5 -> 2.
    expect(rq.inputs[0]!.values.slice(0, 6)).to.deep.equal([8, -8, 7, -9, 24, -24]);
    expect(rq.output.values.slice(0, 6)).to.deep.equal([1, 0, 0, -1, 2, -1]);
  });
});
