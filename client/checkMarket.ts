import type { Address, Chain, Client, Transport } from "viem";
import { getCode, readContract } from "viem/actions";
import { shortReason } from "../chain/errors.ts";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { NotAMarketError } from "./errors.ts";

/**
 * Checks that `market` holds a contract that answers the JobMarket's views (jobCount, game); returns them.
 * Sending escrow to an address without code would lose it: this runs before postJob.
 */
export async function checkMarket(client: Client<Transport, Chain | undefined>, p: { readonly market: Address }): Promise<{ jobCount: bigint; game: Address }> {
  const code = await getCode(client, { address: p.market });
  if (code === undefined || code === "0x") throw new NotAMarketError(`no contract at ${p.market} on this chain: is --market the JobMarket address of this deployment?`, { market: p.market });
  try {
    const [jobCount, game] = await Promise.all([
      readContract(client, { address: p.market, abi: jobMarketAbi, functionName: "jobCount" }),
      readContract(client, { address: p.market, abi: jobMarketAbi, functionName: "game" }),
    ]);
    return { jobCount, game };
  } catch (e) {
    throw new NotAMarketError(`the contract at ${p.market} does not answer as a JobMarket (${shortReason(e)})`, { market: p.market });
  }
}
