import { bytesToHex, encodeAbiParameters, type Hex } from "viem";
import { datasetRoot, datasetTree } from "../commitment/dataset.ts";
import { type Hash, toHex } from "../commitment/hash.ts";
import { type MerkleTree, proofOf } from "../commitment/merkle.ts";
import type { ProgramEntry, ProgramHeader } from "../commitment/program.ts";
import { headerHash } from "../commitment/stateRoot.ts";
import { decodeElements, elementsPerLeaf, proveElement, type TensorCommitment } from "../commitment/tensorCommit.ts";
import { INPUT_CODE, POST_ANCHOR_CODE, PRE_ANCHOR_CODE, proveRecord, type TraceEntry } from "../commitment/trace.ts";
import { toRoot, ZERO_ROOT } from "../core/root.ts";
import type { Dataset } from "../engine/batch.ts";
import { batchIndices } from "../engine/random.ts";
import {
  BATCH_OPERANDS_ABI, type Envelope, type InputOpeningArg, OP_OPERANDS_ABI, POST_ANCHOR_OPERANDS_ABI, type PreStateArg, type ProgramEntryArg, type ProgramHeaderArg,
  type ProgramStateTensorArg, type RecordArg, type SettlementContext, type SettlementOperands,
} from "./abi.ts";
import { SettlementError } from "./errors.ts";
import { opKindOf } from "../engine/ops/index.ts";
import { col2imGeometry, col2imTerms } from "./modelOpRule.ts";
import { hasTermLevel, isOpCode, operandIndices, termCount, type TermSlice } from "./operandRule.ts";
import { modelElementFact } from "./modelOpRule.ts";
import { maxpoolGradStep, maxpoolStep } from "./poolTerms.ts";
import { softmaxTermColumn, softmaxTermStep } from "./softmaxTerms.ts";
import type { SettlementSource } from "./step.ts";

/**
 * The `operands` of IKernelVerifier.trueValue for KernelVerifierBase (contracts/kernel/): everything the
 * contract opens to settle one element of one op-trace entry against the agreed roots (layouts:
 * settlement/abi.ts). Build the typed form with {@link buildSettlementOperands} (tests tamper with it), encode
 * it with {@link encodeSettlementOperands}, or do both with {@link settlementOperands}; the context a game
 * passes with them is {@link settlementContext}; an element's partial values at level 4 of the game are
 * {@link elementPartials} (an accumulation's: {@link partialSums} of its {@link accumulationTerms}) and the value
 * a verifier computes for a slice {@link sliceValue}. Pure: no chain, no I/O.
 */

const EMPTY_STATE: ProgramStateTensorArg = { index: 0, tensorId: 0, width: 0, dims: [] };
const EMPTY_ENTRY: ProgramEntryArg = { entry: 0, tensorId: 0, code: 0, inputs: [], attrs: [], width: 0, dims: [] };
const EMPTY_RECORD: RecordArg = { entry: 0, tensorId: 0, code: 0, inputs: [], attrs: [], outputRoot: ZERO_ROOT };

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
  return { specHash: toRoot(p.specHash, "the pre-state's spec hash"), step: BigInt(p.step), dataCursor: BigInt(p.dataCursor), rng: toHex(p.rng), path: hexes(proofOf(src.preCommitment.tree, 0)) };
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
  if (toRoot(rootOf(src.dataset)) !== toRoot(src.spec.data.root, "the spec's data root")) throw new SettlementError("the dataset does not hash to the spec's dataset root");
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
      tensorRoot: ZERO_ROOT,
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
  if (!p || !isOpCode(p.code)) throw new SettlementError(`entry ${entry} is not an op`);
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
  if (opKindOf(code) === "col2im") {
    // Every one of the K terms, the missing ones (outside the image or the kernel) zero.
    operandIndices(code, attrs, outShape, inputs.map((x) => x.shape), e); // checks the shapes
    return col2imTerms(col2imGeometry(attrs), e).map((i) => (i < 0 ? 0n : BigInt(inputs[0]!.data[i]!)));
  }
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
 * The fold that reaches element `e` of a term-level op: K and the step P(t+1) = step(t, P(t)), over the
 * element's operands (an accumulation: P(t) + term t; softmax_ce_grad: settlement/softmaxTerms.ts; maxpool,
 * maxpool_grad: settlement/poolTerms.ts). Throws a SettlementError when the shapes do not fit the op.
 */
