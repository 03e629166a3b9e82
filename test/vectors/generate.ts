import { datasetRoot, datasetTree, exampleLeaf } from "../../commitment/dataset.ts";
import { toHex, TAG } from "../../commitment/hash.ts";
import { checkpointLeaf, historyTree } from "../../commitment/history.ts";
import { buildTree, proofOf } from "../../commitment/merkle.ts";
import { commitState, proveStateTensor } from "../../commitment/stateRoot.ts";
import { commitTensor, LEAF_BYTES, proveElement } from "../../commitment/tensorCommit.ts";
import { buildTrace, recordHash } from "../../commitment/trace.ts";
import { buildProgram, programEntryHash, programHeaderHash, programLeafIndex, programStateHash } from "../../commitment/program.ts";
import { sampleBatch, type Dataset } from "../../engine/batch.ts";
import { buildStepGraph } from "../../engine/graph.ts";
import { signedRange } from "../../engine/int.ts";
import { OP_CODES, opDef, type OpKind } from "../../engine/ops/index.ts";
import { executeReference } from "../../engine/reference.ts";
import { makeSpec, specHash, type TrainingSpec, type TrainingSpecV1 } from "../../engine/spec.ts";
import { initialState, type TrainingState } from "../../engine/state.ts";
import { nextRng } from "../../engine/random.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { createHash } from "node:crypto";

/**
 * Shared test vectors, versioned: the contract between the TypeScript engine, the Solidity contracts and
 * the circuits. `npm run vectors` rewrites the JSON files; test/vectors/vectors.test.ts fails when the code
 * no longer produces exactly what is committed (a change of semantics must be deliberate).
 */

const hex = (b: Uint8Array) => toHex(b);

/** The op codes of protocol v1 (1..9): what this v1 file lists; later ops have their own vector files. */
const V1_OP_CODES = Object.fromEntries(Object.entries(OP_CODES).filter(([, c]) => c <= 9));

/** A small deterministic synthetic dataset (no MNIST needed to check encodings). */
export function syntheticDataset(count: number, features: number, classes: number): Dataset {
  const pixels = new Uint8Array(count * features), labels = new Uint8Array(count);
  let x = 0x9e3779b9;
  for (let i = 0; i < pixels.length; i++) {
    x = (Math.imul(x ^ (x >>> 15), 0x85ebca6b) + i) >>> 0;
    pixels[i] = x & 0xff;
  }
  for (let i = 0; i < count; i++) labels[i] = i % classes;
  return { count, features, classes, pixels, labels };
}

export function tinySpec(d: Dataset, optimizer?: Partial<TrainingSpec["optimizer"]>): TrainingSpecV1 {
  return makeSpec({
    layers: [d.features, 8, d.classes], batchSize: 4, seed: "01".repeat(32), ...(optimizer ? { optimizer } : {}),
    data: { root: datasetRoot(d).toString("hex"), count: d.count, features: d.features, classes: d.classes },
  });
}

function merkleVectors() {
  return [1, 2, 3, 5, 8].map((n) => {
    const leaves = Array.from({ length: n }, (_, i) => createHash("sha256").update(`leaf ${i}`).digest());
    const tree = buildTree(leaves);
    return { leaves: leaves.map(hex), depth: tree.depth, root: hex(tree.root), proofs: leaves.map((_, i) => ({ index: i, siblings: proofOf(tree, i).map(hex) })) };
  });
}

function tensorVectors() {
  const ramp: Tensor = { shape: [3, 100], data: Float64Array.from({ length: 300 }, (_, i) => (i % 2 ? -1 : 1) * i * 7919) };
  const big: Tensor = { shape: [5], data: Float64Array.from([0, -1, 2 ** 40 + 3, -(2 ** 45) - 17, 2 ** 53 - 1]) };
  const cases = [
    { name: "i32 ramp [3,100] (2 leaves)", t: ramp, range: signedRange(32), open: [0, 1, 255, 256, 299] },
    { name: "i64 extremes [5]", t: big, range: [-(2 ** 53) + 1, 2 ** 53 - 1] as const, open: [0, 2, 3, 4] },
  ];
  return cases.map(({ name, t, range, open }) => {
    const c = commitTensor(t, range);
    return {
      name, shape: t.shape, width: c.width, values: Array.from(t.data), dataRoot: hex(c.tree.root), root: hex(c.root),
      openings: open.map((i) => {
        const p = proveElement(c, i);
        return { index: i, value: t.data[i], leafIndex: p.leafIndex, leaf: hex(p.leaf), siblings: p.siblings.map(hex) };
      }),
    };
  });
}

