import { type Address, type BlockNumber, type Chain, type Client, type Transport, zeroAddress } from "viem";
import { type Root, toRoot, ZERO_ROOT } from "../core/root.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";
import { ModelFetchError, ModelRootMismatchError } from "./errors.ts";
import { fetchModel } from "./fetchModel.ts";
import { getJob, type Job, type JobStatusName } from "../chain/jobs.ts";
import { getJobEvents, type GameReason, type JobEvent } from "./getJobEvents.ts";

/**
 * What the chain says about a job: finalized with no challenge, finalized after every dispute was won by the
 * solver, failed (a challenger won), slashed (no commit in time), cancelled, or not settled yet.
 */
export type Verdict = "finalized-unchallenged" | "finalized-after-disputes" | "solver-failed" | "solver-slashed" | "cancelled" | "pending";

export interface DisputeReport {
  readonly gameId: bigint;
  readonly challenger: Address;
  readonly bond: bigint;
  /** The challenged checkpoint interval: checkpoints loIndex and loIndex + 1, steps loStep..hiStep. */
  readonly loIndex: bigint;
  readonly loStep: bigint;
  readonly hiStep: bigint;
  /** The challenger's claimed state root at hiStep. */
  readonly claimedRoot: Root;
  /** open: still being played; voided: closed without outcome because the job had already failed. */
  readonly outcome: "open" | "solver-won" | "challenger-won" | "voided";
  /** Why the game ended, from the DisputeGame (Settled = decided by the kernel verifier, Timeout...). */
  readonly reason: GameReason | undefined;
  /** True when this game's outcome failed the job. */
  readonly failedJob: boolean;
}

/** A verifier's attestation: which checkpoint intervals it re-executed and found right (not a proof of checking). */
export interface AttestationReport {
  readonly verifier: Address;
  readonly intervals: readonly bigint[];
  readonly blockNumber: bigint;
}

export interface ModelCheck {
  /** False when no model was fetched (no spec given, or the job has no committed model). */
  readonly checked: boolean;
  /** True only when the model was downloaded and its state root is the committed final root. */
  readonly verified: boolean;
  readonly uri?: string;
  readonly root?: Root;
  readonly error?: string;
}

export interface VerificationReport {
  readonly jobId: bigint;
  readonly market: Address;
  readonly status: JobStatusName;
  readonly verdict: Verdict;
  /** One honest sentence: what the verdict does and does not mean. */
  readonly summary: string;
  readonly client: Address;
  readonly solver: Address | undefined;
  readonly escrow: bigint;
  readonly price: bigint | undefined;
  readonly steps: bigint;
  readonly checkpointInterval: bigint;
  readonly roots: {
    readonly specHash: Root; readonly programRoot: Root; readonly initialRoot: Root; readonly datasetRoot: Root;
    /** Zero until the solver commits. */
    readonly historyRoot: Root; readonly finalRoot: Root;
  };
  readonly checkpointCount: bigint;
  readonly modelURI: string | undefined;
  readonly challengeDeadline: bigint | undefined;
  /**
   * Checkpoint intervals of the committed history (checkpointCount - 1), how many were challenged on chain,
   * and how many distinct ones some verifier attested it re-executed and found right.
   */
  readonly intervals: { readonly total: bigint; readonly challenged: bigint; readonly attested: bigint };
  readonly disputes: readonly DisputeReport[];
  /** Every verifier attestation of the job (JobMarket.attest), in chain order. */
  readonly attestations: readonly AttestationReport[];
  readonly model: ModelCheck;
  readonly events: readonly JobEvent[];
}

export interface GetVerificationReportParameters {
  readonly market: Address;
  readonly jobId: bigint;
  /** The job's spec: given, the committed model is downloaded and verified against the final root. */
  readonly spec?: TrainingSpec;
  readonly fromBlock?: BlockNumber;
  readonly modelTimeoutMs?: number;
  /** Most blocks per eth_getLogs request (default DEFAULT_LOG_RANGE). */
  readonly logRange?: number;
  /** The IPFS gateway an ipfs:// model URI is read through. */
  readonly ipfsGateway?: string | undefined;
  /** The local content cache (states by root). */
  readonly cacheDir?: string | undefined;
}

