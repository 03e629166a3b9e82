import { SpecError } from "./errors.ts";

/** Field validators shared by the spec versions: every error names the offending field by its JSON path. */
export type Json = unknown;
export type JsonObject = Record<string, Json>;

export function intField(obj: JsonObject, path: string, key: string, min: number, max: number): number {
  const v = obj[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw new SpecError(`${path}.${key}`, `must be an integer, got ${JSON.stringify(v)}`);
  }
  if (v < min || v > max) throw new SpecError(`${path}.${key}`, `must be in [${min}, ${max}], got ${v}`);
  return v;
}

export function objField(obj: JsonObject, key: string, path = key): JsonObject {
  const v = obj[key];
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new SpecError(path, "must be an object");
  return v as JsonObject;
}

export function hexField(obj: JsonObject, path: string, key: string): string {
  const v = obj[key];
  if (typeof v !== "string" || !/^[0-9a-f]{64}$/.test(v)) {
    throw new SpecError(`${path}.${key}`, `must be 64 lowercase hex characters, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function noExtraKeys(obj: JsonObject, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw new SpecError(path ? `${path}.${k}` : k, "unknown field");
}
