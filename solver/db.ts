import { mkdirSync } from "node:fs";
import path from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { type JobId, type Root, type StepIndex, toJobId, toRoot, toStepIndex } from "../core/root.ts";
import { SolverError } from "./errors.ts";
import { sqlite } from "./sqlite.ts";

/**
 * The solver's embedded database (node:sqlite, one file `<dataDir>/solver.db`, WAL): the block cursor of the
 * market watcher, every job it saw with its status, the checkpoints it stored, the training runs (where each
 * started: a resumed run starts at the last stored checkpoint) and every transaction it sent. Each write is
 * its own transaction, so a SIGKILL leaves the file consistent at the last completed write.
 */
export const JOB_STATUSES = ["seen", "bidding", "won", "training", "trained", "committed", "finalized", "withdrawn", "lost", "rejected", "failed"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** Statuses the node has nothing more to do for. */
export const TERMINAL: ReadonlySet<JobStatus> = new Set(["withdrawn", "lost", "rejected", "failed"]);

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

export interface TxRow {
  readonly id: number;
  readonly jobId: JobId;
  readonly action: string;
  readonly hash: string;
  readonly status: "sent" | "success" | "reverted" | "dropped";
  readonly gasUsed: bigint | null;
  readonly feesWei: bigint | null;
}

/** A dispute game opened on one of our jobs: open while we defend it, then won, lost or aborted. */
export const GAME_STATUSES = ["open", "won", "lost", "aborted"] as const;
export type GameStatus = (typeof GAME_STATUSES)[number];

export interface GameRow {
  readonly gameId: bigint;
  readonly jobId: JobId;
  /** The challenged checkpoint interval [loStep, hiStep] as opened (the game narrows it; we replay from loStep). */
  readonly loStep: StepIndex;
  readonly hiStep: StepIndex;
  readonly challenger: string;
  /** The block of its ChallengeOpened event (event lookups start there). */
  readonly openedBlock: bigint;
  readonly status: GameStatus;
  /** How it ended (DisputeGame.Reason name), when it did. */
  readonly outcome: string | null;
}

export interface TrainRunRow {
  readonly jobId: JobId;
  readonly startStep: number;
  readonly endStep: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
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
CREATE TABLE IF NOT EXISTS txs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  action TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  gas_used TEXT,
  fees_wei TEXT
);
CREATE TABLE IF NOT EXISTS games (
  game_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  lo_step INTEGER NOT NULL,
  hi_step INTEGER NOT NULL,
  challenger TEXT NOT NULL,
  opened_block TEXT NOT NULL,
  status TEXT NOT NULL,
  outcome TEXT,
  updated_at INTEGER NOT NULL
);
`;

type Raw = Record<string, unknown>;
const big = (v: unknown): bigint | null => (v === null || v === undefined ? null : BigInt(v as string));
const root = (v: unknown): Root | null => (v === null || v === undefined ? null : toRoot(v as string));

function jobOf(r: Raw): JobRow {
  return {
    jobId: toJobId(r.job_id as string), status: r.status as JobStatus, reason: (r.reason as string | null) ?? null, specURI: (r.spec_uri as string | null) ?? null, specJson: (r.spec_json as string | null) ?? null,
    steps: Number(r.steps), checkpointInterval: Number(r.checkpoint_interval), firstCome: Number(r.first_come) === 1, bidWei: big(r.bid_wei),
    historyRoot: root(r.history_root), finalRoot: root(r.final_root), modelURI: (r.model_uri as string | null) ?? null,
    trainSeconds: Number(r.train_seconds), withdrawnWei: big(r.withdrawn_wei), updatedAt: Number(r.updated_at),
  };
}

function gameOf(r: Raw): GameRow {
  return {
    gameId: BigInt(r.game_id as string), jobId: toJobId(r.job_id as string), loStep: toStepIndex(Number(r.lo_step)), hiStep: toStepIndex(Number(r.hi_step)), challenger: r.challenger as string,
    openedBlock: BigInt(r.opened_block as string), status: r.status as GameStatus, outcome: (r.outcome as string | null) ?? null,
  };
}

function txOf(r: Raw): TxRow {
  return { id: Number(r.id), jobId: toJobId(r.job_id as string), action: r.action as string, hash: r.hash as string, status: r.status as TxRow["status"], gasUsed: big(r.gas_used), feesWei: big(r.fees_wei) };
}

export type JobUpdate = Partial<{
  status: JobStatus; reason: string | null; specURI: string; specJson: string; steps: number; checkpointInterval: number; firstCome: boolean; bidWei: bigint | null;
  /** Any case, with or without 0x: stored as a Root. */
  historyRoot: string; finalRoot: string; modelURI: string; trainSeconds: number; withdrawnWei: bigint;
}>;

const COLUMN: Record<keyof JobUpdate, string> = {
  status: "status", reason: "reason", specURI: "spec_uri", specJson: "spec_json", steps: "steps", checkpointInterval: "checkpoint_interval", firstCome: "first_come", bidWei: "bid_wei",
  historyRoot: "history_root", finalRoot: "final_root", modelURI: "model_uri", trainSeconds: "train_seconds", withdrawnWei: "withdrawn_wei",
};

function sqlValue(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "boolean") return v ? 1 : 0;
  return v as string | number;
}

export class SolverDb {
  readonly file: string;
  readonly #db: DatabaseSync;

  constructor(file: string) {
    this.file = file;
    if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    try {
      this.#db = new (sqlite().DatabaseSync)(file);
      this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
      this.#db.exec(SCHEMA);
    } catch (e) {
      throw new SolverError(`cannot open the solver database ${file}: ${(e as Error).message}`);
    }
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Binds the database to one (chain, market, solver): a data dir reused for another one is refused. */
  bindIdentity(identity: string): void {
    const row = this.#db.prepare("SELECT value FROM meta WHERE key = 'identity'").get() as Raw | undefined;
    if (!row) {
      this.#db.prepare("INSERT INTO meta (key, value) VALUES ('identity', ?)").run(identity);
      return;
    }
    if (row.value !== identity) throw new SolverError(`the database ${this.file} belongs to ${row.value as string}, not ${identity}: use another dataDir`);
  }

  /** The next block the watcher has not scanned yet (undefined: never scanned). */
  cursor(): bigint | undefined {
    const row = this.#db.prepare("SELECT value FROM meta WHERE key = 'cursor'").get() as Raw | undefined;
    return row ? BigInt(row.value as string) : undefined;
  }

  setCursor(next: bigint): void {
    this.#db.prepare("INSERT INTO meta (key, value) VALUES ('cursor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(next.toString());
  }

  job(jobId: bigint): JobRow | undefined {
    const r = this.#db.prepare("SELECT * FROM jobs WHERE job_id = ?").get(jobId.toString()) as Raw | undefined;
    return r ? jobOf(r) : undefined;
  }

  jobs(): JobRow[] {
    return (this.#db.prepare("SELECT * FROM jobs ORDER BY CAST(job_id AS INTEGER)").all() as Raw[]).map(jobOf);
  }

  /** Records a job the first time it is seen; false when it was already known. */
  insertJob(jobId: bigint): boolean {
    const r = this.#db.prepare("INSERT OR IGNORE INTO jobs (job_id, status, updated_at) VALUES (?, 'seen', ?)").run(jobId.toString(), Date.now());
    return Number(r.changes) === 1;
  }

  updateJob(jobId: bigint, u: JobUpdate): void {
    const keys = Object.keys(u) as (keyof JobUpdate)[];
    if (keys.length === 0) return;
    const sets = keys.map((k) => `${COLUMN[k]} = ?`).join(", ");
    const value = (k: keyof JobUpdate) => (k === "historyRoot" || k === "finalRoot" ? toRoot(u[k]!) : u[k]);
    this.#db.prepare(`UPDATE jobs SET ${sets}, updated_at = ? WHERE job_id = ?`).run(...keys.map((k) => sqlValue(value(k))), Date.now(), jobId.toString());
  }

  checkpoints(jobId: bigint): CheckpointRow[] {
    const id = toJobId(jobId);
    return (this.#db.prepare("SELECT * FROM checkpoints WHERE job_id = ? ORDER BY idx").all(jobId.toString()) as Raw[])
      .map((r) => ({ jobId: id, idx: Number(r.idx), step: toStepIndex(Number(r.step)), root: toRoot(r.root as string) }));
  }

  /** Records checkpoint `idx` (its state file is already in the store); the same checkpoint twice is a no-op, a different root an error. */
  putCheckpoint(jobId: bigint, idx: number, step: number, rootIn: string): void {
    const root = toRoot(rootIn);
    const prev = this.#db.prepare("SELECT step, root FROM checkpoints WHERE job_id = ? AND idx = ?").get(jobId.toString(), idx) as Raw | undefined;
    if (prev) {
      if (Number(prev.step) !== step || prev.root !== root) throw new SolverError(`job ${jobId} checkpoint ${idx}: recomputed (step ${step}, ${root}) differs from stored (step ${prev.step as number}, ${prev.root as string})`);
      return;
    }
    this.#db.prepare("INSERT INTO checkpoints (job_id, idx, step, root) VALUES (?, ?, ?, ?)").run(jobId.toString(), idx, step, root);
  }

  /** The job whose checkpoints include this state root (for serving traces with the right spec). */
  jobOfRoot(root: Root): JobRow | undefined {
    const r = this.#db.prepare("SELECT j.* FROM checkpoints c JOIN jobs j ON j.job_id = c.job_id WHERE c.root = ? LIMIT 1").get(root) as Raw | undefined;
    return r ? jobOf(r) : undefined;
  }

  startTrainRun(jobId: bigint, startStep: number): number {
    return Number(this.#db.prepare("INSERT INTO train_runs (job_id, start_step) VALUES (?, ?)").run(jobId.toString(), startStep).lastInsertRowid);
  }

  endTrainRun(id: number, endStep: number): void {
    this.#db.prepare("UPDATE train_runs SET end_step = ? WHERE id = ?").run(endStep, id);
  }

  trainRuns(jobId: bigint): TrainRunRow[] {
    const id = toJobId(jobId);
    return (this.#db.prepare("SELECT * FROM train_runs WHERE job_id = ? ORDER BY id").all(jobId.toString()) as Raw[])
      .map((r) => ({ jobId: id, startStep: Number(r.start_step), endStep: r.end_step === null ? null : Number(r.end_step) }));
  }

  /** Records a game the first time it is seen (status open); false when it was already known. */
  insertGame(g: { gameId: bigint; jobId: bigint; loStep: number; hiStep: number; challenger: string; openedBlock: bigint }): boolean {
    const r = this.#db.prepare("INSERT OR IGNORE INTO games (game_id, job_id, lo_step, hi_step, challenger, opened_block, status, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?)")
      .run(g.gameId.toString(), g.jobId.toString(), g.loStep, g.hiStep, g.challenger, g.openedBlock.toString(), Date.now());
    return Number(r.changes) === 1;
  }

  endGame(gameId: bigint, status: Exclude<GameStatus, "open">, outcome: string): void {
    this.#db.prepare("UPDATE games SET status = ?, outcome = ?, updated_at = ? WHERE game_id = ?").run(status, outcome, Date.now(), gameId.toString());
  }

  games(jobId?: bigint): GameRow[] {
    const rows = jobId === undefined
      ? this.#db.prepare("SELECT * FROM games ORDER BY CAST(game_id AS INTEGER)").all()
      : this.#db.prepare("SELECT * FROM games WHERE job_id = ? ORDER BY CAST(game_id AS INTEGER)").all(jobId.toString());
    return (rows as Raw[]).map(gameOf);
  }

  recordTx(jobId: bigint, action: string, hash: string): void {
    this.#db.prepare("INSERT OR IGNORE INTO txs (job_id, action, hash, status) VALUES (?, ?, ?, 'sent')").run(jobId.toString(), action, hash);
  }

  settleTx(hash: string, status: "success" | "reverted" | "dropped", gasUsed?: bigint, feesWei?: bigint): void {
    this.#db.prepare("UPDATE txs SET status = ?, gas_used = ?, fees_wei = ? WHERE hash = ?").run(status, sqlValue(gasUsed), sqlValue(feesWei), hash);
  }

  txs(jobId?: bigint): TxRow[] {
    const rows = jobId === undefined
      ? this.#db.prepare("SELECT * FROM txs ORDER BY id").all()
      : this.#db.prepare("SELECT * FROM txs WHERE job_id = ? ORDER BY id").all(jobId.toString());
    return (rows as Raw[]).map(txOf);
  }

  /** Transactions sent whose outcome is not recorded yet (the process died waiting for them). */
  pendingTxs(jobId: bigint, action: string): TxRow[] {
    return (this.#db.prepare("SELECT * FROM txs WHERE job_id = ? AND action = ? AND status = 'sent' ORDER BY id").all(jobId.toString(), action) as Raw[]).map(txOf);
  }
}

export function openSolverDb(dataDir: string): SolverDb {
  return new SolverDb(path.join(path.resolve(dataDir), "solver.db"));
}
