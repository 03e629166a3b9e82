import { BaseError, ContractFunctionRevertedError, HttpRequestError, SocketClosedError, TimeoutError, WebSocketRequestError } from "viem";
import { VeritrainError } from "../core/errors.ts";

/**
 * Typed errors of the chain side (deployment, RPC access, keys). Each names the problem in its message, so
 * that the CLI prints one clear line; callers narrow on the class (or `name`). No error ever carries a
 * private key, and RPC URLs appear redacted (origin only: a path or query may hold an API key).
 */
export class ChainError extends VeritrainError {
  override name = "ChainError";
}

/** An RPC URL that is not an http(s) URL. */
export class InvalidRpcUrlError extends ChainError {
  override name = "InvalidRpcUrlError";
  constructor(reason: string) {
    super(`invalid --rpc-url: ${reason}`);
  }
}

/** The RPC endpoint did not answer (connection refused, DNS failure, timeout, not a JSON-RPC server...). */
export class RpcUnreachableError extends ChainError {
  override name = "RpcUnreachableError";
  constructor(url: string | undefined, reason: string) {
    const shown = url === undefined ? "the RPC endpoint" : `the RPC endpoint ${redactUrl(url)}`;
    super(`cannot reach ${shown}: ${reason}`, url === undefined ? {} : { url: redactUrl(url) });
  }
}

/** The endpoint serves another chain than the one asked for. */
export class ChainIdMismatchError extends ChainError {
  override name = "ChainIdMismatchError";
  readonly expected: number;
  readonly actual: number;
  constructor(expected: number, actual: number, where = "the RPC endpoint") {
    super(`wrong chain id: expected ${expected}, ${where} serves chain ${actual}`, { expected, actual });
    this.expected = expected;
    this.actual = actual;
  }
}

/** The deployer's private key is not set (it is read from the environment only, never from a flag). */
export class MissingPrivateKeyError extends ChainError {
  override name = "MissingPrivateKeyError";
  constructor(variable: string) {
    super(`${variable} is not set: export the deployer's private key (32 bytes of hex) in it (it is never taken as a flag)`, { variable });
  }
}

/** The private key is malformed or out of range. The message never contains the key. */
export class InvalidPrivateKeyError extends ChainError {
  override name = "InvalidPrivateKeyError";
  constructor(variable: string, reason: string) {
    super(`${variable} does not hold a valid private key: ${reason}`, { variable });
  }
}

/** A keystore that cannot be read, parsed or decrypted (wrong password, unsupported KDF...). Never carries the key. */
export class KeystoreError extends ChainError {
  override name = "KeystoreError";
}

/** No job has this id on the market. */
export class JobNotFoundError extends ChainError {
  override name = "JobNotFoundError";
  constructor(jobId: bigint) {
    super(`job ${jobId} does not exist on this market`, { jobId: jobId.toString() });
  }
}

/** Deployment parameters that the contracts would reject (zero treasury, forfeit share above 100%...). */
export class DeploymentConfigError extends ChainError {
  override name = "DeploymentConfigError";
}

/** A deployment step failed: the transaction could not be sent, no code at the new address, bad wiring. */
export class DeploymentError extends ChainError {
  override name = "DeploymentError";
  /** The contract (or step) that failed, e.g. "DisputeGame" or "DisputeGame.setMarket". */
  readonly contract: string;
  constructor(contract: string, message: string, details: Record<string, unknown> = {}) {
    super(`${contract}: ${message}`, { contract, ...details });
    this.contract = contract;
  }
}

/** A deployment transaction reverted (in gas estimation or on chain). */
export class DeploymentRevertedError extends DeploymentError {
  override name = "DeploymentRevertedError";
  constructor(contract: string, reason: string, details: Record<string, unknown> = {}) {
    super(contract, `deployment transaction reverted: ${reason}`, details);
  }
}

/** The deployment file could not be written. */
export class DeploymentFileError extends ChainError {
  override name = "DeploymentFileError";
}

/** `url` without path, query or credentials: `https://host:port/…`. Unparsable input is shown as `<invalid url>`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const rest = u.pathname !== "/" || u.search !== "" || u.hash !== "" ? "/…" : "";
    return `${u.protocol}//${u.host}${rest}`;
  } catch {
    return "<invalid url>";
  }
}

/** The most specific short message of a viem error (or the message of any other error). */
export function shortReason(e: unknown): string {
  if (e instanceof ContractFunctionRevertedError || (e instanceof BaseError && e.walk((x) => x instanceof ContractFunctionRevertedError))) {
    const r = (e as BaseError).walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError;
    if (r.data?.errorName) return `${r.data.errorName}(${(r.data.args ?? []).map(String).join(", ")})`;
    // viem puts the node's reason on a line of its own: one line, for one-line errors.
    return r.shortMessage.replace(/\s*\n\s*/g, " ");
  }
  if (e instanceof BaseError) {
    // `details` holds the node's own words ("Sender doesn't have enough funds..."), shortMessage viem's summary.
    return (e.details || e.shortMessage).split("\n")[0]!;
  }
  return String((e as Error)?.message ?? e).split("\n")[0]!;
}

const NET_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
};

/** Why a transport failed: the network error code deep in the cause chain if any (ECONNREFUSED...), else viem's message. */
export function transportReason(e: unknown): string {
  let deepest: unknown = e;
  for (let c: unknown = e, i = 0; c && i < 10; c = (c as { cause?: unknown }).cause, i++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z_]+$/.test(code)) return `${NET_CODES[code] ?? "network error"} (${code})`;
    const errors = (c as { errors?: unknown }).errors; // AggregateError (several addresses tried)
    if (Array.isArray(errors) && errors.length > 0) return transportReason(errors[0]);
    deepest = c;
  }
  if (e instanceof BaseError) {
    if (e.walk((x) => x instanceof TimeoutError)) return "the request timed out";
    const h = e.walk((x) => x instanceof HttpRequestError) as HttpRequestError | null;
    if (h?.status !== undefined) return `HTTP ${h.status} (is this a JSON-RPC endpoint?)`;
  }
  if (deepest !== e && deepest instanceof Error && !(deepest instanceof BaseError)) return deepest.message.split("\n")[0]!;
  return shortReason(e);
}

/** The URL of a viem client's transport (an http transport has one), for naming the endpoint in errors. */
export function transportUrl(client: { transport: unknown }): string | undefined {
  const url = (client.transport as { url?: unknown }).url;
  return typeof url === "string" ? url : undefined;
}

/** Whether `e` is (or wraps) a transport failure: the endpoint did not answer. */
export function isTransportError(e: unknown): boolean {
  if (!(e instanceof BaseError)) return false;
  return e.walk((x) => x instanceof HttpRequestError || x instanceof TimeoutError || x instanceof WebSocketRequestError || x instanceof SocketClosedError) !== null;
}
