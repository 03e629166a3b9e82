// Compiles circom mains with circom2 (circom 2.2.3 in WASM, offline) into build/circuits/<name>, with a
// cache: a main is recompiled only when the hash of its source, of every file it includes (transitively,
// circomlib included), of the circom2 version and of the flags changes. Also loads the generated WASM
// witness calculator in process and reads constraint counts from the .r1cs header.
//
//   node scripts/circuits-build.ts                 # every circuits/test-mains/*.circom
//   node scripts/circuits-build.ts path/a.circom   # the given mains
//
// circom2 only sees files below its working directory (WASI preopens): it runs from the repository root
// with repo-relative paths and `-l node_modules` so `include "circomlib/circuits/..."` resolves.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CIRCOM = path.join(ROOT, "node_modules/circom2/cli.js");
const FLAGS = ["--r1cs", "--wasm", "--sym", "--O2", "-l", "node_modules"];
const INCLUDE_RE = /^\s*include\s+"([^"]+)"\s*;/gm;

export interface BuiltCircuit {
  readonly name: string;
  /** Repo-relative source of the main. */
  readonly src: string;
  readonly dir: string;
  readonly r1cs: string;
  readonly wasm: string;
  readonly witnessCalculatorJs: string;
  readonly sym: string;
  /** Constraints of the r1cs (with --O2: all non-linear). */
  readonly constraints: number;
  readonly wires: number;
  /** false when the cache was valid and nothing was compiled. */
  readonly compiled: boolean;
  /** Compile time (0 when cached). */
  readonly ms: number;
}

/** Resolves an include the way circom does: relative to the including file, then the -l library path. */
function resolveInclude(fromFile: string, inc: string): string {
  const rel = path.resolve(path.dirname(fromFile), inc);
  if (existsSync(rel)) return rel;
  const lib = path.resolve(ROOT, "node_modules", inc);
  if (existsSync(lib)) return lib;
  throw new Error(`circuits-build: cannot resolve include "${inc}" from ${path.relative(ROOT, fromFile)}`);
}

/** Absolute paths of a circom file and everything it includes, transitively, in a stable order. */
export function circuitFiles(file: string): string[] {
  const seen = new Set<string>();
  const visit = (f: string): void => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const m of readFileSync(f, "utf8").matchAll(INCLUDE_RE)) visit(resolveInclude(f, m[1]!));
  };
  visit(path.resolve(ROOT, file));
  return [...seen].sort();
}

function sourceHash(src: string): string {
  const h = createHash("sha256");
  const circomVersion = (JSON.parse(readFileSync(path.join(ROOT, "node_modules/circom2/package.json"), "utf8")) as {
    version: string;
  }).version;
  h.update(`circom2 ${circomVersion}\0${FLAGS.join(" ")}\0`);
  for (const f of circuitFiles(src)) {
    h.update(path.relative(ROOT, f) + "\0");
    h.update(readFileSync(f));
    h.update("\0");
  }
  return h.digest("hex");
}

/** Header facts of an .r1cs file (iden3 binary format, section type 1). */
export function r1csInfo(file: string): { constraints: number; wires: number; outputs: number; inputs: number; publicInputs: number } {
  const b = readFileSync(file);
  if (b.toString("latin1", 0, 4) !== "r1cs") throw new Error(`${file}: not an r1cs file`);
  const nSections = b.readUInt32LE(8);
  let pos = 12;
  for (let i = 0; i < nSections; i++) {
    const type = b.readUInt32LE(pos);
    const size = Number(b.readBigUInt64LE(pos + 4));
    pos += 12;
    if (type === 1) {
      const n8 = b.readUInt32LE(pos);
      let p = pos + 4 + n8;
      const wires = b.readUInt32LE(p);
      const outputs = b.readUInt32LE(p + 4);
      const pubIn = b.readUInt32LE(p + 8);
      const prvIn = b.readUInt32LE(p + 12);
      p += 16 + 8; // nLabels (u64)
      return { constraints: b.readUInt32LE(p), wires, outputs, inputs: pubIn + prvIn, publicInputs: pubIn };
    }
    pos += size;
  }
  throw new Error(`${file}: no header section`);
}

type LinComb = [wire: number, coef: bigint][];
/** The constraints (A, B, C) of an .r1cs file: A.w * B.w = C.w over the field. */
export function r1csConstraints(file: string): { prime: bigint; constraints: [LinComb, LinComb, LinComb][] } {
  const b = readFileSync(file);
  const nSections = b.readUInt32LE(8);
  let pos = 12;
  let n8 = 0, prime = 0n, count = 0;
  let body = -1;
  const readField = (at: number): bigint => {
    let x = 0n;
    for (let i = n8 - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[at + i]!);
    return x;
  };
  for (let i = 0; i < nSections; i++) {
    const type = b.readUInt32LE(pos);
    const size = Number(b.readBigUInt64LE(pos + 4));
    pos += 12;
    if (type === 1) {
      n8 = b.readUInt32LE(pos);
      prime = readField(pos + 4);
      count = b.readUInt32LE(pos + 4 + n8 + 24);
    } else if (type === 2) {
      body = pos;
    }
    pos += size;
  }
  if (n8 === 0 || body < 0) throw new Error(`${file}: missing header or constraint section`);
  const constraints: [LinComb, LinComb, LinComb][] = [];
  let p = body;
  const readLc = (): LinComb => {
    const n = b.readUInt32LE(p);
    p += 4;
    const lc: LinComb = [];
    for (let k = 0; k < n; k++) {
      lc.push([b.readUInt32LE(p), readField(p + 4)]);
      p += 4 + n8;
    }
    return lc;
  };
  for (let i = 0; i < count; i++) constraints.push([readLc(), readLc(), readLc()]);
  return { prime, constraints };
}

