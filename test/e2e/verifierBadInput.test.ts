// `veritrain verifier` with bad input, as processes: an invalid config field, the test-only adversary switch
// without its environment variable, an unreachable RPC, a wrong chain id, a missing key, a market address
// without code: each one clear line naming the problem, exit code 1, nothing sent, the key in no output.
// `verifier status` reads a node's database without the chain, as text and as JSON.
import { after, before, describe, it } from "node:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { createPublicClient, http } from "viem";
import { freePort, type LocalNode, startLocalNode } from "../../chain/localNode.ts";
import { openVerifierDb } from "../../verifier/db.ts";
import { runCli } from "./helpers/nodeProcess.ts";

describe("veritrain verifier: bad input and status (processes)", { timeout: 120_000 }, () => {
  let node: LocalNode;
  let dir: string;
  before(async () => {
    node = await startLocalNode({ accounts: 2 });
    dir = await mkdtemp(path.join(tmpdir(), "veritrain-verifier-bad-"));
  });
  after(async () => {
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const config = async (name: string, patch: Record<string, unknown>) => {
    const file = path.join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify({ rpcUrl: node.url, chainId: node.chainId, market: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", dataDir: path.join(dir, name), pollIntervalMs: 100, ...patch }));
    return file;
  };

  it("fails with one clear line per problem, sends nothing and never prints the key", async () => {
    const key = node.accounts[1]!.privateKey;
    const env = { VERITRAIN_PRIVATE_KEY: key };
    const cases: [string, Record<string, unknown>, Record<string, string>, RegExp][] = [
      ["bad-rate", { sampleBps: 20_000 }, env, /VerifierConfigError: config field "sampleBps": must be an integer in \[0, 10000\]/],
      ["bad-bond", { maxChallengeBondWei: 1 }, env, /VerifierConfigError: config field "maxChallengeBondWei": must be a decimal string of wei/],
      ["unknown", { pricing: {} }, env, /VerifierConfigError: config field "pricing": unknown field/],
      ["adversary", { adversary: { challengeCorrect: true } }, env, /VerifierConfigError: config field "adversary": test-only: refused unless VERITRAIN_TEST_ADVERSARY=1/],
      ["unreachable", { rpcUrl: `http://127.0.0.1:${await freePort()}` }, env, /RpcUnreachableError: cannot reach the RPC endpoint http:\/\/127\.0\.0\.1:\d+/],
      ["wrong-chain", { chainId: 1 }, env, /ChainIdMismatchError: wrong chain id: expected 1, the RPC endpoint http:\/\/127\.0\.0\.1:\d+ serves chain 31337/],
      ["no-key", {}, {}, /MissingPrivateKeyError: VERITRAIN_PRIVATE_KEY is not set/],
      ["no-market-code", {}, env, /NotAMarketError: no contract at 0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0 on this chain: is the config.s market the JobMarket address of this deployment\?/],
    ];
    for (const [name, patch, e, re] of cases) {
      const r = await runCli(["verifier", "start", "--config", await config(name, patch)], { VERITRAIN_PRIVATE_KEY: "", VERITRAIN_TEST_ADVERSARY: "", ...e });
      expect(r.code, `${name}: ${r.stderr}`).to.equal(1);
      expect(r.stderr, name).to.match(re);
      expect(r.stderr.trim().split("\n"), name).to.have.length(1);
      expect(r.stderr, name).to.not.match(/unexpected error|at .*\.ts:\d+/);
      expect((r.stdout + r.stderr).toLowerCase().includes(key.slice(2).toLowerCase()), name).to.equal(false);
    }
    const pc = createPublicClient({ transport: http(node.url) });
    expect(await pc.getTransactionCount({ address: node.accounts[1]!.address })).to.equal(0);
  });

  it("status prints every job of the database, as text and as JSON, without the chain", async () => {
    const cfg = await config("status", { rpcUrl: `http://127.0.0.1:${await freePort()}` }); // nothing listens there: status needs no chain
    const empty = await runCli(["verifier", "status", "--config", cfg]);
    expect(empty.code, empty.stderr).to.equal(0);
    expect(empty.stdout).to.equal("verifier (database not bound to a chain yet)\nno jobs seen yet\n");
    const db = openVerifierDb(path.join(dir, "status"));
    db.insertJob(7n);
    db.updateJob(7n, { status: "attested", intervals: [3, 9], detection: 0.1 });
    db.addChecks(7n, [3, 9]);
    db.setCheck(7n, 3, "match", `0x${"ab".repeat(32)}`, "fetched", 0.25);
    db.setCheck(7n, 9, "match", `0x${"cd".repeat(32)}`, "rebuilt", 1.5);
    db.insertJob(8n);
    db.updateJob(8n, { status: "rejected", reason: "dataset root 0x12 is not one of accept.datasets" });
    db.close();
    const text = await runCli(["verifier", "status", "--config", cfg]);
    expect(text.stdout).to.equal([
      "verifier (database not bound to a chain yet)",
      "job 7: attested; checked 3:match 9:match; gas 0", "  money: nothing at stake (no challenge)",
      "job 8: rejected (dataset root 0x12 is not one of accept.datasets); gas 0", "  money: nothing at stake (no challenge)", "",
    ].join("\n"));
    const json = await runCli(["verifier", "status", "--config", cfg, "--json"]);
    const s = JSON.parse(json.stdout);
    expect(s.jobs.map((j: { jobId: string; phase: string }) => [j.jobId, j.phase])).to.deep.equal([["7", "attested"], ["8", "rejected"]]);
    expect(Object.keys(s).sort()).to.deep.equal(["identity", "jobs", "pullBalanceWei", "role", "waitingFor"]);
    expect(s.jobs[0].checks).to.deep.equal([{ interval: 3, status: "match", source: "fetched", seconds: 0.25 }, { interval: 9, status: "match", source: "rebuilt", seconds: 1.5 }]);
  });
});
