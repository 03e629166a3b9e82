import { mkdirSync } from "node:fs";
import path from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { VeritrainError } from "../core/errors.ts";
import { type JobId, type StepIndex, toJobId, toStepIndex } from "../core/root.ts";
import { sqlite } from "./sqlite.ts";

/**
 * The part of a node's embedded database (node:sqlite, one file, WAL) that every node keeps: the identity it
 * belongs to (chain, market, account), the persisted cursors of its chain watchers, every transaction it sent
 * and every dispute game it plays. A role adds its own tables on the same connection (`exec`/`prepare`). Each
 * write is its own transaction, so a SIGKILL leaves the file consistent at the last completed write.
 */
export class NodeDbError extends VeritrainError {
  override name = "NodeDbError";
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

/** A dispute game the node plays: open while it plays, then won, lost or aborted (from its side's view). */
export const GAME_STATUSES = ["open", "won", "lost", "aborted"] as const;
export type GameStatus = (typeof GAME_STATUSES)[number];
export type GameSide = "solver" | "challenger";

export interface GameRow {
  readonly gameId: bigint;
  readonly jobId: JobId;
  /** Which side this node plays. */
  readonly side: GameSide;
  /** The challenged checkpoint interval [loStep, hiStep] as opened (the game narrows it; a view replays from loStep). */
  readonly loStep: StepIndex;
  readonly hiStep: StepIndex;
  readonly challenger: string;
  /** The block of its ChallengeOpened event (event lookups start there). */
  readonly openedBlock: bigint;
  readonly status: GameStatus;
  /** How it ended (DisputeGame.Reason name, or "voided"), when it did. */
  readonly outcome: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
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
  side TEXT NOT NULL DEFAULT 'solver',
  lo_step INTEGER NOT NULL,
  hi_step INTEGER NOT NULL,
  challenger TEXT NOT NULL,
  opened_block TEXT NOT NULL,
  status TEXT NOT NULL,
  outcome TEXT,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS waits (
  key TEXT PRIMARY KEY,
  job_id TEXT,
  message TEXT NOT NULL,
  fields TEXT NOT NULL,
  since INTEGER NOT NULL,
  logged_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS job_errors (
  job_id TEXT PRIMARY KEY,
  module TEXT NOT NULL,
  error TEXT NOT NULL,
  at INTEGER NOT NULL
);
`;

/** What the node waits on now (node/waits.ts), as last logged: status reads it from another process. */
export interface WaitRow {
  readonly key: string;
  /** The job it is about (null: the node's own, e.g. no new block). */
  readonly jobId: string | null;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
  /** When the wait began and when it was last logged (ms since the epoch, the node's clock). */
  readonly since: number;
  readonly loggedAt: number;
}

/** The last error a module met on a job (cleared when the job's step next succeeds). */
export interface JobErrorRow {
  readonly jobId: string;
  readonly module: string;
  readonly error: string;
  readonly at: number;
}

export type Raw = Record<string, unknown>;
export const big = (v: unknown): bigint | null => (v === null || v === undefined ? null : BigInt(v as string));

/** A value as SQLite stores it: bigints as decimal text, booleans as 0/1. */
export function sqlValue(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "boolean") return v ? 1 : 0;
  return v as string | number;
}

function gameOf(r: Raw): GameRow {
  return {
    gameId: BigInt(r.game_id as string), jobId: toJobId(r.job_id as string), side: (r.side as GameSide | null) ?? "solver", loStep: toStepIndex(Number(r.lo_step)), hiStep: toStepIndex(Number(r.hi_step)),
    challenger: r.challenger as string, openedBlock: BigInt(r.opened_block as string), status: r.status as GameStatus, outcome: (r.outcome as string | null) ?? null,
  };
}

function txOf(r: Raw): TxRow {
  return { id: Number(r.id), jobId: toJobId(r.job_id as string), action: r.action as string, hash: r.hash as string, status: r.status as TxRow["status"], gasUsed: big(r.gas_used), feesWei: big(r.fees_wei) };
}

export class NodeDb {
  readonly file: string;
  readonly #db: DatabaseSync;

  /** Opens (or creates) the database; `schema` holds the role's own CREATE TABLE IF NOT EXISTS statements. */
  constructor(file: string, schema = "") {
    this.file = file;
    if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    try {
      this.#db = new (sqlite().DatabaseSync)(file);
      this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
      this.#db.exec(SCHEMA + schema);
    } catch (e) {
      throw new NodeDbError(`cannot open the database ${file}: ${(e as Error).message}`);
    }
  }

  // ---------------------------------------------------------------- a role's jobs table
  // Both roles keep a `jobs` table keyed by job_id with a status and an updated_at column; these read and
  // write its rows generically (the role maps a raw row to its typed row).

  /** Records a job the first time it is seen (status 'seen'); false when it was already known. */
  insertJob(jobId: bigint): boolean {
    const r = this.#db.prepare("INSERT OR IGNORE INTO jobs (job_id, status, updated_at) VALUES (?, 'seen', ?)").run(jobId.toString(), Date.now());
    return Number(r.changes) === 1;
  }

  protected jobRaw(jobId: bigint): Raw | undefined {
    return this.#db.prepare("SELECT * FROM jobs WHERE job_id = ?").get(jobId.toString()) as Raw | undefined;
  }

  protected jobsRaw(): Raw[] {
    return this.#db.prepare("SELECT * FROM jobs ORDER BY CAST(job_id AS INTEGER)").all() as Raw[];
  }

  /** Every job's id and status (what a role's typed rows have in common). */
  jobsOf(): { jobId: bigint; status: string }[] {
    return (this.#db.prepare("SELECT job_id, status FROM jobs").all() as Raw[]).map((r) => ({ jobId: BigInt(r.job_id as string), status: r.status as string }));
  }

  /** Sets the given fields of a job's row: `columns` names each field's column, `encode` turns a value into what is stored. */
  protected updateJobRow(jobId: bigint, columns: Readonly<Record<string, string>>, u: Readonly<Record<string, unknown>>, encode: (field: string, v: unknown) => unknown = (_f, v) => v): void {
    const keys = Object.keys(u);
    if (keys.length === 0) return;
    this.#db.prepare(`UPDATE jobs SET ${keys.map((k) => `${columns[k]} = ?`).join(", ")}, updated_at = ? WHERE job_id = ?`).run(...keys.map((k) => sqlValue(encode(k, u[k]))), Date.now(), jobId.toString());
  }

  /** The connection, for the role's own tables. */
  get sql(): DatabaseSync {
    return this.#db;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Binds the database to one (chain, market, account): a data dir reused for another one is refused. */
  bindIdentity(identity: string): void {
    const row = this.#db.prepare("SELECT value FROM meta WHERE key = 'identity'").get() as Raw | undefined;
    if (!row) {
      this.#db.prepare("INSERT INTO meta (key, value) VALUES ('identity', ?)").run(identity);
      return;
    }
    if (row.value !== identity) throw new NodeDbError(`the database ${this.file} belongs to ${row.value as string}, not ${identity}: use another dataDir`);
  }

  /**
   * Binds the database to one chain's history by its genesis block hash. The identity above cannot tell a
   * restarted local chain from the one before: the same chain id, and the market deployed again at the same
   * address by the same deployer's first transaction. A node reopened on it would trust rows about jobs
   * and blocks that no longer exist (job 1 "already done" while a new job 1 waits, a cursor past the head).
   * A database without a genesis (written before this check) takes the current one.
   */
  bindGenesis(genesis: string): void {
    const row = this.#db.prepare("SELECT value FROM meta WHERE key = 'genesis'").get() as Raw | undefined;
    if (!row) {
      this.#db.prepare("INSERT INTO meta (key, value) VALUES ('genesis', ?)").run(genesis);
      return;
    }
    if (row.value !== genesis) {
      throw new NodeDbError(`the database ${this.file} was written on a chain whose genesis block is ${row.value as string}, and this chain's is ${genesis}: the chain was restarted or replaced (same chain id and market address). Its jobs and cursor describe the old chain: use another dataDir (or delete this one)`);
    }
  }

