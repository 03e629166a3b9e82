// `npm run bench:zk -- --single-input`: the one-public-input settlement prototype (issue 14), measured
// against the circuits in use on the same claims (bench/zk.ts passes the default model's matmul slice and a
// relu element, with their Groth16 settle gas and its proof-check part). The prototype circuits
// (circuits/single-input/) take one public input h = sha256(ctx' || values) >> 3, recomputed in the circuit
// (ctx' = keccak256(abi.encode(Context)) >> 8, each value as 7 bytes, hashed_context.circom), so a proof is
// bound to its dispute and its operands by one field element. Measured: constraints, compile time, the
// powers of tau they need and the time to make one locally (cached with its time, bench/zk/localPtau.ts),
// the phase-2 setup time, the proving time (median of `reps` after a warm-up), and the proof check's gas
// (HashedInputGasHarness.gasVerifyHashed: the context hash, the SHA-256 precompile, the one-input verifier),
// from which the whole settlement's gas follows (the openings, calldata and dispatch are the same bytes).
// Also checked: the proof is refused under another dispute's context and with another value.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { encodeAbiParameters, keccak256, type Hex } from "viem";
import { buildCircuits, ROOT } from "../../scripts/circuits-build.ts";
import { loadSnarkJs } from "../../scripts/zk-setup.ts";
import { CONTEXT_ABI, type SettlementContext } from "../../settlement/abi.ts";
import { FIELD_P, toField, zkCircuits, type KernelClaim } from "../../settlement/prover.ts";
import { median } from "../report.ts";
import { cachedPtau, localPtau, SINGLE_INPUT_DIR } from "./localPtau.ts";

export interface SingleInputCase {
  readonly claim: KernelClaim;
  /** The values hashed after the context, in the circuit's order (matmul: out, accIn, a[8], b[8]; relu: out, x). */
  readonly values: readonly bigint[];
  /** The Groth16 settlement of this claim with the circuit in use: whole trueValue transaction, proof-check part. */
  readonly total: number;
  readonly proofCheck: number;
  readonly proveMs: number;
  readonly constraints: number;
}

interface Probe { address: Hex; abi: readonly unknown[] }
interface Args {
  viem: { getWalletClients(): Promise<readonly { deployContract(a: { abi: readonly unknown[]; bytecode: Hex }): Promise<Hex> }[]> };
  pc: {
    readContract(a: { address: Hex; abi: readonly unknown[]; functionName: string; args: readonly unknown[] }): Promise<unknown>;
    waitForTransactionReceipt(a: { hash: Hex }): Promise<{ contractAddress?: Hex | null }>;
  };
  /** HashedInputGasHarness (contracts/test/SettlementGasHarness.sol). */
  hashedProbe: Probe;
  cases: Record<string, SingleInputCase>;
  reps: number;
}

/** The prototype's public input: sha256(uint248(ctx hash >> 8) || (v + 2^53) as 7 bytes ...) >> 3. */
export function hashedInput(ctx: SettlementContext, values: readonly bigint[]): { h: bigint; ctx248: bigint } {
  const ctx248 = BigInt(keccak256(encodeAbiParameters(CONTEXT_ABI, [ctx]))) >> 8n;
  const parts = [Buffer.from(ctx248.toString(16).padStart(62, "0"), "hex")];
  for (const v of values) {
    if (v < -(1n << 53n) || v >= 1n << 53n) throw new Error(`single-input: value ${v} outside the 54-bit range`);
    parts.push(Buffer.from((v + (1n << 53n)).toString(16).padStart(14, "0"), "hex"));
  }
  const h = BigInt("0x" + createHash("sha256").update(Buffer.concat(parts)).digest("hex")) >> 3n;
  return { h, ctx248 };
}

const require = createRequire(import.meta.url);

/** Compiles a snarkjs verifier with the repository's solc (hardhat.config.ts settings). */
function compileVerifier(src: string): { abi: readonly unknown[]; bytecode: Hex } {
  const solc = require("solc") as { compile(input: string): string };
  const out = JSON.parse(solc.compile(JSON.stringify({
    language: "Solidity",
    sources: { "V.sol": { content: src } },
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "prague", outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
  }))) as { errors?: { severity: string; formattedMessage: string }[]; contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>> };
  const errs = (out.errors ?? []).filter((e) => e.severity === "error");
  if (errs.length) throw new Error(`single-input: solc: ${errs.map((e) => e.formattedMessage).join("\n")}`);
  const c = Object.values(out.contracts["V.sol"]!)[0]!;
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
}

interface Groth16Proof { pi_a: string[]; pi_b: string[][]; pi_c: string[] }