/** Indices of the constraints a full witness violates (empty: the witness satisfies the circuit). */
export function violatedConstraints(r1cs: ReturnType<typeof r1csConstraints>, witness: readonly bigint[]): number[] {
  const { prime, constraints } = r1cs;
  const ev = (lc: LinComb): bigint => {
    let s = 0n;
    for (const [w, c] of lc) s += c * witness[w]!;
    return ((s % prime) + prime) % prime;
  };
  const bad: number[] = [];
  constraints.forEach(([a, bb, c], i) => {
    if ((ev(a) * ev(bb) - ev(c)) % prime !== 0n) bad.push(i);
  });
  return bad;
}

/** Witness index of each named signal ("main.x", "main.rs.q", ...) from circom's .sym file (-1: optimized out). */
export function symbols(file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const f = line.split(",");
    if (f.length >= 4) out.set(f[3]!, Number(f[1]));
  }
  return out;
}

function runCircom(src: string, outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CIRCOM, src, ...FLAGS, "-o", outDir], { cwd: ROOT });
    let log = "";
    child.stdout.on("data", (d: Buffer) => (log += d.toString()));
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0 && !/error/i.test(log.replace(/\x1b\[[0-9;]*m/g, "").replace(/Everything went okay/, ""))) {
        resolve();
      } else {
        reject(new Error(`circom2 failed on ${src} (exit ${code}):\n${log}`));
      }
    });
  });
}

/** Compiles one main (repo-relative path) unless its cached build is current. */
export async function buildCircuit(src: string): Promise<BuiltCircuit> {
  const name = path.basename(src, ".circom");
  const rel = path.join("build/circuits", name);
  const dir = path.join(ROOT, rel);
  const marker = path.join(dir, ".source-hash");
  const jsDir = path.join(dir, `${name}_js`);
  const r1cs = path.join(dir, `${name}.r1cs`);
  const wasm = path.join(jsDir, `${name}.wasm`);
  const witnessCalculatorJs = path.join(jsDir, "witness_calculator.js");
  const sym = path.join(dir, `${name}.sym`);
  const hash = sourceHash(src);
  let compiled = false;
  let ms = 0;
  const current =
    existsSync(marker) && readFileSync(marker, "utf8") === hash && existsSync(r1cs) && existsSync(wasm) && existsSync(witnessCalculatorJs) && existsSync(sym);
  if (!current) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true }); // circom refuses a missing -o dir
    const t0 = performance.now();
    await runCircom(src, rel);
    ms = Math.round(performance.now() - t0);
    // The generated witness helpers are CommonJS; the repository is "type": "module".
    writeFileSync(path.join(jsDir, "package.json"), '{ "type": "commonjs" }\n');
    writeFileSync(marker, hash);
    compiled = true;
  }
  const info = r1csInfo(r1cs);
  return { name, src, dir, r1cs, wasm, witnessCalculatorJs, sym, constraints: info.constraints, wires: info.wires, compiled, ms };
}

/** Builds several mains, `concurrency` circom2 processes at a time; results in input order. */
export async function buildCircuits(srcs: readonly string[], concurrency = 2): Promise<BuiltCircuit[]> {
  const out: BuiltCircuit[] = new Array(srcs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < srcs.length) {
      const i = next++;
      out[i] = await buildCircuit(srcs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, srcs.length)) }, worker));
  return out;
}

export type WitnessInput = Record<string, bigint | number | string | readonly (bigint | number | string)[]>;
export interface WitnessCalculator {
  calculateWitness(input: WitnessInput, sanityCheck: boolean): Promise<bigint[]>;
}

const require = createRequire(import.meta.url);

/** Instantiates the circuit's generated WASM witness calculator in this process. */
export async function loadWitnessCalculator(c: BuiltCircuit): Promise<WitnessCalculator> {
  const builder = require(c.witnessCalculatorJs) as (code: Buffer) => Promise<WitnessCalculator>;
  return builder(readFileSync(c.wasm));
}

/** BN254 scalar field modulus (circom's default prime). */
export const FIELD_P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** A field element read as a signed integer (values above p/2 are negative). */
export function signedFromField(x: bigint): bigint {
  return x > FIELD_P / 2n ? x - FIELD_P : x;
}

export function testMains(): string[] {
  const dir = path.join(ROOT, "circuits/test-mains");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".circom"))
    .sort()
    .map((f) => `circuits/test-mains/${f}`);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srcs = process.argv.length > 2 ? process.argv.slice(2) : testMains();
  const t0 = performance.now();
  for (const c of await buildCircuits(srcs)) {
    console.log(`${c.name.padEnd(24)} ${String(c.constraints).padStart(6)} constraints  ${c.compiled ? `compiled in ${c.ms} ms` : "cached"}`);
  }
  console.log(`circuits-build: ${srcs.length} mains in ${Math.round(performance.now() - t0)} ms`);
}
