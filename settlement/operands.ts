import { type AbiParameterToPrimitiveType, bytesToHex, encodeAbiParameters, type Hex } from "viem";
import { datasetRoot, datasetTree } from "../commitment/dataset.ts";
import { type Hash, toHex } from "../commitment/hash.ts";
import { type MerkleTree, proofOf } from "../commitment/merkle.ts";
import { buildProgram, type Program, type ProgramEntry, type ProgramHeader } from "../commitment/program.ts";
import { headerHash, type StateCommitment } from "../commitment/stateRoot.ts";
import { decodeElements, elementsPerLeaf, proveElement, type TensorCommitment } from "../commitment/tensorCommit.ts";
import { INPUT_CODE, type OpTrace, POST_ANCHOR_CODE, PRE_ANCHOR_CODE, proveRecord, type TraceEntry } from "../commitment/trace.ts";
import type { Dataset } from "../engine/batch.ts";
import { buildStepGraph, type StepGraph } from "../engine/graph.ts";
import { OP_CODES, OPS } from "../engine/ops/index.ts";
import { batchIndices } from "../engine/random.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";
import type { Tensor } from "../engine/tensor.ts";
import { referenceRunner } from "../engine/reference.ts";
import { traceStep } from "../training/traceStep.ts";

/**
 * The `operands` of IKernelVerifier.trueValue for KernelVerifierBase (contracts/kernel/): everything the
 * contract opens to settle one element of one op-trace entry against the agreed roots.
 *
 *   abi.encode(Entry entry, bytes32[] entryPath, Header header, bytes32[] headerPath, <opening>)
 *     code 255 (post-state anchor): PostAnchorOpening { PreState pre; RecordOpening[] stateOut }
 *     code 0   (batch input):       BatchOpening { PreState pre; DatasetInfo dataset; ExampleOpening example }
 *     code 1-9 (op):                InputOpening[] (one per input of the entry, in order)
 *
 * The struct layouts are those of KernelVerifierBase.sol; the ABI parameter definitions below are the single
 * TypeScript description of them. Build the typed form with {@link buildSettlementOperands} (tests tamper
 * with it), encode it with {@link encodeSettlementOperands}, or do both with {@link settlementOperands}.
 */

// ------------------------------------------------------------------ ABI of the structs

const ENTRY_COMPONENTS = [
  { name: "entry", type: "uint32" },
  { name: "tensorId", type: "uint32" },
  { name: "code", type: "uint8" },
  { name: "inputs", type: "uint32[]" },
  { name: "attrs", type: "int64[]" },
  { name: "width", type: "uint8" },
  { name: "dims", type: "uint32[]" },
] as const;
const HEADER_COMPONENTS = [
  { name: "entries", type: "uint32" },
  { name: "stateTensors", type: "uint32" },
  { name: "batchSize", type: "uint32" },
  { name: "firstOpTensorId", type: "uint32" },
  { name: "stateOutEntries", type: "uint32[]" },
] as const;
const STATE_TENSOR_COMPONENTS = [
  { name: "index", type: "uint32" },
  { name: "tensorId", type: "uint32" },
  { name: "width", type: "uint8" },
  { name: "dims", type: "uint32[]" },
] as const;
const RECORD_COMPONENTS = [
  { name: "entry", type: "uint32" },
  { name: "tensorId", type: "uint32" },
  { name: "code", type: "uint8" },
  { name: "inputs", type: "uint32[]" },
  { name: "attrs", type: "int64[]" },
  { name: "outputRoot", type: "bytes32" },
] as const;
const PRE_STATE_COMPONENTS = [
  { name: "specHash", type: "bytes32" },
  { name: "step", type: "uint64" },
  { name: "dataCursor", type: "uint64" },
  { name: "rng", type: "bytes32" },
  { name: "path", type: "bytes32[]" },
] as const;

