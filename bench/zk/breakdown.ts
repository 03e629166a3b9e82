// Where the gas of one Groth16 settlement (Groth16KernelVerifier.trueValue as a transaction) goes, measured
// on the same calldata: the intrinsic 21,000, calldata (and the part of it that is the 1 KiB operand
// leaves), the openings (OpeningsGasHarness: KernelVerifierBase with a kernel that checks nothing), the proof
// check (Groth16GasHarness body minus the openings; of it the circuit verifier's own call, itself the
// EIP-1108 pairing price, the public-input MSM at the precompile prices, and the verifier's code), and the
// call's dispatch (ABI decoding of the context, the rest). The game's bookkeeping around trueValue (its
// settle transaction minus the call) is bench:gas's (settle_gas_recompute_dot_slice minus
// dot_slice_trueValue_gas_recompute: both there on one slice).
import { encodeFunctionData, type Hex } from "viem";
import type { SettlementContext, SettlementOperands } from "../../settlement/abi.ts";

/** EIP-1108 (Istanbul) precompile prices: pairing 45,000 + 34,000 per pair, ECMUL 6,000, ECADD 150. */
export const PAIRING_GAS = 45_000 + 34_000 * 4;
export const MSM_GAS_PER_INPUT = 6_000 + 150;
export const TX_BASE_GAS = 21_000;

/** Gas of calldata bytes at the standard price (EIP-2028: 16 a non-zero byte, 4 a zero byte). */
export function calldataGas(hex: Hex): number {
  let g = 0;
  for (let i = 2; i < hex.length; i += 2) g += hex.slice(i, i + 2) === "00" ? 4 : 16;
  return g;
}

export interface Breakdown {
  total: number;
  base: number;
  calldata: number;
  leafCalldata: number;
  leaves: number;
  openings: number;
  proofCheck: number;
  verifierCall: number;
  pairing: number;
  msm: number;
  verifierCode: number;
  publicInputs: number;
  dispatch: number;
}

// The contracts as bench/zk.ts deploys them (viem contract instances; only the calls used here are typed).
interface Probe { address: Hex; abi: readonly unknown[] }
interface Reader { readContract(a: { address: Hex; abi: readonly unknown[]; functionName: string; args: readonly unknown[] }): Promise<unknown> }

export async function settlementBreakdown(
  pc: Reader,
  total: number,
  groth: Probe & { abi: readonly unknown[] },
  openingsProbe: Probe,
  grothProbe: Probe,
  verifier: Hex,
  ctx: SettlementContext,
  operands: SettlementOperands,
  enc: Hex,
  proof: Hex,
  pub: readonly bigint[],
): Promise<Breakdown> {
  const encode = encodeFunctionData as (a: { abi: readonly unknown[]; functionName: string; args: readonly unknown[] }) => Hex;
  const data = encode({ abi: groth.abi, functionName: "trueValue", args: [ctx, enc, proof] });
  const calldata = calldataGas(data);
  const leafData = operands.kind === "op" ? operands.inputs.flatMap((i) => i.leaves.map((l) => l.data as Hex)) : [];
  const leafCalldata = leafData.reduce((s, d) => s + calldataGas(d), 0);
  const body = async (p: Probe) => Number(((await pc.readContract({ address: p.address, abi: p.abi, functionName: "gasTrueValue", args: [ctx, enc, proof] })) as [Hex, bigint])[1]);
  const openings = await body(openingsProbe);
  const grothBody = await body(grothProbe);
  const [accepted, callGas] = (await pc.readContract({ address: grothProbe.address, abi: grothProbe.abi, functionName: "gasVerify", args: [verifier, proof, pub] })) as [boolean, bigint];
  if (!accepted) throw new Error("bench:zk: the circuit verifier rejected the proof with its own public signals");
  const verifierCall = Number(callGas);
  const msm = MSM_GAS_PER_INPUT * pub.length;
  const proofCheck = grothBody - openings;
  return {
    total, base: TX_BASE_GAS, calldata, leafCalldata, leaves: leafData.length, openings, proofCheck, verifierCall,
    pairing: PAIRING_GAS, msm, verifierCode: verifierCall - PAIRING_GAS - msm, publicInputs: proofCheck - verifierCall,
    dispatch: total - TX_BASE_GAS - calldata - grothBody,
  };
}

/** One line of the breakdown, for the bench's log. */
export function formatBreakdown(name: string, b: Breakdown): string {
  const k = (x: number) => x.toLocaleString("en-US");
  return `${name}: total ${k(b.total)} = base ${k(b.base)} + calldata ${k(b.calldata)} (${b.leaves} leaves: ${k(b.leafCalldata)}) + openings ${k(b.openings)}`
    + ` + proof check ${k(b.proofCheck)} (verifier call ${k(b.verifierCall)}: pairing ${k(b.pairing)}, MSM ${k(b.msm)}, code ${k(b.verifierCode)}; public inputs and ctx ${k(b.publicInputs)}) + dispatch ${k(b.dispatch)}`;
}

interface Tracer { request(a: { method: string; params: readonly unknown[] }): Promise<unknown> }

/**
 * What the openings' execution is made of (OpeningsGasHarness.trueValue traced with debug_traceCall): the
 * gas of its STATICCALLs (the SHA-256 precompile: leaves, Merkle paths, program and record hashes), of its
 * memory copies (MCOPY, CALLDATACOPY) and of everything else (the contract's own code: calldata decoding
 * and bounds checks, loops), and its number of EVM steps.
 */
