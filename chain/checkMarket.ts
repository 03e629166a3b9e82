import type { Address, Chain, Client, Transport } from "viem";
import { getCode, readContract } from "viem/actions";
import { NotAMarketError, shortReason } from "./errors.ts";
import { jobMarketAbi } from "./generated/contracts.ts";

/**
 * Checks that `market` holds a contract that answers the JobMarket's views (jobCount, game); returns them.
 * Sending escrow to an address without code would lose it, and a node pointed at another contract would poll
 * it forever: the client runs this before postJob, each node at start. `source` names where the address came
 * from in the error ("--market", "config field market").
 */
export async function checkMarket(client: Client<Transport, Chain | undefined>, p: { readonly market: Address; readonly source?: string }): Promise<{ jobCount: bigint; game: Address }> {
  const source = p.source ?? "--market";
  const code = await getCode(client, { address: p.market });
  if (code === undefined || code === "0x") throw new NotAMarketError(`no contract at ${p.market} on this chain: is ${source} the JobMarket address of this deployment?`, { market: p.market });
  try {
    const [jobCount, game] = await Promise.all([
      readContract(client, { address: p.market, abi: jobMarketAbi, functionName: "jobCount" }),
      readContract(client, { address: p.market, abi: jobMarketAbi, functionName: "game" }),
    ]);
    return { jobCount, game };
  } catch (e) {
    throw new NotAMarketError(`the contract at ${p.market} does not answer as a JobMarket (${shortReason(e).replace(/\s*\n\s*/g, " ")}): is ${source} the JobMarket address of this deployment?`, { market: p.market });
  }
}
