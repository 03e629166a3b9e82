// Event reads against an RPC endpoint that behaves like a public one (multi-process, real local Hardhat node):
// a JSON-RPC proxy written here refuses eth_getLogs over more than N blocks with the error text public
// endpoints use ("query exceeds max block range 100") and answers every 5th request HTTP 429. Through it,
// with more than N blocks of history and the default log range (2,000): the client's getJobEvents and
// `veritrain client status` return the job's full history, identical to a direct read, and a solver node
// (its watcher's pages are 2,000 blocks by default) finds and takes a job posted hundreds of blocks after
// the market's deployment.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { connect } from "../../chain/connect.ts";
import { deployProtocol } from "../../chain/deploy.ts";
import { jobMarketAbi } from "../../chain/generated/contracts.ts";
import { getLogsPaged, LogRangeError } from "../../chain/getLogsPaged.ts";
import { getJob } from "../../chain/jobs.ts";
import { freePort, type LocalNode, startLocalNode } from "../../chain/localNode.ts";
import { getJobEvents } from "../../client/getJobEvents.ts";
import { postJob } from "../../client/postJob.ts";
import { publishSpec } from "../../content/publishSpec.ts";
import { mnistSpec } from "../../training/mnistJob.ts";
import { runCli, startSolverProcess, type SolverProcess } from "./helpers/nodeProcess.ts";

const MAX_RANGE = 100;
const ESCROW = 10n ** 18n, BOND = 10n ** 17n;

interface ProxyStats {
  requests: number;
  tooMany: number;
  refusedRanges: number;
  getLogs: number;
  widestServed: number;
}

/** A JSON-RPC proxy in front of `upstream` that refuses eth_getLogs ranges over `maxRange` blocks and answers every 5th request 429. */
async function rangeLimitedProxy(upstream: string, maxRange: number): Promise<{ url: string; stats: ProxyStats; server: Server }> {
  const stats: ProxyStats = { requests: 0, tooMany: 0, refusedRanges: 0, getLogs: 0, widestServed: 0 };
  const rpc = async (body: unknown) => (await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json() as Promise<{ result?: unknown }>;
  const blockOf = async (tag: unknown): Promise<number> => {
    if (typeof tag === "string" && tag.startsWith("0x")) return Number(BigInt(tag));
    const r = await rpc({ jsonrpc: "2.0", id: 0, method: "eth_blockNumber", params: [] });
    return Number(BigInt(r.result as string));
  };
  const server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8").on("data", (s: string) => (text += s)).on("end", async () => {
      try {
        stats.requests++;
        if (stats.requests % 5 === 0) {
          stats.tooMany++;
          // Every other 429 names its wait, as rate limiters do; the rest leave it to the client's backoff.
          return res.writeHead(429, { "content-type": "text/plain", ...(stats.tooMany % 2 === 0 ? { "retry-after": "0" } : {}) }).end("Too Many Requests");
        }
        const body = JSON.parse(text) as { id: number; method: string; params?: { fromBlock?: string; toBlock?: string; blockHash?: string }[] };
        if (!Array.isArray(body) && body.method === "eth_getLogs" && body.params?.[0] && body.params[0].blockHash === undefined) {
          stats.getLogs++;
          const from = await blockOf(body.params[0].fromBlock ?? "0x0"), to = await blockOf(body.params[0].toBlock ?? "latest");
          if (to - from + 1 > maxRange) {
            stats.refusedRanges++;
            res.writeHead(200, { "content-type": "application/json" });
            return res.end(JSON.stringify({ jsonrpc: "2.0", id: body.id, error: { code: -32602, message: `query exceeds max block range ${maxRange}` } }));
          }
          stats.widestServed = Math.max(stats.widestServed, to - from + 1);
        }
        const answer = await rpc(body);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(answer));
      } catch (e) {
        res.writeHead(502).end(String(e));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stats, server };
}

