import type { Logger } from "../log/logger.ts";

/**
 * A node never waits silently: every wait is logged with its reason and what would end it, at most once per
 * `everyMs` (default a minute) per reason key, so a node stuck on one wait says so without flooding its log.
 * A key's entry is dropped when the wait ends (`done`), so the next wait of that kind is reported at once.
 */
export class Waits {
  readonly #log: Logger;
  readonly #everyMs: number;
  readonly #last = new Map<string, number>();

  constructor(log: Logger, everyMs = 60_000) {
    this.#log = log;
    this.#everyMs = everyMs;
  }

  /** Notes that the node waits on `key`; logs `message` with `fields` unless it did so within the period. */
  waiting(key: string, message: string, fields: Record<string, unknown> = {}, now = Date.now()): void {
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.#everyMs) return;
    this.#last.set(key, now);
    this.#log.info({ wait: key, ...fields }, message);
  }

  /** The wait on `key` is over. */
  done(key: string): void {
    this.#last.delete(key);
  }

  /** Keys currently waited on (for status reports). */
  keys(): string[] {
    return [...this.#last.keys()];
  }
}
