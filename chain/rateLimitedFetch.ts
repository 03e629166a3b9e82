import { setTimeout as sleep } from "node:timers/promises";
import { retryAfterMs } from "../core/retryAfter.ts";

/**
 * The fetch under the RPC transport (viem's http transport `fetchFn`): an HTTP 429 (Too Many Requests, what
 * public endpoints answer past their rate limit) is waited out and sent again, `retries` times, whatever the
 * transport's own `retryCount` (which the client keeps at 0 so that other failures are reported at once). The
 * pause is the answer's Retry-After (seconds or an HTTP date) when given, capped at `maxDelayMs`, else a
 * doubling pause from `baseDelayMs`. The last 429 is returned as is, for viem to report. The request's abort
 * signal (viem's per-request timeout) ends a pause early.
 */
export interface RateLimitOptions {
  /** Re-sends of a request answered 429 (default 6). */
  readonly retries?: number;
  /** The first pause without Retry-After, doubled after each (default 250 ms). */
  readonly baseDelayMs?: number;
  /** The longest pause, Retry-After included (default 5 s: a longer wait fails the request, the caller retries later). */
  readonly maxDelayMs?: number;
  /** Called before each pause (for a log line). */
  readonly onRateLimited?: (info: { attempt: number; delayMs: number; url: string }) => void;
}

export const RATE_LIMIT_DEFAULTS = { retries: 6, baseDelayMs: 250, maxDelayMs: 5_000 } as const;

export function rateLimitedFetch(o: RateLimitOptions = {}): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  const retries = o.retries ?? RATE_LIMIT_DEFAULTS.retries;
  const base = o.baseDelayMs ?? RATE_LIMIT_DEFAULTS.baseDelayMs;
  const cap = o.maxDelayMs ?? RATE_LIMIT_DEFAULTS.maxDelayMs;
  return async (input, init) => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(input, init);
      if (res.status !== 429 || attempt >= retries) return res;
      await res.body?.cancel().catch(() => {});
      const delayMs = Math.min(retryAfterMs(res.headers.get("retry-after")) ?? base * 2 ** attempt, cap);
      o.onRateLimited?.({ attempt: attempt + 1, delayMs, url: String(input instanceof Request ? input.url : input) });
      await sleep(delayMs, undefined, init?.signal ? { signal: init.signal } : {});
    }
  };
}
