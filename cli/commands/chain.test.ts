// `veritrain chain start` as a subprocess, on each local node implementation: it prints the chain (RPC URL,
// chain id, the dev accounts with their keys, marked as public test keys; the market when it deploys), the
// chain answers eth_chainId, mines blocks on its own with nobody sending anything, and the command stops the
// node on SIGINT, SIGTERM and SIGHUP (exit 0, saying what it does; the node's process gone, its port
// closed). A node that dies by itself ends the command (exit 1, saying so). Bad input: one clear error,
// nothing started.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, getAddress, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { anvilBinary } from "../../chain/anvil.ts";
import { jobMarketAbi } from "../../chain/generated/contracts.ts";
import { devAccount, freePort, type LocalNodeImpl, portFree } from "../../chain/localNode.ts";
import { alive } from "../../test/helpers/alive.ts";
import { runVeritrain } from "../../test/helpers/runCli.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = path.join(ROOT, "cli", "veritrain.ts");
const STACK = /\n\s+at\s|\bat .*\.ts:\d+:\d+/;

interface Started {
  readonly child: ChildProcess;
  readonly out: Record<string, any>;
  stderr(): string;
  readonly closed: Promise<number | null>;
}

/** Starts `veritrain chain start ... --json` and resolves with its JSON line once it printed it. */
async function startChain(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [CLI, "chain", "start", "--json", ...args], {
    cwd: ROOT, env: { ...process.env, VERITRAIN_LOG_JSON: "1", VERITRAIN_LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "", stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const closed = once(child, "close").then(([code]) => code as number | null);
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
      if (stdout.includes("\n")) resolve(stdout.slice(0, stdout.indexOf("\n")));
    });
    void closed.then((code) => reject(new Error(`chain start exited (${code}) before printing the chain:\n${stderr}`)));
  });
  return { child, out: JSON.parse(line), stderr: () => stderr, closed };
}

const run = (args: string[]) => runVeritrain(args);

/** Waits until `pred` holds, polling; fails after `ms` saying what it waited for. */
async function until(what: string, pred: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function checkChain(impl: LocalNodeImpl, signal: NodeJS.Signals, deploy: boolean): Promise<void> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), "veritrain-chain-"));
  const out = path.join(dir, "deployment.json");
  const c = await startChain(["--impl", impl, "--port", String(port), "--block-time", "0.5", "--accounts", "3", ...(deploy ? ["--deploy", "--out", out] : [])]);
  try {
    const o = c.out;
    assert.equal(o.impl, impl);
    assert.equal(o.rpcUrl, `http://127.0.0.1:${port}`);
    assert.equal(o.chainId, 31337);
    assert.match(o.warning, /PUBLIC TEST KEYS/);
    assert.match(o.warning, /[Nn]ever use them.*real network/);
    assert.equal(o.accounts.length, 3);
    for (const [i, a] of (o.accounts as { index: number; address: string; privateKey: `0x${string}`; balanceWei: string }[]).entries()) {
      assert.equal(a.index, i);
      assert.equal(a.address, devAccount(i).address);
      assert.equal(privateKeyToAccount(a.privateKey).address, a.address, "each key is its address's");
      assert.equal(a.balanceWei, (10_000n * 10n ** 18n).toString());
    }
    const pc = createPublicClient({ transport: http(o.rpcUrl), cacheTime: 0 });
    assert.equal(await pc.getChainId(), 31337);
    // The clock moves with nobody sending anything: blocks keep coming, and their timestamps move on.
    const first = await pc.getBlock({ blockTag: "latest" });
    await until("two blocks mined without traffic", async () => (await pc.getBlockNumber()) >= first.number + 2n);
    await until("the chain's time to move", async () => (await pc.getBlock({ blockTag: "latest" })).timestamp > first.timestamp);
    if (deploy) {
      const market = getAddress(o.deployment.contracts.jobMarket);
      assert.equal(await pc.readContract({ address: market, abi: jobMarketAbi, functionName: "totalLiabilities" }), 0n);
      assert.deepEqual(JSON.parse(await readFile(out, "utf8")), o.deployment);
    }
    assert.equal(alive(o.pid), true);

    c.child.kill(signal);
    assert.equal(await c.closed, 0, c.stderr());
    const logs = c.stderr().trim().split("\n").map((l) => JSON.parse(l) as { msg: string });
    assert.deepEqual(logs.map((l) => l.msg).slice(-2), ["stopping the local chain", "local chain stopped"]);
    assert.equal(alive(o.pid), false, "the node's process is gone");
    assert.equal(await portFree(port), true, "its port is closed");
  } finally {
    if (c.child.exitCode === null) c.child.kill("SIGKILL");
    if (alive(c.out.pid)) process.kill(c.out.pid, "SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
}

describe("veritrain chain start (subprocess)", { timeout: 180_000 }, () => {
  it("hardhat: prints the chain and its public test keys, deploys, mines on its own, stops on SIGINT", () => checkChain("hardhat", "SIGINT", true));
  it("hardhat: stops on SIGTERM", () => checkChain("hardhat", "SIGTERM", false));
  const noAnvil = anvilBinary() ? undefined : "anvil is not installed (npm package @foundry-rs/anvil-linux-amd64, or an anvil on PATH)";
  it("anvil: prints the chain and its public test keys, deploys, mines on its own, stops on SIGTERM", { skip: noAnvil }, () => checkChain("anvil", "SIGTERM", true));
  it("anvil: stops on SIGINT", { skip: noAnvil }, () => checkChain("anvil", "SIGINT", false));
  it("anvil: stops on SIGHUP (the terminal closed)", { skip: noAnvil }, () => checkChain("anvil", "SIGHUP", false));

  it("anvil: a node that dies by itself ends the command with one clear error", { skip: noAnvil }, async () => {
    const c = await startChain(["--impl", "anvil", "--port", String(await freePort())]);
    process.kill(c.out.pid, "SIGKILL");
    assert.equal(await c.closed, 1, c.stderr());
    assert.match(c.stderr(), /^veritrain: ChainError: the local anvil node stopped by itself \(signal SIGKILL\)/m);
    assert.doesNotMatch(c.stderr(), STACK);
  });

  it("a port in use: one clear error, no node left", async () => {
    const server = createServer().listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as { port: number }).port;
    try {
      const r = await run(["chain", "start", "--port", String(port)]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^veritrain: LocalNodeError: port ${port} on 127\\.0\\.0\\.1 is in use`, "m"));
      assert.doesNotMatch(r.stderr, STACK);
      assert.equal(r.stdout, "");
    } finally {
      server.close();
    }
  });

  it("bad flags: each names what is wrong, nothing started", async () => {
    for (const [args, mention] of [
      [["--block-time", "0"], /--block-time must be a number of seconds/],
      [["--block-time", "fast"], /--block-time must be a number of seconds/],
      [["--impl", "geth"], /Allowed choices are hardhat, anvil/],
      [["--accounts", "21"], /--accounts must be in \[1, 20\]/],
      [["--out", "x.json"], /--out needs --deploy/],
    ] as const) {
      const r = await run(["chain", "start", "--port", String(await freePort()), ...args]);
      assert.notEqual(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, mention);
      assert.doesNotMatch(r.stderr, STACK);
      assert.equal(r.stdout, "");
    }
  });
});
