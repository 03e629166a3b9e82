import type { Account, Address, Chain, Client, Hash, Transport } from "viem";

import { getBlock, readContract } from "viem/actions";
import { checkMarket } from "../chain/checkMarket.ts";
import { connect } from "../chain/connect.ts";
import { ChainError, ChainIdMismatchError } from "../chain/errors.ts";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { NODE_DEFAULTS } from "../core/defaults.ts";

/**
 * A node's access to the chain: one wallet client (its account, the endpoint's chain) used for reads and
 * writes, the market it works on, and the game contract behind it. Built from an RPC URL, or from a given
 * client (an in-process chain in tests). The node only reads the chain's clock, never moves it.
 */
export type NodeClient = Client<Transport, Chain, Account>;

export interface NodeChain {
  readonly client: NodeClient;
  readonly chainId: number;
  readonly market: Address;
  readonly me: Address;
  /** The hash of block 0: tells this chain's history from another with the same id (a restarted local chain). */
  readonly genesis: Hash;
  /** The latest block's timestamp: the chain's clock, which every deadline is measured against. */
  now(): Promise<bigint>;
  /** The market's DisputeGame (read once). */
  game(): Promise<Address>;
  /** Whether an address is this node's account (case-insensitive). */
  mine(a: string): boolean;
}

export interface OpenNodeChainOptions {
  readonly market: Address;
  readonly account: Account;
  /** The endpoint (unless `client` is given). */
  readonly rpcUrl?: string;
  /** An existing client whose account is `account` (tests on an in-process chain). */
  readonly client?: NodeClient;
  /** Refuse an endpoint that serves another chain. */
  readonly chainId?: number;
  readonly pollingIntervalMs?: number;
  /** Called with every failed RPC request (the node's metrics count them). */
  readonly onRpcError?: (e: unknown) => void;
}

export async function openNodeChain(o: OpenNodeChainOptions): Promise<NodeChain> {
  let client: NodeClient;
  let chainId: number;
  if (o.client) {
    client = o.client;
    chainId = client.chain.id;
    if (o.chainId !== undefined && o.chainId !== chainId) throw new ChainIdMismatchError(o.chainId, chainId, "the given client");
  } else {
    if (!o.rpcUrl) throw new ChainError("a node needs an RPC URL or a client");
    const c = await connect({
      rpcUrl: o.rpcUrl, chainId: o.chainId, account: o.account, timeoutMs: NODE_DEFAULTS.rpcTimeoutMs, retryCount: NODE_DEFAULTS.rpcRetryCount,
      pollingIntervalMs: Math.min(o.pollingIntervalMs ?? NODE_DEFAULTS.pollIntervalMs, 500),
    });
    client = c.walletClient;
    chainId = c.chainId;
  }
  if (o.onRpcError) client = countingErrors(client, o.onRpcError);
  // A node pointed at another contract would poll it forever: refused at start, in one line.
  let game: Address | undefined = (await checkMarket(client, { market: o.market, source: "the config's market" })).game;
  const me = o.account.address;
  const genesis = (await getBlock(client, { blockNumber: 0n })).hash;
  return {
    client, chainId, market: o.market, me, genesis,
    now: async () => (await getBlock(client, { blockTag: "latest" })).timestamp,
    game: async () => (game ??= await readContract(client, { address: o.market, abi: jobMarketAbi, functionName: "game" })),
    mine: (a) => a.toLowerCase() === me.toLowerCase(),
  };
}

/** The same client whose failed requests are reported to `onError` (a copy: the given client is not changed). */
function countingErrors(client: NodeClient, onError: (e: unknown) => void): NodeClient {
  const request = client.request;
  const counted = (async (args: unknown, opts: unknown) => {
    try {
      return await (request as (a: unknown, o: unknown) => Promise<unknown>)(args, opts);
    } catch (e) {
      onError(e);
      throw e;
    }
  }) as NodeClient["request"];
  return { ...client, request: counted };
}