describe("event reads through an endpoint that caps log ranges and rate-limits (local node, proxy, solver process)", { timeout: 240_000 }, () => {
  let node: LocalNode;
  let dir: string;
  let proxy: Awaited<ReturnType<typeof rangeLimitedProxy>>;
  const procs: SolverProcess[] = [];
  before(async () => {
    node = await startLocalNode({ accounts: 4 });
    dir = await mkdtemp(path.join(tmpdir(), "veritrain-range-"));
    proxy = await rangeLimitedProxy(node.url, MAX_RANGE);
  });
  after(async () => {
    for (const p of procs) await p.kill("SIGKILL");
    proxy?.server.closeAllConnections();
    await new Promise((r) => proxy?.server.close(r));
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the client's job history and a solver's watcher read hundreds of blocks in refused-and-halved pages, through 429s", async () => {
    const [deployerKey, treasuryKey, clientKey, solverKey] = node.accounts;
    const direct = await connect({ rpcUrl: node.url, chainId: node.chainId, pollingIntervalMs: 100 });
    const mine = (blocks: number) => direct.publicClient.request({ method: "hardhat_mine" as never, params: [`0x${blocks.toString(16)}`, "0x1"] as never });
    const d = await deployProtocol({ walletClient: direct.wallet(privateKeyToAccount(deployerKey!.privateKey)), publicClient: direct.publicClient, treasury: treasuryKey!.address, forfeitBps: 1_000 });
    const { spec, data } = mnistSpec();
    const published = await publishSpec({ spec, dir: path.join(dir, "specs") });
    const client = direct.wallet(privateKeyToAccount(clientKey!.privateKey));
    const job = (steps: number) => postJob(client, {
      market: d.jobMarket, spec, dataset: data.train, specURI: published.uri, steps, checkpointInterval: 10,
      escrow: ESCROW, requiredBond: BOND, challengeBond: BOND, firstCome: true, commitDuration: 3_600n, challengeWindow: 60n, clockDuration: 600n,
    });

    // History: 250 blocks after the deployment, a job; 150 more, a second job; 150 more.
    await mine(250);
    const first = await job(20);
    await mine(150);
    const second = await job(30);
    await mine(150);
    const latest = await direct.publicClient.getBlockNumber();
    assert.ok(latest - d.deploymentBlock > BigInt(3 * MAX_RANGE), `${latest - d.deploymentBlock} blocks of history`);

    // 1. The client SDK through the proxy: the default range (2,000) is refused, halved down to what passes.
    const viaProxy = await connect({ rpcUrl: proxy.url, chainId: node.chainId, pollingIntervalMs: 100 });
    const all = await getLogsPaged(viaProxy.publicClient, { address: d.jobMarket, abi: jobMarketAbi, eventName: "JobPosted", fromBlock: d.deploymentBlock });
    assert.deepEqual(all.map((l) => l.args.jobId), [first.jobId, second.jobId]);
    assert.ok(proxy.stats.refusedRanges > 0 && proxy.stats.widestServed <= MAX_RANGE, JSON.stringify(proxy.stats));
    const wholeHistory = { fromBlock: d.deploymentBlock };
    const expected = await getJobEvents(direct.publicClient, { market: d.jobMarket, jobId: first.jobId, ...wholeHistory });
    assert.deepEqual(expected.map((e) => e.kind), ["posted"]);
    assert.deepEqual(await getJobEvents(viaProxy.publicClient, { market: d.jobMarket, jobId: first.jobId, ...wholeHistory }), expected);
    // A range that even one block exceeds is an error, not a loop.
    const refusingAll = await rangeLimitedProxy(node.url, 0);
    try {
      const c = await connect({ rpcUrl: refusingAll.url, chainId: node.chainId });
      await assert.rejects(getLogsPaged(c.publicClient, { address: d.jobMarket, abi: jobMarketAbi, fromBlock: 0n }), (e: unknown) => e instanceof LogRangeError && /single block 0: .*max block range 0/.test(e.message));
    } finally {
      refusingAll.server.closeAllConnections();
      await new Promise((r) => refusingAll.server.close(r));
    }

    // 2. A solver node through the proxy, from the deployment block, its watcher paging 2,000 blocks at a time.
    const dataDir = path.join(dir, "solver");
    const configFile = path.join(dir, "solver.json");
    await writeFile(configFile, JSON.stringify({
      rpcUrl: proxy.url, chainId: node.chainId, market: d.jobMarket, dataDir, backend: "onnx",
      pricing: { minWeiPerStep: "1000" }, serve: { port: await freePort() }, pollIntervalMs: 200, fromBlock: Number(d.deploymentBlock), maxConcurrentJobs: 2,
    }));
    const p = startSolverProcess(["solver", "start", "--config", configFile], { VERITRAIN_PRIVATE_KEY: solverKey!.privateKey });
    procs.push(p);
    const logged = (msg: string, id: bigint) => p.logs.some((l) => l.msg === msg && l.jobId === id.toString());
    await p.waitFor("both jobs seen and taken through the proxy", () => [first.jobId, second.jobId].every((id) => logged("job posted", id) && logged("job taken", id)), 120_000);
    for (const id of [first.jobId, second.jobId]) assert.notEqual((await getJob(direct.publicClient, { market: d.jobMarket, jobId: id })).status, "Open");
    await p.kill("SIGTERM");
    await mine(150);

    // 3. `veritrain client status` through the proxy (its events from the job's posting block, by default).
    const before429 = proxy.stats.tooMany, beforeRefused = proxy.stats.refusedRanges;
    const status = await runCli(["client", "status", "--rpc-url", proxy.url, "--market", d.jobMarket, "--job", String(second.jobId), "--json"], {});
    assert.equal(status.code, 0, status.stderr);
    const shown = JSON.parse(status.stdout) as { events: { kind: string; blockNumber: string }[] };
    const truth = await getJobEvents(direct.publicClient, { market: d.jobMarket, jobId: second.jobId, ...wholeHistory });
    assert.deepEqual(shown.events.map((e) => [e.kind, e.blockNumber]), truth.map((e) => [e.kind, String(e.blockNumber)]));
    assert.ok(truth.some((e) => e.kind === "assigned"), "the solver's take is in the history");
    assert.ok(proxy.stats.tooMany > before429, "the CLI's requests met 429s too");
    assert.ok(proxy.stats.refusedRanges > beforeRefused && proxy.stats.widestServed <= MAX_RANGE, `the CLI's log reads were refused and halved too: ${JSON.stringify(proxy.stats)}`);
  });
});
