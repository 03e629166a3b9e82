import { access, constants, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { FileWriteError } from "../engine/errors.ts";

/** "ENOENT: no such file or directory" from a Node fs error, else its message. */
function cause(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*'$/, "")}` : String(err?.message ?? e);
}

/**
 * Fails early, before the work whose result it will hold (training, a deployment, a download), when `file`
 * cannot be written: its directory missing or not writable, or the path a directory.
 */
export async function checkWritable(flag: string, file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const fail = (why: string) => new FileWriteError(`${flag} ${file} cannot be written: ${why}`, { path: file });
  let d;
  try {
    d = await stat(dir);
  } catch (e) {
    throw fail(`its directory ${dir} does not exist (${cause(e)})`);
  }
  if (!d.isDirectory()) throw fail(`${dir} is not a directory`);
  try {
    await access(dir, constants.W_OK);
  } catch (e) {
    throw fail(`its directory ${dir} is not writable (${cause(e)})`);
  }
  const f = await stat(file).catch(() => undefined);
  if (f?.isDirectory()) throw fail("it is a directory");
}

/** Writes `data` to `file`; a failure is a FileWriteError naming the file, the cause and what `context` adds. */
export async function writeOutFile(flag: string, file: string, data: string | Uint8Array, context = ""): Promise<void> {
  try {
    await writeFile(file, data);
  } catch (e) {
    throw new FileWriteError(`${context}${flag} ${file} cannot be written: ${cause(e)}`, { path: file });
  }
}
