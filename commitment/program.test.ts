import { describe, it } from "node:test";
import { expect } from "chai";
import { buildProgram, programEntryHash, programHeaderHash, programLeafIndex, programStateHash } from "./program.ts";
import { proofOf, verifyProof } from "./merkle.ts";
import { buildTrace, entryOfTensor } from "./trace.ts";
import { widthFor } from "./tensorCommit.ts";
import { sampleBatch } from "../engine/batch.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { executeReference } from "../engine/reference.ts";
import { makeSpec } from "../engine/spec.ts";
import { initialState } from "../engine/state.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";

/** The program commits, per trace entry, exactly what an honest trace record holds, plus how to decode it. */
const d = syntheticDataset(12, 6, 3);
const spec = tinySpec(d);
const graph = buildStepGraph(spec);
const program = buildProgram(spec, graph);

describe("step program", () => {
  it("each entry's code, tensor id, inputs and attributes equal the honest trace record's", () => {
    const s0 = initialState(spec);
    const trace = buildTrace(graph, executeReference(graph, s0.tensors, sampleBatch(d, s0.rng, spec)), Buffer.alloc(32), Buffer.alloc(32));
    expect(program.entries).to.have.length(trace.entries.length);
    trace.entries.forEach((e, i) => {
      const p = program.entries[i]!;
      expect([p.entry, p.tensorId, p.code, p.inputs, p.attrs]).to.deep.equal([e.entry, e.tensorId, e.code, e.inputs, e.attrs]);
    });
  });

  it("entries carry the output's width and shape; anchors carry none", () => {
    for (const p of program.entries.slice(1, -1)) {
      const t = graph.tensors[p.tensorId]!;
      expect(p.shape).to.deep.equal(t.shape);
      expect(p.width).to.equal(widthFor(t.range));
    }
    expect([program.entries[0]!.width, program.entries.at(-1)!.shape]).to.deep.equal([0, []]);
  });

  it("the header locates the state-producing entries", () => {
    const h = program.header;
    expect(h.entries).to.equal(graph.ops.length + 4);
    expect(h.stateTensors).to.equal(graph.stateIn.length);
    expect(h.batchSize).to.equal(4);
    expect(h.stateOutEntries).to.deep.equal(graph.stateOut.map((id) => entryOfTensor(graph, id)));
    expect(h.stateOutEntries.every((e) => program.entries[e]!.code === 9)).to.equal(true); // sgd_update
  });

  it("every leaf has a path to the root; the root changes with any semantic spec change", () => {
    expect(verifyProof(program.root, programHeaderHash(program.header), 0, proofOf(program.tree, 0))).to.equal(true);
    program.entries.forEach((p, i) => expect(verifyProof(program.root, programEntryHash(p), i + 1, proofOf(program.tree, i + 1))).to.equal(true));
    program.stateTensors.forEach((p) => {
      const leaf = programLeafIndex.state(program.header, p.index);
      expect(verifyProof(program.root, programStateHash(p), leaf, proofOf(program.tree, leaf))).to.equal(true);
      expect(p.shape).to.deep.equal(graph.tensors[graph.stateIn[p.index]!]!.shape);
    });
    const other = makeSpec({ ...spec, seed: spec.training.seed, data: spec.data, layers: spec.model.layers, batchSize: 4, optimizer: { lrShift: 6 } });
    expect(buildProgram(other, buildStepGraph(other)).root.equals(program.root)).to.equal(false);
    const batch8 = makeSpec({ seed: spec.training.seed, data: spec.data, layers: spec.model.layers, batchSize: 8 });
    expect(buildProgram(batch8, buildStepGraph(batch8)).root.equals(program.root)).to.equal(false);
  });
});