const PROGRAM_ENTRY = { type: "tuple", components: ENTRY_COMPONENTS } as const;
const PROGRAM_HEADER = { type: "tuple", components: HEADER_COMPONENTS } as const;
const PROGRAM_STATE_TENSOR = { type: "tuple", components: STATE_TENSOR_COMPONENTS } as const;
const RECORD = { type: "tuple", components: RECORD_COMPONENTS } as const;
const PRE_STATE = { type: "tuple", components: PRE_STATE_COMPONENTS } as const;

const POST_ANCHOR_OPENING = {
  name: "opening",
  type: "tuple",
  components: [
    { name: "pre", ...PRE_STATE },
    { name: "stateOut", type: "tuple[]", components: [{ name: "record", ...RECORD }, { name: "path", type: "bytes32[]" }] },
  ],
} as const;
const BATCH_OPENING = {
  name: "opening",
  type: "tuple",
  components: [
    { name: "pre", ...PRE_STATE },
    {
      name: "dataset",
      type: "tuple",
      components: [
        { name: "count", type: "uint32" },
        { name: "features", type: "uint32" },
        { name: "classes", type: "uint32" },
        { name: "merkleRoot", type: "bytes32" },
      ],
    },
    { name: "example", type: "tuple", components: [{ name: "pixels", type: "bytes" }, { name: "label", type: "uint8" }, { name: "path", type: "bytes32[]" }] },
  ],
} as const;
const INPUT_OPENINGS = {
  name: "inputs",
  type: "tuple[]",
  components: [
    { name: "state", ...PROGRAM_STATE_TENSOR },
    { name: "tensorRoot", type: "bytes32" },
    { name: "producer", ...PROGRAM_ENTRY },
    { name: "record", ...RECORD },
    { name: "programPath", type: "bytes32[]" },
    { name: "rootPath", type: "bytes32[]" },
    { name: "leaves", type: "tuple[]", components: [{ name: "data", type: "bytes" }, { name: "siblings", type: "bytes32[]" }] },
  ],
} as const;

const ENVELOPE = [
  { name: "entry", ...PROGRAM_ENTRY },
  { name: "entryPath", type: "bytes32[]" },
  { name: "header", ...PROGRAM_HEADER },
  { name: "headerPath", type: "bytes32[]" },
] as const;

/** ABI parameters of each encoding (the tuple of PostAnchorOperands / BatchOperands / OpOperands). */
export const POST_ANCHOR_OPERANDS_ABI = [...ENVELOPE, POST_ANCHOR_OPENING] as const;
export const BATCH_OPERANDS_ABI = [...ENVELOPE, BATCH_OPENING] as const;
export const OP_OPERANDS_ABI = [...ENVELOPE, INPUT_OPENINGS] as const;

export type ProgramEntryArg = AbiParameterToPrimitiveType<typeof PROGRAM_ENTRY>;
export type ProgramHeaderArg = AbiParameterToPrimitiveType<typeof PROGRAM_HEADER>;
export type ProgramStateTensorArg = AbiParameterToPrimitiveType<typeof PROGRAM_STATE_TENSOR>;
export type RecordArg = AbiParameterToPrimitiveType<typeof RECORD>;
export type PreStateArg = AbiParameterToPrimitiveType<typeof PRE_STATE>;
export type PostAnchorOpeningArg = AbiParameterToPrimitiveType<typeof POST_ANCHOR_OPENING>;
export type BatchOpeningArg = AbiParameterToPrimitiveType<typeof BATCH_OPENING>;
export type InputOpeningArg = AbiParameterToPrimitiveType<typeof INPUT_OPENINGS>[number];

interface Envelope {
  entry: ProgramEntryArg;
  entryPath: Hex[];
  header: ProgramHeaderArg;
  headerPath: Hex[];
}
/** The typed operands, one variant per settlement kind. */
export type SettlementOperands =
  | (Envelope & { kind: "postAnchor"; opening: PostAnchorOpeningArg })
  | (Envelope & { kind: "batch"; opening: BatchOpeningArg })
  | (Envelope & { kind: "op"; inputs: InputOpeningArg[] });

