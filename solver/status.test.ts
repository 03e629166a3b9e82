// `veritrain solver status`: every job's phase, what it waits for, the money at stake and where it sits, the
// last error; from the database (written here as the node writes it), as text and as JSON, and through the CLI
// without the chain.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { runCli } from "../node/nodeProcess.ts";
import { Waits } from "../node/waits.ts";
import { openSolverDb } from "./db.ts";
import { formatSolverStatus, solverStatus } from "./status.ts";

const ETH = 10n ** 18n;

describe("solver status", () => {
  it("shows each job's phase, waits, price and bond and where they sit, and its last error; skipped jobs on one line", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-solver-status-"));
    try {
      const db = openSolverDb(dir);
      db.bindIdentity("chain 31337 market 0x5FbDB2315678afecb367f032d93F642f64180aa3 solver 0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
      const t0 = Date.parse("2026-12-04T19:00:00Z");
      const waits = new Waits(pino({ level: "silent" }), { sink: db, now: () => t0 });
      db.insertJob(1n);
      db.updateJob(1n, { status: "skipped", reason: "the job was Finalized when first seen" });
      db.insertJob(2n);
      db.updateJob(2n, { status: "committed", bidWei: ETH, bondWei: ETH / 10n });
      waits.waiting("window:2", "job 2: waiting for its challenge window to end at chain time 1800 (chain time now 1200, 600 s to go), then it finalizes and collects its pay; the chain's clock moves only with new blocks", { jobId: "2" });
      waits.failed(2n, "finalizer", "HTTP request failed: ECONNREFUSED");
      db.insertJob(3n);
      db.updateJob(3n, { status: "withdrawn", bidWei: ETH, bondWei: ETH / 10n, withdrawnWei: ETH + ETH / 10n });
      waits.waiting("block", "no new block for 5 min (the latest is block 42): on a chain without traffic a block must be mined; every deadline is chain time, which moves only with new blocks");
      db.close();

      const s = solverStatus(openSolverDb(dir));
      assert.equal(s.role, "solver");
      assert.deepEqual(s.jobs.map((j) => [j.jobId, j.phase, j.money.owedWei]), [["1", "skipped", "0"], ["2", "committed", (ETH + ETH / 10n).toString()], ["3", "withdrawn", "0"]]);
      assert.equal(formatSolverStatus(s), [
        "solver chain 31337 market 0x5FbDB2315678afecb367f032d93F642f64180aa3 solver 0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "waiting (since 2026-12-04T19:00:00.000Z): no new block for 5 min (the latest is block 42): on a chain without traffic a block must be mined; every deadline is chain time, which moves only with new blocks",
        "job 2: committed; gas 0",
        "  money: bond 0.1 ETH locked with the job; price 1 ETH is escrowed and both are credited to the pull balance once it finalizes",
        "  waiting (since 2026-12-04T19:00:00.000Z): job 2: waiting for its challenge window to end at chain time 1800 (chain time now 1200, 600 s to go), then it finalizes and collects its pay; the chain's clock moves only with new blocks",
        "  last error (finalizer, 2026-12-04T19:00:00.000Z): HTTP request failed: ECONNREFUSED",
        "job 3: withdrawn; gas 0",
        "  money: withdrawn 1.1 ETH: price 1 ETH paid, bond 0.1 ETH returned",
        "1 job(s) skipped (closed before this node saw them, never bid on), 0 rejected (see --json for the reasons)",
        "",
      ].join("\n"));

      // The CLI reads the same database from the config's dataDir, without the chain (nothing listens at rpcUrl).
      const cfg = path.join(dir, "solver.json");
      await writeFile(cfg, JSON.stringify({ rpcUrl: "http://127.0.0.1:9", market: "0x5FbDB2315678afecb367f032d93F642f64180aa3", dataDir: dir, pricing: { minWeiPerStep: "0" } }));
      const json = await runCli(["solver", "status", "--config", cfg, "--json"]);
      assert.equal(json.code, 0, json.stderr);
      const parsed = JSON.parse(json.stdout) as { role: string; pullBalanceWei: null; waitingFor: unknown[]; jobs: { jobId: string; phase: string; waitingFor: { message: string }[]; lastError: { module: string } | null; priceWei: string; bondWei: string }[] };
      assert.deepEqual(Object.keys(parsed).sort(), ["identity", "jobs", "pullBalanceWei", "role", "waitingFor"]);
      assert.equal(parsed.pullBalanceWei, null);
      assert.equal(parsed.waitingFor.length, 1);
      const j2 = parsed.jobs.find((j) => j.jobId === "2")!;
      assert.deepEqual([j2.phase, j2.priceWei, j2.bondWei, j2.lastError?.module], ["committed", ETH.toString(), (ETH / 10n).toString(), "finalizer"]);
      assert.match(j2.waitingFor[0]!.message, /challenge window to end at chain time 1800/);
      const text = await runCli(["solver", "status", "--config", cfg]);
      assert.equal(text.stdout, formatSolverStatus(s));
      // --chain with nothing listening: one line naming the endpoint.
      const chain = await runCli(["solver", "status", "--config", cfg, "--chain"]);
      assert.notEqual(chain.code, 0);
      assert.match(chain.stderr.trim(), /^veritrain: ChainError: cannot read the pull balance from http:\/\/127\.0\.0\.1:9/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