export interface GetVerificationReportReturnType {
  readonly report: VerificationReport;
  /** The verified model (only when report.model.verified). */
  readonly state: TrainingState | undefined;
}

/** The disputes of a job from its events, in the order they were opened. */
export function disputesOf(job: Pick<Job, "steps" | "checkpointInterval">, events: readonly JobEvent[]): DisputeReport[] {
  const out: DisputeReport[] = [];
  for (const e of events) {
    if (e.kind !== "challenged") continue;
    const resolved = events.find((x) => x.kind === "gameResolved" && x.gameId === e.gameId);
    const voided = events.some((x) => x.kind === "gameVoided" && x.gameId === e.gameId);
    const loStep = e.loIndex * job.checkpointInterval;
    const hiStep = (e.loIndex + 1n) * job.checkpointInterval < job.steps ? (e.loIndex + 1n) * job.checkpointInterval : job.steps;
    let outcome: DisputeReport["outcome"] = "open";
    let reason: GameReason | undefined;
    let failedJob = false;
    if (resolved?.kind === "gameResolved") {
      // A game resolved after the job had failed elsewhere only returned the challenger's bond: void.
      outcome = resolved.voidOutcome ? "voided" : resolved.solverWon ? "solver-won" : "challenger-won";
      reason = resolved.reason;
      failedJob = resolved.jobFailed;
    } else if (voided) {
      outcome = "voided";
    }
    out.push({ gameId: e.gameId, challenger: e.challenger, bond: e.bond, loIndex: e.loIndex, loStep, hiStep, claimedRoot: e.claimedRoot, outcome, reason, failedJob });
  }
  return out;
}

/** The verdict from the job's status and its disputes. */
export function verdictOf(status: JobStatusName, disputes: readonly DisputeReport[]): Verdict {
  switch (status) {
    case "Finalized":
      return disputes.length === 0 ? "finalized-unchallenged" : "finalized-after-disputes";
    case "Failed":
      return "solver-failed";
    case "Slashed":
      return "solver-slashed";
    case "Cancelled":
      return "cancelled";
    default:
      return "pending";
  }
}

/** "intervals 3, 7 re-executed by 0xab…: match; intervals 2 by 0xcd…: match" (attestations, in chain order). */
function attestedText(attestations: readonly AttestationReport[]): string {
  return attestations.map((a) => `interval${a.intervals.length === 1 ? "" : "s"} ${a.intervals.join(", ")} re-executed by ${a.verifier}: match`).join("; ");
}

/** The report's one honest sentence (exported for the explorer, which builds it from events it already holds). */
// SAFETY: "unchallenged" must never read as "re-executed and found correct": only attestations say what a
// verifier re-executed, and they are its word, not a proof.
export function summaryOf(verdict: Verdict, status: JobStatusName, disputes: readonly DisputeReport[], attestations: readonly AttestationReport[], total: bigint, model: ModelCheck): string {
  const m = model.checked ? (model.verified ? " The downloaded model's state root is the committed final root." : ` The downloaded model does NOT verify: ${model.error}.`) : "";
  const attested = new Set(attestations.flatMap((a) => a.intervals)).size;
  const a = attestations.length === 0 ? "" : ` Verifiers attested: ${attestedText(attestations)} (${attested} of ${total} intervals; an attestation is a verifier's word, not a proof of checking).`;
  switch (verdict) {
    case "finalized-unchallenged":
      return (attestations.length === 0
        ? "Finalized: nobody challenged the committed result on chain during the challenge window, and no verifier attested any interval. Unchallenged is not re-executed: no step was checked on chain."
        : "Finalized: nobody challenged the committed result on chain during the challenge window." + a) + m;
    case "finalized-after-disputes": {
      const n = disputes.length;
      return `Finalized after ${n} dispute${n === 1 ? "" : "s"} on chain, none of which the solver lost: the challenged intervals were checked by the dispute game.` + (a || " The others were not checked on chain.") + m;
    }
    case "solver-failed":
      return "Failed: a challenger won a dispute against the solver's result; the escrow was credited back to the client." + m;
    case "solver-slashed":
      return "Slashed: the solver did not commit a result before the deadline; escrow and solver bond were credited to the client.";
    case "cancelled":
      return "Cancelled before assignment; the escrow was credited back to the client.";
    default:
      return `Not settled yet: the job is ${status}${disputes.some((d) => d.outcome === "open") ? " with disputes open" : ""}.` + a + m;
  }
}

