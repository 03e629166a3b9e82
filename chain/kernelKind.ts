import type { Address, Chain, Client, Transport } from "viem";
import { readContract } from "viem/actions";
import { isTransportError } from "./errors.ts";
import { groth16KernelVerifierAbi } from "./generated/contracts.ts";

/** How a deployment's kernel verifier settles: recomputing on chain, or checking a Groth16 proof. */
export type KernelKind = "recompute" | "groth16";
export const KERNEL_KINDS: readonly KernelKind[] = ["recompute", "groth16"];

/**
 * The kind of a deployed kernel verifier: a Groth16KernelVerifier answers circuitKey (a pure function the
 * RecomputeKernelVerifier does not have). An endpoint that did not answer is thrown, never taken for an
 * answer: mistaking a Groth16 verifier for a recomputing one would make its settlements revert.
 */
export async function kernelKindOf(client: Client<Transport, Chain | undefined>, verifier: Address): Promise<KernelKind> {
  try {
    await readContract(client, { address: verifier, abi: groth16KernelVerifierAbi, functionName: "circuitKey", args: [1, [], 0] });
    return "groth16";
  } catch (e) {
    if (isTransportError(e)) throw e;
    return "recompute";
  }
}
