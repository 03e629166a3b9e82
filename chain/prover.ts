// Groth16 proofs for the settlement circuits (circuits/settle/*.circom, set up by scripts/zk-setup.ts):
// proveKernel builds the witness input, proves in process (snarkjs groth16.fullProve with the circuit's
// wasm and zkey), verifies the proof locally against the verification key, and returns the `proof` bytes
// Groth16KernelVerifier expects: abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c, int256 output).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encodeAbiParameters, keccak256, type Hex } from "viem";
import type { SettlementContext } from "./settlementOperands.ts";

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
  const want = code === 6 ? classes : 0;
  const c = zkCircuits().find((x) => x.code === code && x.classes === want && x.attrs.length === attrs.length && x.attrs.every((a, i) => a === attrs[i]));
  if (!c) throw new Error(`prover: no settlement circuit for code ${code} attrs [${attrs.join(", ")}]${code === 6 ? ` classes ${classes}` : ""}`);
  return c;
}

const CONTEXT_ABI = [{
  type: "tuple",
  components: [
    { name: "programRoot", type: "bytes32" }, { name: "datasetRoot", type: "bytes32" },
    { name: "preStateRoot", type: "bytes32" }, { name: "traceRoot", type: "bytes32" },
    { name: "entry", type: "uint32" }, { name: "element", type: "uint64" },
    { name: "termLo", type: "uint64" }, { name: "termHi", type: "uint64" }, { name: "termCount", type: "uint64" },
    { name: "accIn", type: "int256" },
  ],
}] as const;

/** The ctx public input: uint256(keccak256(abi.encode(Context))) mod p. */
export function contextField(ctx: SettlementContext): bigint {
  return BigInt(keccak256(encodeAbiParameters(CONTEXT_ABI, [ctx]))) % FIELD_P;
}

/** A signed value as a field element (x < 0: p + x). */
export const toField = (x: bigint): bigint => (x < 0n ? FIELD_P + x : x);

export interface KernelClaim {
  readonly code: number;
  readonly attrs: readonly number[];
  readonly ctx: SettlementContext;
  /** One opened value per input (elementwise ops). */
  readonly operands: readonly bigint[];
  /** The claimed output value. */
  readonly output: bigint;
  /** mse_grad only: the output's shape [m, n] (classes = n, j = element % n; element from ctx). */
  readonly outShape?: readonly number[];
}

interface Groth16Proof { pi_a: string[]; pi_b: string[][]; pi_c: string[] }
interface SnarkJs {
  groth16: {
    fullProve(input: Record<string, string>, wasm: string, zkey: string): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
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
  const names = OPERAND_SIGNALS[claim.code];
  if (!names) throw new Error(`prover: op ${claim.code} has no settlement circuit (matmul/col_sum: not yet)`);
  if (claim.operands.length !== names.length) throw new Error(`prover: op ${claim.code} takes ${names.length} operands`);
  const classes = claim.code === 6 ? claim.outShape?.[claim.outShape.length - 1] ?? 0 : 0;
  const circuit = circuitFor(claim.code, claim.attrs, classes);
  const input: Record<string, string> = { ctx: contextField(claim.ctx).toString(), out: toField(claim.output).toString() };
  names.forEach((n, i) => (input[n] = toField(claim.operands[i]!).toString()));
  if (claim.code === 6) input.j = (BigInt(claim.ctx.element) % BigInt(classes)).toString();
  const s = await lib();
  const t0 = performance.now();
  const { proof, publicSignals } = await s.groth16.fullProve(input, path.join(ROOT, circuit.wasm), path.join(ROOT, circuit.zkey));
  const ms = performance.now() - t0;
  let vk = vkeys.get(circuit.id);
  if (vk === undefined) vkeys.set(circuit.id, (vk = JSON.parse(readFileSync(path.join(ROOT, circuit.vkey), "utf8"))));
  if (!(await s.groth16.verify(vk, publicSignals, proof))) throw new Error(`prover: local verification failed (${circuit.id})`);
  const big = (x: string): bigint => BigInt(x);
  const a = [big(proof.pi_a[0]!), big(proof.pi_a[1]!)] as const;
  // The Solidity verifier takes each G2 coordinate as (imaginary, real).
  const b = [
    [big(proof.pi_b[0]![1]!), big(proof.pi_b[0]![0]!)],
    [big(proof.pi_b[1]![1]!), big(proof.pi_b[1]![0]!)],
  ] as const;
  const c = [big(proof.pi_c[0]!), big(proof.pi_c[1]!)] as const;
  const bytes = encodeAbiParameters(
    [{ type: "uint256[2]" }, { type: "uint256[2][2]" }, { type: "uint256[2]" }, { type: "int256" }],
    [a, b, c, claim.output],
  );
  return { proof: bytes, publicSignals: publicSignals.map(big), circuit, ms };
}

/** Stops snarkjs's worker threads (call once when done proving, or the process may not exit). */
export async function shutdownProver(): Promise<void> {
  const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128;
  if (curve) await curve.terminate();
}
