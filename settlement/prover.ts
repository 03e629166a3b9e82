// Groth16 proofs for the settlement circuits (circuits/settle/*.circom, set up by scripts/zk-setup.ts):
// proveKernel builds the witness input, proves in process (snarkjs groth16.fullProve with the circuit's
// wasm and zkey), verifies the proof locally against the verification key, and returns the `proof` bytes
// Groth16KernelVerifier expects: abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c, int256 output), and
// for softmax_ce_grad (16) abi.encode(a, b, c, output, uint256 indices): the exp-table index each slot of its
// term slice reads (12 bits each), which the contract looks up in the table on chain and the circuit pins down.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encodeAbiParameters, keccak256, type Hex } from "viem";
import { OP_CODES, opKindOf } from "../engine/ops/index.ts";
import { CONTEXT_ABI, type SettlementContext } from "./abi.ts";
import { ProverError } from "./errors.ts";
import { modelElementFact } from "./modelOpRule.ts";
import { circuitAttrs, V1_MAX_OP_CODE } from "./coverage.ts";
import { accumulates } from "./operandRule.ts";
import { packSoftmaxIndices, softmaxSliceReads, softmaxTableWord, softmaxTermCount } from "./softmaxTerms.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MANIFEST = path.join(ROOT, "build/zk/manifest.json");

/** BN254 scalar field modulus. */
export const FIELD_P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** One settle circuit as scripts/zk-setup.ts records it in build/zk/manifest.json. */
export interface ProverCircuit {
  /** circuits/settle/<id>.circom */
  readonly id: string;
  /** Op code (docs/engine.md). */
  readonly code: number;
  /** The entry's encoded attributes (encodeAttrs order). */
  readonly attrs: readonly number[];
  /** mse_grad only: the number of classes (the output's column count); 0 otherwise. */
  readonly classes: number;
  readonly contractName: string;
  readonly constraints: number;
  /** Public inputs: ctx, out, operands (mse_grad: z, label, j). */
  readonly nPublic: number;
  readonly wasm: string;
  readonly zkey: string;
  readonly vkey: string;
}

/** The circuits scripts/zk-setup.ts set up (build/zk/manifest.json; run `npm run build:contracts`). */
export function zkCircuits(): readonly ProverCircuit[] {
  return (JSON.parse(readFileSync(MANIFEST, "utf8")) as { circuits: ProverCircuit[] }).circuits;
}

/** The circuit of an instantiation; classes = the output's column count for mse_grad (6), else ignored. */
export function circuitFor(code: number, attrs: readonly number[], classes = 0): ProverCircuit {
  const mseGrad = opKindOf(code) === "mse_grad";
  const want = mseGrad ? classes : 0;
  // One term-slice circuit per accumulation op, whatever transA/transB, and one generic circuit per model op
  // (registered with attrs []): the key Groth16KernelVerifier.circuitKey asks for.
  attrs = circuitAttrs(code, attrs);
  const c = zkCircuits().find((x) => x.code === code && x.classes === want && x.attrs.length === attrs.length && x.attrs.every((a, i) => a === attrs[i]));
  if (!c) throw new ProverError(`prover: no settlement circuit for code ${code} attrs [${attrs.join(", ")}]${mseGrad ? ` classes ${classes}` : ""}`);
  return c;
}

/** The ctx public input: uint256(keccak256(abi.encode(Context))) mod p. */
export function contextField(ctx: SettlementContext): bigint {
  return BigInt(keccak256(encodeAbiParameters(CONTEXT_ABI, [ctx]))) % FIELD_P;
}

/** A signed value as a field element (x < 0: p + x). */
export const toField = (x: bigint): bigint => (x < 0n ? FIELD_P + x : x);

/** Terms of the dot-slice circuits (DisputeGame.TERM_SLICE, Groth16KernelVerifier.SLICE_TERMS). */
export const SLICE_TERMS = 8;
const SLICE_BITS = 54n;
const SLICE_PER_WORD = 4;

/**
 * Packed public words (Groth16KernelVerifier._packValues, circuits/lib/unpack.circom): value i (missing
 * values past values.length are 0) as v + 2^53 in bits [54 * (i % 4), +54) of word i / 4, `slots` values in
 * all. Throws on a value outside the circuits' signed 54-bit range or on more values than slots.
 */
