import { readFile } from "node:fs/promises";
import path from "node:path";
import { type Address, getAddress, isAddress } from "viem";
import { parseRpcUrl } from "../chain/rpcUrl.ts";
import type { BackendName } from "../engine/runner.ts";
import { SolverConfigError } from "./errors.ts";
import { BPS, NODE_DEFAULTS, SPEC_MAX_BYTES } from "../core/defaults.ts";

/**
 * The solver node's configuration: a JSON file validated field by field (every error names its field), then
 * environment overrides (ENV_OVERRIDES). Relative paths are resolved against the config file's directory.
 */
export interface PricingRule {
  /** Floor price: the node never works for less than steps * minWeiPerStep. */
  readonly minWeiPerStep: bigint;
  /** First bid on an auction without bids, in basis points of the escrow (10,000 = the whole escrow). */
  readonly openingBidBps: number;
  /** How far below the best competing bid to go, in basis points of that bid (at least 1 wei lower). */
  readonly undercutBps: number;
}

export interface AcceptRule {
  /** Dataset names the node has and will train on (solver/datasets.ts). */
  readonly datasets: readonly string[];
  readonly maxSteps: number;
  /** Largest spec document fetched from a spec URI. */
  readonly maxSpecBytes: number;
  readonly specTimeoutMs: number;
}

export interface ServeConfig {
  readonly host: string;
  readonly port: number;
  /** Base URL committed as the model URI's prefix (default: http://host:port). */
  readonly publicUrl?: string;
}

export interface SolverConfig {
  readonly rpcUrl: string;
  /** When set, the node refuses an RPC endpoint that serves another chain. */
  readonly chainId?: number;
  readonly market: Address;
  readonly dataDir: string;
  readonly backend: BackendName;
  readonly pricing: PricingRule;
  readonly accept: AcceptRule;
  readonly serve: ServeConfig;
  readonly pollIntervalMs: number;
  readonly maxConcurrentJobs: number;
  /** First block to scan for JobPosted when the database has no cursor yet (default 0). */
  readonly fromBlock: bigint;
  /** Blocks per eth_getLogs request. */
  readonly logChunk: number;
  /** An encrypted keystore (Web3 Secret Storage v3) instead of VERITRAIN_PRIVATE_KEY. */
  readonly keystore?: string;
  /** File holding the keystore password (else VERITRAIN_KEYSTORE_PASSWORD). */
  readonly keystorePasswordFile?: string;
}

/** Environment variables that override config fields (documented in docs/solver.md). */
export const ENV_OVERRIDES = {
  VERITRAIN_RPC_URL: "rpcUrl",
  VERITRAIN_CHAIN_ID: "chainId",
  VERITRAIN_MARKET: "market",
  VERITRAIN_DATA_DIR: "dataDir",
  VERITRAIN_BACKEND: "backend",
  VERITRAIN_SERVE_HOST: "serve.host",
  VERITRAIN_SERVE_PORT: "serve.port",
  VERITRAIN_SERVE_PUBLIC_URL: "serve.publicUrl",
  VERITRAIN_POLL_INTERVAL_MS: "pollIntervalMs",
  VERITRAIN_MIN_WEI_PER_STEP: "pricing.minWeiPerStep",
  VERITRAIN_KEYSTORE: "keystore",
  VERITRAIN_KEYSTORE_PASSWORD_FILE: "keystorePasswordFile",
} as const;

