import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ContentError } from "./errors.ts";

/**
 * Writes `bytes` as `<dir>/<name>` where the name is derived from the content's hash (a spec hash, a dataset
 * root): an existing file with the same bytes is kept; one with other bytes is refused (the directory was
 * tampered with), never overwritten. The write goes through a temporary file and a rename, so a reader never
 * sees half a file. Failures are thrown as `fail(message, details)`.
 */
export async function writeContentAddressed(
  dir: string,
  name: string,
  bytes: Uint8Array,
  fail: (message: string, details: Record<string, unknown>) => ContentError,
): Promise<string> {
  const abs = path.resolve(dir);
  const file = path.join(abs, name);
  let existing: Buffer | undefined;
  try {
    existing = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw fail(`cannot read ${file}: ${(e as Error).message}`, { path: file });
  }
  if (existing !== undefined) {
    if (existing.equals(bytes)) return file;
    throw fail(`${file} exists with other content than the one its name addresses: refusing to overwrite it`, { path: file });
  }
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(abs, { recursive: true });
    await writeFile(tmp, bytes, { flag: "wx" });
    await rename(tmp, file);
  } catch (e) {
    throw fail(`cannot publish under ${abs}: ${(e as Error).message}`, { dir: abs });
  }
  return file;
}
