import { pathToFileURL } from "node:url";
import { bareHex, type Root, toRoot } from "../core/root.ts";
import { canonicalSpecJson, specHash, type TrainingSpec } from "../engine/spec.ts";
import { writeContentAddressed } from "./contentAddressed.ts";
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
  /** sha256 of the canonical spec: the job's specHash. */
  readonly specHash: Root;
}

/**
 * Publishes a spec content-addressed: its canonical JSON is written to `<dir>/<specHash>.json` (bareHex: no 0x)
 * so that the file's name is the hash a solver checks it against. An existing file with the same bytes is
 * kept; one with other bytes under that name is refused (the directory was tampered with), never overwritten.
 * The write goes through a temporary file and a rename, so a reader never sees half a spec.
 */
export async function publishSpec(p: PublishSpecParameters): Promise<PublishSpecReturnType> {
  const doc = specDocument(p.spec);
  const file = await writeContentAddressed(p.dir, doc.name, doc.bytes, (m, d) => new SpecPublishError(`spec ${doc.hash}: ${m}`, d));
  return { uri: pathToFileURL(file).href, path: file, specHash: doc.hash };
}

/** A published document: its content-addressed name, its bytes and the hash the name gives. */
export interface ContentDocument {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly hash: Root;
}

/** The spec as published: `<specHash>.json` holding its canonical JSON (and a newline). */
export function specDocument(spec: TrainingSpec): ContentDocument {
  const hash = toRoot(specHash(spec));
  return { name: `${bareHex(hash)}.json`, bytes: Buffer.from(canonicalSpecJson(spec) + "\n"), hash };
}