const NUMERIC_ENV = new Set(["chainId", "serve.port", "pollIntervalMs"]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function known(o: Obj, where: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new SolverConfigError(where ? `${where}.${k}` : k, `unknown field (known: ${keys.join(", ")})`);
}

function str(o: Obj, k: string, field: string, def?: string): string {
  const v = o[k] ?? def;
  if (v === undefined) throw new SolverConfigError(field, "is required");
  if (typeof v !== "string" || v.trim() === "") throw new SolverConfigError(field, `must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function int(o: Obj, k: string, field: string, min: number, max: number, def?: number): number {
  const v = o[k] ?? def;
  if (v === undefined) throw new SolverConfigError(field, "is required");
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) throw new SolverConfigError(field, `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

function wei(o: Obj, k: string, field: string, def?: string): bigint {
  const v = o[k] ?? def;
  if (v === undefined) throw new SolverConfigError(field, "is required");
  // Strings only: wei amounts overflow JSON numbers' exact range.
  if (typeof v !== "string" || !/^[0-9]{1,78}$/.test(v)) throw new SolverConfigError(field, `must be a decimal string of wei (e.g. "1000000000"), got ${JSON.stringify(v)}`);
  return BigInt(v);
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

/** Validates a parsed config object (after overrides); `baseDir` resolves relative paths. */
export function parseSolverConfig(raw: unknown, baseDir: string = process.cwd()): SolverConfig {
  if (!isObj(raw)) throw new SolverConfigError("(root)", "the config must be a JSON object");
  known(raw, "", ["rpcUrl", "chainId", "market", "dataDir", "backend", "pricing", "accept", "serve", "pollIntervalMs", "maxConcurrentJobs", "fromBlock", "logChunk", "keystore", "keystorePasswordFile"]);
  const rpcUrl = str(raw, "rpcUrl", "rpcUrl");
  try {
    parseRpcUrl(rpcUrl);
  } catch (e) {
    throw new SolverConfigError("rpcUrl", (e as Error).message.replace(/^invalid --rpc-url: /, ""));
  }
  const chainId = raw.chainId === undefined ? undefined : int(raw, "chainId", "chainId", 1, Number.MAX_SAFE_INTEGER);
  const marketRaw = str(raw, "market", "market");
  if (!isAddress(marketRaw, { strict: false })) throw new SolverConfigError("market", `must be a 20-byte hex address (0x + 40 hex characters), got ${JSON.stringify(marketRaw)}`);
  const dataDir = path.resolve(baseDir, str(raw, "dataDir", "dataDir"));
  const backend = str(raw, "backend", "backend", "onnx");
  if (backend !== "onnx" && backend !== "reference") throw new SolverConfigError("backend", `must be "onnx" or "reference", got ${JSON.stringify(backend)}`);

  const p = raw.pricing;
  if (!isObj(p)) throw new SolverConfigError("pricing", "is required: an object { minWeiPerStep, openingBidBps?, undercutBps? }");
  known(p, "pricing", ["minWeiPerStep", "openingBidBps", "undercutBps"]);
  const pricing: PricingRule = {
    minWeiPerStep: wei(p, "minWeiPerStep", "pricing.minWeiPerStep"),
    openingBidBps: int(p, "openingBidBps", "pricing.openingBidBps", 1, BPS, NODE_DEFAULTS.openingBidBps),
    undercutBps: int(p, "undercutBps", "pricing.undercutBps", 0, BPS, NODE_DEFAULTS.undercutBps),
  };

  const a = raw.accept ?? {};
  if (!isObj(a)) throw new SolverConfigError("accept", "must be an object { datasets?, maxSteps?, maxSpecBytes?, specTimeoutMs? }");
  known(a, "accept", ["datasets", "maxSteps", "maxSpecBytes", "specTimeoutMs"]);
  const datasets = a.datasets ?? NODE_DEFAULTS.datasets;
  if (!Array.isArray(datasets) || datasets.length === 0 || !datasets.every((d) => typeof d === "string" && d !== "")) {
    throw new SolverConfigError("accept.datasets", `must be a non-empty array of dataset names, got ${JSON.stringify(datasets)}`);
  }
  const accept: AcceptRule = {
    datasets: datasets as string[],
    maxSteps: int(a, "maxSteps", "accept.maxSteps", 1, 100_000_000, NODE_DEFAULTS.maxSteps),
    maxSpecBytes: int(a, "maxSpecBytes", "accept.maxSpecBytes", 256, 64 << 20, SPEC_MAX_BYTES),
    specTimeoutMs: int(a, "specTimeoutMs", "accept.specTimeoutMs", 100, 600_000, NODE_DEFAULTS.specTimeoutMs),
  };

  const s = raw.serve ?? {};
  if (!isObj(s)) throw new SolverConfigError("serve", "must be an object { host?, port, publicUrl? }");
  known(s, "serve", ["host", "port", "publicUrl"]);
  const publicUrl = s.publicUrl === undefined ? undefined : str(s, "publicUrl", "serve.publicUrl");
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+/.test(publicUrl)) throw new SolverConfigError("serve.publicUrl", `must be an http(s) URL, got ${JSON.stringify(publicUrl)}`);
  const serve: ServeConfig = {
    host: str(s, "host", "serve.host", NODE_DEFAULTS.serveHost),
    port: int(s, "port", "serve.port", 0, 65_535, NODE_DEFAULTS.servePort),
    ...(publicUrl === undefined ? {} : { publicUrl: publicUrl.replace(/\/+$/, "") }),
  };

  let fromBlock = 0n;
  if (raw.fromBlock !== undefined) fromBlock = BigInt(int(raw, "fromBlock", "fromBlock", 0, Number.MAX_SAFE_INTEGER));
  const keystore = raw.keystore === undefined ? undefined : path.resolve(baseDir, str(raw, "keystore", "keystore"));
  const keystorePasswordFile = raw.keystorePasswordFile === undefined ? undefined : path.resolve(baseDir, str(raw, "keystorePasswordFile", "keystorePasswordFile"));
  return {
    rpcUrl, ...(chainId === undefined ? {} : { chainId }), market: getAddress(marketRaw), dataDir, backend, pricing, accept, serve,
    pollIntervalMs: int(raw, "pollIntervalMs", "pollIntervalMs", 50, 3_600_000, NODE_DEFAULTS.pollIntervalMs),
    maxConcurrentJobs: int(raw, "maxConcurrentJobs", "maxConcurrentJobs", 1, 64, NODE_DEFAULTS.maxConcurrentJobs),
    fromBlock,
    logChunk: int(raw, "logChunk", "logChunk", 1, 100_000, NODE_DEFAULTS.logChunk),
    ...(keystore === undefined ? {} : { keystore }),
    ...(keystorePasswordFile === undefined ? {} : { keystorePasswordFile }),
  };
}

/** Applies ENV_OVERRIDES onto a parsed JSON object (a copy). Numeric fields must be decimal integers. */
export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv = process.env): unknown {
  if (!isObj(raw)) return raw;
  const out = structuredClone(raw);
  for (const [variable, field] of Object.entries(ENV_OVERRIDES)) {
    const v = env[variable];
    if (v === undefined || v === "") continue;
    if (NUMERIC_ENV.has(field)) {
      if (!/^[0-9]{1,15}$/.test(v.trim())) throw new SolverConfigError(field, `${variable} must be a decimal integer, got ${JSON.stringify(v)}`);
      setPath(out, field, Number(v.trim()));
    } else {
      setPath(out, field, v.trim());
    }
  }
  return out;
}

/** Reads, overrides and validates a config file. */
export async function loadSolverConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<SolverConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new SolverConfigError("(file)", `cannot read ${file}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SolverConfigError("(file)", `${file} is not JSON: ${(e as Error).message}`);
  }
  return parseSolverConfig(applyEnvOverrides(raw, env), path.dirname(path.resolve(file)));
}