/** IKernelVerifier.Context, as viem takes it (the term fields are zero except for matmul/col_sum). */
export interface SettlementContext {
  programRoot: Hex;
  datasetRoot: Hex;
  preStateRoot: Hex;
  traceRoot: Hex;
  entry: number;
  element: bigint;
  termLo: bigint;
  termHi: bigint;
  termCount: bigint;
  accIn: bigint;
}

/**
 * The term slice of a matmul/col_sum settlement (level 4 of the game): terms [lo, hi) of the element's
 * accumulation, and K as the solver declared it (`count`; the contract rejects any K but the true one).
 */
export interface TermSlice {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
}

/** What a party holds about the disputed step: enough to open any operand of any entry. */
export interface SettlementSource {
  readonly spec: TrainingSpec;
  readonly graph: StepGraph;
  readonly program: Program;
  /** The agreed pre-state and its commitment (commitState). */
  readonly pre: TrainingState;
  readonly preCommitment: StateCommitment;
  /** The honest trace of the step (training/traceStep.ts): the agreed prefix is its prefix. */
  readonly trace: OpTrace;
  readonly dataset: Dataset;
}

/** A step re-executed from `pre` (reference backend) with what settling any of its entries needs. */
export interface SettlementStep {
  readonly src: SettlementSource;
  /** Every tensor of the step, by graph tensor id (the honest values). */
  readonly all: readonly Tensor[];
  readonly post: TrainingState;
  readonly postRoot: Hash;
}

export async function settlementStep(spec: TrainingSpec, dataset: Dataset, pre: TrainingState): Promise<SettlementStep> {
  const graph = buildStepGraph(spec);
  const t = await traceStep(referenceRunner(graph), spec, dataset, pre);
  return {
    src: { spec, graph, program: buildProgram(spec, graph), pre, preCommitment: t.pre, trace: t.trace, dataset },
    all: t.all, post: t.post, postRoot: t.postCommitment.root,
  };
}

/** A settlement input that is inconsistent, or an entry/element that has no settlement. */
export class SettlementError extends Error {
  override name = "SettlementError";
}

// ------------------------------------------------------------------ the operand rule

/** Inputs of each op, by op code (the op's `arity`, engine/ops/). */
const ARITY: Readonly<Record<number, number>> = Object.fromEntries(Object.values(OPS).map((d) => [OP_CODES[d.kind], d.arity]));

/** Codes whose element is an accumulation of K terms (the op's `accumulates`), narrowed by level 4 of the game. */
export const ACCUMULATION_CODES: readonly number[] = Object.values(OPS).filter((d) => d.accumulates).map((d) => OP_CODES[d.kind]);

/**
 * K, the number of terms of an element of a matmul (op(A) [m,k] . op(B) [k,n]: k) or col_sum (D [m,n]: m).
 * Throws a SettlementError when the shapes do not fit the op.
 */
export function termCount(code: number, attrs: readonly number[], inShapes: readonly (readonly number[])[]): number {
  if (code === 1) {
    const a = inShapes[0];
    if (!a || a.length !== 2) throw new SettlementError("matmul operands must be 2-D");
    return attrs[0] === 1 ? a[0]! : a[1]!;
  }
  if (code === 7) {
    const d = inShapes[0];
    if (!d || d.length !== 2) throw new SettlementError("col_sum needs a 2-D input");
    return d[0]!;
  }
  throw new SettlementError(`op ${code} is not an accumulation`);
}

function checkSlice(code: number, k: number, slice: TermSlice | undefined): TermSlice {
  const s = slice ?? { lo: 0, hi: k, count: k };
  if (s.count !== k) throw new SettlementError(`op ${code}: declared K = ${s.count}, the operand shapes give K = ${k}`);
  if (!(Number.isSafeInteger(s.lo) && Number.isSafeInteger(s.hi) && s.lo >= 0 && s.lo < s.hi && s.hi <= k)) {
    throw new SettlementError(`op ${code}: term slice [${s.lo}, ${s.hi}) is empty or outside [0, ${k})`);
  }
  return s;
}

