import type { Address, Chain, Client, Transport } from "viem";
import { getSettleCoverage, type SettleCoverage } from "../chain/settleCoverage.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { UnsettleableSpecError } from "./errors.ts";
import { describeMissing } from "../settlement/coverage.ts";

/**
 * Checks that every op of the spec's step program can be settled by the market's kernel verifier: under a
 * Groth16 deployment an op with no registered circuit makes any dispute ending there unsettleable, and an
 * unsettled game fails the solver whoever is right; under either verifier an op code past the verifier's
 * MAX_OP_CODE (a deployment from before the model ops) has no settlement at all. No honest solver should take such a job, and its
 * escrow would sit until the commit deadline. Runs before postJob.
 */
export async function checkSettleable(client: Client<Transport, Chain | undefined>, p: { readonly market: Address; readonly spec: TrainingSpec }): Promise<SettleCoverage> {
  const coverage = await getSettleCoverage(client, p);
  if (coverage.missing.length > 0) {
    const who = coverage.kernel === "groth16" ? "Groth16 kernel verifier" : "recomputing kernel verifier";
    throw new UnsettleableSpecError(`the market's ${who} ${coverage.verifier} cannot settle this spec: ${describeMissing(coverage.missing)}: a dispute there could not be settled`);
  }
  return coverage;
}
