import path from "node:path";
import { BPS, NODE_DEFAULTS } from "../core/defaults.ts";
import { applyEnvOverrides as applyOverrides, fields, isObj, NODE_ENV_OVERRIDES, NODE_FIELDS, type NodeConfig, parseNodeFields, readConfigFile } from "../node/config.ts";
import { MAX_WORKERS } from "../engine/parallel/parallelRunner.ts";
import { parseSolverAdversary, type SolverAdversary } from "./adversary.ts";
import { SolverConfigError } from "./errors.ts";

export type { AcceptRule } from "../node/config.ts";

/**
 * The solver node's configuration (docs/solver.md): the fields every node has (node/config.ts) and its own:
 * the pricing rule, the store server, the jobs trained at once. Validated field by field (every error names
 * its field), after environment overrides (ENV_OVERRIDES). Relative paths resolve against the config file's
 * directory.
 */
export interface PricingRule {
  /** Floor price: the node never works for less than steps * minWeiPerStep. */
  readonly minWeiPerStep: bigint;
  /** First bid on an auction without bids, in basis points of the escrow (10,000 = the whole escrow). */
  readonly openingBidBps: number;
  /** How far below the best competing bid to go, in basis points of that bid (at least 1 wei lower). */
  readonly undercutBps: number;
}

export interface ServeConfig {
  readonly host: string;
  readonly port: number;
  /** Base URL committed as the model URI's prefix (default: http://host:port). */
  readonly publicUrl?: string;
}

export interface SolverConfig extends NodeConfig {
  readonly pricing: PricingRule;
  readonly serve: ServeConfig;
  readonly maxConcurrentJobs: number;
  /**
   * Data-parallel gradient workers per training job (engine/parallel/): each batch is split over this many
   * threads, each with its own onnxruntime session; the roots do not depend on it. 1 (default, or absent): one
   * process.
   */
  readonly workers?: number;
  /** Test-only cheating (VERITRAIN_TEST_ADVERSARY=1 must be set too); never on by default. */
  readonly adversary?: SolverAdversary;
}

/** Environment variables that override config fields (documented in docs/solver.md). */
export const ENV_OVERRIDES: Readonly<Record<string, string>> = {
  ...NODE_ENV_OVERRIDES,
  VERITRAIN_SERVE_HOST: "serve.host",
  VERITRAIN_SERVE_PORT: "serve.port",
  VERITRAIN_SERVE_PUBLIC_URL: "serve.publicUrl",
  VERITRAIN_MIN_WEI_PER_STEP: "pricing.minWeiPerStep",
  VERITRAIN_WORKERS: "workers",
};

const NUMERIC_ENV = new Set(["chainId", "serve.port", "pollIntervalMs", "workers"]);

/** Validates a parsed config object (after overrides); `baseDir` resolves relative paths. */
export function parseSolverConfig(raw: unknown, baseDir: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): SolverConfig {
  if (!isObj(raw)) throw new SolverConfigError("(root)", "the config must be a JSON object");
  const { known, str, int, wei } = fields(SolverConfigError);
  known(raw, "", [...NODE_FIELDS, "pricing", "serve", "maxConcurrentJobs", "workers", "adversary"]);
  const node = parseNodeFields(raw, baseDir, SolverConfigError);

  const p = raw.pricing;
  if (!isObj(p)) throw new SolverConfigError("pricing", "is required: an object { minWeiPerStep, openingBidBps?, undercutBps? }");
  known(p, "pricing", ["minWeiPerStep", "openingBidBps", "undercutBps"]);
  const pricing: PricingRule = {
    minWeiPerStep: wei(p, "minWeiPerStep", "pricing.minWeiPerStep"),
    openingBidBps: int(p, "openingBidBps", "pricing.openingBidBps", 1, BPS, NODE_DEFAULTS.openingBidBps),
    undercutBps: int(p, "undercutBps", "pricing.undercutBps", 0, BPS, NODE_DEFAULTS.undercutBps),
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
  if (raw.workers !== undefined && raw.workers !== 1 && node.backend !== "onnx") {
    throw new SolverConfigError("workers", `workers > 1 runs the onnx backend in each worker; backend "${node.backend}" trains in one process (set workers to 1)`);
  }
  const adversary = raw.adversary === undefined ? undefined : parseSolverAdversary(raw.adversary, env);
  return {
    ...node, pricing, serve,
    maxConcurrentJobs: int(raw, "maxConcurrentJobs", "maxConcurrentJobs", 1, 64, NODE_DEFAULTS.maxConcurrentJobs),
    workers: int(raw, "workers", "workers", 1, MAX_WORKERS, 1),
    ...(adversary === undefined ? {} : { adversary }),
  };
}

/** Applies ENV_OVERRIDES onto a parsed JSON object (a copy). Numeric fields must be decimal integers. */
export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv = process.env): unknown {
  return applyOverrides(raw, ENV_OVERRIDES, NUMERIC_ENV, SolverConfigError, env);
}

/** Reads, overrides and validates a config file. */
export async function loadSolverConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<SolverConfig> {
  const raw = await readConfigFile(file, SolverConfigError);
  return parseSolverConfig(applyEnvOverrides(raw, env), path.dirname(path.resolve(file)), env);
}