/**
 * The operand elements output element `e` of op `code` depends on, per input, in ascending order: the
 * mirror of KernelVerifierBase._operandIndices (matmul: op(A)[i, t] and op(B)[t, j] for t in the term
 * slice, i = e / n, j = e % n; bias_add: Z[e], b[e % n]; mse_grad: z[e], labels[e / n]; col_sum: D[t, e]
 * for t in the term slice; the other ops: every input at e). `slice` (matmul/col_sum only) defaults to
 * every term. Throws a SettlementError when the shapes do not fit the op, or the slice does not fit K.
 */
export function operandIndices(code: number, attrs: readonly number[], outShape: readonly number[], inShapes: readonly (readonly number[])[], e: number, slice?: TermSlice): number[][] {
  const bad = (what: string) => new SettlementError(`op ${code}: ${what} (inputs [${inShapes.map((s) => `[${s}]`).join(", ")}], output [${outShape}])`);
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (inShapes.length !== ARITY[code]) throw bad(`expects ${ARITY[code] ?? "no"} inputs, got ${inShapes.length}`);
  switch (code) {
    case 1: {
      const [a, b] = inShapes as [readonly number[], readonly number[]];
      const [transA, transB] = [attrs[0] === 1, attrs[1] === 1];
      if (a.length !== 2 || b.length !== 2) throw bad("matmul operands must be 2-D");
      const [m, k] = transA ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
      const [k2, n] = transB ? [b[1]!, b[0]!] : [b[0]!, b[1]!];
      if (k !== k2 || !same(outShape, [m, n])) throw bad("matmul shapes disagree");
      const i = Math.floor(e / n), j = e % n;
      const s = checkSlice(code, k, slice);
      const ts = Array.from({ length: s.hi - s.lo }, (_, t) => s.lo + t);
      return [ts.map((t) => (transA ? t * m + i : i * k + t)), ts.map((t) => (transB ? j * k + t : t * n + j))];
    }
    case 7: {
      const d = inShapes[0]!;
      if (d.length !== 2 || !same(outShape, [d[1]!])) throw bad("col_sum needs D [m,n] -> [n]");
      const s = checkSlice(code, d[0]!, slice);
      return [Array.from({ length: s.hi - s.lo }, (_, t) => (s.lo + t) * d[1]! + e)];
    }
    case 2:
    case 6: {
      if (outShape.length !== 2 || !same(inShapes[0]!, outShape)) throw bad("first input must have the output's 2-D shape");
      const n = outShape[1]!;
      if (!same(inShapes[1]!, [code === 2 ? n : outShape[0]!])) throw bad("second input has the wrong shape");
      return [[e], [code === 2 ? e % n : Math.floor(e / n)]];
    }
    default:
      if (!inShapes.every((s) => same(s, outShape))) throw bad("elementwise inputs must have the output's shape");
      return inShapes.map(() => [e]);
  }
}

// ------------------------------------------------------------------ building the operands

const ZERO32: Hex = `0x${"00".repeat(32)}`;
const EMPTY_STATE: ProgramStateTensorArg = { index: 0, tensorId: 0, width: 0, dims: [] };
const EMPTY_ENTRY: ProgramEntryArg = { entry: 0, tensorId: 0, code: 0, inputs: [], attrs: [], width: 0, dims: [] };
const EMPTY_RECORD: RecordArg = { entry: 0, tensorId: 0, code: 0, inputs: [], attrs: [], outputRoot: ZERO32 };

const hexes = (hs: readonly Uint8Array[]): Hex[] => hs.map((h) => toHex(h));
// Dataset trees and roots are computed once per dataset object (MNIST: 8,337 leaves).
const datasetTrees = new WeakMap<Dataset, MerkleTree>();
const datasetRoots = new WeakMap<Dataset, Hash>();
function treeOf(d: Dataset): MerkleTree {
  let t = datasetTrees.get(d);
  if (!t) datasetTrees.set(d, (t = datasetTree(d)));
  return t;
}
function rootOf(d: Dataset): Hash {
  let r = datasetRoots.get(d);
  if (!r) datasetRoots.set(d, (r = datasetRoot(d)));
  return r;
}

