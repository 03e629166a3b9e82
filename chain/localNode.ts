import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex, createPublicClient, createTestClient, type Hex, http, type Address } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { anvilArgs, anvilBinary } from "./anvil.ts";
import { ChainError } from "./errors.ts";
import { sleep } from "../core/sleep.ts";

/**
 * A local development chain run as a child process on 127.0.0.1 (for demos, end-to-end tests and `veritrain
 * chain start`): a Hardhat node (Hardhat's EDR) or Foundry's anvil, two independent EVM implementations
 * behind one interface. A free port is found first (or the one asked for, checked free), the node is
 * started, and the call returns once `eth_chainId` answers. Both serve chain 31337 and fund the same 20
 * accounts of the default dev mnemonic with 10,000 ETH each; the accounts are derived here (not parsed
 * from the node's output) and checked to hold ether. With `blockTimeSeconds` the node also mines a block on
 * its own every that many seconds (interval mining), so that the chain's clock moves without traffic; a
 * transaction is still mined at once in its own block. `stop()` kills the node and waits for its exit;
 * callers use try/finally (and the node is killed when this process exits without stopping it).
 */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface DevAccount {
  readonly address: Address;
  /** A well-known, publicly published dev key: never use it on a real network. */
  readonly privateKey: Hex;
}

/** The two implementations; each is also the name of viem's test-client mode for its own RPC methods. */
export const LOCAL_NODE_IMPLS = ["hardhat", "anvil"] as const;
export type LocalNodeImpl = (typeof LOCAL_NODE_IMPLS)[number];

/** The chain id both implementations serve. */
export const LOCAL_CHAIN_ID = 31337;
/** How many accounts of the dev mnemonic both implementations fund (10,000 ETH each). */
export const FUNDED_DEV_ACCOUNTS = 20;

export interface LocalNode {
  readonly impl: LocalNodeImpl;
  /** The node's own name and version (`web3_clientVersion`). */
  readonly clientVersion: string;
  /** Seconds between the blocks the node mines on its own; undefined: a block per transaction only. */
  readonly blockTimeSeconds: number | undefined;
  readonly url: string;
  readonly port: number;
  readonly chainId: number;
  readonly pid: number;
  readonly accounts: readonly DevAccount[];
  /** Resolves, with how it ended ("exit code 1", "signal SIGKILL"), once the node process is gone, whatever ended it. */
  readonly exited: Promise<string>;
  /** The last lines the node printed (to say why it stopped). */
  lastOutput(): string;
  /** Kills the node (SIGTERM, then SIGKILL after a grace period) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

export interface StartLocalNodeOptions {
  /** Which node to run (default hardhat). */
  readonly impl?: LocalNodeImpl;
  /** How many dev accounts to derive and check (default 10, at most 20: the node funds 20). */
  readonly accounts?: number;
  /** Interval mining: a block every this many seconds besides one per transaction (default: none). */
  readonly blockTimeSeconds?: number;
  /** The port to listen on (default: a free one); refused when it is in use. */
  readonly port?: number;
  /** How long to wait for the node to answer (default 60 s). */
  readonly timeoutMs?: number;
  /**
   * Run the node in its own process group, so that a terminal's Ctrl-C reaches only this process, which then
   * stops the node itself (`veritrain chain start`: it says what it does, in order). Default: the caller's group.
   */
  readonly detached?: boolean;
  readonly signal?: AbortSignal;
}

/** The local node could not be started, did not answer in time, or exited early. */
export class LocalNodeError extends ChainError {
  override name = "LocalNodeError";
}

/** A TCP port that was free a moment ago on 127.0.0.1 (listen on port 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, "close");
  return port;
}

/** The private key and address of dev account `i` of Hardhat's default mnemonic. */
export function devAccount(i: number): DevAccount {
  const a = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: i });
  const key = a.getHdKey().privateKey;
  if (!key) throw new LocalNodeError(`cannot derive the private key of dev account ${i}`);
  return { address: a.address, privateKey: bytesToHex(key) };
}

async function waitExit(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(t);
  }
}

function lastLines(output: string): string {
  return output.trim().split("\n").slice(-3).map((l) => l.trim().replace(/\s+/g, " ")).join(" | ");
}

/** Whether `port` can be listened on at 127.0.0.1 right now. */
export async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
  } catch {
    return false;
  }
  server.close();
  await once(server, "close");
  return true;
}

interface Launch {
  readonly bin: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
}

