import { readFile, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { retryAfterMs } from "../core/retryAfter.ts";
import { ContentReadError } from "./errors.ts";
import { ipfsGatewayUrl } from "./ipfs.ts";

/**
 * The one bounded reader of content by URI (specs, datasets, training states): file:// (a local file),
 * http(s):// (global fetch) and ipfs://CID[/path] (through the configured HTTP gateway, as
 * `<gateway>/ipfs/<CID>[/path]`). Unverified: every caller checks the bytes against the hash the protocol
 * committed to (content/fetchContent.ts), whatever the transport.
 *
 * Policy: a size limit (on Content-Length, on a file's size, and while streaming), a time limit per attempt,
 * redirects refused unless `maxRedirects` allows them (an IPFS gateway may redirect to its subdomain form),
 * and transient failures (no answer, a timeout, 408/429/5xx) retried `retries` times with a doubling pause
 * (a 429's Retry-After is honoured up to MAX_RETRY_AFTER_MS). Every failure is a ContentReadError naming the
 * URI (without its query: it may carry a token), what failed (`details.reason`) and whether the same read may
 * pass later (`transient`).
 */
export interface ReadUriOptions {
  /** What is read, for messages: "the spec", "the model", "the dataset". */
  readonly what?: string;
  /** Refuse more bytes than this. */
  readonly maxBytes: number;
  /** http(s)/ipfs: abort one attempt after this long (default 60 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Base URL of an IPFS HTTP gateway (e.g. https://ipfs.io); ipfs:// URIs are refused without one. */
  readonly ipfsGateway?: string | undefined;
  /** Retries of a transient failure (default 2; 0: the caller retries on its own schedule). */
  readonly retries?: number;
  /** The first pause between attempts, doubled after each (default 500 ms). */
  readonly retryDelayMs?: number;
  /** Redirects followed (default 0 for http(s), 3 through an IPFS gateway). */
  readonly maxRedirects?: number;
}

/** Default time limit of one http(s) attempt. */
export const DEFAULT_READ_TIMEOUT_MS = 60_000;
/** The longest Retry-After honoured: a server asking for more is retried sooner (or the read fails). */
export const MAX_RETRY_AFTER_MS = 30_000;

export type ReadFailure = "bad-uri" | "unsupported" | "file" | "unreachable" | "timeout" | "redirect" | "status" | "too-large";

/** The URI as shown in messages: no query, no fragment, no credentials. */
export function shownUri(url: URL): string {
  if (url.protocol === "file:") return url.href;
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Reads the bytes at `uri` (unverified). */
export async function readUri(uri: string, o: ReadUriOptions): Promise<Uint8Array> {
  const what = o.what ?? "the content";
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ContentReadError(`${what} URI ${JSON.stringify(uri.slice(0, 200))} is not a URL`, { uri: uri.slice(0, 200), reason: "bad-uri" });
  }
  if (url.protocol === "file:") return readLocal(url, what, o.maxBytes);
  let target = url;
  let maxRedirects = o.maxRedirects ?? 0;
  if (url.protocol === "ipfs:") {
    target = ipfsGatewayUrl(url, o.ipfsGateway, what);
    maxRedirects = o.maxRedirects ?? 3;
  } else if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ContentReadError(`${what} URI scheme ${url.protocol} is not supported (file://, http://, https://, ipfs://)`, { uri: shownUri(url), reason: "unsupported" });
  }
  const retries = o.retries ?? 2;
  let pause = o.retryDelayMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    try {
      return await readHttp(target, shownUri(url), what, o, maxRedirects);
    } catch (e) {
      if (!(e instanceof ContentReadError) || !e.transient || attempt >= retries) throw e;
      const after = e.details.retryAfterMs;
      const wait = typeof after === "number" ? Math.min(after, MAX_RETRY_AFTER_MS) : pause;
      pause *= 2;
      await sleep(wait, undefined, o.signal ? { signal: o.signal } : {});
    }
  }
}

