import { SPEC_MAX_BYTES, SPEC_TIMEOUT_MS } from "../core/defaults.ts";
import { bareHex, type Root, toRoot } from "../core/root.ts";
import { parseSpec, specHash, type TrainingSpec } from "../engine/spec.ts";
import { ContentError, ContentHashMismatchError, ContentReadError, SpecFetchError } from "./errors.ts";
import { fetchContent } from "./fetchContent.ts";
import { readUri, shownUri } from "./readUri.ts";

/**
 * The one spec fetcher, for the client SDK and the nodes: a job's spec from its spec URI (file://, http(s)://,
 * ipfs://CID through a gateway), read by the bounded reader (content/readUri.ts: size and time limits, no
 * redirects but a gateway's, transient failures retried with a doubling pause). Whatever comes back is parsed
 * and validated (engine/spec.ts) and, when the job's spec hash is given, returned only if it hashes to it,
 * whatever the transport; with a cache directory too, a spec cached under its hash is used without a fetch.
 * Every failure is a SpecFetchError, marked `transient` when the same fetch may succeed later (no answer, a
 * timeout, 408/429/5xx): a node retries those alone. Messages name the URL without its query (it may carry a
 * token).
 */
export interface FetchSpecParameters {
  /** The job's spec URI (file://, http://, https://, ipfs://). */
  readonly uri: string;
  /** The job's committed spec hash (0x-prefixed or bare hex): the spec is returned only if it hashes to it. */
  readonly specHash?: string;
  /** Largest spec document accepted (default SPEC_MAX_BYTES, 1 MiB: a spec is a few kilobytes). */
  readonly maxBytes?: number;
  /** http(s)/ipfs: abort one attempt after this long (default SPEC_TIMEOUT_MS, 30 s). */
  readonly timeoutMs?: number;
  /** Retries of a transient failure (default 2; a node that retries on its own schedule passes 0). */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  /** The IPFS gateway ipfs:// URIs are read through. */
  readonly ipfsGateway?: string | undefined;
  /** The local content cache (used only with `specHash`: an entry is named and checked by it). */
  readonly cacheDir?: string | undefined;
  readonly signal?: AbortSignal;
}

function specOf(bytes: Uint8Array, shown: string): TrainingSpec {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (e) {
    throw new SpecFetchError(`the spec at ${shown} is not JSON: ${(e as Error).message}`, { uri: shown });
  }
  try {
    return parseSpec(json);
  } catch (e) {
    throw new SpecFetchError(`the spec at ${shown} is invalid: ${(e as Error).message}`, { uri: shown });
  }
}

/** Reads, parses and validates the spec at `p.uri`; with `p.specHash`, returns it only if it hashes to it. */
export async function fetchSpec(p: FetchSpecParameters): Promise<TrainingSpec> {
  let shown = p.uri.slice(0, 200);
  try {
    shown = shownUri(new URL(p.uri));
  } catch {
    // readUri names a URI that is not a URL.
  }
  const opts = {
    what: "the spec", maxBytes: p.maxBytes ?? SPEC_MAX_BYTES, timeoutMs: p.timeoutMs ?? SPEC_TIMEOUT_MS, ipfsGateway: p.ipfsGateway,
    ...(p.retries !== undefined ? { retries: p.retries } : {}), ...(p.retryDelayMs !== undefined ? { retryDelayMs: p.retryDelayMs } : {}), ...(p.signal ? { signal: p.signal } : {}),
  };
  try {
    if (p.specHash === undefined) return specOf(await readUri(p.uri, opts), shown);
    const expected: Root = toRoot(p.specHash, "the job's spec hash");
    let spec: TrainingSpec | undefined;
    await fetchContent({
      ...opts, uri: p.uri, expected, cacheDir: p.cacheDir, cacheName: `${bareHex(expected)}.json`,
      hash: (bytes) => toRoot(specHash((spec = specOf(bytes, shown)))),
    });
    return spec!;
  } catch (e) {
    if (e instanceof ContentHashMismatchError) {
      throw new SpecFetchError(`the spec at ${shown} hashes to ${e.actual}, the job committed to ${p.specHash}: not the job's spec`, { uri: shown, expected: p.specHash, actual: e.actual });
    }
    if (e instanceof SpecFetchError) throw e;
    if (e instanceof ContentReadError) throw new SpecFetchError(e.message, { ...e.details, transient: e.transient });
    if (e instanceof ContentError) throw new SpecFetchError(e.message, e.details);
    throw e;
  }
}
