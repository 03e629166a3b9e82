import path from "node:path";
import { type JobId, type Root, type StepIndex, toJobId, toRoot, toStepIndex } from "../core/root.ts";
import { big, NodeDb, type Raw } from "../node/db.ts";
import { SolverError } from "./errors.ts";

/**
 * The solver's embedded database (`<dataDir>/solver.db`): the node's shared tables (node/db.ts: identity,
 * cursor, transactions, games) plus every job it saw with its status, the checkpoints it stored and the
 * training runs (where each started: a resumed run starts at the last stored checkpoint). `skipped`: a job that
 * was no longer open when the node first saw it (a fresh node sees every past job), never bid on, so not lost.
 */
export const JOB_STATUSES = ["seen", "bidding", "won", "training", "trained", "committed", "finalized", "withdrawn", "lost", "rejected", "failed", "skipped"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** Statuses the node has nothing more to do for. */
export const TERMINAL: ReadonlySet<JobStatus> = new Set(["withdrawn", "lost", "rejected", "failed", "skipped"]);

/**
 * Rows are typed at this boundary: job ids are JobIds, steps StepIndexes, roots Roots (written through toRoot, so
 * whatever case or prefix a caller holds, the database stores and returns one form).
 */
export interface JobRow {
  readonly jobId: JobId;
  readonly status: JobStatus;
  readonly reason: string | null;
  readonly specURI: string | null;
  readonly specJson: string | null;
  readonly steps: number;
  readonly checkpointInterval: number;
  readonly firstCome: boolean;
  /** Our current bid (wei), when we bid. */
  readonly bidWei: bigint | null;
  /** The bond our bid or take posted (wei): returned with the price once the job is finalized. */
  readonly bondWei: bigint | null;
  readonly historyRoot: Root | null;
  readonly finalRoot: Root | null;
  readonly modelURI: string | null;
  readonly trainSeconds: number;
  readonly withdrawnWei: bigint | null;
  readonly updatedAt: number;
}

export interface CheckpointRow {
  readonly jobId: JobId;
  readonly idx: number;
  readonly step: StepIndex;
  readonly root: Root;
}

export type { GameRow, GameStatus, TxRow } from "../node/db.ts";

export interface TrainRunRow {
  readonly jobId: JobId;
  readonly startStep: number;
  readonly endStep: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  job_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  reason TEXT,
  spec_uri TEXT,
  spec_json TEXT,
  steps INTEGER NOT NULL DEFAULT 0,
  checkpoint_interval INTEGER NOT NULL DEFAULT 0,
  first_come INTEGER NOT NULL DEFAULT 0,
  bid_wei TEXT,
  bond_wei TEXT,
  history_root TEXT,
  final_root TEXT,
  model_uri TEXT,
  train_seconds REAL NOT NULL DEFAULT 0,
  withdrawn_wei TEXT,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
  job_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  step INTEGER NOT NULL,
  root TEXT NOT NULL,
  PRIMARY KEY (job_id, idx)
);
CREATE INDEX IF NOT EXISTS checkpoints_root ON checkpoints (root);
CREATE TABLE IF NOT EXISTS train_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  start_step INTEGER NOT NULL,
  end_step INTEGER
);
`;

const root = (v: unknown): Root | null => (v === null || v === undefined ? null : toRoot(v as string));

function jobOf(r: Raw): JobRow {
  return {
    jobId: toJobId(r.job_id as string), status: r.status as JobStatus, reason: (r.reason as string | null) ?? null, specURI: (r.spec_uri as string | null) ?? null, specJson: (r.spec_json as string | null) ?? null,
    steps: Number(r.steps), checkpointInterval: Number(r.checkpoint_interval), firstCome: Number(r.first_come) === 1, bidWei: big(r.bid_wei), bondWei: big(r.bond_wei),
    historyRoot: root(r.history_root), finalRoot: root(r.final_root), modelURI: (r.model_uri as string | null) ?? null,
    trainSeconds: Number(r.train_seconds), withdrawnWei: big(r.withdrawn_wei), updatedAt: Number(r.updated_at),
  };
}

export type JobUpdate = Partial<{
  status: JobStatus; reason: string | null; specURI: string; specJson: string; steps: number; checkpointInterval: number; firstCome: boolean; bidWei: bigint | null; bondWei: bigint;
  /** Any case, with or without 0x: stored as a Root. */
  historyRoot: string; finalRoot: string; modelURI: string; trainSeconds: number; withdrawnWei: bigint;
}>;

const COLUMN: Record<keyof JobUpdate, string> = {
  status: "status", reason: "reason", specURI: "spec_uri", specJson: "spec_json", steps: "steps", checkpointInterval: "checkpoint_interval", firstCome: "first_come", bidWei: "bid_wei", bondWei: "bond_wei",
  historyRoot: "history_root", finalRoot: "final_root", modelURI: "model_uri", trainSeconds: "train_seconds", withdrawnWei: "withdrawn_wei",
};

export class SolverDb extends NodeDb {
  constructor(file: string) {
    super(file, SCHEMA);
    // A database from before bonds were recorded: the column added (older rows read null, "unknown").
    const cols = (this.sql.prepare("PRAGMA table_info(jobs)").all() as Raw[]).map((c) => c.name);
    if (!cols.includes("bond_wei")) this.sql.exec("ALTER TABLE jobs ADD COLUMN bond_wei TEXT");
  }

  job(jobId: bigint): JobRow | undefined {
    const r = this.jobRaw(jobId);
    return r ? jobOf(r) : undefined;
  }

  jobs(): JobRow[] {
    return this.jobsRaw().map(jobOf);
  }

  updateJob(jobId: bigint, u: JobUpdate): void {
    this.updateJobRow(jobId, COLUMN, u, (k, v) => (k === "historyRoot" || k === "finalRoot" ? toRoot(v as string) : v));
  }

  checkpoints(jobId: bigint): CheckpointRow[] {
    const id = toJobId(jobId);
    return (this.sql.prepare("SELECT * FROM checkpoints WHERE job_id = ? ORDER BY idx").all(jobId.toString()) as Raw[])
      .map((r) => ({ jobId: id, idx: Number(r.idx), step: toStepIndex(Number(r.step)), root: toRoot(r.root as string) }));
  }

  /** Records checkpoint `idx` (its state file is already in the store); the same checkpoint twice is a no-op, a different root an error. */
  putCheckpoint(jobId: bigint, idx: number, step: number, rootIn: string): void {
    const root = toRoot(rootIn);
    const prev = this.sql.prepare("SELECT step, root FROM checkpoints WHERE job_id = ? AND idx = ?").get(jobId.toString(), idx) as Raw | undefined;
    if (prev) {
      if (Number(prev.step) !== step || prev.root !== root) throw new SolverError(`job ${jobId} checkpoint ${idx}: recomputed (step ${step}, ${root}) differs from stored (step ${prev.step as number}, ${prev.root as string})`);
      return;
    }
    this.sql.prepare("INSERT INTO checkpoints (job_id, idx, step, root) VALUES (?, ?, ?, ?)").run(jobId.toString(), idx, step, root);
  }

  /** The job whose checkpoints include this state root (for serving traces with the right spec). */
  jobOfRoot(root: Root): JobRow | undefined {
    const r = this.sql.prepare("SELECT j.* FROM checkpoints c JOIN jobs j ON j.job_id = c.job_id WHERE c.root = ? LIMIT 1").get(root) as Raw | undefined;
    return r ? jobOf(r) : undefined;
  }

  startTrainRun(jobId: bigint, startStep: number): number {
    return Number(this.sql.prepare("INSERT INTO train_runs (job_id, start_step) VALUES (?, ?)").run(jobId.toString(), startStep).lastInsertRowid);
  }

  endTrainRun(id: number, endStep: number): void {
    this.sql.prepare("UPDATE train_runs SET end_step = ? WHERE id = ?").run(endStep, id);
  }

  trainRuns(jobId: bigint): TrainRunRow[] {
    const id = toJobId(jobId);
    return (this.sql.prepare("SELECT * FROM train_runs WHERE job_id = ? ORDER BY id").all(jobId.toString()) as Raw[])
      .map((r) => ({ jobId: id, startStep: Number(r.start_step), endStep: r.end_step === null ? null : Number(r.end_step) }));
  }

}

export function openSolverDb(dataDir: string): SolverDb {
  return new SolverDb(path.join(path.resolve(dataDir), "solver.db"));
}
