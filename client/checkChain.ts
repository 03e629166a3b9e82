import type { Chain, Client, PublicClient, Transport } from "viem";
import { fetchChainId } from "../chain/connect.ts";
import { ChainIdMismatchError, redactUrl } from "../chain/errors.ts";

export interface CheckChainParameters {
  /** Refuse any other chain (a client pinned to a chain never signs for another one by mistake). */
  readonly expectedChainId?: number;
}

/**
 * Checks that the RPC endpoint answers (RpcUnreachableError naming the URL, redacted, when it does not) and
 * serves the expected chain (ChainIdMismatchError); returns the chain id. Run before anything is signed.
 */
export async function checkChain(client: Client<Transport, Chain | undefined>, p: CheckChainParameters = {}): Promise<number> {
  const chainId = await fetchChainId(client as PublicClient<Transport, Chain | undefined>);
  if (p.expectedChainId !== undefined && p.expectedChainId !== chainId) {
    const url = (client.transport as { url?: unknown }).url;
    throw new ChainIdMismatchError(p.expectedChainId, chainId, typeof url === "string" ? `the RPC endpoint ${redactUrl(url)}` : "the RPC endpoint");
  }
  return chainId;
}
