import type { StepGraph } from "../engine/graph.ts";
import { OP_CODES, opDef } from "../engine/ops/index.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { type Hash, i64be, TAG, taggedHash, u32be } from "./hash.ts";
import { buildTree, type MerkleTree } from "./merkle.ts";
import { widthFor } from "./tensorCommit.ts";
import { ANCHOR_TENSOR_ID, entryOfTensor, INPUT_CODE, inputAttrs, POST_ANCHOR_CODE, PRE_ANCHOR_CODE, traceLength } from "./trace.ts";

/**
 * The step program of a spec: what every op-trace entry must be (code, tensor id, inputs, attributes, and
 * the output's width and shape), committed so that a contract can check a revealed trace record, and
 * decode its tensor, without knowing the engine. A job posts its program root next to its spec hash.
 *
 * Leaf 0, the header: sha256(0x08 || u32 entries || u32 state tensors || u32 batch size ||
 *   u32 first op tensor id || u32 entry producing state tensor j, for each j).
 * Leaf 1 + e, trace entry e: sha256(0x09 || u32 entry || u32 tensor id || u8 code || u8 #inputs ||
 *   u32 inputs... || u8 #attrs || i64 attrs... || u8 width || u8 rank || u32 dims...)  (anchors: width 0, rank 0).
 * Leaf 1 + entries + j, state tensor j: sha256(0x0a || u32 j || u32 tensor id || u8 width || u8 rank ||
 *   u32 dims...): how to decode an operand opened from a state root.
 */
export const TAG_PROGRAM_HEADER = 0x08;
export const TAG_PROGRAM_ENTRY = 0x09;
export const TAG_PROGRAM_STATE = 0x0a;

export interface ProgramHeader {
  readonly entries: number;
  readonly stateTensors: number;
  readonly batchSize: number;
  readonly firstOpTensorId: number;
  readonly stateOutEntries: readonly number[];
}

export interface ProgramEntry {
  readonly entry: number;
  readonly tensorId: number;
  readonly code: number;
  readonly inputs: readonly number[];
  readonly attrs: readonly number[];
  readonly width: number;
  readonly shape: readonly number[];
}

export interface ProgramStateTensor {
  readonly index: number;
  readonly tensorId: number;
  readonly width: number;
  readonly shape: readonly number[];
}

export interface Program {
  readonly header: ProgramHeader;
  readonly entries: readonly ProgramEntry[];
  readonly stateTensors: readonly ProgramStateTensor[];
  readonly tree: MerkleTree;
  readonly root: Hash;
}

export function programHeaderHash(h: ProgramHeader): Hash {
  return taggedHash(TAG_PROGRAM_HEADER, u32be(h.entries), u32be(h.stateTensors), u32be(h.batchSize), u32be(h.firstOpTensorId), ...h.stateOutEntries.map(u32be));
}

export function programEntryHash(p: ProgramEntry): Hash {
  return taggedHash(
    TAG_PROGRAM_ENTRY,
    u32be(p.entry), u32be(p.tensorId),
    Buffer.from([p.code, p.inputs.length]), ...p.inputs.map(u32be),
    Buffer.from([p.attrs.length]), ...p.attrs.map(i64be),
    Buffer.from([p.width, p.shape.length]), ...p.shape.map(u32be),
  );
}

export function programStateHash(p: ProgramStateTensor): Hash {
  return taggedHash(TAG_PROGRAM_STATE, u32be(p.index), u32be(p.tensorId), Buffer.from([p.width, p.shape.length]), ...p.shape.map(u32be));
}

/** Leaf index of a program item in the program tree. */
export const programLeafIndex = {
  header: 0,
  entry: (e: number) => 1 + e,
  state: (h: ProgramHeader, j: number) => 1 + h.entries + j,
};

export function buildProgram(spec: TrainingSpec, graph: StepGraph): Program {
  const E = traceLength(graph);
  const header: ProgramHeader = {
    entries: E,
    stateTensors: graph.stateIn.length,
    batchSize: spec.training.batchSize,
    firstOpTensorId: graph.ops.length ? graph.ops[0]!.output : graph.tensors.length,
    stateOutEntries: graph.stateOut.map((id) => entryOfTensor(graph, id)),
  };
  const tensorEntry = (entry: number, id: number, code: number, inputs: readonly number[], attrs: readonly number[]): ProgramEntry => {
    const t = graph.tensors[id]!;
    return { entry, tensorId: id, code, inputs, attrs, width: widthFor(t.range), shape: t.shape };
  };
  const entries: ProgramEntry[] = [
    { entry: 0, tensorId: ANCHOR_TENSOR_ID, code: PRE_ANCHOR_CODE, inputs: [], attrs: [], width: 0, shape: [] },
    tensorEntry(1, graph.x, INPUT_CODE, [], inputAttrs(graph)),
    tensorEntry(2, graph.labels, INPUT_CODE, [], []),
    ...graph.ops.map((op, k) => tensorEntry(3 + k, op.output, OP_CODES[op.kind], op.inputs, opDef(op.kind).encodeAttrs(op.attrs))),
    { entry: E - 1, tensorId: ANCHOR_TENSOR_ID, code: POST_ANCHOR_CODE, inputs: [], attrs: [], width: 0, shape: [] },
  ];
  const stateTensors = graph.stateIn.map((id, j): ProgramStateTensor => ({ index: j, tensorId: id, width: widthFor(graph.tensors[id]!.range), shape: graph.tensors[id]!.shape }));
  const tree = buildTree([programHeaderHash(header), ...entries.map(programEntryHash), ...stateTensors.map(programStateHash)]);
  return { header, entries, stateTensors, tree, root: tree.root };
}
