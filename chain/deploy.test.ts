// chain/deploy.ts against an in-process Hardhat network (its viem clients), and `veritrain deploy` as a
// subprocess: its error paths (missing/bad key, bad URL, unreachable RPC, wrong chain id) and a real
// deployment through a small HTTP JSON-RPC bridge to an in-process network.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { createPublicClient, createWalletClient, custom, getAddress, http, zeroAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { deployProtocol, deploymentJson } from "./deploy.ts";
import { ChainIdMismatchError, DeploymentConfigError, DeploymentError, RpcUnreachableError, redactUrl } from "./errors.ts";
import { disputeGameAbi, groth16KernelVerifierAbi, jobMarketAbi } from "./generated/contracts.ts";
import { zkCircuits } from "../settlement/prover.ts";
import { chainOf } from "./connect.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "cli", "veritrain.ts");
/** Hardhat's default account #0 (the well-known "test test ... junk" mnemonic): funded on a fresh in-process network. */
const HARDHAT_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function veritrain(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const e: NodeJS.ProcessEnv = { ...process.env, VERITRAIN_LOG_JSON: "1", VERITRAIN_LOG_LEVEL: "warn", ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: e, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A failed command: exit 1, one `veritrain: <ErrorName>: ...` line, no stack trace, nothing on stdout. */
function expectCleanError(r: Run, name: string, mention: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, new RegExp(`^veritrain: ${name}: `));
  assert.match(lines[0]!, mention);
  assert.doesNotMatch(r.stderr, /\n\s+at\s|\bat .*\.ts:\d+:\d+/);
  assert.equal(r.stdout, "");
}

/** A TCP port nobody listens on (bound, then released). */
async function unusedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((res) => s.listen(0, "127.0.0.1", res));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

type Provider = Awaited<ReturnType<typeof network.create>>["provider"];

/** An HTTP JSON-RPC endpoint that forwards every request to an in-process Hardhat network's provider. */
async function rpcBridge(provider: Provider): Promise<{ url: string; server: Server }> {
  const answer = async (req: { id?: unknown; method: string; params?: unknown[] }) => {
    try {
      const result = await provider.request({ method: req.method, params: req.params ?? [] });
      return { jsonrpc: "2.0", id: req.id ?? null, result };
    } catch (e) {
      const err = e as { code?: number; message?: string; data?: unknown };
      return { jsonrpc: "2.0", id: req.id ?? null, error: { code: typeof err.code === "number" ? err.code : -32603, message: err.message ?? String(e), data: err.data } };
    }
  };
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (s: string) => (body += s));
    req.on("end", async () => {
      const parsed = JSON.parse(body);
      const out = Array.isArray(parsed) ? await Promise.all(parsed.map(answer)) : await answer(parsed);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v)));
    });
  });
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

