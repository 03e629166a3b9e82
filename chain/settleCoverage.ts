// How much of a spec a deployment can settle: its market's game's kernel verifier read from the chain; for a
// Groth16KernelVerifier, which of the spec's circuit instantiations (settlement/coverage.ts) it has no
// registered verifier for. A dispute that ends on such an op cannot be settled, and an unsettled game fails
// the SOLVER (INV-GAME-6): an honest solver never takes such a job, and a client should not post one.
// The recomputing verifier (RecomputeKernelVerifier) settles every op of protocol v1; neither verifier settles
// an op outside SETTLEABLE_OP_CODES (settlement/coverage.ts): those are reported missing under both.
import type { Address, Chain, Client, Hex, Transport } from "viem";
import { readContract } from "viem/actions";
import type { TrainingSpec } from "../engine/spec.ts";
import { type Instantiation, SETTLEABLE_OP_CODES, settleInstantiations, unsettleableOps } from "../settlement/coverage.ts";
import { disputeGameAbi, groth16KernelVerifierAbi, jobMarketAbi } from "./generated/contracts.ts";
import { kernelKindOf } from "./kernelKind.ts";

export type SettleCoverage =
  | { readonly kernel: "recompute"; readonly verifier: Address; readonly missing: readonly Instantiation[] }
  | { readonly kernel: "groth16"; readonly verifier: Address; readonly missing: readonly Instantiation[] };

/**
 * Reads the market's game and its kernel verifier, and (for a Groth16KernelVerifier) which of the spec's
 * instantiations have no registered verifier. A verifier that does not answer `circuitKey` recomputes every op.
 */
export async function getSettleCoverage(client: Client<Transport, Chain | undefined>, p: { market: Address; spec: TrainingSpec }): Promise<SettleCoverage> {
  const game = await readContract(client, { address: p.market, abi: jobMarketAbi, functionName: "game" });
  const verifier = await readContract(client, { address: game, abi: disputeGameAbi, functionName: "kernelVerifier" });
  const keyOf = (i: Instantiation): Promise<Hex> =>
    readContract(client, { address: verifier, abi: groth16KernelVerifierAbi, functionName: "circuitKey", args: [i.code, i.attrs.map(BigInt), i.classes] });
  // Ops no verifier settles yet are missing whatever the deployment (and have no registry key to look up).
  const unsettleable = unsettleableOps(p.spec);
  if ((await kernelKindOf(client, verifier)) === "recompute") return { kernel: "recompute", verifier, missing: unsettleable };
  const wanted = settleInstantiations(p.spec).filter((i) => SETTLEABLE_OP_CODES.has(i.code));
  const missing: Instantiation[] = [...unsettleable];
  for (const i of wanted) {
    const registered = await readContract(client, { address: verifier, abi: groth16KernelVerifierAbi, functionName: "verifiers", args: [await keyOf(i)] });
    if (/^0x0{40}$/i.test(registered)) missing.push(i);
  }
  return { kernel: "groth16", verifier, missing };
}
