import type { StepGraph } from "../engine/graph.ts";
import { OP_CODES, opDef } from "../engine/ops/index.ts";
import type { Tensor } from "../engine/tensor.ts";
import { type Hash, i64be, TAG, taggedHash, u32be } from "./hash.ts";
import { buildTree, type MerkleTree, proofOf, verifyProof } from "./merkle.ts";
import { commitTensor, proveElement, verifyElement, widthFor, type ElementProof, type TensorCommitment } from "./tensorCommit.ts";

/**
 * The op trace of one step. Entries, in order:
 *   0            the pre-state anchor (code 254): its output root is the state root the step starts from;
 *   1, 2         the batch inputs x (attributes: inputShift, inputMax) and labels (code 0);
 *   3 .. 3+n-1   one per op, in graph order (the op's code);
 *   n + 3        the post-state anchor (code 255): its output root is the state root the step produces.
 * Anchors carry tensor id 0xFFFFFFFF. Record hash = sha256(0x04 || u32 entry || u32 tensor id || u8 code ||
 * u8 #inputs || u32 input ids... || u8 #attrs || i64 attrs... || output root). The trace root is the Merkle
 * root of the records. The anchors bind a trace to the two state roots a dispute is about; the game bisects
 * over the entries to the first whose inputs are agreed and whose output is not (docs/protocol.md).
 */
export const INPUT_CODE = 0;
export const PRE_ANCHOR_CODE = 254;
export const POST_ANCHOR_CODE = 255;
export const ANCHOR_TENSOR_ID = 0xffffffff;

/** Trace entry of graph tensor `id` (a batch input or an op output); state tensors have none. */
export function entryOfTensor(graph: StepGraph, id: number): number {
  if (id === graph.x) return 1;
  if (id === graph.labels) return 2;
  const t = graph.tensors[id];
  if (!t || t.role !== "op") throw new RangeError(`tensor ${id} is not a trace entry (state tensors are opened from the state root)`);
  return 3 + t.producer!;
}

/** Attributes of the x entry: how raw bytes were quantized, so a contract can recheck one element. */
export function inputAttrs(graph: StepGraph): number[] {
  return [graph.inputQuant.inputShift, graph.inputQuant.inputMax];
}

export function traceLength(graph: StepGraph): number {
  return graph.ops.length + 4;
}

export interface TraceEntry {
  readonly entry: number;
  readonly tensorId: number;
  readonly name: string;
  readonly code: number;
  readonly inputs: readonly number[];
  readonly attrs: readonly number[];
  readonly outputRoot: Hash;
}

export interface OpTrace {
  readonly entries: readonly TraceEntry[];
  /** Tensor commitments of entries 1 .. n+2 (index = entry - 1); anchors have none. */
  readonly commitments: readonly TensorCommitment[];
  readonly tree: MerkleTree;
  readonly root: Hash;
}

export function recordHash(e: Omit<TraceEntry, "name">): Hash {
  return taggedHash(
    TAG.TRACE_RECORD,
    u32be(e.entry), u32be(e.tensorId),
    Buffer.from([e.code, e.inputs.length]), ...e.inputs.map(u32be),
    Buffer.from([e.attrs.length]), ...e.attrs.map(i64be),
    e.outputRoot,
  );
}

/** Builds the trace from every tensor of an executed step (StepResult.all) and its two state roots. */
export function buildTrace(graph: StepGraph, all: readonly Tensor[], preStateRoot: Uint8Array, postStateRoot: Uint8Array): OpTrace {
  const subjects: { id: number; code: number; inputs: readonly number[]; attrs: readonly number[] }[] = [
    { id: graph.x, code: INPUT_CODE, inputs: [], attrs: inputAttrs(graph) },
    { id: graph.labels, code: INPUT_CODE, inputs: [], attrs: [] },
    ...graph.ops.map((op) => ({ id: op.output, code: OP_CODES[op.kind], inputs: op.inputs, attrs: opDef(op.kind).encodeAttrs(op.attrs) })),
  ];
  const commitments = subjects.map((s) => commitTensor(all[s.id]!, graph.tensors[s.id]!.range));
  const anchor = (entry: number, code: number, root: Uint8Array, name: string): TraceEntry => ({
    entry, tensorId: ANCHOR_TENSOR_ID, name, code, inputs: [], attrs: [], outputRoot: Buffer.from(root),
  });
  const entries: TraceEntry[] = [
    anchor(0, PRE_ANCHOR_CODE, preStateRoot, "pre-state"),
    ...subjects.map((s, i): TraceEntry => ({
      entry: i + 1, tensorId: s.id, name: graph.tensors[s.id]!.name, code: s.code, inputs: s.inputs, attrs: s.attrs, outputRoot: commitments[i]!.root,
    })),
  ];
  entries.push(anchor(entries.length, POST_ANCHOR_CODE, postStateRoot, "post-state"));
  const tree = buildTree(entries.map(recordHash));
  return { entries, commitments, tree, root: tree.root };
}

/** Opening of one element of one trace entry's output: the record's path and the element's path. */
export interface TraceElementProof {
  readonly entry: TraceEntry;
  readonly recordSiblings: readonly Hash[];
  readonly element: ElementProof;
}

export function proveRecord(trace: OpTrace, entry: number): { entry: TraceEntry; siblings: Hash[] } {
  const e = trace.entries[entry];
  if (!e) throw new RangeError(`trace entry ${entry} outside [0, ${trace.entries.length})`);
  return { entry: e, siblings: proofOf(trace.tree, entry) };
}

export function proveTraceElement(trace: OpTrace, entry: number, index: number): TraceElementProof {
  const r = proveRecord(trace, entry);
  const c = trace.commitments[entry - 1];
  if (!c || entry === trace.entries.length - 1) throw new RangeError(`trace entry ${entry} is an anchor: it holds a state root, not a tensor`);
  return { entry: r.entry, recordSiblings: r.siblings, element: proveElement(c, index) };
}

/**
 * Checks an element opening against a trace root: the record's path, that the record describes the
 * expected tensor of `graph` (so the shape and width used to decode are the graph's, not the prover's), and
 * the element's path to the record's output root. Returns the element's value; throws on any mismatch.
 */
export function verifyTraceElement(traceRoot: Uint8Array, graph: StepGraph, p: TraceElementProof): number {
  const t = graph.tensors[p.entry.tensorId];
  if (!t || t.role === "state") throw new RangeError(`trace entry ${p.entry.entry} names tensor ${p.entry.tensorId}, which no trace entry holds`);
  const expectedEntry = entryOfTensor(graph, t.id);
  if (p.entry.entry !== expectedEntry) throw new RangeError(`tensor ${t.name} is trace entry ${expectedEntry}, not ${p.entry.entry}`);
  if (!verifyProof(traceRoot, recordHash(p.entry), p.entry.entry, p.recordSiblings)) throw new RangeError("trace record path does not match the trace root");
  return verifyElement(p.entry.outputRoot, t.shape, widthFor(t.range), p.element);
}