function launchOf(impl: LocalNodeImpl, port: number, blockTimeSeconds: number | undefined): Launch {
  if (impl === "anvil") {
    const bin = anvilBinary();
    if (!bin) throw new LocalNodeError("anvil is not installed: neither node_modules/.bin/anvil (npm package @foundry-rs/anvil-linux-amd64) nor an anvil on PATH");
    return { bin, args: anvilArgs({ port, mnemonic: HARDHAT_MNEMONIC, funded: FUNDED_DEV_ACCOUNTS, chainId: LOCAL_CHAIN_ID, blockTimeSeconds }), env: process.env };
  }
  // The hardhat launcher is `#!/usr/bin/env node`: put this Node first on PATH so that it runs under it.
  const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}` };
  return { bin: path.join(ROOT, "node_modules", ".bin", "hardhat"), args: ["node", "--hostname", "127.0.0.1", "--port", String(port)], env };
}

function checkOptions(o: StartLocalNodeOptions): { impl: LocalNodeImpl; count: number } {
  const impl = o.impl ?? "hardhat";
  if (!(LOCAL_NODE_IMPLS as readonly string[]).includes(impl)) throw new LocalNodeError(`the local node must be one of ${LOCAL_NODE_IMPLS.join(", ")}, got "${impl}"`);
  const count = o.accounts ?? 10;
  if (!Number.isInteger(count) || count < 1 || count > FUNDED_DEV_ACCOUNTS) throw new LocalNodeError(`accounts must be in [1, ${FUNDED_DEV_ACCOUNTS}], got ${count}`);
  const bt = o.blockTimeSeconds;
  // Hardhat takes the interval in whole milliseconds.
  if (bt !== undefined && !(Number.isFinite(bt) && bt >= 0.001)) throw new LocalNodeError(`the block time must be a positive number of seconds, got ${bt}`);
  if (o.port !== undefined && !(Number.isInteger(o.port) && o.port >= 1 && o.port <= 65_535)) throw new LocalNodeError(`the port must be an integer in [1, 65535], got ${o.port}`);
  return { impl, count };
}

export async function startLocalNode(o: StartLocalNodeOptions = {}): Promise<LocalNode> {
  const { impl, count } = checkOptions(o);
  const timeoutMs = o.timeoutMs ?? 60_000;
  if (o.port !== undefined && !(await portFree(o.port))) throw new LocalNodeError(`port ${o.port} on 127.0.0.1 is in use (another node?): choose another port or stop what listens there`);
  const port = o.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const { bin, args, env } = launchOf(impl, port, o.blockTimeSeconds);
  const child = spawn(bin, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: o.detached === true });
  // A node left behind would hold its port: kill it when this process exits without having stopped it.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  let output = "";
  const keep = (s: string) => (output = (output + s).slice(-4000));
  child.stdout!.setEncoding("utf8").on("data", keep);
  child.stderr!.setEncoding("utf8").on("data", keep);
  let spawnError: Error | undefined;
  child.on("error", (e) => (spawnError = e));
  const exited = new Promise<string>((resolve) => child.once("close", (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`)));
  const stop = () => waitExit(child, 5_000);

  try {
    const client = createPublicClient({ transport: http(url, { retryCount: 0, timeout: 2_000 }) });
    const deadline = Date.now() + timeoutMs;
    let chainId: number | undefined;
    while (chainId === undefined) {
      o.signal?.throwIfAborted();
      if (spawnError) throw new LocalNodeError(`cannot start ${bin}: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new LocalNodeError(`the local ${impl} node exited (${child.exitCode ?? child.signalCode}) before answering: ${lastLines(output)}`);
      }
      if (Date.now() > deadline) throw new LocalNodeError(`the local ${impl} node on ${url} did not answer eth_chainId within ${timeoutMs / 1000} s`);
      try {
        chainId = await client.getChainId();
      } catch {
        await sleep(150, o.signal);
      }
    }
    if (chainId !== LOCAL_CHAIN_ID) throw new LocalNodeError(`the local ${impl} node serves chain ${chainId}, not ${LOCAL_CHAIN_ID}`);
    // Hardhat has no flag for interval mining; its RPC method takes milliseconds (anvil's, seconds: anvil
    // gets its block time as a flag instead) and keeps automine on.
    if (impl === "hardhat" && o.blockTimeSeconds !== undefined) {
      const test = createTestClient({ mode: "hardhat", transport: http(url, { retryCount: 0, timeout: 2_000 }) });
      await test.request({ method: "evm_setIntervalMining", params: [Math.round(o.blockTimeSeconds * 1000)] });
    }
    const clientVersion = await client.request({ method: "web3_clientVersion" });
    const accounts = Array.from({ length: count }, (_, i) => devAccount(i));
    for (const a of accounts) {
      const balance = await client.getBalance({ address: a.address });
      if (balance === 0n) throw new LocalNodeError(`dev account ${a.address} holds no ether on the local ${impl} node (not the default dev accounts?)`);
    }
    let stopped: Promise<void> | undefined;
    return {
      impl, clientVersion, blockTimeSeconds: o.blockTimeSeconds, url, port, chainId, pid: child.pid!, accounts, exited,
      lastOutput: () => lastLines(output), stop: () => (stopped ??= stop()),
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
