// The solver database on a real file: rows survive closing and reopening; checkpoints are contiguous and a
// different root for a stored checkpoint is refused; the identity binding refuses a data dir of another node.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openSolverDb } from "./db.ts";
import { SolverError } from "./errors.ts";
import { toRoot } from "../core/root.ts";

describe("solver database", () => {
  it("persists the cursor, jobs, checkpoints, runs and transactions across reopening", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "solver-db-"));
    let db = openSolverDb(dir);
    db.bindIdentity("chain 1 market 0xabc solver 0xdef");
    assert.equal(db.cursor(), undefined);
    db.setCursor(42n);
    assert.equal(db.insertJob(7n), true);
    assert.equal(db.insertJob(7n), false);
    db.updateJob(7n, { status: "won", bidWei: 123n, firstCome: true, steps: 40, checkpointInterval: 20, specURI: "file:///spec.json" });
    db.putCheckpoint(7n, 0, 0, "0x" + "11".repeat(32));
    db.putCheckpoint(7n, 1, 20, "0x" + "22".repeat(32));
    db.putCheckpoint(7n, 1, 20, "0x" + "22".repeat(32)); // the same again: a no-op
    assert.throws(() => db.putCheckpoint(7n, 1, 20, "0x" + "33".repeat(32)), SolverError);
    const run = db.startTrainRun(7n, 20);
    db.endTrainRun(run, 40);
    db.recordTx(7n, "take", "0x" + "aa".repeat(32));
    db.close();

    db = openSolverDb(dir);
    db.bindIdentity("chain 1 market 0xabc solver 0xdef");
    assert.throws(() => db.bindIdentity("chain 2 market 0xabc solver 0xdef"), /belongs to chain 1/);
    // Bound to one chain's history too: a restarted chain (same id, same market address) has another genesis.
    db.bindGenesis("0x" + "01".repeat(32));
    db.bindGenesis("0x" + "01".repeat(32));
    assert.throws(() => db.bindGenesis("0x" + "02".repeat(32)), /genesis block is 0x(01){32}, and this chain's is 0x(02){32}: the chain was restarted or replaced/);
    assert.equal(db.cursor(), 42n);
    const j = db.job(7n)!;
    assert.equal(j.status, "won");
    assert.equal(j.bidWei, 123n);
    assert.equal(j.firstCome, true);
    assert.equal(j.specURI, "file:///spec.json");
    assert.deepEqual(db.checkpoints(7n).map((c) => [c.idx, c.step]), [[0, 0], [1, 20]]);
    assert.equal(db.jobOfRoot(toRoot("0x" + "22".repeat(32)))?.jobId, 7n);
    assert.deepEqual(db.trainRuns(7n), [{ jobId: 7n, startStep: 20, endStep: 40 }]);
    assert.deepEqual(db.pendingTxs(7n, "take").map((t) => t.hash), ["0x" + "aa".repeat(32)]);
    db.settleTx("0x" + "aa".repeat(32), "success", 21_000n, 42_000n);
    assert.deepEqual(db.pendingTxs(7n, "take"), []);
    assert.equal(db.txs(7n)[0]!.feesWei, 42_000n);
    db.close();
  });

  it("records each game once, ends it with an outcome, and keeps it across reopening", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "solver-db-"));
    let db = openSolverDb(dir);
    const g = { gameId: 3n, jobId: 7n, side: "solver" as const, loStep: 10, hiStep: 20, challenger: "0x" + "cd".repeat(20), openedBlock: 99n };
    assert.equal(db.insertGame(g), true);
    assert.equal(db.insertGame({ ...g, loStep: 0 }), false); // a second sighting changes nothing
    assert.equal(db.insertGame({ ...g, gameId: 4n }), true);
    db.endGame(4n, "won", "settled");
    db.close();
    db = openSolverDb(dir);
    assert.deepEqual(db.games(7n), [{ ...g, status: "open", outcome: null }, { ...g, gameId: 4n, status: "won", outcome: "settled" }]);
    assert.deepEqual(db.games(8n), []);
    db.close();
  });
});