function entryArg(p: ProgramEntry): ProgramEntryArg {
  return { entry: p.entry, tensorId: p.tensorId, code: p.code, inputs: [...p.inputs], attrs: p.attrs.map(BigInt), width: p.width, dims: [...p.shape] };
}
function headerArg(h: ProgramHeader): ProgramHeaderArg {
  return { entries: h.entries, stateTensors: h.stateTensors, batchSize: h.batchSize, firstOpTensorId: h.firstOpTensorId, stateOutEntries: [...h.stateOutEntries] };
}
function recordArg(e: TraceEntry): RecordArg {
  return { entry: e.entry, tensorId: e.tensorId, code: e.code, inputs: [...e.inputs], attrs: e.attrs.map(BigInt), outputRoot: toHex(e.outputRoot) };
}
function preStateArg(src: SettlementSource): PreStateArg {
  const p = src.pre;
  const specHash = (p.specHash.startsWith("0x") ? p.specHash : `0x${p.specHash}`) as Hex;
  return { specHash, step: BigInt(p.step), dataCursor: BigInt(p.dataCursor), rng: toHex(p.rng), path: hexes(proofOf(src.preCommitment.tree, 0)) };
}

/** Checks that the pieces of a source belong together; throws a SettlementError naming the first mismatch. */
export function checkSource(src: SettlementSource): void {
  const { program, trace, preCommitment, pre } = src;
  const E = program.header.entries;
  if (trace.entries.length !== E) throw new SettlementError(`the trace has ${trace.entries.length} entries, the program ${E}`);
  if (program.entries.length !== E) throw new SettlementError(`the program lists ${program.entries.length} entries, its header ${E}`);
  if (preCommitment.tensors.length !== program.header.stateTensors) {
    throw new SettlementError(`the pre-state has ${preCommitment.tensors.length} tensors, the program ${program.header.stateTensors}`);
  }
  if (!headerHash(pre).equals(preCommitment.header)) throw new SettlementError("the pre-state's header does not match its commitment");
  if (!trace.entries[0]!.outputRoot.equals(preCommitment.root)) throw new SettlementError("the trace is not anchored to this pre-state (entry 0's root differs)");
  const specRoot = src.spec.data.root.replace(/^0x/, "").toLowerCase();
  if (rootOf(src.dataset).toString("hex") !== specRoot) throw new SettlementError("the dataset does not hash to the spec's dataset root");
}

/** The tensor commitment holding operand tensor `id`: a pre-state tensor or an earlier trace entry's output. */
function operandTensor(src: SettlementSource, id: number): { commitment: TensorCommitment; opening: Omit<InputOpeningArg, "leaves"> } {
  const { program, trace, preCommitment } = src;
  const h = program.header;
  if (id >= 2 && id < 2 + h.stateTensors) {
    const j = id - 2;
    const st = program.stateTensors[j]!;
    const leaf = 1 + h.entries + j;
    return {
      commitment: preCommitment.tensors[j]!,
      opening: {
        state: { index: st.index, tensorId: st.tensorId, width: st.width, dims: [...st.shape] },
        tensorRoot: toHex(preCommitment.tensors[j]!.root),
        producer: EMPTY_ENTRY,
        record: EMPTY_RECORD,
        programPath: hexes(proofOf(program.tree, leaf)),
        rootPath: hexes(proofOf(preCommitment.tree, j + 1)),
      },
    };
  }
  const e = id === 0 ? 1 : id === 1 ? 2 : id >= h.firstOpTensorId ? 3 + (id - h.firstOpTensorId) : -1;
  if (e < 1 || e >= h.entries - 1) throw new SettlementError(`tensor ${id} is neither a batch input, a state tensor nor an op output of the program`);
  const r = proveRecord(trace, e);
  return {
    commitment: trace.commitments[e - 1]!,
    opening: {
      state: EMPTY_STATE,
      tensorRoot: ZERO32,
      producer: entryArg(program.entries[e]!),
      record: recordArg(r.entry),
      programPath: hexes(proofOf(program.tree, 1 + e)),
      rootPath: hexes(r.siblings),
    },
  };
}