function runSteps(spec: TrainingSpec, d: Dataset, steps: number): TrainingState[] {
  const graph = buildStepGraph(spec);
  const states = [initialState(spec)];
  for (let i = 0; i < steps; i++) {
    const s = states[i]!;
    const all = executeReference(graph, s.tensors, sampleBatch(d, s.rng, spec));
    states.push({ specHash: s.specHash, step: s.step + 1, dataCursor: s.dataCursor + spec.training.batchSize, rng: nextRng(s.rng), tensors: graph.stateOut.map((id) => all[id]!) });
  }
  return states;
}

export function commitmentVectors() {
  const d = syntheticDataset(12, 6, 3);
  const spec = tinySpec(d);
  const states = runSteps(spec, d, 3);
  const s1 = commitState(spec, states[1]!);
  const checkpoints = states.map((s) => ({ step: s.step, root: commitState(spec, s).root }));
  const hist = historyTree(checkpoints);
  const graph = buildStepGraph(spec);
  const s0 = states[0]!;
  const trace = buildTrace(graph, executeReference(graph, s0.tensors, sampleBatch(d, s0.rng, spec)), checkpoints[0]!.root, checkpoints[1]!.root);
  const program = buildProgram(spec, graph);
  const dtree = datasetRoot(d);
  return {
    version: 1,
    hash: "sha256",
    tags: TAG,
    leafBytes: LEAF_BYTES,
    encoding: "tensor elements: row-major little-endian two's complement, 4 bytes if the range fits int32 else 8; see docs/commitments.md",
    merkle: merkleVectors(),
    tensors: tensorVectors(),
    state: {
      spec, specHash: specHash(spec), step: states[1]!.step, dataCursor: states[1]!.dataCursor, rng: hex(states[1]!.rng),
      headerHash: hex(s1.header), headerSiblings: proofOf(s1.tree, 0).map(hex), tensorRoots: s1.tensors.map((t) => hex(t.root)), root: hex(s1.root),
      tensorProofs: s1.tensors.map((_, i) => {
        const p = proveStateTensor(s1, i);
        return { tensor: i, leafIndex: p.leafIndex, siblings: p.siblings.map(hex) };
      }),
    },
    history: {
      checkpoints: checkpoints.map((c) => ({ step: c.step, root: hex(c.root) })),
      leaves: checkpoints.map((c) => hex(checkpointLeaf(c))),
      root: hex(hist.root),
      proofs: checkpoints.map((_, i) => ({ index: i, siblings: proofOf(hist, i).map(hex) })),
    },
    trace: {
      step: 1, root: hex(trace.root), opCodes: V1_OP_CODES,
      entries: trace.entries.map((e, i) => ({
        entry: e.entry, tensorId: e.tensorId, name: e.name, code: e.code, inputs: e.inputs, attrs: e.attrs,
        outputRoot: hex(e.outputRoot), recordHash: hex(recordHash(e)), siblings: proofOf(trace.tree, i).map(hex),
      })),
    },
    program: {
      root: hex(program.root),
      header: { ...program.header, hash: hex(programHeaderHash(program.header)), siblings: proofOf(program.tree, 0).map(hex) },
      entries: program.entries.map((p, i) => ({ ...p, hash: hex(programEntryHash(p)), siblings: proofOf(program.tree, i + 1).map(hex) })),
      stateTensors: program.stateTensors.map((p) => ({ ...p, hash: hex(programStateHash(p)), leafIndex: programLeafIndex.state(program.header, p.index), siblings: proofOf(program.tree, programLeafIndex.state(program.header, p.index)).map(hex) })),
    },
    dataset: {
      count: d.count, features: d.features, classes: d.classes, merkleRoot: hex(datasetTree(d).root), root: hex(dtree),
      example0: { pixels: Array.from(d.pixels.subarray(0, d.features)), label: d.labels[0], leaf: hex(exampleLeaf(d, 0)) },
    },
  };
}

