import { readFile } from "node:fs/promises";
import path from "node:path";
import { type Address, getAddress } from "viem";
import { addressProblem } from "../chain/address.ts";
import { parseRpcUrl } from "../chain/rpcUrl.ts";
import { VeritrainError } from "../core/errors.ts";
import type { BackendName } from "../engine/runner.ts";
import { NODE_DEFAULTS, SPEC_MAX_BYTES } from "../core/defaults.ts";

/**
 * What every node's JSON config has (docs/solver.md, docs/verifier.md): the chain and market, the data dir, the
 * engine backend, the poll and log-paging settings, the key's keystore, and the datasets it accepts jobs on;
 * validated field by field (every error names its field), after environment overrides (`VERITRAIN_*`).
 * Relative paths resolve against the config file's directory. A role parses its own fields with the same
 * validators (`fields`).
 */
export class ConfigError extends VeritrainError {
  override name = "ConfigError";
  readonly field: string;
  constructor(field: string, reason: string) {
    super(`config field "${field}": ${reason}`, { field });
    this.field = field;
  }
}

export interface AcceptRule {
  /** Datasets the node has and will work on (node/datasets.ts). */
  readonly datasets: readonly string[];
  readonly maxSteps: number;
  /** Largest spec document fetched from a spec URI. */
  readonly maxSpecBytes: number;
  readonly specTimeoutMs: number;
}

export interface NodeConfig {
  readonly rpcUrl: string;
  /** When set, the node refuses an RPC endpoint that serves another chain. */
  readonly chainId?: number;
  readonly market: Address;
  readonly dataDir: string;
  readonly backend: BackendName;
  readonly accept: AcceptRule;
  readonly pollIntervalMs: number;
  /** First block to scan when the database has no cursor yet (default 0). */
  readonly fromBlock: bigint;
  /** Blocks per eth_getLogs request. */
  readonly logChunk: number;
  /** An encrypted keystore (Web3 Secret Storage v3) instead of VERITRAIN_PRIVATE_KEY. */
  readonly keystore?: string;
  /** File holding the keystore password (else VERITRAIN_KEYSTORE_PASSWORD). */
  readonly keystorePasswordFile?: string;
  /** The IPFS HTTP gateway ipfs:// specs and datasets are read through (content/ipfs.ts); none: ipfs:// is refused. */
  readonly ipfsGateway?: string;
}

/** The top-level fields every node config may have. */
export const NODE_FIELDS = ["rpcUrl", "chainId", "market", "dataDir", "backend", "accept", "pollIntervalMs", "fromBlock", "logChunk", "keystore", "keystorePasswordFile", "ipfsGateway"] as const;

