// Both nodes in-process on an in-process Hardhat network, as an operator sees them from outside: /health and
// the Prometheus /metrics of each (scraped before and after a job: the last block and the jobs by phase move,
// the solver's earnings appear), `status` of each (the same shape; the waits the node logged, with what ends
// them, read back from its database), and the start refusals (a market that is not a JobMarket, a port in use).
// Set NODE_ENDPOINTS_LOG=<file> to keep both nodes' log lines (the docs quote them).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { pino } from "pino";
import { deployProtocol } from "../../chain/deploy.ts";
import { NotAMarketError } from "../../chain/errors.ts";
import { postJob } from "../../client/postJob.ts";
import { ServeError } from "../../node/httpServer.ts";
import { solverStatus } from "../../solver/status.ts";
import { verifierStatus } from "../../verifier/status.ts";
import { publishForSolver, startInProcessSolver } from "../helpers/inProcessSolver.ts";
import { startInProcessVerifier } from "../helpers/inProcessVerifier.ts";
import { syntheticDataset, tinySpec } from "../vectors/generate.ts";

const WINDOW = 3_600n;

/** One Prometheus sample's value (undefined when absent): `name{labels}`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.indexOf("}"));
    if (want.every((w) => inner.split(",").includes(w))) return Number(line.slice(line.indexOf("}") + 1).trim());
  }
  return undefined;
}

async function get(url: string): Promise<{ status: number; type: string | null; body: string }> {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get("content-type"), body: await r.text() };
}

describe("node endpoints: /health, /metrics and status of both nodes", async () => {
  const { viem } = await network.create();
  const pc = await viem.getPublicClient();
  const tc = await viem.getTestClient();
  const [deployer, treasury, client, solverW, verifierW] = await viem.getWalletClients();
  const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000 });
  const market = d.jobMarket;
  const dataset = syntheticDataset(64, 12, 4);
  const spec = tinySpec(dataset);
  const logFile = process.env.NODE_ENDPOINTS_LOG;
  const log = logFile ? pino({ level: "info" }, pino.destination({ dest: logFile, sync: true })) : pino({ level: "silent" });

  it("scrapes both nodes before and after a job; status of both shows the phase, the waits and the money", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-endpoints-"));
    const pub = await publishForSolver(dir, spec, dataset);
    const solver = await startInProcessSolver({ client: solverW!, market, dataDir: path.join(dir, "solver"), datasets: [pub.datasetFile], log: log.child({ role: "solver" }) });
    const verifier = await startInProcessVerifier({ client: verifierW!, market, dataDir: path.join(dir, "verifier"), datasets: [pub.datasetFile], sampleBps: 10_000, serve: { host: "127.0.0.1", port: 0 }, log: log.child({ role: "verifier" }) });
    const solverUrl = solver.node.server.url, verifierUrl = verifier.node.serveUrl!;
    let miner: NodeJS.Timeout | undefined;
    try {
      // Before any job: both up, their last block seen, no job in any phase.
      await verifier.until("a first block seen", () => verifier.node.node.modules.some((m) => "lastBlock" in m && (m as { lastBlock?: bigint }).lastBlock !== undefined));
      for (const url of [solverUrl, verifierUrl]) {
        const h = await get(`${url}/health`);
        assert.equal(h.status, 200);
        const body = JSON.parse(h.body) as Record<string, unknown>;
        assert.equal(body.ok, true);
        const m = await get(`${url}/metrics`);
        assert.equal(m.status, 200);
        assert.match(m.type ?? "", /^text\/plain; version=0\.0\.4/);
        for (const name of ["veritrain_jobs", "veritrain_disputes", "veritrain_gas_used", "veritrain_earned_wei", "veritrain_last_block", "veritrain_rpc_errors_total"]) assert.match(m.body, new RegExp(`^# TYPE ${name} `, "m"), name);
      }
      const before = (await get(`${solverUrl}/metrics`)).body;
      const block0 = sample(before, "veritrain_last_block", { role: "solver" })!;
      assert.ok(block0 >= 1, before);
      assert.equal(sample(before, "veritrain_jobs", { role: "solver", phase: "committed" }), 0);
      assert.equal(sample(before, "veritrain_rpc_errors_total", { role: "solver", kind: "transport" }), 0);

      miner = setInterval(() => void tc.mine({ blocks: 1 }).catch(() => {}), 150);
      const { jobId } = await postJob(client!, {
        market, spec, dataset, specURI: pub.specURI, steps: 9, checkpointInterval: 3, escrow: 1_000_000n, requiredBond: 100_000n, challengeBond: 50_000n,
        commitDuration: 3_600n, challengeWindow: WINDOW, clockDuration: 600n, sampleBps: 500,
      });
      await verifier.until("attested", (v) => v.db.job(jobId)?.status === "attested", 120_000);
      await verifier.until("the solver committed", () => solver.node.db.job(jobId)?.status === "committed", 60_000);
      // The challenge window holds both: each says so, with the chain time that ends it, in its status.
      await verifier.until("the solver's window wait recorded", () => solver.node.db.waits(jobId).some((w) => w.key === `window:${jobId}`), 30_000);
      await verifier.until("the verifier's finality wait recorded", (v) => v.db.waits(jobId).some((w) => w.key === `final:${jobId}`), 30_000);
      const sCommitted = solverStatus(solver.node.db);
      const sJob = sCommitted.jobs.find((j) => j.jobId === String(jobId))!;
      assert.equal(sJob.phase, "committed");
      assert.match(sJob.waitingFor[0]!.message, new RegExp(`^job ${jobId}: waiting for its challenge window to end at chain time \\d+ \\(chain time now \\d+, \\d+ s to go\\)`));
      assert.equal(sJob.priceWei, "1000000");
      assert.equal(sJob.bondWei, "100000");
      assert.equal(sJob.money.owedWei, "1100000");
      assert.match(sJob.money.sits, /bond 0\.0000000000001 ETH locked with the job/);
      assert.equal(sJob.lastError, null);
      assert.equal(sJob.checkpoints, 4);
      const vAttested = verifierStatus(verifier.node.db);
      const vJob = vAttested.jobs.find((j) => j.jobId === String(jobId))!;
      assert.equal(vJob.phase, "attested");
      assert.match(vJob.waitingFor[0]!.message, /attested; waiting for the job to be final: its challenge window ends at chain time \d+/);
      assert.equal(vJob.money.sits, "nothing at stake (no challenge)");
      // The same shape for both roles (a dashboard reads either).
      for (const s of [sCommitted, vAttested]) assert.deepEqual(Object.keys(s).sort(), ["identity", "jobs", "pullBalanceWei", "role", "waitingFor"]);
      const common = ["jobId", "phase", "reason", "waitingFor", "lastError", "money", "gasUsed", "feesWei"];
      for (const j of [sJob, vJob]) for (const k of common) assert.ok(k in j, k);
      const mid = (await get(`${solverUrl}/metrics`)).body;
      assert.equal(sample(mid, "veritrain_jobs", { role: "solver", phase: "committed" }), 1);
      assert.ok(sample(mid, "veritrain_last_block", { role: "solver" })! > block0, "the last block moved");
      assert.ok(sample(mid, "veritrain_gas_used", { role: "solver" })! > 0);
      assert.ok(sample(mid, "veritrain_waits", { role: "solver" })! >= 1);
      const vm = (await get(`${verifierUrl}/metrics`)).body;
      assert.equal(sample(vm, "veritrain_jobs", { role: "verifier", phase: "attested" }), 1);
      assert.equal(sample(vm, "veritrain_disputes", { role: "verifier", status: "open" }), 0);

      await tc.increaseTime({ seconds: Number(WINDOW) });
      await tc.mine({ blocks: 1 });
      const r = await solver.nextReport();
      assert.equal(r.status, "withdrawn");
      await verifier.until("done", (v) => v.db.job(jobId)?.status === "done");
      const after = (await get(`${solverUrl}/metrics`)).body;
      assert.equal(sample(after, "veritrain_jobs", { role: "solver", phase: "withdrawn" }), 1);
      assert.equal(sample(after, "veritrain_jobs", { role: "solver", phase: "committed" }), 0);
      assert.equal(sample(after, "veritrain_earned_wei", { role: "solver" }), 1_000_000);
      assert.equal(sample(after, "veritrain_withdrawn_wei", { role: "solver" }), 1_100_000);
      const sDone = solverStatus(solver.node.db).jobs.find((j) => j.jobId === String(jobId))!;
      assert.deepEqual(sDone.waitingFor, []);
      assert.equal(sDone.money.owedWei, "0");
      assert.match(sDone.money.sits, /^withdrawn 0\.0000000000011 ETH: price 0\.000000000001 ETH paid, bond 0\.0000000000001 ETH returned$/);
    } finally {
      if (miner) clearInterval(miner);
      await verifier.stop();
      await solver.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a fresh solver sees the jobs that closed before it as skipped, not lost: no report line, one count in status", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-fresh-"));
    const fresh = await startInProcessSolver({ client: deployer!, market, dataDir: path.join(dir, "s"), datasets: ["mnist"] });
    try {
      let reported = false;
      void fresh.nextReport().then(() => (reported = true));
      const end = Date.now() + 30_000;
      while (fresh.node.db.job(1n)?.status !== "skipped") {
        if (Date.now() > end) throw new Error(`job 1 is ${fresh.node.db.job(1n)?.status}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(fresh.node.db.job(1n)!.reason, "the job was Finalized when first seen");
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(reported, false);
      const s = solverStatus(fresh.node.db);
      assert.deepEqual(s.jobs.map((j) => [j.jobId, j.phase, j.money.sits]), [["1", "skipped", "nothing at stake (no bid)"]]);
    } finally {
      await fresh.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a node pointed at a contract that is not a JobMarket refuses to start, in one line", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-notmarket-"));
    try {
      for (const [what, address] of [["the dispute game", d.disputeGame], ["an account without code", client!.account.address]] as const) {
        await assert.rejects(
          startInProcessSolver({ client: solverW!, market: address, dataDir: path.join(dir, "s"), datasets: ["mnist"] }),
          (e: unknown) => e instanceof NotAMarketError && !e.message.includes("\n") && e.message.includes(address) && /is the config's market the JobMarket address/.test(e.message),
          what,
        );
        await assert.rejects(
          startInProcessVerifier({ client: verifierW!, market: address, dataDir: path.join(dir, "v"), datasets: ["mnist"] }),
          (e: unknown) => e instanceof NotAMarketError,
          what,
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a second node on a port in use is refused in one line naming the port and the config field", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-port-"));
    const first = await startInProcessVerifier({ client: verifierW!, market, dataDir: path.join(dir, "v1"), datasets: ["mnist"], serve: { host: "127.0.0.1", port: 0 } });
    try {
      const port = Number(new URL(first.node.serveUrl!).port);
      await assert.rejects(
        startInProcessVerifier({ client: deployer!, market, dataDir: path.join(dir, "v2"), datasets: ["mnist"], serve: { host: "127.0.0.1", port } }),
        (e: unknown) => e instanceof ServeError && e.message === `port ${port} on 127.0.0.1 is already in use (config field serve.port): another node or program listens there; choose another port, or 0 for any free one`,
      );
    } finally {
      await first.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
