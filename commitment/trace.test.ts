import { describe, it } from "node:test";
import { expect } from "chai";
import { buildTrace, proveTraceElement, verifyTraceElement } from "./trace.ts";
import { sampleBatch } from "../engine/batch.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { executeReference } from "../engine/reference.ts";
import { initialState } from "../engine/state.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";

/** Element-level openings of a step's op trace: what the dispute game's element level will check. */
const d = syntheticDataset(12, 6, 3);
const spec = tinySpec(d);
const graph = buildStepGraph(spec);
const s0 = initialState(spec);
const all = executeReference(graph, s0.tensors, sampleBatch(d, s0.rng, spec));
const trace = buildTrace(graph, all, Buffer.alloc(32, 1), Buffer.alloc(32, 2));

describe("op trace element openings", () => {
  it("every entry's first, middle and last element opens to the executed value", () => {
    for (const e of trace.entries.slice(1, -1)) {
      const t = all[e.tensorId]!;
      for (const i of [0, Math.floor(t.data.length / 2), t.data.length - 1]) {
        expect(verifyTraceElement(trace.root, graph, proveTraceElement(trace, e.entry, i)), `${e.name}[${i}]`).to.equal(t.data[i]);
      }
    }
  });

  it("rejects a tampered leaf, a record of another entry, a forged output root and another trace root", () => {
    const entry = trace.entries.findIndex((e) => e.name === "l0.z");
    const good = proveTraceElement(trace, entry, 3);
    const leaf = Buffer.from(good.element.leaf);
    leaf[12] = leaf[12]! ^ 1;
    expect(() => verifyTraceElement(trace.root, graph, { ...good, element: { ...good.element, leaf } })).to.throw(/does not match the tensor root/);
    const other = proveTraceElement(trace, entry + 1, 3);
    expect(() => verifyTraceElement(trace.root, graph, { ...other, entry: { ...other.entry, entry } })).to.throw(/trace entry/);
    const forged = { ...good, entry: { ...good.entry, outputRoot: Buffer.alloc(32, 7) } };
    expect(() => verifyTraceElement(trace.root, graph, forged)).to.throw(/record path/);
    expect(() => verifyTraceElement(Buffer.alloc(32, 1), graph, good)).to.throw(/record path/);
  });

  it("entry numbering: pre-state anchor, two batch inputs, one entry per op in graph order, post-state anchor", () => {
    expect(trace.entries.map((e) => e.code).slice(0, 3)).to.deep.equal([254, 0, 0]);
    expect(trace.entries.slice(3, -1).map((e) => e.tensorId)).to.deep.equal(graph.ops.map((o) => o.output));
    expect(trace.entries.at(-1)!.code).to.equal(255);
    expect(() => proveTraceElement(trace, trace.entries.length - 1, 0)).to.throw(/anchor/);
  });
});