async function readLocal(url: URL, what: string, maxBytes: number): Promise<Uint8Array> {
  const where = url.href;
  let file: string;
  try {
    file = fileURLToPath(url);
  } catch (e) {
    throw new ContentReadError(`${what} URI ${where} is not a usable file URL: ${(e as Error).message}`, { uri: where, reason: "bad-uri" });
  }
  const st = await stat(file).catch((e: Error) => {
    throw new ContentReadError(`cannot read ${what} at ${where}: ${e.message}`, { uri: where, reason: "file" });
  });
  if (!st.isFile()) throw new ContentReadError(`${what} at ${where} is not a file`, { uri: where, reason: "file" });
  if (st.size > maxBytes) throw new ContentReadError(`${what} at ${where} has ${st.size} bytes, over the limit of ${maxBytes}`, { uri: where, reason: "too-large", maxBytes });
  try {
    return await readFile(file);
  } catch (e) {
    throw new ContentReadError(`cannot read ${what} at ${where}: ${(e as Error).message}`, { uri: where, reason: "file" });
  }
}

async function readHttp(first: URL, uri: string, what: string, o: ReadUriOptions, maxRedirects: number): Promise<Uint8Array> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(o.signal ? [o.signal] : [])]);
  const fail = (message: string, reason: ReadFailure, transient: boolean, extra: Record<string, unknown> = {}) =>
    new ContentReadError(message, { uri, reason, transient, ...extra });
  const timedOut = () => fail(`cannot fetch ${what} at ${uri}: timed out after ${timeoutMs} ms`, "timeout", true);
  let url = first;
  let res: Response;
  for (let hops = 0; ; hops++) {
    try {
      res = await fetch(url, { signal, redirect: "manual", headers: { Accept: "application/octet-stream, application/json;q=0.9, */*;q=0.8" } });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (o.signal?.aborted) throw o.signal.reason;
      if (err.name === "TimeoutError") throw timedOut();
      const cause = err.cause?.code ?? err.cause?.message ?? err.message;
      throw fail(`cannot fetch ${what} at ${uri}: no answer (${cause})`, "unreachable", true, { cause });
    }
    if (res.status < 300 || res.status >= 400) break;
    await res.body?.cancel().catch(() => {});
    const location = res.headers.get("location");
    if (hops >= maxRedirects || location === null) {
      throw fail(`cannot fetch ${what} at ${uri}: HTTP ${res.status} redirect${location ? ` to ${location.slice(0, 200)}` : ""} refused (${maxRedirects === 0 ? "redirects are refused" : `more than ${maxRedirects} redirects`})`, "redirect", false, { status: res.status });
    }
    const next = new URL(location, url);
    if (next.protocol !== "http:" && next.protocol !== "https:") throw fail(`cannot fetch ${what} at ${uri}: redirect to a ${next.protocol} URL refused`, "redirect", false);
    url = next;
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    const transient = res.status === 408 || res.status === 429 || res.status >= 500;
    const after = res.status === 429 || res.status === 503 ? retryAfterMs(res.headers.get("retry-after")) : undefined;
    throw fail(`fetching ${what} at ${uri}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`, "status", transient, { status: res.status, ...(after !== undefined ? { retryAfterMs: after } : {}) });
  }
  const declared = res.headers.get("content-length");
  if (declared !== null && Number(declared) > o.maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw fail(`${what} at ${uri} declares ${declared} bytes, over the limit of ${o.maxBytes}`, "too-large", false, { maxBytes: o.maxBytes });
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > o.maxBytes) {
          await reader.cancel().catch(() => {});
          throw fail(`${what} at ${uri} is over the limit of ${o.maxBytes} bytes`, "too-large", false, { maxBytes: o.maxBytes });
        }
        chunks.push(value);
      }
    }
  } catch (e) {
    if (e instanceof ContentReadError) throw e;
    if (o.signal?.aborted) throw o.signal.reason;
    if ((e as Error).name === "TimeoutError") throw timedOut();
    throw fail(`reading ${what} at ${uri}: ${(e as Error).message}`, "unreachable", true);
  }
  return Buffer.concat(chunks, total);
}
