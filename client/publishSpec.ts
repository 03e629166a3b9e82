import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { canonicalSpecJson, specHash, type TrainingSpec } from "../engine/spec.ts";
import { SpecPublishError } from "./errors.ts";

export interface PublishSpecParameters {
  readonly spec: TrainingSpec;
  /** The directory the specs are published in (created if missing). */
  readonly dir: string;
}

export interface PublishSpecReturnType {
  /** file:// URI of the published spec: the job's specURI. */
  readonly uri: string;
  readonly path: string;
  /** 0x-prefixed sha256 of the canonical spec: the job's specHash. */
  readonly specHash: `0x${string}`;
}

/**
 * Publishes a spec content-addressed: its canonical JSON is written to `<dir>/<specHash>.json` (hex, no 0x)
 * so that the file's name is the hash a solver checks it against. An existing file with the same bytes is
 * kept; one with other bytes under that name is refused (the directory was tampered with), never overwritten.
 * The write goes through a temporary file and a rename, so a reader never sees half a spec.
 */
export async function publishSpec(p: PublishSpecParameters): Promise<PublishSpecReturnType> {
  const json = canonicalSpecJson(p.spec);
  const hash = specHash(p.spec);
  const dir = path.resolve(p.dir);
  const file = path.join(dir, `${hash}.json`);
  const result = { uri: pathToFileURL(file).href, path: file, specHash: `0x${hash}` as const };
  let existing: string | undefined;
  try {
    existing = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new SpecPublishError(`cannot read ${file}: ${(e as Error).message}`, { path: file });
  }
  if (existing !== undefined) {
    if (existing.trim() === json) return result;
    throw new SpecPublishError(`${file} exists with other content than the spec of hash 0x${hash}: refusing to overwrite it`, { path: file });
  }
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, json + "\n", { flag: "wx" });
    await rename(tmp, file);
  } catch (e) {
    throw new SpecPublishError(`cannot publish the spec under ${dir}: ${(e as Error).message}`, { dir });
  }
  return result;
}
