// Groth16 setup of the settlement circuits (circuits/settle/*.circom): compiles each main (the cached
// compiler of scripts/circuits-build.ts), makes or reuses a powers-of-tau file, runs the circuit-specific
// phase 2 (groth16 setup + one contribution), exports the verification key and a Solidity verifier per
// circuit, and writes a manifest that settlement/prover.ts and the tests read.
//
//   node scripts/zk-setup.ts             # run by `npm run build:contracts`, before `hardhat build`
//   ZK_PTAU=/path/to/ceremony.ptau node scripts/zk-setup.ts
//
// !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
// !! DEVELOPMENT ONLY: without ZK_PTAU, the powers of tau come from a single-party LOCAL ceremony whose  !!
// !! toxic waste this machine saw (and the phase-2 contribution is local as well). Whoever ran it can   !!
// !! forge proofs. A deployment MUST point ZK_PTAU at a public ceremony's prepared (phase-2-ready)      !!
// !! .ptau file (e.g. the Hermez/Polygon "powersOfTau28_hez_final_<N>.ptau" with 2^N >= the largest      !!
// !! circuit's domain, N >= 12 here) and run phase 2 as a multi-party ceremony (snarkjs zkey contribute  !!
// !! by independent parties, then a beacon). See docs/protocol.md, "Groth16 settlement".                !!
// !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
//
// Outputs (all build products: build/ and contracts/kernel/generated/ are gitignored):
//   build/zk/ptau/pot<N>_local.ptau               the local ceremony (reused across runs)
//   build/zk/<id>/<id>.zkey, vkey.json, .key       per circuit; .key = the content hash it was made from
//   contracts/kernel/generated/Groth16Verifier_<id>.sol   the snarkjs verifier, contract renamed
//   build/zk/manifest.json                         circuits: id, code, attrs, classes, paths, constraints
// Cache: a circuit's phase 2 is redone only when the hash of (circuit sources, ptau, snarkjs version)
// changes; the local ptau is made once per size.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ProverCircuit } from "../settlement/prover.ts";
import { opDefOf } from "../engine/ops/index.ts";
import { buildCircuits, r1csInfo, ROOT, type BuiltCircuit } from "./circuits-build.ts";

/** One settlement circuit: the (kernel, attributes) instantiation it proves. */
export interface SettleCircuit {
  /** circuits/settle/<id>.circom */
  readonly id: string;
  /** Op code (docs/engine.md). */
  readonly code: number;
  /** The entry's encoded attributes (encodeAttrs order). */
  readonly attrs: readonly number[];
  /** mse_grad only: the number of classes (the output's column count); 0 otherwise. */
  readonly classes: number;
}

/**
 * Every instantiation the elementwise ops of the default specs (MLP, CNN, char LM) and the tiny ones use (with
 * and without momentum), the
 * term-slice circuits of matmul and col_sum (level 4 of the game: at most 8 terms, any widths below 2^53, any
 * transA/transB: one circuit each, attrs [] in the registry) and the generic circuits of the model ops.
 */
