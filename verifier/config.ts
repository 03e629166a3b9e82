import path from "node:path";
import { NODE_DEFAULTS } from "../core/defaults.ts";
import { applyEnvOverrides, fields, isObj, NODE_ENV_OVERRIDES, NODE_FIELDS, type NodeConfig, parseNodeFields, readConfigFile } from "../node/config.ts";
import { parseAdversary, type VerifierAdversary } from "./adversary.ts";
import { VerifierConfigError } from "./errors.ts";

/**
 * The verifier node's configuration (docs/verifier.md): the fields every node has (node/config.ts) and its
 * own: the sampling rate (default: each job's sampleBps), the most it bonds on one challenge, and how it
 * fetches checkpoint states from solvers. Environment overrides: NODE_ENV_OVERRIDES plus VERITRAIN_SAMPLE_BPS.
 */
export interface VerifierConfig extends NodeConfig {
  /** Sampling rate in basis points of a job's checkpoint intervals; undefined: the job's sampleBps. */
  readonly sampleBps?: number;
  /** The largest challenger bond it posts; a job asking more is watched, never challenged (undefined: no cap). */
  readonly maxChallengeBondWei?: bigint;
  /** Largest checkpoint state fetched from a solver. */
  readonly maxStateBytes: number;
  readonly stateTimeoutMs: number;
  /** Where it serves /health and /metrics (loopback, an ephemeral port by default); absent: `"serve": false`, off. */
  readonly serve?: { readonly host: string; readonly port: number };
  /** Test-only lies (VERITRAIN_TEST_ADVERSARY=1 must be set too); never on by default. */
  readonly adversary?: VerifierAdversary;
}

export const VERIFIER_ENV_OVERRIDES: Readonly<Record<string, string>> = { ...NODE_ENV_OVERRIDES, VERITRAIN_SAMPLE_BPS: "sampleBps", VERITRAIN_SERVE_HOST: "serve.host", VERITRAIN_SERVE_PORT: "serve.port" };
const NUMERIC = new Set(["chainId", "pollIntervalMs", "sampleBps", "serve.port"]);
const OWN = ["sampleBps", "maxChallengeBondWei", "maxStateBytes", "stateTimeoutMs", "serve", "adversary"] as const;

export function parseVerifierConfig(raw: unknown, baseDir: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): VerifierConfig {
  if (!isObj(raw)) throw new VerifierConfigError("(root)", "the config must be a JSON object");
  const { known, int, wei, str } = fields(VerifierConfigError);
  known(raw, "", [...NODE_FIELDS, ...OWN]);
  const node = parseNodeFields(raw, baseDir, VerifierConfigError);
  const sampleBps = raw.sampleBps === undefined ? undefined : int(raw, "sampleBps", "sampleBps", 0, 10_000);
  const maxChallengeBondWei = raw.maxChallengeBondWei === undefined ? undefined : wei(raw, "maxChallengeBondWei", "maxChallengeBondWei");
  const adversary = raw.adversary === undefined ? undefined : parseAdversary(raw.adversary, env);
  const sv = raw.serve ?? {};
  if (sv !== false && !isObj(sv)) throw new VerifierConfigError("serve", "must be an object { host?, port? } or false (no /health and /metrics server)");
  if (sv !== false) known(sv, "serve", ["host", "port"]);
  const serve = sv === false ? undefined : { host: str(sv, "host", "serve.host", NODE_DEFAULTS.serveHost), port: int(sv, "port", "serve.port", 0, 65_535, NODE_DEFAULTS.servePort) };
  return {
    ...node,
    ...(sampleBps === undefined ? {} : { sampleBps }),
    ...(maxChallengeBondWei === undefined ? {} : { maxChallengeBondWei }),
    maxStateBytes: int(raw, "maxStateBytes", "maxStateBytes", 1_024, 4 * 2 ** 30, 512 * 2 ** 20),
    stateTimeoutMs: int(raw, "stateTimeoutMs", "stateTimeoutMs", 100, 600_000, 30_000),
    ...(serve === undefined ? {} : { serve }),
    ...(adversary === undefined ? {} : { adversary }),
  };
}

/** Reads, overrides and validates a verifier config file. */
export async function loadVerifierConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<VerifierConfig> {
  const raw = await readConfigFile(file, VerifierConfigError);
  return parseVerifierConfig(applyEnvOverrides(raw, VERIFIER_ENV_OVERRIDES, NUMERIC, VerifierConfigError, env), path.dirname(path.resolve(file)), env);
}
