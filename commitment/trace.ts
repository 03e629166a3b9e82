import type { StepGraph } from "../engine/graph.ts";
import { OP_CODES, opDef } from "../engine/ops/index.ts";
import type { Tensor } from "../engine/tensor.ts";
import { type Hash, i64be, TAG, taggedHash, u32be } from "./hash.ts";
import { buildTree, type MerkleTree, proofOf, verifyProof } from "./merkle.ts";
import { commitTensor, proveElement, verifyElement, widthFor, type ElementProof, type TensorCommitment } from "./tensorCommit.ts";

/**
 * The op trace of one step: one entry per batch input (code 0) and then one per op in graph order, each
 * with its op code, the tensor ids of its inputs, its integer attributes and the root of its output tensor.
 * Record hash = sha256(0x04 || u32 entry || u32 tensor id || u8 code || u8 #inputs || u32 input ids... ||
 * u8 #attrs || i64 attrs... || output root). The trace root is the Merkle root of the records; the dispute
 * game bisects over these entries to the first one whose inputs are agreed and whose output is not.
 */
export const INPUT_CODE = 0;

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
  readonly commitments: readonly TensorCommitment[];
  readonly tree: MerkleTree;
  readonly root: Hash;
}

export function recordHash(e: TraceEntry): Hash {
  return taggedHash(
    TAG.TRACE_RECORD,
    u32be(e.entry), u32be(e.tensorId),
    Buffer.from([e.code, e.inputs.length]), ...e.inputs.map(u32be),
    Buffer.from([e.attrs.length]), ...e.attrs.map(i64be),
    e.outputRoot,
  );
}

/** Builds the trace from every tensor of an executed step (StepResult.all). */
export function buildTrace(graph: StepGraph, all: readonly Tensor[]): OpTrace {
  const subjects: { id: number; code: number; inputs: readonly number[]; attrs: readonly number[] }[] = [
    { id: graph.x, code: INPUT_CODE, inputs: [], attrs: [] },
    { id: graph.labels, code: INPUT_CODE, inputs: [], attrs: [] },
    ...graph.ops.map((op) => ({
      id: op.output, code: OP_CODES[op.kind], inputs: op.inputs,
      attrs: opDef(op.kind).encodeAttrs(op.attrs),
    })),
  ];
  const commitments = subjects.map((s) => commitTensor(all[s.id]!, graph.tensors[s.id]!.range));
  const entries = subjects.map((s, i): TraceEntry => ({
    entry: i, tensorId: s.id, name: graph.tensors[s.id]!.name, code: s.code, inputs: s.inputs, attrs: s.attrs, outputRoot: commitments[i]!.root,
  }));
  const tree = buildTree(entries.map(recordHash));
  return { entries, commitments, tree, root: tree.root };
}

/** Opening of one element of one trace entry's output: the record's path and the element's path. */
export interface TraceElementProof {
  readonly entry: TraceEntry;
  readonly recordSiblings: readonly Hash[];
  readonly element: ElementProof;
}

export function proveTraceElement(trace: OpTrace, entry: number, index: number): TraceElementProof {
  const e = trace.entries[entry];
  if (!e) throw new RangeError(`trace entry ${entry} outside [0, ${trace.entries.length})`);
  return { entry: e, recordSiblings: proofOf(trace.tree, entry), element: proveElement(trace.commitments[entry]!, index) };
}

/**
 * Checks an element opening against a trace root: the record's path, that the record describes the
 * expected tensor of `graph` (so the shape and width used to decode are the graph's, not the prover's), and
 * the element's path to the record's output root. Returns the element's value; throws on any mismatch.
 */
export function verifyTraceElement(traceRoot: Uint8Array, graph: StepGraph, p: TraceElementProof): number {
  const t = graph.tensors[p.entry.tensorId];
  if (!t || t.role === "state") throw new RangeError(`trace entry ${p.entry.entry} names tensor ${p.entry.tensorId}, which no trace entry holds`);
  const expectedEntry = t.role === "input" ? (t.id === graph.x ? 0 : 1) : 2 + t.producer!;
  if (p.entry.entry !== expectedEntry) throw new RangeError(`tensor ${t.name} is trace entry ${expectedEntry}, not ${p.entry.entry}`);
  if (!verifyProof(traceRoot, recordHash(p.entry), p.entry.entry, p.recordSiblings)) throw new RangeError("trace record path does not match the trace root");
  return verifyElement(p.entry.outputRoot, t.shape, widthFor(t.range), p.element);
}