export function packValues(values: readonly bigint[], slots: number): bigint[] {
  if (values.length > slots) throw new ProverError(`prover: ${values.length} values do not fit the circuit's ${slots} slots`);
  const words = new Array<bigint>(Math.ceil(slots / SLICE_PER_WORD)).fill(0n);
  for (let i = 0; i < slots; i++) {
    const v = values[i] ?? 0n;
    if (v < -(1n << 53n) || v >= 1n << 53n) throw new ProverError(`prover: value ${v} outside the circuits' 54-bit range`);
    words[Math.floor(i / SLICE_PER_WORD)]! |= (v + (1n << 53n)) << (SLICE_BITS * BigInt(i % SLICE_PER_WORD));
  }
  return words;
}

/**
 * The packed public words of a term slice (Groth16KernelVerifier._packSlice): a[0..7], then for matmul
 * b[0..7] (missing terms 0), packed by packValues.
 */
export function packSlice(a: readonly bigint[], b: readonly bigint[] | undefined): bigint[] {
  const pad = (xs: readonly bigint[]) => Array.from({ length: SLICE_TERMS }, (_, t) => xs[t] ?? 0n);
  const values = b ? [...pad(a), ...pad(b)] : pad(a);
  return packValues(values, values.length);
}

export interface KernelClaim {
  readonly code: number;
  readonly attrs: readonly number[];
  /** matmul/col_sum: the context's slice and accIn are the claim's (accIn = ctx.accIn). */
  readonly ctx: SettlementContext;
  /**
   * One opened value per input (elementwise ops); matmul/col_sum: unused (see `slice`).
   */
  readonly operands: readonly bigint[];
  /**
   * matmul/col_sum/col2im: the slice's opened values, op(A)'s row slice `a` and (matmul) op(B)'s column slice
   * `b`; softmax_ce_grad: the logits its terms read, in term order, as `a`, and the row's label when the slice
   * holds the last term 2n (with outShape [m, n]).
   */
  readonly slice?: { readonly a: readonly bigint[]; readonly b?: readonly bigint[]; readonly label?: bigint };
  /** The claimed output value. */
  readonly output: bigint;
  /**
   * mse_grad: the output's shape [m, n] (classes = n, j = element % n; element from ctx); the model ops: the
   * output's shape (the element's fact, ModelOps.elementFact).
   */
  readonly outShape?: readonly number[];
  /**
   * The model ops 10..19 (but col2im, a slice): every opened value per input, in the operand rule's order
   * (settlement/modelOpRule.ts: a pool's slice of its window, maxpool_grad's g or none, an empty list for an
   * im2col padding tap); the pools' slice and accIn are the context's.
   */
  readonly values?: readonly (readonly bigint[])[];
}

interface Groth16Proof { pi_a: string[]; pi_b: string[][]; pi_c: string[] }
interface SnarkJs {
  groth16: {
    fullProve(input: Record<string, string | string[]>, wasm: string, zkey: string): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(vkey: unknown, publicSignals: string[], proof: Groth16Proof): Promise<boolean>;
  };
}
const SNARKJS_NAME = "snarkjs";
let snarkjs: SnarkJs | undefined;
const lib = async (): Promise<SnarkJs> => (snarkjs ??= (await import(SNARKJS_NAME)) as SnarkJs);
const vkeys = new Map<string, unknown>();

/** Input signal names of each settle circuit's operands (circuits/settle/*.circom). */
const OPERAND_SIGNALS: Record<number, readonly string[]> = {
  2: ["z", "b"], 3: ["x"], 4: ["x"], 5: ["g", "p"], 6: ["z", "label"], 8: ["v", "g"], 9: ["w", "g"],
};

/** Attribute signals of the generic Adam circuits, in encodeAttrs order (circuits/settle/adam_*.circom). */
const ADAM_ATTRS: Record<number, readonly string[]> = {
  17: ["b1Num", "b1Shift", "lo", "hi"], 18: ["b2Num", "b2Shift", "gShift", "lo", "hi"], 19: ["lrNum", "lrShift", "eps", "lo", "hi"],
};
const ADAM_OPERANDS: Record<number, readonly string[]> = { 17: ["m", "g"], 18: ["v", "g"], 19: ["w", "m", "v"] };