function termFold(code: number, attrs: readonly number[], outShape: readonly number[], inputs: readonly OperandValues[], e: number): { K: number; step(t: number, acc: bigint): bigint } {
  const kind = opKindOf(code);
  if (kind !== "softmax_ce_grad" && kind !== "maxpool" && kind !== "maxpool_grad") {
    const terms = accumulationTerms(code, attrs, outShape, inputs, e);
    return { K: terms.length, step: (t, acc) => acc + terms[t]! };
  }
  const idx = operandIndices(code, attrs, outShape, inputs.map((x) => x.shape), e); // every term: checks the shapes
  const at = (i: number, j: number) => BigInt(inputs[i]!.data[j]!);
  if (kind === "softmax_ce_grad") {
    const n = outShape[1]!, row = Math.floor(e / n) * n, j = e % n, label = at(1, idx[1]![0]!), a = { fracBits: attrs[0]!, one: attrs[1]! };
    return { K: 2 * n + 1, step: (t, acc) => softmaxTermStep(a, n, j, t, acc, at(0, row + softmaxTermColumn(n, j, t)), label) };
  }
  if (kind === "maxpool") {
    const w = idx[0]!.map((i) => at(0, i));
    return { K: w.length, step: (t, acc) => maxpoolStep(t, acc, w[t]!) };
  }
  const w = idx[1]!.map((i) => at(1, i)), g = at(0, idx[0]![0]!), position = modelElementFact(code, attrs, outShape, e);
  return { K: w.length + 1, step: (t, acc) => maxpoolGradStep(w.length, position, t, acc, w[t] ?? 0n, g) };
}

/**
 * The partial values P(0) .. P(K) of element `e` of a term-level op (matmul, col_sum, col2im: partial sums;
 * softmax_ce_grad, maxpool, maxpool_grad: their folds); P(K) is the element's value. Throws a
 * SettlementError when the shapes do not fit the op.
 */
export function elementPartials(code: number, attrs: readonly number[], outShape: readonly number[], inputs: readonly OperandValues[], e: number): bigint[] {
  const f = termFold(code, attrs, outShape, inputs, e);
  const out = [0n];
  for (let t = 0; t < f.K; t++) out.push(f.step(t, out[t]!));
  return out;
}

/**
 * What a kernel verifier computes for term slice [lo, hi) of element `e` from the agreed partial value
 * `accIn` at lo: the partial value at hi (the fold's steps from accIn; an accumulation: accIn plus the slice's
 * terms). Equals P(hi) when accIn is P(lo). Throws a SettlementError where the verifier reverts (a slice
 * that does not fit K, a softmax step from a partial value no honest party posts).
 */
export function sliceValue(code: number, attrs: readonly number[], outShape: readonly number[], inputs: readonly OperandValues[], e: number, slice: TermSlice, accIn: bigint): bigint {
  operandIndices(code, attrs, outShape, inputs.map((x) => x.shape), e, slice); // checks the shapes and the slice
  const f = termFold(code, attrs, outShape, inputs, e);
  let acc = accIn;
  for (let t = slice.lo; t < slice.hi; t++) acc = f.step(t, acc);
  return acc;
}

/**
 * The typed operands settling element `element` of trace entry `entry` (1 .. E-1; the element is ignored
 * for the post-state anchor E-1); for a term-level op, of the term slice `slice` (default: every term).
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
  if (p.code === PRE_ANCHOR_CODE || !isOpCode(p.code)) throw new SettlementError(`entry ${entry} has code ${p.code}, which has no settlement`);
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

/** Every term of a term-level entry as a slice, [0, K) with K declared true; else undefined. */
export function wholeSlice(src: SettlementSource, entry: number): TermSlice | undefined {
  const p = src.program.entries[entry];
  if (!p || !hasTermLevel(p.code)) return undefined;
  const k = termCount(p.code, p.attrs, p.inputs.map((id) => operandTensor(src, id).commitment.shape));
  return { lo: 0, hi: k, count: k };
}

/**
 * The context a game would pass for `entry`/`element`, with the source's own roots (the honest trace's);
 * for the term-level ops, `slice` (default: every term, [0, K)) and the agreed partial value `accIn` at
 * slice.lo (zero for the other ops).
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