/** A tensor literal of the op-vector cases. */
export const vt = (shape: number[], v: number[]): Tensor => ({ shape, data: Float64Array.from(v) });

/** One op case of the shared vectors: its code, encoded attributes, inputs and the reference's output (and its note, if any). */
export function opVectorCase(c: { note?: string; kind: OpKind; attrs: unknown; inputs: Tensor[] }) {
  const def = opDef(c.kind);
  const out = def.reference(c.inputs, c.attrs);
  return {
    ...(c.note === undefined ? {} : { note: c.note }),
    kind: c.kind, code: OP_CODES[c.kind], attrs: c.attrs, encodedAttrs: def.encodeAttrs(c.attrs),
    inputs: c.inputs.map((i) => ({ shape: i.shape, values: Array.from(i.data) })),
    output: { shape: out.shape, values: Array.from(out.data) },
  };
}

/** Per-op input/output cases for the circuits and any Solidity helper: rounding ties, negatives, clamps. */
export function opVectors() {
  const t = vt;
  const cases: { kind: OpKind; attrs: unknown; inputs: Tensor[] }[] = [
    { kind: "requantize", attrs: { shift: 4, lo: -8, hi: 7 }, inputs: [t([10], [8, -8, 7, -9, 24, -24, 127, -129, 0, 1])] },
    { kind: "requantize", attrs: { shift: 0, lo: 0, hi: 15 }, inputs: [t([4], [-1, 0, 15, 16])] },
    { kind: "matmul", attrs: { transA: false, transB: false }, inputs: [t([2, 3], [1, -2, 3, -4, 5, -6]), t([3, 2], [7, -8, 9, -10, 11, -12])] },
    { kind: "matmul", attrs: { transA: true, transB: false }, inputs: [t([3, 2], [1, -2, 3, -4, 5, -6]), t([3, 2], [7, -8, 9, -10, 11, -12])] },
    { kind: "matmul", attrs: { transA: false, transB: true }, inputs: [t([2, 3], [1, -2, 3, -4, 5, -6]), t([2, 3], [7, -8, 9, -10, 11, -12])] },
    { kind: "bias_add", attrs: {}, inputs: [t([2, 2], [1, -2, 3, -4]), t([2], [10, -10])] },
    { kind: "relu", attrs: {}, inputs: [t([4], [-3, 0, 1, 255])] },
    { kind: "relu_mask", attrs: {}, inputs: [t([4], [-3, 5, 7, -9]), t([4], [1, 0, -1, 2])] },
    { kind: "mse_grad", attrs: { one: 4096 }, inputs: [t([2, 3], [100, -200, 4096, 0, 0, 0]), t([2], [2, 0])] },
    { kind: "col_sum", attrs: {}, inputs: [t([3, 2], [1, -2, 3, -4, 5, -6])] },
    { kind: "momentum", attrs: { muNum: 7, muShift: 3, lo: -100, hi: 100 }, inputs: [t([5], [4, -4, 12, -12, 100]), t([5], [1, -1, 0, 0, 50])] },
    { kind: "sgd_update", attrs: { lrNum: 5, lrShift: 10, lo: -1000, hi: 1000 }, inputs: [t([5], [0, 0, 10, -10, 999]), t([5], [102, -102, 103, -103, -1000])] },
  ];
  return {
    version: 1,
    rounding: "roundShift(x, s) = floor((x + 2^(s-1)) / 2^s) for s > 0, x for s = 0 (round half up, towards +infinity)",
    cases: cases.map(opVectorCase),
  };
}
