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
