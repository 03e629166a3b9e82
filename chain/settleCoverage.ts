// How much of a spec a deployment can settle: its market's game's kernel verifier read from the chain (its
// kind, the op codes it settles) and, for a Groth16KernelVerifier, which of the spec's circuit
// instantiations (settlement/coverage.ts) it has no registered verifier for. A dispute that ends on such an
// op cannot be settled, and an unsettled game fails the SOLVER (INV-GAME-6): an honest solver never takes
// such a job, and a client should not post one.
import type { Address, Chain, Client, Hex, Transport } from "viem";
import { readContract } from "viem/actions";
import type { TrainingSpec } from "../engine/spec.ts";
import { type Instantiation, settleInstantiations, unsettleableOps, V1_MAX_OP_CODE } from "../settlement/coverage.ts";
import { isTransportError } from "./errors.ts";
import { disputeGameAbi, groth16KernelVerifierAbi, jobMarketAbi, recomputeKernelVerifierAbi } from "./generated/contracts.ts";
import { kernelKindOf } from "./kernelKind.ts";

export type SettleCoverage =
  | { readonly kernel: "recompute"; readonly verifier: Address; readonly maxOpCode: number; readonly missing: readonly Instantiation[] }
  | { readonly kernel: "groth16"; readonly verifier: Address; readonly maxOpCode: number; readonly missing: readonly Instantiation[] };

/**
 * The largest op code a kernel verifier settles: its MAX_OP_CODE, or protocol v1's 9 for a verifier deployed
 * before the model ops (which has no such getter). An endpoint that did not answer is thrown, never taken
 * for an answer.
 */
export async function maxOpCodeOf(client: Client<Transport, Chain | undefined>, verifier: Address): Promise<number> {
  try {
    return Number(await readContract(client, { address: verifier, abi: recomputeKernelVerifierAbi, functionName: "MAX_OP_CODE" }));
  } catch (e) {
    if (isTransportError(e)) throw e;
    return V1_MAX_OP_CODE;
  }
}

/**
 * Reads the market's game and its kernel verifier: the op codes it settles, and (for a Groth16KernelVerifier)
 * which of the spec's instantiations have no registered verifier.
 */
export async function getSettleCoverage(client: Client<Transport, Chain | undefined>, p: { market: Address; spec: TrainingSpec }): Promise<SettleCoverage> {
  const game = await readContract(client, { address: p.market, abi: jobMarketAbi, functionName: "game" });
  const verifier = await readContract(client, { address: game, abi: disputeGameAbi, functionName: "kernelVerifier" });
  const maxOpCode = await maxOpCodeOf(client, verifier);
  // Ops the verifier cannot settle whatever it holds (codes past its range, settlements past the size bound).
  const unsettleable = unsettleableOps(p.spec, maxOpCode);
  if ((await kernelKindOf(client, verifier)) === "recompute") return { kernel: "recompute", verifier, maxOpCode, missing: unsettleable };
  const skip = new Set(unsettleable.map((u) => u.code));
  const missing: Instantiation[] = [...unsettleable];
  for (const i of settleInstantiations(p.spec).filter((x) => !skip.has(x.code))) {
    const key: Hex = await readContract(client, { address: verifier, abi: groth16KernelVerifierAbi, functionName: "circuitKey", args: [i.code, i.attrs.map(BigInt), i.classes] });
    const registered = await readContract(client, { address: verifier, abi: groth16KernelVerifierAbi, functionName: "verifiers", args: [key] });
    if (/^0x0{40}$/i.test(registered)) missing.push(i);
  }
  return { kernel: "groth16", verifier, maxOpCode, missing };
}