/**
 * The verification report of a job: its committed roots, which checkpoint intervals were challenged on chain
 * and by whom, every dispute and its outcome (winner and the DisputeGame's reason), whether the committed
 * model downloads and verifies against the final root (when `spec` is given), and the verdict. "Checked"
 * here means "challenged on chain": the report never claims more than the chain's events show.
 */
export async function getVerificationReport(client: Client<Transport, Chain | undefined>, p: GetVerificationReportParameters): Promise<GetVerificationReportReturnType> {
  const job = await getJob(client, p);
  const range = p.logRange !== undefined ? { logRange: p.logRange } : {};
  const events = await getJobEvents(client, { market: p.market, jobId: p.jobId, ...(p.fromBlock !== undefined ? { fromBlock: p.fromBlock } : {}), ...range });
  const disputes = disputesOf(job, events);
  const committed = events.findLast((e) => e.kind === "committed");
  let model: ModelCheck = { checked: false, verified: false };
  let state: TrainingState | undefined;
  if (p.spec && (job.status === "Committed" || job.status === "Finalized")) {
    try {
      const m = await fetchModel(client, {
        market: p.market, jobId: p.jobId, spec: p.spec, ...(p.fromBlock !== undefined ? { fromBlock: p.fromBlock } : {}), ...(p.modelTimeoutMs !== undefined ? { timeoutMs: p.modelTimeoutMs } : {}),
        ...range, ipfsGateway: p.ipfsGateway, cacheDir: p.cacheDir,
      });
      model = { checked: true, verified: true, uri: m.modelURI, root: m.root };
      state = m.state;
    } catch (e) {
      if (!(e instanceof ModelFetchError)) throw e;
      model = {
        checked: true, verified: false, error: e.message, ...(committed?.kind === "committed" ? { uri: committed.modelURI } : {}),
        ...(e instanceof ModelRootMismatchError ? { root: toRoot(e.actual) } : {}),
      };
    }
  }
  // The zero address until a bid or a take: an open auction's best bidder counts as its (prospective) solver.
  const hasSolver = job.solver !== zeroAddress;
  const challengedIntervals = new Set(disputes.map((d) => d.loIndex)).size;
  const attestations: AttestationReport[] = events.flatMap((e) => (e.kind === "attested" ? [{ verifier: e.verifier, intervals: e.intervals, blockNumber: e.blockNumber }] : []));
  const total = job.historyRoot === ZERO_ROOT ? 0n : job.checkpointCount - 1n;
  const verdict = verdictOf(job.status, disputes);
  const report: VerificationReport = {
    jobId: p.jobId, market: p.market, status: job.status, verdict, summary: summaryOf(verdict, job.status, disputes, attestations, total, model),
    client: job.client, solver: hasSolver ? job.solver : undefined, escrow: job.escrow, price: hasSolver ? job.price : undefined,
    steps: job.steps, checkpointInterval: job.checkpointInterval,
    roots: { specHash: job.specHash, programRoot: job.programRoot, initialRoot: job.initialRoot, datasetRoot: job.datasetRoot, historyRoot: job.historyRoot, finalRoot: job.finalRoot },
    checkpointCount: job.checkpointCount,
    modelURI: committed?.kind === "committed" ? committed.modelURI : undefined,
    challengeDeadline: committed?.kind === "committed" ? committed.challengeDeadline : undefined,
    intervals: { total, challenged: BigInt(challengedIntervals), attested: BigInt(new Set(attestations.flatMap((x) => x.intervals)).size) },
    disputes, attestations, model, events,
  };
  return { report, state };
}