export const SETTLE_CIRCUITS: readonly SettleCircuit[] = [
  { id: "bias_add", code: 2, attrs: [], classes: 0 },
  { id: "requantize_s8_1024", code: 3, attrs: [8, -1024, 1024], classes: 0 },
  { id: "requantize_s4_16384", code: 3, attrs: [4, -16384, 16384], classes: 0 },
  { id: "requantize_s8_127", code: 3, attrs: [8, -127, 127], classes: 0 },
  { id: "requantize_s4_1024", code: 3, attrs: [4, -1024, 1024], classes: 0 },
  // The default char LM's other requantize shifts (training/charlmJob.ts).
  { id: "requantize_s12_127", code: 3, attrs: [12, -127, 127], classes: 0 },
  { id: "requantize_s0_127", code: 3, attrs: [0, -127, 127], classes: 0 },
  { id: "relu", code: 4, attrs: [], classes: 0 },
  { id: "relu_mask", code: 5, attrs: [], classes: 0 },
  { id: "mse_grad_4096_c3", code: 6, attrs: [4096], classes: 3 },
  { id: "mse_grad_4096_c10", code: 6, attrs: [4096], classes: 10 },
  { id: "momentum_7_3_524288", code: 8, attrs: [7, 3, -524288, 524288], classes: 0 },
  { id: "sgd_update_1_5_262144", code: 9, attrs: [1, 5, -262144, 262144], classes: 0 },
  { id: "sgd_update_1_1_262144", code: 9, attrs: [1, 1, -262144, 262144], classes: 0 },
  // The default CNN's learning rates (training/mnistJob.ts mnistCnnSpec).
  { id: "sgd_update_1_8_262144", code: 9, attrs: [1, 8, -262144, 262144], classes: 0 },
  { id: "sgd_update_1_4_262144", code: 9, attrs: [1, 4, -262144, 262144], classes: 0 },
  { id: "dot_slice_mm8", code: 1, attrs: [], classes: 0 },
  { id: "dot_slice_cs8", code: 7, attrs: [], classes: 0 },
  // The model ops: one generic circuit each (attributes and element facts are public inputs). softmax_ce_grad
  // (16): a term slice of its row fold, the exp table read by the contract at the indices the proof names.
  { id: "reshape", code: 10, attrs: [], classes: 0 },
  { id: "im2col", code: 11, attrs: [], classes: 0 },
  { id: "maxpool_terms8", code: 13, attrs: [], classes: 0 },
  { id: "maxpool_grad_terms8", code: 14, attrs: [], classes: 0 },
  { id: "one_hot", code: 15, attrs: [], classes: 0 },
  { id: "softmax_terms8", code: 16, attrs: [], classes: 0 },
  { id: "adam_m", code: 17, attrs: [], classes: 0 },
  { id: "adam_v", code: 18, attrs: [], classes: 0 },
  { id: "adam_update", code: 19, attrs: [], classes: 0 },
];

/**
 * Circuits that also settle another op, registered once more under that op's code (the same verifier):
 * col2im (12) is an accumulation settled slice by slice through the game's term level, exactly col_sum's dot
 * slice (accIn + the sum of at most 8 opened terms).
 */
export const SHARED_CIRCUITS: readonly { readonly id: string; readonly of: string; readonly code: number }[] = [
  { id: "col2im_slice8", of: "dot_slice_cs8", code: 12 },
];

/** Public inputs of a settle circuit: its op's `settlePublicInputs` (engine/ops/, next to the op's definition). */
export function publicInputCount(c: { code: number }): number {
  const def = opDefOf(c.code);
  if (!def) throw new Error(`zk-setup: no op has code ${c.code}`);
  return def.settlePublicInputs;
}

export const ZK_DIR = path.join(ROOT, "build/zk");
export const MANIFEST = path.join(ZK_DIR, "manifest.json");
const GENERATED_DIR = path.join(ROOT, "contracts/kernel/generated");

/** A manifest entry: the format settlement/prover.ts reads (defined there, once). */
export type ManifestCircuit = ProverCircuit;
export interface Manifest {
  readonly ptau: string;
  readonly localCeremony: boolean;
  readonly circuits: readonly ManifestCircuit[];
}

// snarkjs ships no types: the few entry points used here and in settlement/prover.ts.
interface Curve { terminate(): Promise<void> }
interface SnarkJs {
  curves: { getCurveFromName(name: string): Promise<Curve> };
  powersOfTau: {
    newAccumulator(curve: Curve, power: number, file: string, logger?: unknown): Promise<unknown>;
    contribute(oldFile: string, newFile: string, name: string, entropy: string, logger?: unknown): Promise<unknown>;
    preparePhase2(oldFile: string, newFile: string, logger?: unknown): Promise<unknown>;
  };
  zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<unknown>;
    contribute(oldZkey: string, newZkey: string, name: string, entropy: string, logger?: unknown): Promise<unknown>;
    exportVerificationKey(zkey: string): Promise<unknown>;
    exportSolidityVerifier(zkey: string, templates: { groth16: string }): Promise<string>;
  };
}
const SNARKJS_NAME = "snarkjs";
export const loadSnarkJs = async (): Promise<SnarkJs> => (await import(SNARKJS_NAME)) as SnarkJs;

