import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import { NodeDb } from "./db.ts";
import { StallWatch } from "./stalls.ts";
import { Waits } from "./waits.ts";

function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  return { log: pino({ level: "info" }, sink), lines };
}

const settle = () => new Promise((r) => setImmediate(r));

/** A clock the test moves. */
function fakeClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("Waits (what a node waits for, logged at most once a minute per reason)", () => {
  it("logs a wait at once, then at most once per minute while it lasts; a new reason is logged at once", async () => {
    const { log, lines } = capturedLog();
    const clock = fakeClock();
    const w = new Waits(log, { now: clock.now });
    w.waiting("window:4", "job 4: waiting for its challenge window to end at chain time 200 (chain time now 100)", { jobId: "4" });
    clock.advance(30_000);
    w.waiting("window:4", "job 4: waiting for its challenge window to end at chain time 200 (chain time now 101)", { jobId: "4" });
    w.waiting("beacon:5", "job 5: waiting for block 9", { jobId: "5" });
    clock.advance(30_000);
    w.waiting("window:4", "job 4: waiting for its challenge window to end at chain time 200 (chain time now 102)", { jobId: "4" });
    await settle();
    assert.deepEqual(lines.map((l) => [l.wait, l.msg]), [
      ["window:4", "job 4: waiting for its challenge window to end at chain time 200 (chain time now 100)"],
      ["beacon:5", "job 5: waiting for block 9"],
      ["window:4", "job 4: waiting for its challenge window to end at chain time 200 (chain time now 102)"],
    ]);
    // How long it has waited, in every line.
    assert.equal(lines[2]!.waitingForMs, 60_000);
    assert.deepEqual(w.current().map((c) => c.key), ["window:4", "beacon:5"]);
  });

  it("a wait that ended is reported again at once when it comes back", async () => {
    const { log, lines } = capturedLog();
    const clock = fakeClock();
    const w = new Waits(log, { now: clock.now });
    w.waiting("tx:3", "job 3: waiting for transaction bid 0xab to be mined");
    w.done("tx:3");
    clock.advance(1_000);
    w.waiting("tx:3", "job 3: waiting for transaction finalize 0xcd to be mined");
    await settle();
    assert.equal(lines.length, 2);
    assert.equal(w.due("tx:3"), false);
    clock.advance(60_000);
    assert.equal(w.due("tx:3"), true);
  });

  it("persists each logged wait and each job's last error in the node's database, and clears them when they end", () => {
    const { log } = capturedLog();
    const clock = fakeClock();
    const db = new NodeDb(":memory:", "CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, status TEXT NOT NULL, updated_at INTEGER NOT NULL);");
    const w = new Waits(log, { now: clock.now, sink: db });
    w.waiting("window:4", "job 4: waiting for its challenge window", { jobId: "4", windowEnd: 200n });
    w.waiting("block", "no new block for 5 min");
    clock.advance(90_000);
    w.waiting("window:4", "job 4: waiting for its challenge window (later)", { jobId: "4" });
    assert.deepEqual(db.waits(4n).map((r) => [r.key, r.message, r.since, r.loggedAt]), [["window:4", "job 4: waiting for its challenge window (later)", 1_000_000, 1_090_000]]);
    assert.deepEqual(db.waits().filter((r) => r.jobId === null).map((r) => r.key), ["block"]);
    w.doneJob(4n);
    assert.deepEqual(db.waits(4n), []);
    w.failed(4n, "finalizer", "execution reverted: NotCommitted");
    assert.deepEqual(db.jobError(4n), { jobId: "4", module: "finalizer", error: "execution reverted: NotCommitted", at: 1_090_000 });
    w.succeeded(4n, "committer"); // another module's success leaves the error
    assert.equal(db.jobError(4n)?.module, "finalizer");
    // A restarted node (a new Waits on the same database) clears the error its predecessor recorded.
    const again = new Waits(log, { now: clock.now, sink: db, errors: db.jobErrorKeys() });
    again.succeeded(4n, "finalizer");
    assert.equal(db.jobError(4n), undefined);
    db.close();
  });
});

describe("StallWatch (the node's own waits)", () => {
  it("says when no new block came for a minute (a chain without traffic must mine one), and when there is nothing to do", async () => {
    const { log, lines } = capturedLog();
    const clock = fakeClock();
    const waits = new Waits(log, { now: clock.now });
    const head = { lastBlock: 7n as bigint | undefined, lastBlockAt: clock.now() };
    let busy = false;
    const s = new StallWatch({ waits, watcher: head, now: clock.now, idle: () => (busy ? undefined : "no job to work on: waiting for a job to be posted") });
    await s.tick();
    clock.advance(59_000);
    busy = true;
    await s.tick();
    clock.advance(5 * 60_000);
    await s.tick();
    await settle();
    assert.deepEqual(lines.map((l) => l.msg), [
      "no job to work on: waiting for a job to be posted",
      "no new block for 5 min (the latest is block 7): on a chain without traffic a block must be mined; every deadline is chain time, which moves only with new blocks",
    ]);
    assert.equal(lines[1]!.lastBlock, "7");
    // A new block ends the wait; the next stall is reported at once.
    head.lastBlock = 8n;
    head.lastBlockAt = clock.now();
    await s.tick();
    assert.deepEqual(waits.keys(), []);
  });
});
