import { InvalidRpcUrlError, redactUrl } from "./errors.ts";

/**
 * An RPC URL, checked: http(s) with a host. Errors name the URL redacted (origin only: a path or a query may
 * hold an API key).
 */
export function parseRpcUrl(v: string): URL {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidRpcUrlError(`"${redactUrl(v) === "<invalid url>" ? v.slice(0, 80) : redactUrl(v)}" is not a URL (expected e.g. http://127.0.0.1:8545)`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new InvalidRpcUrlError(`unsupported scheme "${u.protocol}" in ${redactUrl(v)} (expected http or https)`);
  }
  if (u.hostname === "") throw new InvalidRpcUrlError(`${redactUrl(v)} has no host`);
  return u;
}
