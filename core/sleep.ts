/**
 * Waits `ms` milliseconds, or less: it resolves at once when `signal` aborts (or has already aborted). It
 * never rejects, so a polling loop checks its signal after waking (`signal.throwIfAborted()` or
 * `if (signal.aborted) break`) and decides itself whether an abort is an error.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
