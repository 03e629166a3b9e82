/**
 * Per-key exponential backoff for work the node retries on its poll loop (a spec endpoint that did not
 * answer, a training run that failed): after the n-th consecutive failure the key waits
 * min(baseMs * 2^(n-1), maxMs) before it is ready again. In memory only: a restarted node starts afresh.
 */
export class Backoff {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #state = new Map<string, { failures: number; readyAt: number }>();

  constructor(baseMs = 1_000, maxMs = 60_000) {
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
  }

  /** Records a failure; returns the consecutive failure count and the wait before the next attempt. */
  fail(key: string, now = Date.now()): { failures: number; delayMs: number } {
    const failures = (this.#state.get(key)?.failures ?? 0) + 1;
    const delayMs = Math.min(this.#baseMs * 2 ** Math.min(failures - 1, 30), this.#maxMs);
    this.#state.set(key, { failures, readyAt: now + delayMs });
    return { failures, delayMs };
  }

  /** Whether the key may be attempted now (never failed, or its wait is over). */
  ready(key: string, now = Date.now()): boolean {
    const s = this.#state.get(key);
    return s === undefined || now >= s.readyAt;
  }

  failures(key: string): number {
    return this.#state.get(key)?.failures ?? 0;
  }

  /** A success: the key starts afresh. */
  clear(key: string): void {
    this.#state.delete(key);
  }
}
