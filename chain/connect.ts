import {
  type Account, type Chain, createPublicClient, createWalletClient, defineChain, http, type HttpTransport, type PublicClient, type Transport, type WalletClient,
} from "viem";
import { ChainIdMismatchError, isTransportError, redactUrl, RpcUnreachableError, shortReason, transportReason, transportUrl } from "./errors.ts";
import { rateLimitedFetch, type RateLimitOptions } from "./rateLimitedFetch.ts";
import { parseRpcUrl } from "./rpcUrl.ts";

/**
 * The one way onto a chain through an RPC endpoint, for the CLI, the nodes, the demo and the tests: the URL
 * is checked (parseRpcUrl), the endpoint's chain id is read once (RpcUnreachableError when it does not
 * answer) and compared with the one asked for (ChainIdMismatchError), and every client shares one transport
 * and one viem Chain built from that id. Requests answered HTTP 429 (a public endpoint's rate limit) are
 * waited out and sent again by the transport itself (chain/rateLimitedFetch.ts, Retry-After honoured), apart
 * from `retryCount`; log reads page their block range (chain/getLogsPaged.ts).
 */
export interface ConnectParameters {
  /** http(s) JSON-RPC endpoint. */
  readonly rpcUrl: string;
  /** Refuse an endpoint that serves another chain. */
  readonly chainId?: number | undefined;
  /** Signs the wallet client's transactions. */
  readonly account?: Account | undefined;
  /** Per request (default 15 s). */
  readonly timeoutMs?: number;
  /** Retries of a failed request (default 0: a failure is reported, the caller decides). */
  readonly retryCount?: number;
  /** How often the clients poll (receipts, blocks); default viem's. */
  readonly pollingIntervalMs?: number;
  /** Waits and re-sends on HTTP 429 (default RATE_LIMIT_DEFAULTS). */
  readonly rateLimit?: RateLimitOptions;
}

export interface Connection {
  readonly chainId: number;
  readonly chain: Chain;
  /** The endpoint's URL, as given (redact it before showing it: redactUrl). */
  readonly rpcUrl: string;
  readonly transport: HttpTransport;
  readonly publicClient: PublicClient<Transport, Chain>;
  /** A wallet client for `account` on the same chain and transport. */
  wallet<A extends Account>(account: A): WalletClient<Transport, Chain, A>;
}

/** A connection whose wallet client is made for the account given to connect(). */
export interface AccountConnection<A extends Account> extends Connection {
  readonly account: A;
  readonly walletClient: WalletClient<Transport, Chain, A>;
}

/** Default time limit of one RPC request. */
export const RPC_TIMEOUT_MS = 15_000;

/** The viem Chain of an endpoint that serves chain `id` (ETH as its currency: the protocol prices in wei). */
export function chainOf(id: number, rpcUrl: string): Chain {
  return defineChain({ id, name: `chain ${id}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
}

/** The endpoint's chain id, with transport failures as RpcUnreachableError. */
export async function fetchChainId(publicClient: PublicClient<Transport, Chain | undefined>): Promise<number> {
  try {
    return await publicClient.getChainId();
  } catch (e) {
    throw new RpcUnreachableError(transportUrl(publicClient), isTransportError(e) ? transportReason(e) : `eth_chainId failed: ${shortReason(e)}`);
  }
}

export async function connect<A extends Account>(p: ConnectParameters & { readonly account: A }): Promise<AccountConnection<A>>;
export async function connect(p: ConnectParameters): Promise<Connection>;
export async function connect(p: ConnectParameters): Promise<Connection> {
  const url = parseRpcUrl(p.rpcUrl).href;
  const transport = http(url, { retryCount: p.retryCount ?? 0, timeout: p.timeoutMs ?? RPC_TIMEOUT_MS, fetchFn: rateLimitedFetch(p.rateLimit) });
  const chainId = await fetchChainId(createPublicClient({ transport }));
  if (p.chainId !== undefined && p.chainId !== chainId) throw new ChainIdMismatchError(p.chainId, chainId, `the RPC endpoint ${redactUrl(p.rpcUrl)}`);
  const chain = chainOf(chainId, url);
  const polling = p.pollingIntervalMs === undefined ? {} : { pollingInterval: p.pollingIntervalMs };
  const wallet = <A extends Account>(account: A) => createWalletClient({ chain, transport, account, ...polling }) as WalletClient<Transport, Chain, A>;
  const c: Connection = { chainId, chain, rpcUrl: p.rpcUrl, transport, publicClient: createPublicClient({ chain, transport, ...polling }), wallet };
  return p.account === undefined ? c : { ...c, account: p.account, walletClient: wallet(p.account) } as AccountConnection<Account>;
}