export async function openingsOpcodes(pc: Tracer, probe: Probe, ctx: SettlementContext, enc: Hex, proof: Hex): Promise<{ staticcall: number; copies: number; code: number; steps: number }> {
  const encode = encodeFunctionData as (a: { abi: readonly unknown[]; functionName: string; args: readonly unknown[] }) => Hex;
  const data = encode({ abi: probe.abi, functionName: "trueValue", args: [ctx, enc, proof] });
  const t = (await pc.request({ method: "debug_traceCall", params: [{ to: probe.address, data }, "latest", { disableStorage: true, disableStack: true, enableMemory: false }] })) as {
    structLogs: { op: string; gas: number; gasCost: number; depth: number }[];
  };
  const logs = t.structLogs;
  let staticcall = 0, copies = 0, code = 0;
  for (let i = 0; i < logs.length; i++) {
    const l = logs[i]!;
    // A call's price is the gas drop to the next step at its own depth (the precompiles run no steps).
    const cost = i + 1 < logs.length ? l.gas - logs[i + 1]!.gas : l.gasCost;
    if (l.op === "STATICCALL") staticcall += cost;
    else if (l.op === "MCOPY" || l.op === "CALLDATACOPY") copies += cost;
    else code += cost;
  }
  return { staticcall, copies, code, steps: logs.length };
}

/**
 * The openings' execution by Solidity function: the same trace as {@link openingsOpcodes}, each step's gas
 * charged to the innermost function whose source range holds the step's source-map location (the compiled
 * OpeningsGasHarness from artifacts/ and its build info). Steps of compiler-generated code (ABI decoding,
 * calldata accessors and their bounds checks, checked arithmetic) are charged to "(generated)". Returns the
 * gas per function, largest first.
 */
export async function openingsByFunction(pc: Tracer, probe: Probe, ctx: SettlementContext, enc: Hex, proof: Hex, root: string): Promise<[string, number][]> {
  const { readFileSync } = await import("node:fs");
  const path = await import("node:path");
  const artifact = JSON.parse(readFileSync(path.join(root, "artifacts/contracts/test/SettlementGasHarness.sol/OpeningsGasHarness.json"), "utf8")) as { buildInfoId: string };
  const out = (JSON.parse(readFileSync(path.join(root, `artifacts/build-info/${artifact.buildInfoId}.output.json`), "utf8")) as {
    output: {
      contracts: Record<string, Record<string, { evm: { deployedBytecode: { object: string; sourceMap: string } } }>>;
      sources: Record<string, { id: number; ast: unknown }>;
    };
  }).output;
  const bc = out.contracts["project/contracts/test/SettlementGasHarness.sol"]!["OpeningsGasHarness"]!.evm.deployedBytecode;
  const code = Buffer.from(bc.object, "hex");
  // Instruction index of each pc (PUSH1..PUSH32 carry 1..32 bytes).
  const pcIndex = new Map<number, number>();
  for (let pcv = 0, i = 0; pcv < code.length; i++) {
    pcIndex.set(pcv, i);
    const op = code[pcv]!;
    pcv += 1 + (op >= 0x60 && op <= 0x7f ? op - 0x5f : 0);
  }
  // The compressed source map: s:l:f per instruction, an empty field repeats the previous one.
  const locs: [number, number, number][] = [];
  let s = -1, l = -1, f = -1;
  for (const e of bc.sourceMap.split(";")) {
    const [ps, pl, pf] = e.split(":");
    if (ps) s = Number(ps);
    if (pl) l = Number(pl);
    if (pf) f = Number(pf);
    locs.push([s, l, f]);
  }
  const fns: { file: number; start: number; end: number; name: string }[] = [];
  const walk = (n: unknown, file: string): void => {
    if (Array.isArray(n)) for (const x of n) walk(x, file);
    else if (n && typeof n === "object") {
      const o = n as { nodeType?: string; src?: string; name?: string; kind?: string };
      if (o.nodeType === "FunctionDefinition" && o.src) {
        const [a, b, fi] = o.src.split(":").map(Number);
        fns.push({ file: fi!, start: a!, end: a! + b!, name: `${path.basename(file, ".sol")}.${o.name || o.kind}` });
      }
      for (const v of Object.values(o)) walk(v, file);
    }
  };
  for (const [file, src] of Object.entries(out.sources)) walk(src.ast, file);
  const owner = (loc: [number, number, number] | undefined): string => {
    if (!loc) return "(generated)";
    const [a, b, fi] = loc;
    let best: { start: number; end: number; name: string } | undefined;
    for (const fn of fns) if (fn.file === fi && fn.start <= a && a + b <= fn.end && (!best || fn.end - fn.start < best.end - best.start)) best = fn;
    return best?.name ?? "(generated)";
  };
  const encode = encodeFunctionData as (a: { abi: readonly unknown[]; functionName: string; args: readonly unknown[] }) => Hex;
  const data = encode({ abi: probe.abi, functionName: "trueValue", args: [ctx, enc, proof] });
  const t = (await pc.request({ method: "debug_traceCall", params: [{ to: probe.address, data }, "latest", { disableStorage: true, disableStack: true, enableMemory: false }] })) as {
    structLogs: { pc: number; gas: number; gasCost: number }[];
  };
  const logs = t.structLogs;
  const by = new Map<string, number>();
  for (let i = 0; i < logs.length; i++) {
    const cost = i + 1 < logs.length ? logs[i]!.gas - logs[i + 1]!.gas : logs[i]!.gasCost;
    const idx = pcIndex.get(logs[i]!.pc);
    const name = owner(idx === undefined ? undefined : locs[idx]);
    by.set(name, (by.get(name) ?? 0) + cost);
  }
  return [...by.entries()].sort((x, y) => y[1] - x[1]);
}
