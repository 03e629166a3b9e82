// The solver node and a spec endpoint that fails (multi-process, real local Hardhat node): a spec server that
// answers 503 twice and then the spec is retried with a growing pause and the job is taken; a spec that is
// not there (404) is rejected at once, nothing sent.
import { after, before, describe, it } from "node:test";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { privateKeyToAccount } from "viem/accounts";
import { connect } from "../../chain/connect.ts";
import { deployProtocol } from "../../chain/deploy.ts";
import { freePort, type LocalNode, startLocalNode } from "../../chain/localNode.ts";
import { getJob } from "../../chain/jobs.ts";
import { postJob } from "../../client/postJob.ts";
import { mnistSpec } from "../../training/mnistJob.ts";
import { canonicalSpecJson } from "../../engine/spec.ts";
import { SolverDb } from "../../solver/db.ts";
import { startSolverProcess, type SolverProcess } from "./helpers/nodeProcess.ts";

const ESCROW = 10n ** 18n, BOND = 10n ** 17n;

describe("solver node: transient and final spec fetch failures (local node, solver process)", { timeout: 120_000 }, () => {
  let node: LocalNode;
  let dir: string;
  let server: Server;
  let base = "";
  let busy = 2;
  const hits: string[] = [];
  const procs: SolverProcess[] = [];
  const { spec, data } = mnistSpec();
  before(async () => {
    node = await startLocalNode({ accounts: 4 });
    dir = await mkdtemp(path.join(tmpdir(), "veritrain-spec-retry-"));
    server = createServer((req, res) => {
      hits.push(req.url ?? "");
      if (req.url === "/flaky.json") {
        if (busy-- > 0) return res.writeHead(503).end();
        return res.end(canonicalSpecJson(spec));
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const p of procs) await p.kill("SIGKILL");
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("retries a 503 with backoff and takes the job; rejects a 404 at once", async () => {
    const [deployerKey, treasuryKey, clientKey, solverKey] = node.accounts;
    const local = await connect({ rpcUrl: node.url, chainId: node.chainId, pollingIntervalMs: 100 });
    const pc = local.publicClient;
    const deployer = local.wallet(privateKeyToAccount(deployerKey!.privateKey));
    const client = local.wallet(privateKeyToAccount(clientKey!.privateKey));
    const d = await deployProtocol({ walletClient: deployer, publicClient: pc, treasury: treasuryKey!.address, forfeitBps: 1_000 });
    const job = (uri: string) => postJob(client, {
      market: d.jobMarket, spec, dataset: data.train, specURI: uri, steps: 20, checkpointInterval: 10,
      escrow: ESCROW, requiredBond: BOND, challengeBond: BOND, firstCome: true, commitDuration: 3_600n, challengeWindow: 60n, clockDuration: 600n,
    });
    const missing = await job(`${base}/missing.json`);
    const flaky = await job(`${base}/flaky.json`);

    const dataDir = path.join(dir, "solver");
    const configFile = path.join(dir, "solver.json");
    await writeFile(configFile, JSON.stringify({
      rpcUrl: node.url, chainId: node.chainId, market: d.jobMarket, dataDir, backend: "onnx",
      pricing: { minWeiPerStep: "1000" }, serve: { port: await freePort() }, pollIntervalMs: 100, fromBlock: Number(d.deploymentBlock),
    }));
    const p = startSolverProcess(["solver", "start", "--config", configFile], { VERITRAIN_PRIVATE_KEY: solverKey!.privateKey });
    procs.push(p);
    await p.waitFor("the flaky job taken", () => p.logs.some((l) => l.msg === "job taken" && l.jobId === flaky.jobId.toString()), 60_000);

    const retries = p.logs.filter((l) => l.msg === "spec fetch failed; retrying");
    expect(retries.map((l) => [l.jobId, l.attempt, l.retryInMs])).to.deep.equal([[flaky.jobId.toString(), 1, 1_000], [flaky.jobId.toString(), 2, 2_000]]);
    expect(hits.filter((h) => h === "/flaky.json").length).to.equal(3);
    expect(hits.filter((h) => h === "/missing.json").length).to.equal(1, "a 404 is final: fetched once");
    expect((await getJob(pc, { market: d.jobMarket, jobId: flaky.jobId })).status).to.equal("Assigned");
    expect((await getJob(pc, { market: d.jobMarket, jobId: missing.jobId })).status).to.equal("Open");
    await p.kill("SIGTERM");
    const db = new SolverDb(path.join(dataDir, "solver.db"));
    try {
      expect(db.job(missing.jobId)!.status).to.equal("rejected");
      expect(db.job(missing.jobId)!.reason).to.match(/HTTP 404/);
      expect(db.txs(missing.jobId)).to.deep.equal([]);
    } finally {
      db.close();
    }
  });
});
