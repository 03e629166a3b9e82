import { type Command, InvalidArgumentError } from "commander";
import { type Address, getAddress } from "viem";
import { addressProblem } from "../chain/address.ts";

/** Parsers for CLI flags: each rejects a bad value with a message naming the flag's expectation. */
export function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    if (!/^[0-9]+$/.test(v)) throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}"`);
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be in [1, ${max}], got ${v}`);
    return n;
  };
}

export function hex32(name: string) {
  return (v: string): string => {
    const s = v.startsWith("0x") ? v.slice(2) : v;
    if (!/^[0-9a-fA-F]{64}$/.test(s)) throw new InvalidArgumentError(`${name} must be 32 bytes of hex (64 characters), got "${v}"`);
    return s.toLowerCase();
  };
}

/** An address flag: 0x + 40 hex digits, its EIP-55 checksum checked when mixed case (chain/address.ts); returned checksummed. */
export function addressArg(flag: string) {
  return (v: string): Address => {
    const problem = addressProblem(v);
    if (problem !== undefined) throw new InvalidArgumentError(`${flag} ${problem}`);
    return getAddress(v);
  };
}

export function layerList(v: string): number[] {
  const parts = v.split(",").map((p) => p.trim());
  if (parts.length < 2 || parts.some((p) => !/^[0-9]+$/.test(p) || Number(p) < 1)) {
    throw new InvalidArgumentError(`--layers must be comma-separated positive widths like 784,128,10, got "${v}"`);
  }
  return parts.map(Number);
}

export function backendName(v: string): "onnx" | "reference" {
  if (v !== "onnx" && v !== "reference") throw new InvalidArgumentError(`--backend must be "onnx" or "reference", got "${v}"`);
  return v;
}

/**
 * Gives every bigint default in the command tree a printable description (its decimal value) where it has
 * none: commander prints defaults with JSON.stringify, which throws on a bigint, so `--help` would crash.
 */
export function describeBigIntDefaults(cmd: Command): void {
  for (const o of cmd.options) if (typeof o.defaultValue === "bigint" && o.defaultValueDescription === undefined) o.defaultValueDescription = o.defaultValue.toString();
  for (const sub of cmd.commands) describeBigIntDefaults(sub);
}

/**
 * A bad flag, value or argument of any command prints one line, the error and where the help is, on stderr
 * (exit 1): the whole help text after it would bury the one line that matters. One pass over the command tree,
 * after every command is registered (commander copies output settings into a subcommand when it is made).
 */
export function oneLineErrors(cmd: Command, words: readonly string[] = [cmd.name()]): void {
  const help = `see \`${words.join(" ")} --help\``;
  cmd.showHelpAfterError(false).configureOutput({ outputError: (str, write) => write(`${str.trimEnd()} (${help})\n`) });
  for (const sub of cmd.commands) oneLineErrors(sub, [...words, sub.name()]);
}
