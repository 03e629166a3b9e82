import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import { forEachJob } from "./node.ts";
import { Waits } from "./waits.ts";

function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  return { log: pino({ level: "info" }, sink), lines };
}

const rows = [1n, 2n, 3n].map((jobId) => ({ jobId, status: "committed" }));

describe("forEachJob (one module's pass over the jobs)", () => {
  it("a job whose step throws is logged with its id, status and error; the jobs after it still run", async () => {
    const { log, lines } = capturedLog();
    const ran: bigint[] = [];
    await forEachJob({ signal: new AbortController().signal, log }, "challenger", rows, (row) => {
      ran.push(row.jobId);
      if (row.jobId === 1n) throw new Error("execution reverted: InsufficientBond");
    });
    assert.deepEqual(ran, [1n, 2n, 3n]);
    await new Promise((r) => setImmediate(r));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.jobId, "1");
    assert.equal(lines[0]!.status, "committed");
    assert.equal(lines[0]!.module, "challenger");
    assert.equal(lines[0]!.err, "execution reverted: InsufficientBond");
    assert.equal(lines[0]!.msg, "challenger failed on job 1; retrying on the next poll");
  });

  it("stops at the next job once the signal aborts, and logs nothing for a step cut short by the abort", async () => {
    const { log, lines } = capturedLog();
    const controller = new AbortController();
    const ran: bigint[] = [];
    await forEachJob({ signal: controller.signal, log }, "sampler", rows, async (row) => {
      ran.push(row.jobId);
      controller.abort();
      throw new Error("aborted");
    });
    assert.deepEqual(ran, [1n]);
    await new Promise((r) => setImmediate(r));
    assert.equal(lines.length, 0);
  });

  it("with waits: a step that keeps failing is one warning a minute, its job's last error recorded, both cleared by a success", async () => {
    const { log, lines } = capturedLog();
    let t = 0;
    const errors: string[] = [];
    const sink = { putWait: () => {}, deleteWait: () => {}, setJobError: (_j: bigint, m: string, e: string) => void errors.push(`${m}: ${e}`), clearJobError: () => void errors.push("cleared") };
    const waits = new Waits(log, { now: () => t, sink });
    const ctx = { signal: new AbortController().signal, log, waits };
    let fail = true;
    const step = (row: { jobId: bigint }) => {
      if (fail && row.jobId === 2n) throw new Error("HTTP request failed: ECONNREFUSED");
    };
    for (const dt of [0, 2_000, 2_000, 60_000]) {
      t += dt;
      await forEachJob(ctx, "finalizer", rows, step);
    }
    fail = false;
    await forEachJob(ctx, "finalizer", rows, step);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(lines.map((l) => [l.level, l.jobId, l.msg]), [[40, "2", "finalizer failed on job 2; retrying on the next poll"], [40, "2", "finalizer failed on job 2; retrying on the next poll"]]);
    assert.deepEqual(errors, [...Array(4).fill("finalizer: HTTP request failed: ECONNREFUSED"), "cleared"]);
    assert.deepEqual(waits.keys(), []);
  });
});