export async function singleInputBench(args: Args): Promise<{ metrics: Record<string, number>; context: Record<string, unknown> }> {
  const log = (s: string) => console.log(`single-input: ${s}`);
  // BENCH_ZK_SI=relu (or matmul) measures one prototype only.
  const only = process.env.BENCH_ZK_SI;
  const names = Object.keys(args.cases).filter((n) => (n === "matmul" || n === "relu") && (!only || n === only));
  const mains = names.map((n) => `circuits/single-input/si_${n === "matmul" ? "dot_slice_mm8" : "relu"}.circom`);
  const built = await buildCircuits(mains);
  const powerOf = (constraints: number) => { let p = 8; while (2 ** p < constraints + 2) p++; return p; };
  const snarkjs = (await loadSnarkJs()) as unknown as {
    zKey: {
      newZKey(r1cs: string, ptau: string, zkey: string): Promise<unknown>;
      contribute(a: string, b: string, name: string, entropy: string): Promise<unknown>;
      exportVerificationKey(zkey: string): Promise<unknown>;
      exportSolidityVerifier(zkey: string, t: { groth16: string }): Promise<string>;
    };
    groth16: {
      fullProve(input: Record<string, string | string[]>, wasm: string, zkey: string): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
      verify(vk: unknown, pub: string[], proof: Groth16Proof): Promise<boolean>;
    };
  };
  const template = readFileSync(path.join(ROOT, "node_modules/snarkjs/templates/verifier_groth16.sol.ejs"), "utf8");
  const [wallet] = await args.viem.getWalletClients();
  const metrics: Record<string, number> = {};
  const context: Record<string, unknown> = {};

  // Without its powers of tau a prototype is not proved, but its on-chain check is still priced exactly: a
  // one-input check costs the same whatever the verification key's values (the verifier's code, one ECMUL +
  // ECADD and the 4-pair pairing; a refused proof runs the same path), so a verifier made from the relu
  // circuit's key in use, cut to one input, prices it, and must refuse.
  let keyedVerifier: Hex | undefined;
  const oneInputVerifier = async (): Promise<Hex> => {
    if (keyedVerifier) return keyedVerifier;
    const relu = zkCircuits().find((c) => c.id === "relu");
    if (!relu) throw new Error("single-input: no relu circuit in build/zk/manifest.json (run npm run build:contracts)");
    const vk = JSON.parse(readFileSync(path.join(ROOT, relu.vkey), "utf8")) as { IC: unknown[] };
    const ejs = require("ejs") as { render(t: string, d: unknown): string };
    const { abi, bytecode } = compileVerifier(ejs.render(template, { ...vk, nPublic: 1, IC: vk.IC.slice(0, 2) }));
    const receipt = await args.pc.waitForTransactionReceipt({ hash: await wallet!.deployContract({ abi, bytecode }) });
    return (keyedVerifier = receipt.contractAddress!);
  };
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!, b = built[i]!, cs = args.cases[name]!;
    const need = powerOf(b.constraints);
    Object.assign(metrics, { [`si_${name}_constraints`]: b.constraints, [`si_${name}_constraints_now`]: cs.constraints, [`si_${name}_ptau_power_needed`]: need });
    const call = async (verifier: Hex, bytes: Hex, ctx: SettlementContext, values: readonly bigint[]) => (await args.pc.readContract({
      address: args.hashedProbe.address, abi: args.hashedProbe.abi, functionName: "gasVerifyHashed", args: [verifier, bytes, ctx, values],
    })) as [boolean, bigint];
    // The powers of tau this circuit needs (a cached larger one serves too) and what making it took; making
    // one takes long on a small machine (2^15: minutes; 2^17: its contribution alone 12 min here), so only
    // when asked.
    const ptau = process.env.BENCH_ZK_SI_MAKE_PTAU === "1" ? await localPtau(need, log) : cachedPtau(need);
    if (!ptau) {
      const [ok, gas] = await call(await oneInputVerifier(), `0x${"00".repeat(256)}`, cs.claim.ctx, cs.values);
      if (ok) throw new Error(`single-input ${name}: a verifier of another circuit accepted`);
      const proofCheck = Number(gas), settle = cs.total - cs.proofCheck + proofCheck;
      Object.assign(metrics, {
        [`si_${name}_proof_check_gas`]: proofCheck, [`si_${name}_proof_check_gas_now`]: cs.proofCheck,
        [`si_${name}_settle_gas`]: settle, [`si_${name}_settle_gas_now`]: cs.total,
      });
      context[name] = { proved: false, why: `no local powers of tau of 2^${need} cached (BENCH_ZK_SI_MAKE_PTAU=1 makes one)` };
      log(`${name}: ${b.constraints} constraints (now ${cs.constraints}), needs 2^${need} powers of tau (none cached: not proved; BENCH_ZK_SI_MAKE_PTAU=1 makes one); proof check ${proofCheck} gas (now ${cs.proofCheck}), priced with a one-input verifier; settle ${settle} gas (now ${cs.total})`);
      continue;
    }
    const dir = path.join(SINGLE_INPUT_DIR, b.name);
    mkdirSync(dir, { recursive: true });
    const z0 = path.join(dir, "0.zkey"), zkey = path.join(dir, "final.zkey");
    const t0 = performance.now();
    await snarkjs.zKey.newZKey(b.r1cs, ptau.file, z0);
    await snarkjs.zKey.contribute(z0, zkey, "veritrain single-input prototype", randomBytes(32).toString("hex"));
    const setupMs = Math.round(performance.now() - t0);
    const vk = await snarkjs.zKey.exportVerificationKey(zkey);
    const src = await snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: template });
    writeFileSync(path.join(dir, "Verifier.sol"), src);
    const { abi, bytecode } = compileVerifier(src);
    const receipt = await args.pc.waitForTransactionReceipt({ hash: await wallet!.deployContract({ abi, bytecode }) });
    const verifier = receipt.contractAddress!;

    const { h, ctx248 } = hashedInput(cs.claim.ctx, cs.values);
    const input: Record<string, string | string[]> = { h: h.toString(), ctx: ctx248.toString() };
    const f = (v: bigint) => toField(v).toString();
    if (name === "matmul") {
      input.out = f(cs.values[0]!); input.accIn = f(cs.values[1]!);
      input.a = cs.values.slice(2, 10).map(f); input.b = cs.values.slice(10, 18).map(f);
    } else {
      input.out = f(cs.values[0]!); input.x = f(cs.values[1]!);
    }
    const wasm = b.wasm;
    await snarkjs.groth16.fullProve(input, wasm, zkey); // warm-up
    const times: number[] = [];
    let last: { proof: Groth16Proof; publicSignals: string[] } | undefined;
    for (let r = 0; r < args.reps; r++) {
      const s = performance.now();
      last = await snarkjs.groth16.fullProve(input, wasm, zkey);
      times.push(performance.now() - s);
    }
    const { proof, publicSignals } = last!;
    if (publicSignals.length !== 1 || BigInt(publicSignals[0]!) !== h || h >= FIELD_P) throw new Error(`single-input ${name}: public signals ${publicSignals}`);
    if (!(await snarkjs.groth16.verify(vk, publicSignals, proof))) throw new Error(`single-input ${name}: local verification failed`);
    const big = BigInt;
    const bytes = encodeAbiParameters([{ type: "uint256[2]" }, { type: "uint256[2][2]" }, { type: "uint256[2]" }], [
      [big(proof.pi_a[0]!), big(proof.pi_a[1]!)],
      [[big(proof.pi_b[0]![1]!), big(proof.pi_b[0]![0]!)], [big(proof.pi_b[1]![1]!), big(proof.pi_b[1]![0]!)]],
      [big(proof.pi_c[0]!), big(proof.pi_c[1]!)],
    ]);
    const [ok, gas] = await call(verifier, bytes, cs.claim.ctx, cs.values);
    if (!ok) throw new Error(`single-input ${name}: the on-chain hash and verifier refused the proof`);
    // Bound to its dispute and its values: the same proof under another context or another value fails.
    const [replayed] = await call(verifier, bytes, { ...cs.claim.ctx, element: cs.claim.ctx.element + 1n }, cs.values);
    const [tampered] = await call(verifier, bytes, cs.claim.ctx, cs.values.map((v, k) => (k === 1 ? v + 1n : v)));
    if (replayed || tampered) throw new Error(`single-input ${name}: a proof was accepted under another context or value`);
    const proofCheck = Number(gas);
    const settle = cs.total - cs.proofCheck + proofCheck;
    Object.assign(metrics, {
      [`si_${name}_ptau_power_used`]: ptau.power,
      [`si_${name}_ptau_ms`]: ptau.ms,
      [`si_${name}_setup_ms`]: setupMs,
      [`si_${name}_prove_ms`]: Math.round(median(times)),
      [`si_${name}_prove_ms_now`]: cs.proveMs,
      [`si_${name}_proof_check_gas`]: proofCheck,
      [`si_${name}_proof_check_gas_now`]: cs.proofCheck,
      [`si_${name}_settle_gas`]: settle,
      [`si_${name}_settle_gas_now`]: cs.total,
    });
    context[name] = { proved: true, replayRefused: true, tamperRefused: true, compileMs: b.ms, ptauCached: ptau.cached, times: times.map(Math.round) };
    log(`${name}: ${b.constraints} constraints (now ${cs.constraints}), 2^${need} powers of tau (made in ${ptau.ms} ms), setup ${setupMs} ms, prove ${Math.round(median(times))} ms (now ${cs.proveMs}), proof check ${proofCheck} gas (now ${cs.proofCheck}), settle ${settle} gas (now ${cs.total}); refused under another context and with another value`);
  }
  return { metrics, context };
}
