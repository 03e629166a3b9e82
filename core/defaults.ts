/**
 * The protocol's defaults, each written once: what a job is posted with unless told otherwise (the CLI's
 * flags, the SDK's optional parameters, the demo), what a node runs with unless its config says otherwise,
 * and the limits shared by everyone who fetches or waits. Amounts are wei, durations seconds unless the name
 * says milliseconds.
 */

/** Basis points in a whole (10,000 bps = 100%). */
export const BPS = 10_000;

const ETHER = 10n ** 18n;

/** A job's defaults (`veritrain client submit`, client/postJob.ts, the demo). */
export const JOB_DEFAULTS = {
  steps: 2_000,
  checkpointInterval: 100,
  /** The solver's bond: 0.1 ETH. */
  requiredBond: ETHER / 10n,
  /** The minimum challenger bond: 0.05 ETH. */
  challengeBond: ETHER / 20n,
  /** Auction length (an auction only). */
  bidDuration: 300n,
  /** From assignment to the commit deadline. */
  commitDuration: 3_600n,
  /** After the commit, during which challenges may open. */
  challengeWindow: 3_600n,
  /** Each party's dispute clock. */
  clockDuration: 600n,
  /** Verifier sampling hint. */
  sampleBps: 500,
} as const;

/** A deployment's defaults (`veritrain deploy`, the demo). */
export const DEPLOY_DEFAULTS = {
  /** The share of a lost bond credited to the treasury. */
  forfeitBps: 1_000,
} as const;

/** A node's defaults (the solver's config, docs/solver.md; the verifier node's to come). */
export const NODE_DEFAULTS = {
  /** Between two polls of the market. */
  pollIntervalMs: 2_000,
  /** Blocks per eth_getLogs request. */
  logChunk: 2_000,
  maxConcurrentJobs: 1,
  /** The node's RPC requests: a node retries on its own schedule, but one transient failure is retried at once. */
  rpcTimeoutMs: 30_000,
  rpcRetryCount: 1,
  /** The store server: loopback, an ephemeral port. */
  serveHost: "127.0.0.1",
  servePort: 0,
  /** Jobs it accepts. */
  datasets: ["mnist"] as readonly string[],
  maxSteps: 100_000,
  /** Its spec fetches (content/fetchSpec.ts): a node gives up sooner than the SDK's 30 s. */
  specTimeoutMs: 10_000,
  /** Its pricing rule: open at the whole escrow, undercut the best bid by 1%. */
  openingBidBps: BPS,
  undercutBps: 100,
} as const;

/** Largest spec document anyone fetches (a spec is a few kilobytes). */
export const SPEC_MAX_BYTES = 1 << 20;
/** Default time limit of a spec fetch over http(s). */
export const SPEC_TIMEOUT_MS = 30_000;
/** How long a sender waits for a transaction's receipt. */
export const RECEIPT_TIMEOUT_MS = 120_000;

/**
 * What a job's challenge window must leave a verifier (docs/verifier.md, "The window a job needs"): time to
 * rebuild every checkpoint from the initial state when the solver withholds them all, at a conservative
 * engine throughput (below the TypeScript reference backend on the 2-core development machine, which runs the
 * default model's 13.3M multiply-adds per step at 1.2 to 2.4 GMAC/s), plus a margin for the sampling block,
 * the challenge transaction and a node restart.
 */
export const VERIFIER_WINDOW = {
  referenceMacsPerSecond: 1e9,
  marginSeconds: 300,
} as const;