/** The distinct leaves holding elements `idx` (ascending), in order of first use, as the contract reads them. */
function leafOpenings(c: TensorCommitment, idx: readonly number[]): InputOpeningArg["leaves"] {
  const per = elementsPerLeaf(c.width);
  const out: { data: Hex; siblings: Hex[] }[] = [];
  let last = -1;
  for (const i of idx) {
    const leaf = Math.floor(i / per);
    if (leaf === last) continue;
    const p = proveElement(c, i);
    out.push({ data: bytesToHex(p.leaf), siblings: hexes(p.siblings) });
    last = leaf;
  }
  return out;
}

/** An operand's values, decoded from its commitment. */
export interface OperandValues {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** The values of every input of op entry `entry`, as the source commits them (pre-state or earlier entries). */
export function operandValues(src: SettlementSource, entry: number): OperandValues[] {
  const p = src.program.entries[entry];
  if (!p || !(p.code in ARITY)) throw new SettlementError(`entry ${entry} is not an op`);
  return p.inputs.map((id) => {
    const c = operandTensor(src, id).commitment;
    return { shape: c.shape, data: decodeElements(c.bytes, c.width, c.shape.reduce((a, b) => a * b, 1)) };
  });
}

/**
 * The K terms of element `e` of a matmul (op(A)[i, t] * op(B)[t, j]) or col_sum (D[t, e]), in order t =
 * 0 .. K-1, exact.
 */
export function accumulationTerms(code: number, attrs: readonly number[], outShape: readonly number[], inputs: readonly OperandValues[], e: number): bigint[] {
  const idx = operandIndices(code, attrs, outShape, inputs.map((x) => x.shape), e);
  const a = idx[0]!.map((i) => BigInt(inputs[0]!.data[i]!));
  if (code === 7) return a;
  return idx[1]!.map((i, t) => a[t]! * BigInt(inputs[1]!.data[i]!));
}

/** Partial sums P(0) = 0, P(t) = sum_{s < t} terms[s], t = 0 .. K (P(K) is the element's value). */
export function partialSums(terms: readonly bigint[]): bigint[] {
  const out = [0n];
  for (const x of terms) out.push(out.at(-1)! + x);
  return out;
}

/**
 * The typed operands settling element `element` of trace entry `entry` (1 .. E-1; the element is ignored
 * for the post-state anchor E-1); for matmul/col_sum, of the term slice `slice` (default: every term).
 * Throws a SettlementError on an inconsistent source or an entry/element without a settlement.
 */
export function buildSettlementOperands(src: SettlementSource, entry: number, element: number, slice?: TermSlice): SettlementOperands {
  checkSource(src);
  const { program, trace, dataset } = src;
  const h = program.header;
  if (!Number.isSafeInteger(entry) || entry < 1 || entry >= h.entries) {
    throw new SettlementError(`entry ${entry} has no settlement: entries 1 .. ${h.entries - 1} (entry 0, the pre-state anchor, is agreed)`);
  }
  const p = program.entries[entry]!;
  const envelope: Envelope = {
    entry: entryArg(p),
    entryPath: hexes(proofOf(program.tree, 1 + entry)),
    header: headerArg(h),
    headerPath: hexes(proofOf(program.tree, 0)),
  };
  if (p.code === POST_ANCHOR_CODE) {
    const stateOut = h.stateOutEntries.map((e) => {
      const r = proveRecord(trace, e);
      return { record: recordArg(r.entry), path: hexes(r.siblings) };
    });
    return { kind: "postAnchor", ...envelope, opening: { pre: preStateArg(src), stateOut } };
  }
  const count = p.shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(element) || element < 0 || element >= count) {
    throw new SettlementError(`element ${element} outside entry ${entry}'s output of ${count} elements`);
  }
  if (p.code === INPUT_CODE) {
    const isX = entry === 1;
    const f = dataset.features;
    if (isX && p.shape[1] !== f) throw new SettlementError(`x has rows of ${p.shape[1]} features, the dataset ${f}`);
    const row = isX ? Math.floor(element / f) : element;
    const index = batchIndices(src.pre.rng, row + 1, dataset.count)[row]!;
    return {
      kind: "batch",
      ...envelope,
      opening: {
        pre: preStateArg(src),
        dataset: { count: dataset.count, features: f, classes: dataset.classes, merkleRoot: toHex(treeOf(dataset).root) },
        example: { pixels: bytesToHex(dataset.pixels.subarray(index * f, (index + 1) * f)), label: dataset.labels[index]!, path: hexes(proofOf(treeOf(dataset), index)) },
      },
    };
  }
  if (p.code === PRE_ANCHOR_CODE || !(p.code in ARITY)) throw new SettlementError(`entry ${entry} has code ${p.code}, which has no settlement`);
  const operands = p.inputs.map((id) => operandTensor(src, id));
  const idx = operandIndices(p.code, p.attrs, p.shape, operands.map((o) => o.commitment.shape), element, slice);
  const inputs = operands.map((o, i): InputOpeningArg => ({ ...o.opening, leaves: leafOpenings(o.commitment, idx[i]!) }));
  return { kind: "op", ...envelope, inputs };
}

