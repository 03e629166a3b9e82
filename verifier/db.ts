import path from "node:path";
import type { Root } from "../core/root.ts";
import { big, NodeDb, type Raw } from "../node/db.ts";

/**
 * The verifier's embedded database (`<dataDir>/verifier.db`): the node's shared tables (node/db.ts: cursor,
 * transactions, games) plus every job it watches and every interval it checks. Per job:
 *
 *   seen -> rejected | watching -> committed -> sampled -> checked -> attested -> done
 *                                                  \-> challenged -> done          (missed: the window closed first)
 *
 * The intervals a job's sample holds and each check's outcome are stored as they are decided, so a restart
 * never samples again (the sample is bound to the commit anyway) and never re-executes a finished interval.
 */
export const VJOB_STATUSES = ["seen", "rejected", "watching", "committed", "sampled", "checked", "attested", "challenged", "done", "missed"] as const;
export type VJobStatus = (typeof VJOB_STATUSES)[number];
export const VTERMINAL: ReadonlySet<VJobStatus> = new Set(["rejected", "done", "missed"]);

export interface VJobRow {
  readonly jobId: bigint;
  readonly status: VJobStatus;
  readonly reason: string | null;
  readonly specURI: string | null;
  readonly specJson: string | null;
  readonly datasetRoot: string | null;
  readonly steps: number;
  readonly checkpointInterval: number;
  readonly sampleBps: number;
  readonly challengeBond: bigint;
  readonly solver: string | null;
  readonly modelURI: string | null;
  /** Every committed checkpoint root (ResultCommitted), in order. */
  readonly roots: readonly Root[] | null;
  readonly commitBlock: bigint | null;
  /** End of the challenge window (chain time, seconds). */
  readonly deadline: bigint | null;
  readonly seed: string | null;
  readonly intervals: readonly number[] | null;
  readonly detection: number | null;
  readonly checkSeconds: number;
  readonly withdrawnWei: bigint | null;
}

export const CHECK_STATUSES = ["pending", "match", "mismatch"] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export interface CheckRow {
  readonly jobId: bigint;
  /** Interval i: checkpoints i to i + 1. */
  readonly interval: number;
  readonly status: CheckStatus;
  /** The state root this verifier computed at checkpoint i + 1. */
  readonly computedRoot: string | null;
  /** Where the start state came from: fetched from the solver, the verifier's own store, or rebuilt. */
  readonly source: string | null;
  readonly seconds: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  job_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  reason TEXT,
  spec_uri TEXT,
  spec_json TEXT,
  dataset_root TEXT,
  steps INTEGER NOT NULL DEFAULT 0,
  checkpoint_interval INTEGER NOT NULL DEFAULT 0,
  sample_bps INTEGER NOT NULL DEFAULT 0,
  challenge_bond TEXT NOT NULL DEFAULT '0',
  solver TEXT,
  model_uri TEXT,
  roots TEXT,
  commit_block TEXT,
  deadline TEXT,
  seed TEXT,
  intervals TEXT,
  detection REAL,
  check_seconds REAL NOT NULL DEFAULT 0,
  withdrawn_wei TEXT,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS checks (
  job_id TEXT NOT NULL,
  interval INTEGER NOT NULL,
  status TEXT NOT NULL,
  computed_root TEXT,
  source TEXT,
  seconds REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, interval)
);
`;

function jobOf(r: Raw): VJobRow {
  const json = <T>(v: unknown): T | null => (v === null || v === undefined ? null : (JSON.parse(v as string) as T));
  return {
    jobId: BigInt(r.job_id as string), status: r.status as VJobStatus, reason: (r.reason as string | null) ?? null, specURI: (r.spec_uri as string | null) ?? null,
    specJson: (r.spec_json as string | null) ?? null, datasetRoot: (r.dataset_root as string | null) ?? null, steps: Number(r.steps), checkpointInterval: Number(r.checkpoint_interval),
    sampleBps: Number(r.sample_bps), challengeBond: BigInt(r.challenge_bond as string), solver: (r.solver as string | null) ?? null, modelURI: (r.model_uri as string | null) ?? null,
    roots: json(r.roots), commitBlock: big(r.commit_block), deadline: big(r.deadline), seed: (r.seed as string | null) ?? null, intervals: json(r.intervals),
    detection: r.detection === null || r.detection === undefined ? null : Number(r.detection), checkSeconds: Number(r.check_seconds), withdrawnWei: big(r.withdrawn_wei),
  };
}

export type VJobUpdate = Partial<{
  status: VJobStatus; reason: string | null; specURI: string; specJson: string; datasetRoot: string; steps: number; checkpointInterval: number; sampleBps: number;
  challengeBond: bigint; solver: string; modelURI: string; roots: readonly string[]; commitBlock: bigint; deadline: bigint; seed: string; intervals: readonly number[];
  detection: number; checkSeconds: number; withdrawnWei: bigint;
}>;

const COLUMN: Record<keyof VJobUpdate, string> = {
  status: "status", reason: "reason", specURI: "spec_uri", specJson: "spec_json", datasetRoot: "dataset_root", steps: "steps", checkpointInterval: "checkpoint_interval",
  sampleBps: "sample_bps", challengeBond: "challenge_bond", solver: "solver", modelURI: "model_uri", roots: "roots", commitBlock: "commit_block", deadline: "deadline",
  seed: "seed", intervals: "intervals", detection: "detection", checkSeconds: "check_seconds", withdrawnWei: "withdrawn_wei",
};

export class VerifierDb extends NodeDb {
  constructor(file: string) {
    super(file, SCHEMA);
  }

  job(jobId: bigint): VJobRow | undefined {
    const r = this.jobRaw(jobId);
    return r ? jobOf(r) : undefined;
  }

  jobs(): VJobRow[] {
    return this.jobsRaw().map(jobOf);
  }

  updateJob(jobId: bigint, u: VJobUpdate): void {
    this.updateJobRow(jobId, COLUMN, u, (k, v) => (k === "roots" || k === "intervals" ? JSON.stringify(v) : v));
  }

  checks(jobId: bigint): CheckRow[] {
    return (this.sql.prepare("SELECT * FROM checks WHERE job_id = ? ORDER BY interval").all(jobId.toString()) as Raw[]).map((r) => ({
      jobId, interval: Number(r.interval), status: r.status as CheckStatus, computedRoot: (r.computed_root as string | null) ?? null, source: (r.source as string | null) ?? null, seconds: Number(r.seconds),
    }));
  }

  /** Adds the pending checks of a sample (known ones are kept). */
  addChecks(jobId: bigint, intervals: readonly number[]): void {
    const st = this.sql.prepare("INSERT OR IGNORE INTO checks (job_id, interval, status) VALUES (?, ?, 'pending')");
    for (const i of intervals) st.run(jobId.toString(), i);
  }

  setCheck(jobId: bigint, interval: number, status: CheckStatus, computedRoot: string, source: string, seconds: number): void {
    this.sql.prepare("INSERT INTO checks (job_id, interval, status, computed_root, source, seconds) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, interval) DO UPDATE SET status = excluded.status, computed_root = excluded.computed_root, source = excluded.source, seconds = excluded.seconds")
      .run(jobId.toString(), interval, status, computedRoot, source, seconds);
  }
}

export function openVerifierDb(dataDir: string): VerifierDb {
  return new VerifierDb(path.join(path.resolve(dataDir), "verifier.db"));
}
