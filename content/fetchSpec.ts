import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { SPEC_MAX_BYTES, SPEC_TIMEOUT_MS } from "../core/defaults.ts";
import { toRoot } from "../core/root.ts";
import { parseSpec, specHash, type TrainingSpec } from "../engine/spec.ts";
import { SpecFetchError } from "./errors.ts";

/**
 * The one spec fetcher, for the client SDK and the nodes: a job's spec from its spec URI, file:// (a local
 * file) or http(s):// (global fetch, no redirects, a time limit, a size limit checked on Content-Length and
 * while streaming). Whatever comes back is parsed and validated (engine/spec.ts) and, when the job's spec
 * hash is given, returned only if it hashes to it. Every failure is a SpecFetchError, marked `transient` when
 * the same fetch may succeed later (no answer, a timeout, 408/429/5xx): a node retries those alone.
 * Messages name the URL without its query (it may carry a token).
 */
export interface FetchSpecParameters {
  /** The job's spec URI (file://, http://, https://). */
  readonly uri: string;
  /** The job's committed spec hash (0x-prefixed or bare hex): the spec is returned only if it hashes to it. */
  readonly specHash?: string;
  /** Largest spec document accepted (default SPEC_MAX_BYTES, 1 MiB: a spec is a few kilobytes). */
  readonly maxBytes?: number;
  /** http(s) only: abort after this long (default SPEC_TIMEOUT_MS, 30 s). */
  readonly timeoutMs?: number;
}

async function readSpecFile(url: URL, maxBytes: number): Promise<string> {
  const file = fileURLToPath(url);
  const st = await stat(file).catch((e: Error) => {
    throw new SpecFetchError(`cannot read the spec at ${url.href}: ${e.message}`, { uri: url.href });
  });
  if (!st.isFile()) throw new SpecFetchError(`the spec at ${url.href} is not a file`, { uri: url.href });
  if (st.size > maxBytes) throw new SpecFetchError(`the spec at ${url.href} has ${st.size} bytes, over the limit of ${maxBytes}`, { uri: url.href });
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new SpecFetchError(`cannot read the spec at ${url.href}: ${(e as Error).message}`, { uri: url.href });
  }
}

async function fetchSpecText(url: URL, maxBytes: number, timeoutMs: number): Promise<string> {
  const where = `${url.origin}${url.pathname}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
  } catch (e) {
    // No answer or a timeout may pass; a refused redirect (the fetcher's policy) will not.
    const redirect = /redirect/i.test(String((e as { cause?: { message?: string } }).cause?.message ?? ""));
    throw new SpecFetchError(`cannot fetch the spec at ${where}: ${(e as Error).message}${redirect ? " (redirects are refused)" : ""}`, { transient: !redirect, uri: where });
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    const transient = res.status === 408 || res.status === 429 || res.status >= 500;
    throw new SpecFetchError(`fetching the spec at ${where}: HTTP ${res.status}`, { transient, uri: where, status: res.status });
  }
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new SpecFetchError(`the spec at ${where} declares ${declared} bytes, over the limit of ${maxBytes}`, { uri: where });
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body ?? []) {
      total += chunk.length;
      if (total > maxBytes) throw new SpecFetchError(`the spec at ${where} is over the limit of ${maxBytes} bytes`, { uri: where });
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof SpecFetchError) throw e;
    throw new SpecFetchError(`reading the spec at ${where}: ${(e as Error).message}`, { transient: true, uri: where });
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads, parses and validates the spec at `p.uri`; with `p.specHash`, returns it only if it hashes to it. */
export async function fetchSpec(p: FetchSpecParameters): Promise<TrainingSpec> {
  const shown = p.uri.slice(0, 200);
  let url: URL;
  try {
    url = new URL(p.uri);
  } catch {
    throw new SpecFetchError(`spec URI ${JSON.stringify(shown)} is not a URL`, { uri: shown });
  }
  const maxBytes = p.maxBytes ?? SPEC_MAX_BYTES;
  let text: string;
  if (url.protocol === "file:") text = await readSpecFile(url, maxBytes);
  else if (url.protocol === "http:" || url.protocol === "https:") text = await fetchSpecText(url, maxBytes, p.timeoutMs ?? SPEC_TIMEOUT_MS);
  else throw new SpecFetchError(`spec URI scheme ${url.protocol} is not supported (file, http, https)`, { uri: shown });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SpecFetchError(`the spec at ${shown} is not JSON: ${(e as Error).message}`, { uri: shown });
  }
  let spec: TrainingSpec;
  try {
    spec = parseSpec(json);
  } catch (e) {
    throw new SpecFetchError(`the spec at ${shown} is invalid: ${(e as Error).message}`, { uri: shown });
  }
  if (p.specHash !== undefined) {
    const got = toRoot(specHash(spec));
    if (got !== toRoot(p.specHash, "the job's spec hash")) {
      throw new SpecFetchError(`the spec at ${shown} hashes to ${got}, the job committed to ${p.specHash}: not the job's spec`, { uri: shown, expected: p.specHash, actual: got });
    }
  }
  return spec;
}