const snarkjsVersion = (): string =>
  (JSON.parse(readFileSync(path.join(ROOT, "node_modules/snarkjs/package.json"), "utf8")) as { version: string }).version;

const sha256File = (f: string): string => createHash("sha256").update(readFileSync(f)).digest("hex");
const entropy = (): string => randomBytes(32).toString("hex");

/** Domain size exponent snarkjs needs for a circuit: 2^N > constraints + public inputs. */
function powerFor(c: BuiltCircuit, nPublic: number): number {
  let n = 1;
  while (2 ** n < c.constraints + nPublic + 1) n++;
  return Math.max(n, 8);
}

async function localPtau(snarkjs: SnarkJs, power: number, log: (s: string) => void): Promise<string> {
  const dir = path.join(ZK_DIR, "ptau");
  mkdirSync(dir, { recursive: true });
  // A larger cached local file serves too (snarkjs reads the prefix it needs).
  for (const f of readdirSync(dir).sort()) {
    const m = /^pot(\d+)_local\.ptau$/.exec(f);
    if (m && Number(m[1]) >= power) return path.join(dir, f);
  }
  const t0 = performance.now();
  const curve = await snarkjs.curves.getCurveFromName("bn128");
  const p0 = path.join(dir, `pot${power}_0.ptau`), p1 = path.join(dir, `pot${power}_1.ptau`);
  const out = path.join(dir, `pot${power}_local.ptau`);
  await snarkjs.powersOfTau.newAccumulator(curve, power, p0);
  await snarkjs.powersOfTau.contribute(p0, p1, "veritrain local dev", entropy());
  await snarkjs.powersOfTau.preparePhase2(p1, out + ".tmp");
  rmSync(p0); rmSync(p1);
  writeFileSync(out, readFileSync(out + ".tmp")); rmSync(out + ".tmp");
  log(`zk-setup: LOCAL powers of tau 2^${power} made in ${Math.round(performance.now() - t0)} ms (development only; set ZK_PTAU for a deployment)`);
  return out;
}