/** The witness inputs (without ctx, out) of a model op's generic circuit: the public inputs of Groth16KernelVerifier._modelOp. */
function modelOpInput(claim: KernelClaim): Record<string, string | string[]> {
  const { code, attrs } = claim;
  const vs = claim.values;
  if (!vs) throw new ProverError(`prover: op ${code} needs every opened value per input (claim.values)`);
  const one = (i: number): string => {
    const v = vs[i];
    if (!v || v.length !== 1) throw new ProverError(`prover: op ${code} input ${i} needs exactly one opened value, got ${v?.length ?? 0}`);
    return toField(v[0]!).toString();
  };
  const fact = (): string => {
    if (!claim.outShape) throw new ProverError(`prover: op ${code} needs the output shape (claim.outShape)`);
    return String(modelElementFact(code, attrs, claim.outShape, Number(claim.ctx.element)));
  };
  // The pools' term slices (circuits/settle/maxpool*_terms8): the slice's window values, its bounds, accIn.
  const slice = (i: number) => ({
    accIn: toField(claim.ctx.accIn).toString(), packed: packValues(vs[i] ?? [], SLICE_TERMS).map(String),
    lo: claim.ctx.termLo.toString(), hi: claim.ctx.termHi.toString(),
  });
  switch (code) {
    case 10: return { x: one(0) };
    case 11: return { x: vs[0]?.length === 0 ? "0" : one(0) };
    case 13: return slice(0);
    case 14: return { ...slice(1), g: vs[0]?.length === 0 ? "0" : one(0), pos: fact(), cells: String(attrs[3]! * attrs[3]!) };
    case 15: return { x: one(0), j: fact() };
    case 17: case 18: case 19: {
      const input: Record<string, string> = {};
      ADAM_OPERANDS[code]!.forEach((n, i) => (input[n] = one(i)));
      const names = ADAM_ATTRS[code]!;
      if (attrs.length !== names.length) throw new ProverError(`prover: op ${code} takes ${names.length} attributes, got ${attrs.length}`);
      names.forEach((n, i) => (input[n] = toField(BigInt(attrs[i]!)).toString()));
      return input;
    }
    default:
      throw new ProverError(`prover: op ${code} has no generic settlement circuit`);
  }
}

/**
 * The witness inputs (without ctx, out) of softmax_ce_grad's slice circuit and the proof's packed table
 * indices: the public inputs of Groth16KernelVerifier._softmaxTerms. Folds the slice from ctx.accIn
 * (settlement/softmaxTerms.ts) and throws unless the claimed output is P(termHi): a false claim has no witness.
 */
function softmaxInput(claim: KernelClaim): { input: Record<string, string | string[]>; indices: bigint } {
  const { ctx, attrs } = claim;
  const sl = claim.slice, shape = claim.outShape;
  if (!sl || !shape || shape.length !== 2) throw new ProverError("prover: softmax_ce_grad needs the slice's logits (claim.slice) and the output shape [m, n]");
  const n = shape[1]!, lo = Number(ctx.termLo), hi = Number(ctx.termHi);
  const last = hi === softmaxTermCount(n);
  if (Number(ctx.termCount) !== softmaxTermCount(n) || lo >= hi || hi > softmaxTermCount(n) || sl.a.length !== hi - lo || sl.a.length > SLICE_TERMS) {
    throw new ProverError(`prover: softmax_ce_grad slice [${lo}, ${hi}) of K ${ctx.termCount} with ${sl.a.length} logits (n ${n}, at most ${SLICE_TERMS} terms)`);
  }
  if (last !== (sl.label !== undefined)) throw new ProverError("prover: softmax_ce_grad takes the label exactly when the slice holds the last term");
  const j = Number(BigInt(ctx.element) % BigInt(n));
  const a = { fracBits: attrs[0]!, one: attrs[1]! };
  const { out, indices } = softmaxSliceReads(a, n, j, lo, ctx.accIn, sl.a, sl.label ?? 0n);
  if (out !== claim.output) throw new ProverError(`prover: softmax_ce_grad slice [${lo}, ${hi}) folds to ${out}, not the claimed ${claim.output}`);
  const input = {
    accIn: toField(ctx.accIn).toString(),
    packed: packSlice(sl.a, undefined).map(String),
    label: toField(sl.label ?? 0n).toString(),
    j: String(j), n: String(n), termLo: String(lo), termHi: String(hi),
    fracBits: String(a.fracBits), one: String(a.one),
    table: softmaxTableWord(indices).toString(),
  };
  return { input, indices: packSoftmaxIndices(indices) };
}

export interface KernelProof {
  /** The `proof` argument of IKernelVerifier.trueValue. */
  readonly proof: Hex;
  readonly publicSignals: readonly bigint[];
  readonly circuit: ProverCircuit;
  readonly ms: number;
}

