import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseSpec, specHash, type TrainingSpec } from "../engine/spec.ts";
import { SpecFetchError } from "./errors.ts";
import { VeritrainError } from "../core/errors.ts";

/** A spec is a few kilobytes; anything much larger is not one. */
const MAX_SPEC_BYTES = 1 << 20;

export interface FetchSpecParameters {
  /** The job's spec URI (file://, http://, https://). */
  readonly uri: string;
  /** The job's committed spec hash (0x-prefixed): the spec is returned only if it hashes to it. */
  readonly specHash: string;
  readonly timeoutMs?: number;
}

async function readUri(uri: string, timeoutMs: number): Promise<string> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new SpecFetchError(`spec URI ${JSON.stringify(uri)} is not a URL`, { uri });
  }
  if (url.protocol === "file:") {
    try {
      return await readFile(fileURLToPath(url), "utf8");
    } catch (e) {
      throw new SpecFetchError(`cannot read the spec at ${uri}: ${(e as Error).message}`, { uri });
    }
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new SpecFetchError(`spec URI scheme ${url.protocol} is not supported (file://, http://, https://)`, { uri });
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
    if (res.status !== 200) throw new SpecFetchError(`the spec server answered ${res.status} for ${uri}`, { uri, status: res.status });
    const declared = res.headers.get("content-length");
    if (declared !== null && Number(declared) > MAX_SPEC_BYTES) {
      await res.body?.cancel().catch(() => {});
      throw new SpecFetchError(`the spec at ${uri} is larger than ${MAX_SPEC_BYTES} bytes (Content-Length ${declared}): refused`, { uri });
    }
    const text = await res.text();
    if (text.length > MAX_SPEC_BYTES) throw new SpecFetchError(`the spec at ${uri} is larger than ${MAX_SPEC_BYTES} bytes: refused`, { uri });
    return text;
  } catch (e) {
    if (e instanceof SpecFetchError) throw e;
    throw new SpecFetchError(`cannot fetch the spec at ${uri}: ${(e as Error).message}`, { uri });
  }
}

/** Reads a job's spec from its URI and returns it only if it is valid and its hash is the job's spec hash. */
export async function fetchSpec(p: FetchSpecParameters): Promise<TrainingSpec> {
  const text = await readUri(p.uri, p.timeoutMs ?? 30_000);
  let spec: TrainingSpec;
  try {
    spec = parseSpec(JSON.parse(text));
  } catch (e) {
    if (e instanceof SyntaxError) throw new SpecFetchError(`the spec at ${p.uri} is not JSON: ${e.message}`, { uri: p.uri });
    if (e instanceof VeritrainError) throw new SpecFetchError(`the spec at ${p.uri} is invalid: ${e.message}`, { uri: p.uri });
    throw e;
  }
  const got = `0x${specHash(spec)}`;
  if (got.toLowerCase() !== p.specHash.toLowerCase()) {
    throw new SpecFetchError(`the spec at ${p.uri} hashes to ${got}, the job committed to ${p.specHash}: not the job's spec`, { uri: p.uri, expected: p.specHash, actual: got });
  }
  return spec;
}
