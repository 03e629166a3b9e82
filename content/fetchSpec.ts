import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseSpec, type TrainingSpec } from "../engine/spec.ts";
import { SpecFetchError } from "../solver/errors.ts";

/**
 * Fetches a job's spec from its spec URI: file:// (a local file) or http(s) with a size limit and a timeout.
 * Whatever comes back is only trusted after its hash matches the job's committed spec hash (checkJob).
 */
export interface SpecFetchLimits {
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

async function fetchText(url: URL, limits: SpecFetchLimits): Promise<string> {
  if (url.protocol === "file:") {
    const file = fileURLToPath(url);
    const st = await stat(file).catch((e: Error) => {
      throw new SpecFetchError(`cannot read the spec at ${url.href}: ${e.message}`);
    });
    if (!st.isFile()) throw new SpecFetchError(`the spec at ${url.href} is not a file`);
    if (st.size > limits.maxBytes) throw new SpecFetchError(`the spec at ${url.href} has ${st.size} bytes, over the limit of ${limits.maxBytes}`);
    return readFile(file, "utf8");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new SpecFetchError(`spec URI scheme ${url.protocol} is not supported (file, http, https)`);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(limits.timeoutMs), redirect: "error" });
  } catch (e) {
    // No answer or a timeout may pass; a refused redirect (a policy of this node) will not.
    const redirect = /redirect/i.test(String((e as { cause?: { message?: string } }).cause?.message ?? ""));
    throw new SpecFetchError(`cannot fetch the spec at ${url.origin}${url.pathname}: ${(e as Error).message}${redirect ? " (redirects are refused)" : ""}`, { transient: !redirect });
  }
  if (!res.ok) {
    const transient = res.status === 408 || res.status === 429 || res.status >= 500;
    throw new SpecFetchError(`fetching the spec at ${url.origin}${url.pathname}: HTTP ${res.status}`, { transient });
  }
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > limits.maxBytes) throw new SpecFetchError(`the spec at ${url.origin}${url.pathname} declares ${declared} bytes, over the limit of ${limits.maxBytes}`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body ?? []) {
      total += chunk.length;
      if (total > limits.maxBytes) throw new SpecFetchError(`the spec at ${url.origin}${url.pathname} is over the limit of ${limits.maxBytes} bytes`);
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof SpecFetchError) throw e;
    throw new SpecFetchError(`reading the spec at ${url.origin}${url.pathname}: ${(e as Error).message}`, { transient: true });
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function fetchSpec(uri: string, limits: SpecFetchLimits): Promise<TrainingSpec> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new SpecFetchError(`spec URI ${JSON.stringify(uri.slice(0, 200))} is not a URL`);
  }
  const text = await fetchText(url, limits);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SpecFetchError(`the spec at ${uri.slice(0, 200)} is not JSON: ${(e as Error).message}`);
  }
  try {
    return parseSpec(json);
  } catch (e) {
    throw new SpecFetchError(`the spec at ${uri.slice(0, 200)} is invalid: ${(e as Error).message}`);
  }
}