  /** The identity the database is bound to ("chain <id> market <address> <role> <account>"), if bound. */
  identity(): string | undefined {
    const row = this.#db.prepare("SELECT value FROM meta WHERE key = 'identity'").get() as Raw | undefined;
    return row?.value as string | undefined;
  }

  /** The next block watcher `name` has not scanned yet (undefined: never scanned). */
  cursor(name = "market"): bigint | undefined {
    const row = this.#db.prepare("SELECT value FROM meta WHERE key = ?").get(cursorKey(name)) as Raw | undefined;
    return row ? BigInt(row.value as string) : undefined;
  }

  setCursor(next: bigint, name = "market"): void {
    this.#db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(cursorKey(name), next.toString());
  }

  /** Records a game the first time it is seen (status open); false when it was already known. */
  insertGame(g: Omit<GameRow, "status" | "outcome" | "jobId" | "loStep" | "hiStep"> & { jobId: bigint; loStep: number; hiStep: number }): boolean {
    const r = this.#db.prepare("INSERT OR IGNORE INTO games (game_id, job_id, side, lo_step, hi_step, challenger, opened_block, status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?)")
      .run(g.gameId.toString(), g.jobId.toString(), g.side, g.loStep, g.hiStep, g.challenger, g.openedBlock.toString(), Date.now());
    return Number(r.changes) === 1;
  }

