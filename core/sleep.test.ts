// core/sleep.ts: waits, wakes at once on an abort (before or during), never rejects, leaves no listener behind.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sleep } from "./sleep.ts";

describe("sleep", () => {
  it("waits about `ms`", async () => {
    const t0 = performance.now();
    await sleep(30);
    assert.ok(performance.now() - t0 >= 25);
  });

  it("resolves at once when the signal aborts, or has aborted", async () => {
    const c = new AbortController();
    const t0 = performance.now();
    const p = sleep(10_000, c.signal);
    setTimeout(() => c.abort(new Error("stop")), 10);
    await p;
    assert.ok(performance.now() - t0 < 1_000);
    const t1 = performance.now();
    await sleep(10_000, c.signal);
    assert.ok(performance.now() - t1 < 100);
  });

  it("removes its abort listener when it wakes on time", async () => {
    const c = new AbortController();
    let added = 0, removed = 0;
    const add = c.signal.addEventListener.bind(c.signal), remove = c.signal.removeEventListener.bind(c.signal);
    c.signal.addEventListener = ((...a: Parameters<typeof add>) => (added++, add(...a))) as typeof add;
    c.signal.removeEventListener = ((...a: Parameters<typeof remove>) => (removed++, remove(...a))) as typeof remove;
    for (let i = 0; i < 3; i++) await sleep(1, c.signal);
    assert.deepEqual([added, removed], [3, 3]);
  });
});