export async function zkSetup(log: (s: string) => void = console.log): Promise<Manifest> {
  const t0 = performance.now();
  const built = await buildCircuits(SETTLE_CIRCUITS.map((c) => `circuits/settle/${c.id}.circom`));
  const snarkjs = await loadSnarkJs();
  const nPub = publicInputCount;
  built.forEach((b, i) => {
    const want = nPub(SETTLE_CIRCUITS[i]!), info = r1csInfo(b.r1cs);
    // The public signals (circom lists the main's outputs first; the settle mains have none) must be the op's count.
    const got = info.outputs + info.publicInputs;
    if (got !== want) throw new Error(`zk-setup: ${b.src} has ${got} public inputs, its op declares ${want} (settlePublicInputs)`);
  });
  const power = Math.max(...built.map((b, i) => powerFor(b, nPub(SETTLE_CIRCUITS[i]!))));
  const external = process.env.ZK_PTAU;
  const ptau = external ? path.resolve(external) : await localPtau(snarkjs, power, log);
  if (!existsSync(ptau)) throw new Error(`zk-setup: ZK_PTAU ${ptau} does not exist`);
  const ptauHash = sha256File(ptau);
  const template = readFileSync(path.join(ROOT, "node_modules/snarkjs/templates/verifier_groth16.sol.ejs"), "utf8");
  mkdirSync(GENERATED_DIR, { recursive: true });
  const wanted = new Set<string>();
  const circuits: ManifestCircuit[] = [];
  let made = 0;
  for (let i = 0; i < SETTLE_CIRCUITS.length; i++) {
    const c = SETTLE_CIRCUITS[i]!, b = built[i]!;
    const dir = path.join(ZK_DIR, c.id);
    const zkey = path.join(dir, `${c.id}.zkey`), vkey = path.join(dir, "vkey.json");
    const contractName = `Groth16Verifier_${c.id}`;
    const sol = path.join(GENERATED_DIR, `${contractName}.sol`);
    wanted.add(`${contractName}.sol`);
    const key = createHash("sha256")
      .update(`${snarkjsVersion()}\0${ptauHash}\0${readFileSync(path.join(b.dir, ".source-hash"), "utf8")}\0${sha256File(b.r1cs)}`)
      .digest("hex");
    const keyFile = path.join(dir, ".key");
    const current = existsSync(keyFile) && readFileSync(keyFile, "utf8") === key && existsSync(zkey) && existsSync(vkey)
      && existsSync(sol) && readFileSync(sol, "utf8").includes(`// zk-setup key ${key}`);
    if (!current) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const z0 = path.join(dir, `${c.id}_0.zkey`);
      await snarkjs.zKey.newZKey(b.r1cs, ptau, z0);
      await snarkjs.zKey.contribute(z0, zkey, "veritrain local phase 2", entropy());
      rmSync(z0);
      writeFileSync(vkey, JSON.stringify(await snarkjs.zKey.exportVerificationKey(zkey), null, 1));
      let src = await snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: template });
      if (!/contract Groth16Verifier \{/.test(src)) throw new Error("zk-setup: unexpected verifier template");
      src = src.replace("contract Groth16Verifier {", `contract ${contractName} {`)
        .replace(/pragma solidity [^;]+;/, (p) => `${p}\n\n// Generated by scripts/zk-setup.ts from circuits/settle/${c.id}.circom. Do not edit.\n// zk-setup key ${key}`);
      writeFileSync(sol, src);
      writeFileSync(keyFile, key);
      made++;
    }
    circuits.push({ ...c, contractName, constraints: b.constraints, nPublic: nPub(c), wasm: path.relative(ROOT, b.wasm), zkey: path.relative(ROOT, zkey), vkey: path.relative(ROOT, vkey) });
  }
  for (const sh of SHARED_CIRCUITS) {
    const c = circuits.find((x) => x.id === sh.of);
    if (!c) throw new Error(`zk-setup: shared circuit ${sh.of} is not set up`);
    if (publicInputCount(sh) !== c.nPublic) throw new Error(`zk-setup: op ${sh.code} declares ${publicInputCount(sh)} public inputs, ${sh.of} has ${c.nPublic}`);
    // The same files and verifier contract, under its own id (a deployment registers one verifier per entry).
    circuits.push({ ...c, id: sh.id, code: sh.code });
  }
  // Verifiers of circuits that no longer exist would otherwise keep compiling.
  for (const f of readdirSync(GENERATED_DIR)) if (!wanted.has(f)) rmSync(path.join(GENERATED_DIR, f), { force: true });
  const manifest: Manifest = { ptau: path.relative(ROOT, ptau), localCeremony: !external, circuits };
  writeFileSync(MANIFEST, JSON.stringify(manifest, null, 1));
  const curve = (globalThis as { curve_bn128?: Curve }).curve_bn128;
  if (curve) await curve.terminate();
  log(`zk-setup: ${circuits.length} circuits (${made} set up, ${SETTLE_CIRCUITS.length - made} cached, ${SHARED_CIRCUITS.length} shared), ptau 2^${power}${external ? " (ZK_PTAU)" : " LOCAL dev ceremony"}, ${Math.round(performance.now() - t0)} ms`);
  return manifest;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await zkSetup();
  process.exit(0); // snarkjs/ffjavascript worker threads may linger
}
