import { createRequire } from "node:module";
import type * as Sqlite from "node:sqlite";

/**
 * node:sqlite, loaded with only its own ExperimentalWarning silenced: the module is built into Node 24 and is
 * what the nodes' databases run on; every other warning still reaches stderr.
 */
let loaded: typeof Sqlite | undefined;

export function sqlite(): typeof Sqlite {
  if (loaded) return loaded;
  const original = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === "string" ? warning : warning.message;
    const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type ?? (warning as Error).name;
    if (type === "ExperimentalWarning" && /SQLite/i.test(text)) return;
    return (original as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    loaded = createRequire(import.meta.url)("node:sqlite") as typeof Sqlite;
  } finally {
    process.emitWarning = original;
  }
  return loaded;
}
