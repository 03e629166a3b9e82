import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { expect } from "chai";
import { EXP_INDEX_FRAC_BITS, EXP_ONE_BITS, EXP_TABLE } from "../../engine/expTable.ts";
import { expTableEntries } from "../../scripts/exp-table.ts";
import { lmOpVectors } from "./generateLm.ts";

/** ops.v2.lm.json (codes 15-19) and the committed exp table are still what the code produces. */
const load = (name: string) => JSON.parse(readFileSync(new URL(name, import.meta.url), "utf8"));
const normalize = (v: unknown) => JSON.parse(JSON.stringify(v));

describe("shared test vectors: language-model and Adam ops", () => {
  it("ops.v2.lm.json: op semantics (ties, table edges, clamps) are unchanged", () => {
    expect(normalize(lmOpVectors())).to.deep.equal(load("ops.v2.lm.json"));
  });

  it("the committed exp table is exactly what the bigint generator computes", () => {
    expect(EXP_INDEX_FRAC_BITS).to.equal(8);
    expect(EXP_ONE_BITS).to.equal(16);
    expect([...EXP_TABLE]).to.deep.equal(expTableEntries());
  });

  it("the exp table is round(2^16 exp(-i/256)), non-increasing, ending with its only 0", () => {
    for (let i = 0; i < EXP_TABLE.length; i++) {
      // A double's exp is within an ulp or two; no entry is near a rounding tie (the generator checks), so
      // rounding it gives the same integer.
      expect(EXP_TABLE[i], `entry ${i}`).to.equal(Math.round(2 ** 16 * Math.exp(-i / 256)));
      if (i > 0) expect(EXP_TABLE[i]!).to.be.at.most(EXP_TABLE[i - 1]!);
    }
    expect(EXP_TABLE[0]).to.equal(65536);
    expect(EXP_TABLE.indexOf(0)).to.equal(EXP_TABLE.length - 1);
  });

  it("the vectors show the documented ties: table index and division round half up", () => {
    const v = load("ops.v2.lm.json") as { cases: { kind: string; attrs: { one?: number }; output: { values: number[] } }[] };
    const tie = v.cases.find((c) => c.kind === "softmax_ce_grad" && c.attrs.one === 3)!;
    expect(tie.output.values).to.deep.equal([2 - 3, 2]);
    const adam = v.cases.find((c) => c.kind === "adam_update")!;
    // m lrNum / den = 3/2 -> 2, -3/2 -> -1 (w' = 0 - step).
    expect(adam.output.values.slice(0, 2)).to.deep.equal([-2, 1]);
  });
});
