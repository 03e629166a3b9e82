import { VeritrainError } from "./errors.ts";

/**
 * The protocol's value types, branded so that one cannot be passed for another (a root where a step index is
 * expected, a game id where a job id is): the TypeScript mirror of Solidity's user-defined value types
 * (`type Root is bytes32`). Each has one constructor that checks its input and fixes its form, so no caller
 * fixes a case or a prefix by hand.
 */
declare const rootBrand: unique symbol;
declare const jobIdBrand: unique symbol;
declare const stepBrand: unique symbol;

/**
 * A 32-byte commitment as the protocol writes it everywhere outside a hash function: a state, history,
 * program, trace or dataset root, a spec hash. Always `0x` + 64 LOWERCASE hex digits, so two roots are equal
 * exactly when their strings are. Assignable to viem's `Hex` (it goes into contract calls as is); made only by
 * `toRoot`.
 */
export type Root = `0x${string}` & { readonly [rootBrand]: true };

/** A job's id on the market (IJobMarket: uint256, issued from 1). */
export type JobId = bigint & { readonly [jobIdBrand]: true };

/** A training step's index: step 0 is the initial state, step t the state after t steps. */
export type StepIndex = number & { readonly [stepBrand]: true };

/** A value that is not what its type promises; `details.what` names the value. */
export class InvalidValueError extends VeritrainError {
  override name = "InvalidValueError";
  constructor(what: string, problem: string) {
    super(`${what} ${problem}`, { what });
  }
}

const ROOT_RE = /^0x[0-9a-f]{64}$/;

/**
 * A root from 32 bytes (a Buffer, a Uint8Array) or from hex of either case, with or without `0x`. Throws an
 * InvalidValueError naming `what` and the problem (wrong length, non-hex characters, not a string or bytes).
 */
export function toRoot(x: Uint8Array | string, what = "a root"): Root {
  if (typeof x === "string") {
    if (ROOT_RE.test(x)) return x as Root;
    const hex = x.startsWith("0x") || x.startsWith("0X") ? x.slice(2) : x;
    if (!/^[0-9a-fA-F]*$/.test(hex)) throw new InvalidValueError(what, `must be 32 bytes of hex, got ${JSON.stringify(x.slice(0, 80))} (non-hex characters)`);
    if (hex.length !== 64) throw new InvalidValueError(what, `must be 32 bytes of hex (64 hex digits, optional 0x), got ${hex.length} hex digits`);
    return `0x${hex.toLowerCase()}` as Root;
  }
  if (!(x instanceof Uint8Array)) throw new InvalidValueError(what, `must be 32 bytes or a hex string, got ${x === null ? "null" : typeof x}`);
  if (x.length !== 32) throw new InvalidValueError(what, `must be 32 bytes, got ${x.length}`);
  return `0x${Buffer.from(x.buffer, x.byteOffset, x.length).toString("hex")}` as Root;
}

/** Whether `x` is already a root in its one form (0x + 64 lowercase hex digits). */
export function isRoot(x: unknown): x is Root {
  return typeof x === "string" && ROOT_RE.test(x);
}

/** The root's 32 bytes (for hashing and Merkle proofs). */
export function rootBytes(r: Root): Buffer {
  return Buffer.from(r.slice(2), "hex");
}

/** The root's 64 hex digits without `0x`: the form of file names, URL paths and spec fields. */
export function bareHex(r: Root): string {
  return r.slice(2);
}

/** The all-zero root (bytes32(0)): what the market holds before a commitment. */
export const ZERO_ROOT: Root = toRoot(new Uint8Array(32));

/** A job id from a bigint, a safe integer or a decimal string; it must be positive and fit in a uint256. */
export function toJobId(x: bigint | number | string, what = "a job id"): JobId {
  let v: bigint;
  try {
    if (typeof x === "string" && !/^[0-9]+$/.test(x.trim())) throw new Error();
    if (typeof x === "number" && !Number.isSafeInteger(x)) throw new Error();
    v = BigInt(typeof x === "string" ? x.trim() : x);
  } catch {
    throw new InvalidValueError(what, `must be a positive integer, got ${JSON.stringify(String(x).slice(0, 80))}`);
  }
  if (v < 1n || v >= 2n ** 256n) throw new InvalidValueError(what, `must be a positive integer below 2^256, got ${v}`);
  return v as JobId;
}

/** A step index from a non-negative safe integer (a bigint from the chain is converted if it fits). */
export function toStepIndex(x: number | bigint, what = "a step index"): StepIndex {
  const n = typeof x === "bigint" && x >= 0n && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) throw new InvalidValueError(what, `must be a non-negative safe integer, got ${String(x)}`);
  return n as StepIndex;
}