  endGame(gameId: bigint, status: Exclude<GameStatus, "open">, outcome: string): void {
    this.#db.prepare("UPDATE games SET status = ?, outcome = ?, updated_at = ? WHERE game_id = ?").run(status, outcome, Date.now(), gameId.toString());
  }

  game(gameId: bigint): GameRow | undefined {
    const r = this.#db.prepare("SELECT * FROM games WHERE game_id = ?").get(gameId.toString()) as Raw | undefined;
    return r ? gameOf(r) : undefined;
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

  /** Records (or refreshes) a wait; `since` is kept from the first record of the key. */
  putWait(w: WaitRow): void {
    this.#db.prepare("INSERT INTO waits (key, job_id, message, fields, since, logged_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET job_id = excluded.job_id, message = excluded.message, fields = excluded.fields, logged_at = excluded.logged_at")
      .run(w.key, w.jobId, w.message, JSON.stringify(w.fields, (_k, v) => (typeof v === "bigint" ? v.toString() : v)), w.since, w.loggedAt);
  }

  deleteWait(key: string): void {
    this.#db.prepare("DELETE FROM waits WHERE key = ?").run(key);
  }

  /** Forgets every recorded wait (a starting node: its waits are found again on its first ticks). */
  clearWaits(): void {
    this.#db.exec("DELETE FROM waits");
  }

  waits(jobId?: bigint): WaitRow[] {
    const rows = jobId === undefined
      ? this.#db.prepare("SELECT * FROM waits ORDER BY since, key").all()
      : this.#db.prepare("SELECT * FROM waits WHERE job_id = ? ORDER BY since, key").all(jobId.toString());
    return (rows as Raw[]).map((r) => ({
      key: r.key as string, jobId: (r.job_id as string | null) ?? null, message: r.message as string, fields: JSON.parse(r.fields as string) as Record<string, unknown>,
      since: Number(r.since), loggedAt: Number(r.logged_at),
    }));
  }

  setJobError(jobId: bigint, module: string, error: string, at = Date.now()): void {
    this.#db.prepare("INSERT INTO job_errors (job_id, module, error, at) VALUES (?, ?, ?, ?) ON CONFLICT (job_id) DO UPDATE SET module = excluded.module, error = excluded.error, at = excluded.at")
      .run(jobId.toString(), module, error, at);
  }

  /** The job's last error, if any. */
  jobError(jobId: bigint): JobErrorRow | undefined {
    const r = this.#db.prepare("SELECT * FROM job_errors WHERE job_id = ?").get(jobId.toString()) as Raw | undefined;
    return r ? { jobId: r.job_id as string, module: r.module as string, error: r.error as string, at: Number(r.at) } : undefined;
  }

  /** Every recorded error as `<jobId>/<module>` (a restarted node clears them as its steps succeed). */
  jobErrorKeys(): string[] {
    return (this.#db.prepare("SELECT job_id, module FROM job_errors").all() as Raw[]).map((r) => `${r.job_id as string}/${r.module as string}`);
  }

  /** Clears a module's last error on a job (its step succeeded); another module's error stays. */
  clearJobError(jobId: bigint, module: string): void {
    this.#db.prepare("DELETE FROM job_errors WHERE job_id = ? AND module = ?").run(jobId.toString(), module);
  }

  /** Total gas and fees of a job's transactions (every action, disputes included); of all jobs without `jobId`. */
  spent(jobId?: bigint): { gasUsed: bigint; feesWei: bigint } {
    let gasUsed = 0n, feesWei = 0n;
    for (const t of this.txs(jobId)) {
      gasUsed += t.gasUsed ?? 0n;
      feesWei += t.feesWei ?? 0n;
    }
    return { gasUsed, feesWei };
  }
}

const cursorKey = (name: string) => (name === "market" ? "cursor" : `cursor:${name}`);
