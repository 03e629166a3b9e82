import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * A local cache of content by its hash: `<dir>/<name>`, where the name is derived from the hash the content is
 * checked against (`<spec hash>.json`, `<dataset root>.vtds`, `<state root>.vtst`). The cache is trusted for
 * nothing: a reader checks an entry against its hash before using it (content/fetchContent.ts) and removes a
 * corrupt one. Writes go to a unique temporary file renamed into place, so a reader (another process on the
 * same data dir too) never sees half an entry and two writers of the same content do not collide.
 */

/** A node's content cache: `<dataDir>/content`. */
export const CONTENT_CACHE_DIR = "content";

/** The entry's bytes, or undefined when there is none (or it cannot be read: the caller fetches instead). */
export async function readCacheEntry(dir: string, name: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path.join(dir, name));
  } catch {
    return undefined;
  }
}

/** Writes an entry atomically; returns the reason it could not be written (the fetch still succeeds), or undefined. */
export async function writeCacheEntry(dir: string, name: string, bytes: Uint8Array): Promise<string | undefined> {
  const file = path.join(dir, name);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, bytes, { flag: "wx" });
    await rename(tmp, file);
    return undefined;
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    return `cannot write the cache entry ${file}: ${(e as Error).message}`;
  }
}

/** Removes an entry that failed its hash check (a later write replaces it anyway; this keeps a corrupt file from lingering if the refetch fails). */
export async function dropCacheEntry(dir: string, name: string): Promise<void> {
  await rm(path.join(dir, name), { force: true }).catch(() => {});
}
