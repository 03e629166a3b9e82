import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Backoff } from "./backoff.ts";

describe("Backoff", () => {
  it("doubles the wait per consecutive failure up to the cap, per key, and starts afresh after a success", () => {
    const b = new Backoff(1_000, 8_000);
    assert.equal(b.ready("a", 0), true);
    assert.deepEqual(b.fail("a", 0), { failures: 1, delayMs: 1_000 });
    assert.equal(b.ready("a", 999), false);
    assert.equal(b.ready("a", 1_000), true);
    assert.equal(b.ready("b", 0), true, "other keys are unaffected");
    assert.deepEqual([2, 3, 4, 5].map(() => b.fail("a", 0).delayMs), [2_000, 4_000, 8_000, 8_000]);
    assert.equal(b.failures("a"), 5);
    b.clear("a");
    assert.equal(b.ready("a", 0), true);
    assert.deepEqual(b.fail("a", 0), { failures: 1, delayMs: 1_000 });
  });
});