/** Environment variables that override config fields, for every node (a role adds its own). */
export const NODE_ENV_OVERRIDES: Readonly<Record<string, string>> = {
  VERITRAIN_RPC_URL: "rpcUrl",
  VERITRAIN_CHAIN_ID: "chainId",
  VERITRAIN_MARKET: "market",
  VERITRAIN_DATA_DIR: "dataDir",
  VERITRAIN_BACKEND: "backend",
  VERITRAIN_POLL_INTERVAL_MS: "pollIntervalMs",
  VERITRAIN_KEYSTORE: "keystore",
  VERITRAIN_KEYSTORE_PASSWORD_FILE: "keystorePasswordFile",
  VERITRAIN_IPFS_GATEWAY: "ipfsGateway",
};

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Field validators bound to an error class (SolverConfigError, VerifierConfigError...). */
export function fields(Err: new (field: string, reason: string) => Error) {
  const f = {
    known(o: Obj, where: string, keys: readonly string[]): void {
      for (const k of Object.keys(o)) if (!keys.includes(k)) throw new Err(where ? `${where}.${k}` : k, `unknown field (known: ${keys.join(", ")})`);
    },
    str(o: Obj, k: string, field: string, def?: string): string {
      const v = o[k] ?? def;
      if (v === undefined) throw new Err(field, "is required");
      if (typeof v !== "string" || v.trim() === "") throw new Err(field, `must be a non-empty string, got ${JSON.stringify(v)}`);
      return v;
    },
    int(o: Obj, k: string, field: string, min: number, max: number, def?: number): number {
      const v = o[k] ?? def;
      if (v === undefined) throw new Err(field, "is required");
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) throw new Err(field, `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
      return v;
    },
    wei(o: Obj, k: string, field: string, def?: string): bigint {
      const v = o[k] ?? def;
      if (v === undefined) throw new Err(field, "is required");
      // Strings only: wei amounts overflow JSON numbers' exact range.
      if (typeof v !== "string" || !/^[0-9]{1,78}$/.test(v)) throw new Err(field, `must be a decimal string of wei (e.g. "1000000000"), got ${JSON.stringify(v)}`);
      return BigInt(v);
    },
    bool(o: Obj, k: string, field: string, def?: boolean): boolean {
      const v = o[k] ?? def;
      if (typeof v !== "boolean") throw new Err(field, `must be true or false, got ${JSON.stringify(v)}`);
      return v;
    },
  };
  return f;
}

/** Validates the fields every node has (the role checked `raw` is an object and its own unknown fields). */
export function parseNodeFields(raw: Obj, baseDir: string, Err: new (field: string, reason: string) => Error): NodeConfig {
  const { str, int, known } = fields(Err);
  const rpcUrl = str(raw, "rpcUrl", "rpcUrl");
  try {
    parseRpcUrl(rpcUrl);
  } catch (e) {
    throw new Err("rpcUrl", (e as Error).message.replace(/^invalid --rpc-url: /, ""));
  }
  const chainId = raw.chainId === undefined ? undefined : int(raw, "chainId", "chainId", 1, Number.MAX_SAFE_INTEGER);
  const marketRaw = str(raw, "market", "market");
  const marketProblem = addressProblem(marketRaw);
  if (marketProblem !== undefined) throw new Err("market", marketProblem);
  const dataDir = path.resolve(baseDir, str(raw, "dataDir", "dataDir"));
  const backend = str(raw, "backend", "backend", "onnx");
  if (backend !== "onnx" && backend !== "reference") throw new Err("backend", `must be "onnx" or "reference", got ${JSON.stringify(backend)}`);

  const a = raw.accept ?? {};
  if (!isObj(a)) throw new Err("accept", "must be an object { datasets?, maxSteps?, maxSpecBytes?, specTimeoutMs? }");
  known(a, "accept", ["datasets", "maxSteps", "maxSpecBytes", "specTimeoutMs"]);
  const datasets = a.datasets ?? NODE_DEFAULTS.datasets;
  if (!Array.isArray(datasets) || datasets.length === 0 || !datasets.every((d) => typeof d === "string" && d !== "")) {
    throw new Err("accept.datasets", `must be a non-empty array of dataset names, got ${JSON.stringify(datasets)}`);
  }
  const accept: AcceptRule = {
    datasets: datasets as string[],
    maxSteps: int(a, "maxSteps", "accept.maxSteps", 1, 100_000_000, NODE_DEFAULTS.maxSteps),
    maxSpecBytes: int(a, "maxSpecBytes", "accept.maxSpecBytes", 256, 64 << 20, SPEC_MAX_BYTES),
    specTimeoutMs: int(a, "specTimeoutMs", "accept.specTimeoutMs", 100, 600_000, NODE_DEFAULTS.specTimeoutMs),
  };
  let fromBlock = 0n;
  if (raw.fromBlock !== undefined) fromBlock = BigInt(int(raw, "fromBlock", "fromBlock", 0, Number.MAX_SAFE_INTEGER));
  const keystore = raw.keystore === undefined ? undefined : path.resolve(baseDir, str(raw, "keystore", "keystore"));
  const keystorePasswordFile = raw.keystorePasswordFile === undefined ? undefined : path.resolve(baseDir, str(raw, "keystorePasswordFile", "keystorePasswordFile"));
  const ipfsGateway = raw.ipfsGateway === undefined ? undefined : str(raw, "ipfsGateway", "ipfsGateway");
  if (ipfsGateway !== undefined && !/^https?:\/\/[^/\s]+/i.test(ipfsGateway)) throw new Err("ipfsGateway", `must be an http(s) URL of an IPFS gateway (e.g. https://ipfs.io), got ${JSON.stringify(ipfsGateway)}`);
  return {
    rpcUrl, ...(chainId === undefined ? {} : { chainId }), market: getAddress(marketRaw), dataDir, backend, accept,
    pollIntervalMs: int(raw, "pollIntervalMs", "pollIntervalMs", 50, 3_600_000, NODE_DEFAULTS.pollIntervalMs),
    fromBlock,
    logChunk: int(raw, "logChunk", "logChunk", 1, 100_000, NODE_DEFAULTS.logChunk),
    ...(keystore === undefined ? {} : { keystore }),
    ...(keystorePasswordFile === undefined ? {} : { keystorePasswordFile }),
    ...(ipfsGateway === undefined ? {} : { ipfsGateway }),
  };
}

function setPath(o: Obj, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let cur = o;
  for (const p of parts.slice(0, -1)) {
    if (!isObj(cur[p])) cur[p] = {};
    cur = cur[p] as Obj;
  }
  cur[parts.at(-1)!] = value;
}

/**
 * Applies `overrides` (variable -> dotted field) from `env` onto a parsed JSON object (a copy). `numeric`
 * fields must be decimal integers.
 */
export function applyEnvOverrides(raw: unknown, overrides: Readonly<Record<string, string>>, numeric: ReadonlySet<string>, Err: new (field: string, reason: string) => Error, env: NodeJS.ProcessEnv = process.env): unknown {
  if (!isObj(raw)) return raw;
  const out = structuredClone(raw);
  for (const [variable, field] of Object.entries(overrides)) {
    const v = env[variable];
    if (v === undefined || v === "") continue;
    if (numeric.has(field)) {
      if (!/^[0-9]{1,15}$/.test(v.trim())) throw new Err(field, `${variable} must be a decimal integer, got ${JSON.stringify(v)}`);
      setPath(out, field, Number(v.trim()));
    } else {
      setPath(out, field, v.trim());
    }
  }
  return out;
}

/** Reads a JSON config file; errors name the file. */
export async function readConfigFile(file: string, Err: new (field: string, reason: string) => Error): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new Err("(file)", `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Err("(file)", `${file} is not JSON: ${(e as Error).message}`);
  }
}