describe("deployProtocol (in-process Hardhat network)", async () => {
  const { viem, provider } = await network.create();
  const pc = await viem.getPublicClient();
  const [deployer, treasury, other] = await viem.getWalletClients();

  it("deploys RecomputeKernelVerifier -> DisputeGame -> JobMarket -> setMarket, with code, wiring, blocks and gas from the receipts", async () => {
    const progress: string[] = [];
    const startBlock = await pc.getBlockNumber();
    const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000, chainId: 31337, onProgress: (m) => progress.push(m) });
    assert.equal(d.chainId, 31337);
    assert.equal(d.deployer, getAddress(deployer!.account.address));
    assert.equal(d.treasury, getAddress(treasury!.account.address));
    assert.equal(d.kernelVerifierDeployed, true);
    for (const a of [d.kernelVerifier, d.disputeGame, d.jobMarket]) {
      const code = await pc.getCode({ address: a });
      assert.ok(code && code.length > 2, `code at ${a}`);
    }
    assert.equal(await pc.readContract({ address: d.disputeGame, abi: disputeGameAbi, functionName: "market" }), d.jobMarket);
    assert.equal(await pc.readContract({ address: d.disputeGame, abi: disputeGameAbi, functionName: "kernelVerifier" }), d.kernelVerifier);
    assert.equal(await pc.readContract({ address: d.disputeGame, abi: disputeGameAbi, functionName: "deployer" }), d.deployer);
    assert.equal(await pc.readContract({ address: d.jobMarket, abi: jobMarketAbi, functionName: "game" }), d.disputeGame);
    assert.equal(await pc.readContract({ address: d.jobMarket, abi: jobMarketAbi, functionName: "treasury" }), d.treasury);
    assert.equal(await pc.readContract({ address: d.jobMarket, abi: jobMarketAbi, functionName: "forfeitBps" }), 1_000);
    assert.equal(await pc.readContract({ address: d.jobMarket, abi: jobMarketAbi, functionName: "totalLiabilities" }), 0n);

    const receipts = await Promise.all([d.transactions.kernelVerifier!, d.transactions.disputeGame, d.transactions.jobMarket, d.transactions.setMarket].map((hash) => pc.getTransactionReceipt({ hash })));
    assert.deepEqual(receipts.map((r) => r.status), ["success", "success", "success", "success"]);
    assert.deepEqual([d.gasUsed.kernelVerifier, d.gasUsed.disputeGame, d.gasUsed.jobMarket, d.gasUsed.setMarket], receipts.map((r) => r.gasUsed));
    assert.equal(d.gasUsed.total, receipts.reduce((a, r) => a + r.gasUsed, 0n));
    assert.equal(d.deploymentBlock, receipts[0]!.blockNumber);
    assert.ok(d.deploymentBlock > startBlock);
    for (let i = 1; i < 4; i++) assert.ok(receipts[i]!.blockNumber >= receipts[i - 1]!.blockNumber, "in deployment order");
    assert.deepEqual(progress.filter((m) => m.startsWith("deploying")), ["deploying RecomputeKernelVerifier", "deploying DisputeGame", "deploying JobMarket"]);

    const json = deploymentJson(d);
    assert.deepEqual(JSON.parse(JSON.stringify(json)), json, "plain JSON (no bigints)");
    assert.deepEqual(json.contracts, { kernelVerifier: d.kernelVerifier, disputeGame: d.disputeGame, jobMarket: d.jobMarket });
    console.log(`deployment gas: ${JSON.stringify(json.gasUsed)}`);
  });

  it("reuses a given kernel verifier instead of deploying one", async () => {
    const first = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 0 });
    const d = await deployProtocol({ walletClient: other!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 10_000, kernelVerifier: first.kernelVerifier });
    assert.equal(d.kernelVerifierDeployed, false);
    assert.equal(d.kernelVerifier, first.kernelVerifier);
    assert.equal(d.gasUsed.kernelVerifier, 0n);
    assert.equal(d.transactions.kernelVerifier, undefined);
    assert.equal(await pc.readContract({ address: d.disputeGame, abi: disputeGameAbi, functionName: "kernelVerifier" }), first.kernelVerifier);
    assert.equal(d.deploymentBlock, (await pc.getTransactionReceipt({ hash: d.transactions.disputeGame })).blockNumber);
  });

  it("deploys a Groth16KernelVerifier whose registry names one verifier per settlement circuit of the manifest", async () => {
    const progress: string[] = [];
    const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000, kernel: "groth16", onProgress: (m) => progress.push(m) });
    assert.equal(d.kernel, "groth16");
    assert.equal(await pc.readContract({ address: d.disputeGame, abi: disputeGameAbi, functionName: "kernelVerifier" }), d.kernelVerifier);
    // The registry is read from the contract itself, key by key, for every circuit scripts/zk-setup.ts set up.
    const manifest = zkCircuits();
    assert.ok(manifest.length >= 12, `${manifest.length} settlement circuits`);
    assert.deepEqual(Object.keys(d.settleVerifiers!).sort(), manifest.map((c) => c.id).sort());
    const addresses = new Set<string>();
    for (const c of manifest) {
      const key = await pc.readContract({ address: d.kernelVerifier, abi: groth16KernelVerifierAbi, functionName: "circuitKey", args: [c.code, c.attrs.map(BigInt), c.classes] });
      const v = await pc.readContract({ address: d.kernelVerifier, abi: groth16KernelVerifierAbi, functionName: "verifiers", args: [key] });
      assert.equal(v, d.settleVerifiers![c.id], c.id);
      const code = await pc.getCode({ address: v });
      assert.ok(code && code.length > 2, `code at ${c.id}'s verifier`);
      addresses.add(v);
    }
    assert.equal(addresses.size, manifest.length, "one verifier contract per circuit");
    // An instantiation nobody registered has no verifier.
    const none = await pc.readContract({ address: d.kernelVerifier, abi: groth16KernelVerifierAbi, functionName: "circuitKey", args: [4, [7n], 0] });
    assert.equal(await pc.readContract({ address: d.kernelVerifier, abi: groth16KernelVerifierAbi, functionName: "verifiers", args: [none] }), zeroAddress);
    assert.equal(progress.filter((m) => m.startsWith("deploying Groth16Verifier_")).length, manifest.length);
    assert.ok(d.gasUsed.kernelVerifier > 0n && d.gasUsed.total > d.gasUsed.kernelVerifier);
    assert.equal(d.deploymentBlock, (await pc.getTransactionReceipt({ hash: d.transactions.kernelVerifier! })).blockNumber - BigInt(manifest.length + 1), "the first verifier's block (automine: one block per transaction; the circuit verifiers, then the CircuitRegistry)");
    const json = deploymentJson(d);
    assert.equal(json.kernel, "groth16");
    assert.deepEqual(json.settleVerifiers, d.settleVerifiers);
    console.log(`groth16 kernel deployment: ${manifest.length} circuit verifiers + registry, ${d.gasUsed.kernelVerifier} gas`);
  });

  it("refuses bad parameters before sending anything, naming the problem", async () => {
    const nonce = await pc.getTransactionCount({ address: deployer!.account.address });
    const base = { walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000 };
    const cases: [Partial<Parameters<typeof deployProtocol>[0]>, RegExp][] = [
      [{ forfeitBps: 10_001 }, /forfeitBps must be an integer in \[0, 10000\].*got 10001/],
      [{ forfeitBps: -1 }, /forfeitBps .*got -1/],
      [{ forfeitBps: 2.5 }, /forfeitBps .*got 2\.5/],
      [{ treasury: zeroAddress }, /treasury is the zero address/],
      [{ treasury: "0x1234" }, /treasury "0x1234" is not an address/],
      [{ kernelVerifier: zeroAddress }, /kernel verifier is the zero address/],
      [{ kernel: "plonk" as "groth16" }, /kernel must be one of recompute, groth16, got "plonk"/],
    ];
    for (const [over, msg] of cases) {
      await assert.rejects(deployProtocol({ ...base, ...over } as Parameters<typeof deployProtocol>[0]), (e: unknown) => e instanceof DeploymentConfigError && msg.test(e.message));
    }
    // An address without code as the verifier.
    await assert.rejects(
      deployProtocol({ ...base, kernelVerifier: other!.account.address }),
      (e: unknown) => e instanceof DeploymentError && e.contract === "kernel verifier" && /no contract code at 0x/i.test(e.message),
    );
    await assert.rejects(deployProtocol({ ...base, chainId: 1 }), (e: unknown) => e instanceof ChainIdMismatchError && e.expected === 1 && e.actual === 31337 && /expected 1, .* serves chain 31337/.test(e.message));
    assert.equal(await pc.getTransactionCount({ address: deployer!.account.address }), nonce, "nothing was sent");
  });

  it("names the failing contract when a deployment transaction cannot be sent (an unfunded deployer)", async () => {
    const broke = privateKeyToAccount(generatePrivateKey());
    const wc = createWalletClient({ account: broke, chain: pc.chain, transport: custom(provider) });
    await assert.rejects(
      deployProtocol({ walletClient: wc, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000 }),
      (e: unknown) => e instanceof DeploymentError && e.contract === "RecomputeKernelVerifier" && /^RecomputeKernelVerifier: transaction failed: .*(fund|balance)/i.test(e.message),
    );
  });

  it("an unreachable RPC endpoint is an RpcUnreachableError naming the (redacted) endpoint", async () => {
    const url = `http://127.0.0.1:${await unusedPort()}/v3/secret-api-key`;
    const chain = chainOf(31337, url);
    const transport = http(url, { retryCount: 0 });
    await assert.rejects(
      deployProtocol({
        walletClient: createWalletClient({ account: privateKeyToAccount(HARDHAT_KEY_0), chain, transport }),
        publicClient: createPublicClient({ chain, transport }),
        treasury: treasury!.account.address, forfeitBps: 1_000,
      }),
      (e: unknown) => e instanceof RpcUnreachableError && /cannot reach the RPC endpoint http:\/\/127\.0\.0\.1:\d+\/…: connection refused \(ECONNREFUSED\)/.test(e.message) && !e.message.includes("secret"),
    );
    assert.equal(redactUrl("https://user:pw@host.example:8545/path?key=1"), "https://host.example:8545/…");
  });
});