/**
 * Proves output == kernel(operands) under the dispute's ctx. Throws if the claim is false (the witness
 * does not satisfy the circuit) or if the proof does not verify locally.
 */
export async function proveKernel(claim: KernelClaim): Promise<KernelProof> {
  const mseGrad = opKindOf(claim.code) === "mse_grad";
  const classes = mseGrad ? claim.outShape?.[claim.outShape.length - 1] ?? 0 : 0;
  const circuit = circuitFor(claim.code, claim.attrs, classes);
  const input: Record<string, string | string[]> = { ctx: contextField(claim.ctx).toString(), out: toField(claim.output).toString() };
  let indices: bigint | undefined;
  // softmax_ce_grad is settled slice by slice (circuits/settle/softmax_terms8.circom).
  if (claim.code === OP_CODES.softmax_ce_grad) {
    const sm = softmaxInput(claim);
    Object.assign(input, sm.input);
    indices = sm.indices;
  } else if (accumulates(claim.code)) {
    const sl = claim.slice;
    if (!sl) throw new ProverError(`prover: op ${claim.code} needs the slice's opened values`);
    const withB = opKindOf(claim.code) === "matmul";
    if (withB !== (sl.b !== undefined) || sl.a.length > SLICE_TERMS || (sl.b && sl.b.length !== sl.a.length)) {
      throw new ProverError(`prover: op ${claim.code} takes a slice of at most ${SLICE_TERMS} terms${withB ? " with a and b of one length" : " (a only)"}`);
    }
    const pad = (xs: readonly bigint[] | undefined) => Array.from({ length: SLICE_TERMS }, (_, t) => toField(xs?.[t] ?? 0n).toString());
    input.accIn = toField(claim.ctx.accIn).toString();
    input.packed = packSlice(sl.a, sl.b).map(String);
    input.a = pad(sl.a);
    input.b = pad(sl.b);
  } else if (claim.code > V1_MAX_OP_CODE) {
    Object.assign(input, modelOpInput(claim));
  } else {
    const names = OPERAND_SIGNALS[claim.code];
    if (!names) throw new ProverError(`prover: op ${claim.code} has no settlement circuit`);
    if (claim.operands.length !== names.length) throw new ProverError(`prover: op ${claim.code} takes ${names.length} operands`);
    names.forEach((n, i) => (input[n] = toField(claim.operands[i]!).toString()));
    if (mseGrad) input.j = (BigInt(claim.ctx.element) % BigInt(classes)).toString();
  }
  const s = await lib();
  const t0 = performance.now();
  const { proof, publicSignals } = await s.groth16.fullProve(input, path.join(ROOT, circuit.wasm), path.join(ROOT, circuit.zkey));
  const ms = performance.now() - t0;
  let vk = vkeys.get(circuit.id);
  if (vk === undefined) vkeys.set(circuit.id, (vk = JSON.parse(readFileSync(path.join(ROOT, circuit.vkey), "utf8"))));
  if (!(await s.groth16.verify(vk, publicSignals, proof))) throw new ProverError(`prover: local verification failed (${circuit.id})`);
  const big = (x: string): bigint => BigInt(x);
  const a = [big(proof.pi_a[0]!), big(proof.pi_a[1]!)] as const;
  // The Solidity verifier takes each G2 coordinate as (imaginary, real).
  const b = [
    [big(proof.pi_b[0]![1]!), big(proof.pi_b[0]![0]!)],
    [big(proof.pi_b[1]![1]!), big(proof.pi_b[1]![0]!)],
  ] as const;
  const c = [big(proof.pi_c[0]!), big(proof.pi_c[1]!)] as const;
  const bytes = indices === undefined
    ? encodeAbiParameters([{ type: "uint256[2]" }, { type: "uint256[2][2]" }, { type: "uint256[2]" }, { type: "int256" }], [a, b, c, claim.output])
    : encodeAbiParameters([{ type: "uint256[2]" }, { type: "uint256[2][2]" }, { type: "uint256[2]" }, { type: "int256" }, { type: "uint256" }], [a, b, c, claim.output, indices]);
  return { proof: bytes, publicSignals: publicSignals.map(big), circuit, ms };
}

/** Stops snarkjs's worker threads (call once when done proving, or the process may not exit). */
export async function shutdownProver(): Promise<void> {
  const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128;
  if (curve) await curve.terminate();
}