/** The ABI encoding of typed operands (the `operands` argument of trueValue). */
export function encodeSettlementOperands(o: SettlementOperands): Hex {
  const head = [o.entry, o.entryPath, o.header, o.headerPath] as const;
  switch (o.kind) {
    case "postAnchor":
      return encodeAbiParameters(POST_ANCHOR_OPERANDS_ABI, [...head, o.opening]);
    case "batch":
      return encodeAbiParameters(BATCH_OPERANDS_ABI, [...head, o.opening]);
    case "op":
      return encodeAbiParameters(OP_OPERANDS_ABI, [...head, o.inputs]);
  }
}

/** The encoded operands settling `element` of `entry`: encodeSettlementOperands(buildSettlementOperands(...)). */
export function settlementOperands(src: SettlementSource, entry: number, element: number, slice?: TermSlice): Hex {
  return encodeSettlementOperands(buildSettlementOperands(src, entry, element, slice));
}

/** The whole accumulation of a matmul/col_sum entry as a slice, [0, K) with K declared true; else undefined. */
export function wholeSlice(src: SettlementSource, entry: number): TermSlice | undefined {
  const p = src.program.entries[entry];
  if (!p || !ACCUMULATION_CODES.includes(p.code)) return undefined;
  const k = termCount(p.code, p.attrs, p.inputs.map((id) => operandTensor(src, id).commitment.shape));
  return { lo: 0, hi: k, count: k };
}

/**
 * The context a game would pass for `entry`/`element`, with the source's own roots (the honest trace's);
 * for matmul/col_sum, `slice` (default: the whole accumulation, [0, K)) and the agreed partial sum `accIn`
 * at slice.lo (zero for the other ops).
 */
export function settlementContext(src: SettlementSource, entry: number, element: number, slice?: TermSlice, accIn = 0n): SettlementContext {
  slice ??= wholeSlice(src, entry);
  return {
    programRoot: toHex(src.program.root),
    datasetRoot: toHex(rootOf(src.dataset)),
    preStateRoot: toHex(src.preCommitment.root),
    traceRoot: toHex(src.trace.root),
    entry,
    element: BigInt(element),
    termLo: BigInt(slice?.lo ?? 0),
    termHi: BigInt(slice?.hi ?? 0),
    termCount: BigInt(slice?.count ?? 0),
    accIn: slice ? accIn : 0n,
  };
}
