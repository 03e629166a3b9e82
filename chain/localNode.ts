import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex, createPublicClient, type Hex, http, type Address } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { ChainError } from "./errors.ts";
import { sleep } from "../core/sleep.ts";

/**
 * A local Hardhat node run as a child process on 127.0.0.1 (for demos and end-to-end tests): a free port is
 * found first, the node is started, and the call returns once `eth_chainId` answers. The node's funded dev
 * accounts are Hardhat's default mnemonic accounts, derived here (not parsed from the node's output) and
 * checked to hold ether. `stop()` kills the node and waits for its exit; callers use try/finally.
 */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface DevAccount {
  readonly address: Address;
  /** A well-known, publicly published dev key: never use it on a real network. */
  readonly privateKey: Hex;
}

export interface LocalNode {
  readonly url: string;
  readonly port: number;
  readonly chainId: number;
  readonly pid: number;
  readonly accounts: readonly DevAccount[];
  /** Kills the node (SIGTERM, then SIGKILL after a grace period) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

export interface StartLocalNodeOptions {
  /** How many dev accounts to derive and check (default 10, at most 20: the node funds 20). */
  readonly accounts?: number;
  /** How long to wait for the node to answer (default 60 s). */
  readonly timeoutMs?: number;
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

export async function startLocalNode(o: StartLocalNodeOptions = {}): Promise<LocalNode> {
  const count = o.accounts ?? 10;
  if (!Number.isInteger(count) || count < 1 || count > 20) throw new LocalNodeError(`accounts must be in [1, 20], got ${count}`);
  const timeoutMs = o.timeoutMs ?? 60_000;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const bin = path.join(ROOT, "node_modules", ".bin", "hardhat");
  // The hardhat launcher is `#!/usr/bin/env node`: put this Node first on PATH so that it runs under it.
  const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}` };
  const child = spawn(bin, ["node", "--hostname", "127.0.0.1", "--port", String(port)], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (s: string) => (output = (output + s).slice(-4000));
  child.stdout!.setEncoding("utf8").on("data", keep);
  child.stderr!.setEncoding("utf8").on("data", keep);
  let spawnError: Error | undefined;
  child.on("error", (e) => (spawnError = e));
  const stop = () => waitExit(child, 5_000);

  try {
    const client = createPublicClient({ transport: http(url, { retryCount: 0, timeout: 2_000 }) });
    const deadline = Date.now() + timeoutMs;
    let chainId: number | undefined;
    while (chainId === undefined) {
      o.signal?.throwIfAborted();
      if (spawnError) throw new LocalNodeError(`cannot start ${bin}: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new LocalNodeError(`the local node exited (${child.exitCode ?? child.signalCode}) before answering: ${output.trim().split("\n").slice(-3).join(" | ")}`);
      }
      if (Date.now() > deadline) throw new LocalNodeError(`the local node on ${url} did not answer eth_chainId within ${timeoutMs / 1000} s`);
      try {
        chainId = await client.getChainId();
      } catch {
        await sleep(150, o.signal);
      }
    }
    const accounts = Array.from({ length: count }, (_, i) => devAccount(i));
    for (const a of accounts) {
      const balance = await client.getBalance({ address: a.address });
      if (balance === 0n) throw new LocalNodeError(`dev account ${a.address} holds no ether on the local node (not Hardhat's default accounts?)`);
    }
    let stopped: Promise<void> | undefined;
    return { url, port, chainId, pid: child.pid!, accounts, stop: () => (stopped ??= stop()) };
  } catch (e) {
    await stop();
    throw e;
  }
}