describe("veritrain deploy (CLI)", async () => {
  let dir = "";
  let bridge: { url: string; server: Server } | undefined;
  const conn = await network.create();
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "veritrain-deploy-"));
    bridge = await rpcBridge(conn.provider);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    if (bridge) await new Promise<void>((res) => bridge!.server.close(() => res()));
  });

  it("deploys through an RPC URL and writes the addresses as JSON (stdout and --out)", async () => {
    const out = path.join(dir, "deployment.json");
    const treasury = "0x00000000000000000000000000000000000000aa";
    const r = await veritrain(["deploy", "--rpc-url", bridge!.url, "--chain-id", "31337", "--treasury", treasury, "--forfeit-bps", "250", "--out", out], { VERITRAIN_PRIVATE_KEY: HARDHAT_KEY_0 });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stderr.includes(HARDHAT_KEY_0.slice(2)) && !r.stdout.includes(HARDHAT_KEY_0.slice(2)), "the key is never printed");
    const printed = JSON.parse(r.stdout);
    assert.deepEqual(JSON.parse(await readFile(out, "utf8")), printed);
    assert.equal(printed.chainId, 31337);
    assert.equal(printed.forfeitBps, 250);
    assert.equal(printed.treasury, getAddress(treasury));
    assert.equal(printed.deployer, privateKeyToAccount(HARDHAT_KEY_0).address);
    assert.equal(printed.kernelVerifierDeployed, true);
    const pc = await conn.viem.getPublicClient();
    assert.equal(await pc.readContract({ address: printed.contracts.disputeGame, abi: disputeGameAbi, functionName: "market" }), printed.contracts.jobMarket);
    assert.equal(await pc.readContract({ address: printed.contracts.jobMarket, abi: jobMarketAbi, functionName: "game" }), printed.contracts.disputeGame);
    assert.equal(await pc.readContract({ address: printed.contracts.jobMarket, abi: jobMarketAbi, functionName: "treasury" }), getAddress(treasury));
    assert.equal(await pc.readContract({ address: printed.contracts.jobMarket, abi: jobMarketAbi, functionName: "forfeitBps" }), 250);
    assert.ok(printed.gasUsed.total > 0 && printed.deploymentBlock > 0);

    // The same endpoint for another chain id: refused before any transaction.
    const nonce = await pc.getTransactionCount({ address: printed.deployer });
    const wrong = await veritrain(["deploy", "--rpc-url", bridge!.url, "--chain-id", "1"], { VERITRAIN_PRIVATE_KEY: HARDHAT_KEY_0 });
    expectCleanError(wrong, "ChainIdMismatchError", /wrong chain id: expected 1, the RPC endpoint http:\/\/127\.0\.0\.1:\d+ serves chain 31337/);
    assert.equal(await pc.getTransactionCount({ address: printed.deployer }), nonce);
  });

  it("fails with one clear line on a missing key, a bad key, a bad URL, an unreachable RPC and an unfunded key", async () => {
    const port = await unusedPort();
    const badKey = "0x" + "zz".repeat(32);
    const [missing, bad, zero, url, scheme, unreachable, broke] = await Promise.all([
      veritrain(["deploy", "--rpc-url", `http://127.0.0.1:${port}`], { VERITRAIN_PRIVATE_KEY: undefined }),
      veritrain(["deploy", "--rpc-url", `http://127.0.0.1:${port}`], { VERITRAIN_PRIVATE_KEY: badKey }),
      veritrain(["deploy", "--rpc-url", `http://127.0.0.1:${port}`], { VERITRAIN_PRIVATE_KEY: "00".repeat(32) }),
      veritrain(["deploy", "--rpc-url", "not a url"], { VERITRAIN_PRIVATE_KEY: HARDHAT_KEY_0 }),
      veritrain(["deploy", "--rpc-url", "ftp://127.0.0.1/x"], { VERITRAIN_PRIVATE_KEY: HARDHAT_KEY_0 }),
      veritrain(["deploy", "--rpc-url", `http://127.0.0.1:${port}`], { VERITRAIN_PRIVATE_KEY: HARDHAT_KEY_0 }),
      veritrain(["deploy", "--rpc-url", bridge!.url], { VERITRAIN_PRIVATE_KEY: generatePrivateKey() }),
    ]);
    expectCleanError(missing, "MissingPrivateKeyError", /VERITRAIN_PRIVATE_KEY is not set/);
    expectCleanError(bad, "InvalidPrivateKeyError", /VERITRAIN_PRIVATE_KEY does not hold a valid private key: expected 32 bytes of hex/);
    assert.ok(!bad.stderr.includes("zz".repeat(8)), "the bad key is not echoed");
    expectCleanError(zero, "InvalidPrivateKeyError", /not a valid secp256k1 private key/);
    expectCleanError(url, "InvalidRpcUrlError", /invalid --rpc-url: "not a url" is not a URL/);
    expectCleanError(scheme, "InvalidRpcUrlError", /unsupported scheme "ftp:"/);
    expectCleanError(unreachable, "RpcUnreachableError", new RegExp(`cannot reach the RPC endpoint http://127\\.0\\.0\\.1:${port}: connection refused \\(ECONNREFUSED\\)`));
    expectCleanError(broke, "DeploymentError", /has no ether on chain 31337/);
  });

  it("rejects bad flags, naming the flag", async () => {
    const [bps, chainId, treasury, noUrl, kernel] = await Promise.all([
      veritrain(["deploy", "--rpc-url", "http://127.0.0.1:1", "--forfeit-bps", "10001"], { VERITRAIN_PRIVATE_KEY: HARDHAT_KEY_0 }),
      veritrain(["deploy", "--rpc-url", "http://127.0.0.1:1", "--chain-id", "zero"], { VERITRAIN_PRIVATE_KEY: HARDHAT_KEY_0 }),
      veritrain(["deploy", "--rpc-url", "http://127.0.0.1:1", "--treasury", "0xabc"], { VERITRAIN_PRIVATE_KEY: HARDHAT_KEY_0 }),
      veritrain(["deploy"], { VERITRAIN_PRIVATE_KEY: HARDHAT_KEY_0 }),
      veritrain(["deploy", "--rpc-url", "http://127.0.0.1:1", "--kernel", "plonk"], { VERITRAIN_PRIVATE_KEY: HARDHAT_KEY_0 }),
    ]);
    for (const [r, flag] of [[bps, "--forfeit-bps"], [chainId, "--chain-id"], [treasury, "--treasury"], [noUrl, "--rpc-url"], [kernel, "--kernel"]] as const) {
      assert.notEqual(r.code, 0);
      const line = r.stderr.split("\n").find((l) => l.startsWith("error:"));
      assert.ok(line?.includes(flag), r.stderr);
      assert.equal(r.stdout, "");
    }
  });
});
