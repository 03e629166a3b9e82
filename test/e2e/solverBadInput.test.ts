// `veritrain solver` with bad input, as processes: an invalid config field, an unreachable RPC, a wrong chain
// id, a missing key, a wrong keystore password, a market address without code: each one clear line naming
// the problem, exit code 1, nothing sent, and the key in no output. Also `solver keystore` writes a keystore
// the node can use (mode 0600, never overwritten).
import { after, before, describe, it } from "node:test";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { createServer } from "node:net";
import { createPublicClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { connect } from "../../chain/connect.ts";
import { deployProtocol } from "../../chain/deploy.ts";
import { freePort, type LocalNode, startLocalNode } from "../../chain/localNode.ts";
import { runCli } from "./helpers/nodeProcess.ts";

describe("veritrain solver: bad input (processes)", { timeout: 120_000 }, () => {
  let node: LocalNode;
  let dir: string;
  before(async () => {
    node = await startLocalNode({ accounts: 2 });
    dir = await mkdtemp(path.join(tmpdir(), "veritrain-solver-bad-"));
  });
  after(async () => {
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const config = async (name: string, patch: Record<string, unknown>) => {
    const file = path.join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify({
      rpcUrl: node.url, chainId: node.chainId, market: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", dataDir: path.join(dir, name),
      pricing: { minWeiPerStep: "1" }, pollIntervalMs: 100, ...patch,
    }));
    return file;
  };

  it("fails with one clear line per problem, sends nothing and never prints the key", async () => {
    const key = node.accounts[1]!.privateKey;
    const env = { VERITRAIN_PRIVATE_KEY: key };
    const cases: [string, Record<string, unknown>, Record<string, string>, RegExp][] = [
      ["bad-market", { market: "0x12" }, env, /SolverConfigError: config field "market": must be a 20-byte hex address/],
      ["bad-pricing", { pricing: { minWeiPerStep: 5 } }, env, /SolverConfigError: config field "pricing\.minWeiPerStep": must be a decimal string of wei/],
      ["unreachable", { rpcUrl: `http://127.0.0.1:${await freePort()}` }, env, /RpcUnreachableError: cannot reach the RPC endpoint http:\/\/127\.0\.0\.1:\d+/],
      ["wrong-chain", { chainId: 1 }, env, /ChainIdMismatchError: wrong chain id: expected 1, the RPC endpoint http:\/\/127\.0\.0\.1:\d+ serves chain 31337/],
      ["no-key", {}, {}, /MissingPrivateKeyError: VERITRAIN_PRIVATE_KEY is not set/],
      ["no-market-code", {}, env, /NotAMarketError: no contract at 0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0 on this chain: is the config.s market the JobMarket address of this deployment\?/],
    ];
    for (const [name, patch, e, re] of cases) {
      const r = await runCli(["solver", "start", "--config", await config(name, patch)], { VERITRAIN_PRIVATE_KEY: "", ...e });
      expect(r.code, `${name}: ${r.stderr}`).to.equal(1);
      expect(r.stderr, name).to.match(re);
      expect(r.stderr, name).to.not.match(/unexpected error|at .*\.ts:\d+/);
      expect((r.stdout + r.stderr).toLowerCase().includes(key.slice(2).toLowerCase()), name).to.equal(false);
    }
    const pc = createPublicClient({ transport: http(node.url) });
    expect(await pc.getTransactionCount({ address: node.accounts[1]!.address })).to.equal(0);
  });

  it("refuses a contract that is not a JobMarket, and a port in use, each in one line (exit 1, nothing sent)", async () => {
    const [deployerKey, solverKey] = node.accounts;
    const local = await connect({ rpcUrl: node.url, chainId: node.chainId, pollingIntervalMs: 100 });
    const d = await deployProtocol({ walletClient: local.wallet(privateKeyToAccount(deployerKey!.privateKey)), publicClient: local.publicClient, treasury: deployerKey!.address, forfeitBps: 1_000 });
    const env = { VERITRAIN_PRIVATE_KEY: solverKey!.privateKey };
    const game = await runCli(["solver", "start", "--config", await config("game-as-market", { market: d.disputeGame })], env);
    expect(game.code, game.stderr).to.equal(1);
    expect(game.stderr.trim().split("\n")).to.have.length(1);
    expect(game.stderr).to.match(new RegExp(`^veritrain: NotAMarketError: the contract at ${d.disputeGame} does not answer as a JobMarket \\(.*\\): is the config's market the JobMarket address of this deployment\\?\n$`));
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const busy = await runCli(["solver", "start", "--config", await config("port-in-use", { market: d.jobMarket, serve: { port } })], env);
      expect(busy.code, busy.stderr).to.equal(1);
      expect(busy.stderr).to.equal(`veritrain: ServeError: port ${port} on 127.0.0.1 is already in use (config field serve.port): another node or program listens there; choose another port, or 0 for any free one\n`);
    } finally {
      taken.close();
    }
    expect(await local.publicClient.getTransactionCount({ address: solverKey!.address })).to.equal(0);
  });

  it("creates a keystore the node decrypts; a wrong password is a clear error", async () => {
    const key = node.accounts[1]!.privateKey;
    const ks = path.join(dir, "solver.keystore.json");
    const made = await runCli(["solver", "keystore", "--out", ks, "--kdf", "pbkdf2"], { VERITRAIN_PRIVATE_KEY: key, VERITRAIN_KEYSTORE_PASSWORD: "s3cret pass" });
    expect(made.code, made.stderr).to.equal(0);
    expect(JSON.parse(made.stdout).address).to.equal(node.accounts[1]!.address);
    expect((await stat(ks)).mode & 0o777).to.equal(0o600);
    const text = await readFile(ks, "utf8");
    expect(text.toLowerCase().includes(key.slice(2).toLowerCase())).to.equal(false);
    expect(JSON.parse(text).version).to.equal(3);
    const again = await runCli(["solver", "keystore", "--out", ks], { VERITRAIN_PRIVATE_KEY: key, VERITRAIN_KEYSTORE_PASSWORD: "x" });
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/KeystoreError: cannot write .* the file exists/);

    // The right password gets past the key (to the wrong chain id); a wrong one stops at the keystore.
    const cfg = await config("keystore", { keystore: ks, chainId: 5 });
    const ok = await runCli(["solver", "start", "--config", cfg], { VERITRAIN_PRIVATE_KEY: "", VERITRAIN_KEYSTORE_PASSWORD: "s3cret pass" });
    expect(ok.stderr).to.match(/ChainIdMismatchError: wrong chain id: expected 5/);
    const wrong = await runCli(["solver", "start", "--config", cfg], { VERITRAIN_PRIVATE_KEY: "", VERITRAIN_KEYSTORE_PASSWORD: "nope" });
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.match(/KeystoreError: wrong keystore password/);
    const both = await runCli(["solver", "start", "--config", cfg], { VERITRAIN_PRIVATE_KEY: key, VERITRAIN_KEYSTORE_PASSWORD: "s3cret pass" });
    expect(both.stderr).to.match(/KeystoreError: both VERITRAIN_PRIVATE_KEY and a keystore are configured/);
    for (const r of [ok, wrong, both]) expect((r.stdout + r.stderr).toLowerCase().includes(key.slice(2).toLowerCase())).to.equal(false);
  });
});
