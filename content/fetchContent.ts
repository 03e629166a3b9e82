import type { Root } from "../core/root.ts";
import { dropCacheEntry, readCacheEntry, writeCacheEntry } from "./contentCache.ts";
import { ContentHashMismatchError } from "./errors.ts";
import { readUri, type ReadUriOptions, shownUri } from "./readUri.ts";

/**
 * Content by URI, checked against the protocol's own hash of it (a spec hash, a dataset root, a state root)
 * whatever the transport (file, http(s), an IPFS gateway): bytes that hash to anything else are refused
 * (ContentHashMismatchError naming expected and got). With a cache directory, an entry that hashes right is
 * used without a fetch; a corrupt one is dropped and the content fetched again; fetched content is cached.
 */
export interface FetchContentParameters extends ReadUriOptions {
  readonly uri: string;
  /** The hash the content must have. */
  readonly expected: Root;
  /**
   * The content's hash as the protocol defines it (may throw a ContentError for bytes that are not such
   * content at all: not JSON, not a dataset file...).
   */
  readonly hash: (bytes: Uint8Array) => Root;
  /** The local content cache (none: always fetch). */
  readonly cacheDir?: string | undefined;
  /** The entry's file name in the cache, derived from `expected` (e.g. `<hex>.json`). */
  readonly cacheName: string;
}

export interface FetchedContent {
  readonly bytes: Uint8Array;
  /** Where the bytes came from: the cache (checked), or the URI. */
  readonly source: "cache" | "uri";
  /** A cache entry that failed its check and was replaced, or a cache write that failed (the fetch still succeeded). */
  readonly cacheNote?: string;
}

export async function fetchContent(p: FetchContentParameters): Promise<FetchedContent> {
  let note: string | undefined;
  if (p.cacheDir !== undefined) {
    const cached = await readCacheEntry(p.cacheDir, p.cacheName);
    if (cached !== undefined) {
      let got: Root | undefined;
      try {
        got = p.hash(cached);
      } catch {
        got = undefined;
      }
      if (got === p.expected) return { bytes: cached, source: "cache" };
      note = `the cache entry ${p.cacheName} ${got === undefined ? "is not readable content" : `hashes to ${got}`}, not ${p.expected}: dropped and fetched again`;
      await dropCacheEntry(p.cacheDir, p.cacheName);
    }
  }
  const bytes = await readUri(p.uri, p);
  const got = p.hash(bytes);
  if (got !== p.expected) throw new ContentHashMismatchError(p.what ?? "the content", shownUri(new URL(p.uri)), p.expected, got);
  if (p.cacheDir !== undefined) {
    const unwritten = await writeCacheEntry(p.cacheDir, p.cacheName, bytes);
    if (unwritten) note = note ? `${note}; ${unwritten}` : unwritten;
  }
  return { bytes, source: "uri", ...(note ? { cacheNote: note } : {}) };
}
