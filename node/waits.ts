import type { Logger } from "../log/logger.ts";
import type { WaitRow } from "./db.ts";

/**
 * A node never waits silently: every wait is logged with its reason and what would end it, at most once per
 * `everyMs` (default a minute) per reason key, so a node stuck on one wait says so without flooding its log.
 * A key's entry is dropped when the wait ends (`done`), so the next wait of that kind is reported at once.
 * Keys name the reason and the job (`window:4`), so two reasons of one job are two waits.
 *
 * Each logged wait is also written to the node's database (the sink), with the job it is about (`fields.jobId`)
 * and when it began, and a job's last error likewise: `veritrain solver|verifier status`, another process,
 * reads them there. The sink is written only when a line is logged or a wait ends, never on every poll.
 */
export interface WaitSink {
  putWait(w: WaitRow): void;
  deleteWait(key: string): void;
  setJobError(jobId: bigint, module: string, error: string, at?: number): void;
  clearJobError(jobId: bigint, module: string): void;
}

export interface WaitsOptions {
  /** The least time between two lines of one wait (default 60 s). */
  readonly everyMs?: number;
  /** The clock (ms since the epoch; tests pass a fake one). */
  readonly now?: () => number;
  readonly sink?: WaitSink;
  /** Job errors already recorded in the sink (`<jobId>/<module>`: a restarted node's), cleared as steps succeed. */
  readonly errors?: readonly string[];
}

export class Waits {
  readonly #log: Logger;
  readonly #everyMs: number;
  readonly #now: () => number;
  readonly #sink: WaitSink | undefined;
  readonly #current = new Map<string, { since: number; loggedAt: number; message: string }>();
  /** `${jobId}/${module}` of every job error recorded (so a success clears only what was recorded). */
  readonly #errors = new Set<string>();

  constructor(log: Logger, o: WaitsOptions = {}) {
    this.#log = log;
    this.#everyMs = o.everyMs ?? 60_000;
    this.#now = o.now ?? Date.now;
    this.#sink = o.sink;
    for (const e of o.errors ?? []) this.#errors.add(e);
  }

  /** Whether `waiting(key, ...)` would log now: callers whose message costs a chain read build it only then. */
  due(key: string): boolean {
    const c = this.#current.get(key);
    return c === undefined || this.#now() - c.loggedAt >= this.#everyMs;
  }

  /**
   * Notes that the node waits on `key`: logs `message` (what is waited for and what ends it) with `fields`
   * (`jobId` among them when the wait is a job's) unless it did so within the period. A retry after a failure
   * is a wait too, logged as a warning.
   */
  waiting(key: string, message: string, fields: Record<string, unknown> = {}, level: "info" | "warn" = "info"): void {
    if (!this.due(key)) return;
    const now = this.#now();
    const since = this.#current.get(key)?.since ?? now;
    this.#current.set(key, { since, loggedAt: now, message });
    this.#log[level]({ wait: key, waitingForMs: now - since, ...fields }, message);
    const jobId = fields.jobId === undefined ? null : String(fields.jobId);
    this.#sink?.putWait({ key, jobId, message, fields, since, loggedAt: now });
  }

  /** The wait on `key` is over. */
  done(key: string): void {
    if (!this.#current.delete(key)) return;
    this.#sink?.deleteWait(key);
  }

  /** Every wait of a job is over (it reached a terminal status). */
  doneJob(jobId: bigint | string): void {
    for (const key of [...this.#current.keys()]) if (key.endsWith(`:${jobId}`)) this.done(key);
  }

  /** A module's step on a job failed: recorded as the job's last error (the caller logs it and retries). */
  failed(jobId: bigint, module: string, error: string): void {
    this.#errors.add(`${jobId}/${module}`);
    this.#sink?.setJobError(jobId, module, error, this.#now());
  }

  /** A module's step on a job succeeded: its recorded error, if any, is cleared. */
  succeeded(jobId: bigint, module: string): void {
    if (this.#errors.delete(`${jobId}/${module}`)) this.#sink?.clearJobError(jobId, module);
  }

  /** What the node waits on now, oldest first (`since`: an ISO time). */
  current(): { key: string; message: string; since: string }[] {
    return [...this.#current].sort((a, b) => a[1].since - b[1].since).map(([key, c]) => ({ key, message: c.message, since: new Date(c.since).toISOString() }));
  }

  /** Keys currently waited on. */
  keys(): string[] {
    return [...this.#current.keys()];
  }
}
