import { writeFile } from "node:fs/promises";
import { type Command, InvalidArgumentError, Option } from "commander";
import { formatEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { connect, type Connection } from "../../chain/connect.ts";
import { ChainError, DeploymentFileError } from "../../chain/errors.ts";
import { FUNDED_DEV_ACCOUNTS, HARDHAT_MNEMONIC, LOCAL_NODE_IMPLS, type LocalNode, type LocalNodeImpl, startLocalNode } from "../../chain/localNode.ts";
import { DEPLOY_DEFAULTS } from "../../core/defaults.ts";
import { VeritrainError } from "../../core/errors.ts";
import { sleep } from "../../core/sleep.ts";
import type { Logger } from "../../log/logger.ts";
import { positiveInt } from "../options.ts";

/**
 * `veritrain chain start`: a local development chain for trying the whole protocol by hand (docs/local-chain.md).
 * The chain mines a block every --block-time seconds besides one per transaction, so that its clock moves
 * like a real chain's: auctions close, challenge windows pass and chess clocks run without anyone mining by
 * hand. It prints its RPC URL, chain id and funded dev accounts (their keys are PUBLIC: the well-known dev
 * mnemonic), optionally deploys the protocol, and runs until Ctrl-C (or SIGTERM, or SIGHUP), then stops the
 * node and says so. The node runs in its own process group, so that this process alone gets the terminal's
 * Ctrl-C and stops it in order.
 */
export class ChainCommandError extends VeritrainError {
  override name = "ChainCommandError";
}

interface ChainStartFlags {
  impl: LocalNodeImpl;
  blockTime: number;
  port: number;
  accounts: number;
  deploy?: boolean;
  kernel: "recompute" | "groth16";
  out?: string;
  json?: boolean;
}

export const CHAIN_DEFAULTS = { port: 8545, blockTimeSeconds: 1, accounts: 10 } as const;
/** How often the running chain logs its height and time (so that a waiting terminal is never silent). */
const HEARTBEAT_MS = 60_000;

const KEY_WARNING = `PUBLIC TEST KEYS: derived from the published dev mnemonic "${HARDHAT_MNEMONIC}"; anyone can spend from these accounts on any chain. Never use them, nor send real funds to them, on a real network.`;

function blockTime(v: string): number {
  const n = Number(v);
  if (!/^[0-9]+(\.[0-9]{1,3})?$/.test(v) || !(n > 0) || n > 3_600) throw new InvalidArgumentError(`--block-time must be a number of seconds in (0, 3600] with at most 3 decimals, like 1 or 0.5, got "${v}"`);
  return n;
}

/** The protocol's deployment on the fresh chain, by dev account 0 (deployer and treasury). */
async function deployOnto(node: LocalNode, f: ChainStartFlags, log: Logger): Promise<Record<string, unknown>> {
  // Loaded on use: chain/deploy.ts imports the generated contract artifacts (a build product).
  const { deployProtocol, deploymentJson } = await import("../../chain/deploy.ts").catch((e: Error) => {
    throw new ChainError(`cannot load the contract artifacts (run \`npm run build:contracts\`): ${e.message}`);
  });
  const { publicClient, walletClient } = await connect({ rpcUrl: node.url, chainId: node.chainId, account: privateKeyToAccount(node.accounts[0]!.privateKey) });
  log.info({ kernel: f.kernel, deployer: node.accounts[0]!.address }, "deploying the protocol");
  const d = await deployProtocol({ walletClient, publicClient, chainId: node.chainId, treasury: node.accounts[0]!.address, forfeitBps: DEPLOY_DEFAULTS.forfeitBps, kernel: f.kernel, onProgress: (m) => log.debug(m) });
  const json = deploymentJson(d);
  if (f.out) {
    try {
      await writeFile(f.out, JSON.stringify(json, null, 2) + "\n");
    } catch (e) {
      throw new DeploymentFileError(`deployed, but cannot write ${f.out}: ${(e as Error).message} (market ${d.jobMarket})`);
    }
  }
  log.info({ market: d.jobMarket, block: Number(d.deploymentBlock), ...(f.out ? { out: f.out } : {}) }, "protocol deployed");
  return json;
}

function printChain(node: LocalNode, balances: readonly bigint[], deployment: Record<string, unknown> | undefined, out: string | undefined): void {
  const lines = [
    `local chain      ${node.url}  (chain id ${node.chainId}, ${node.clientVersion})`,
    `clock            a block every ${node.blockTimeSeconds} s without traffic, and one per transaction: the chain's time moves on its own`,
    "",
    `dev accounts     ${KEY_WARNING}`,
    ...node.accounts.map((a, i) => `  #${String(i).padEnd(3)}${a.address}  ${formatEther(balances[i]!)} ETH\n       key ${a.privateKey}`),
  ];
  if (deployment) {
    const c = deployment.contracts as Record<string, string>;
    lines.push(
      "",
      `market           ${c.jobMarket}  (JobMarket; deployed by #0, also its treasury; from block ${String(deployment.deploymentBlock)})`,
      `dispute game     ${c.disputeGame}`,
      `kernel verifier  ${c.kernelVerifier}  (${String(deployment.kernel ?? "given")})`,
      ...(out ? [`deployment       written to ${out}`] : []),
    );
  }
  lines.push("", "running: Ctrl-C stops the chain (its state is not kept)");
  process.stdout.write(lines.join("\n") + "\n");
}

/** Resolves once `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
}

/** Logs the chain's height and time once every HEARTBEAT_MS until `signal` aborts. */
async function heartbeat(publicClient: Connection["publicClient"], log: Logger, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await sleep(HEARTBEAT_MS, signal);
    if (signal.aborted) break;
    const b = await publicClient.getBlock({ blockTag: "latest" }).catch(() => undefined);
    if (b && !signal.aborted) log.info({ block: Number(b.number), chainTime: new Date(Number(b.timestamp) * 1000).toISOString() }, "local chain running");
  }
}

async function runChain(f: ChainStartFlags, log: Logger, interrupt: AbortSignal): Promise<void> {
  // SIGHUP (the terminal closed) stops the chain too; veritrain.ts handles SIGINT and SIGTERM.
  const hangup = new AbortController();
  const onHup = () => hangup.abort(new Error("hangup"));
  process.once("SIGHUP", onHup);
  const stopAsked = AbortSignal.any([interrupt, hangup.signal]);
  log.info({ impl: f.impl, port: f.port, blockTimeSeconds: f.blockTime }, "starting a local chain");
  const done = new AbortController();
  const node = await startLocalNode({ impl: f.impl, port: f.port, accounts: f.accounts, blockTimeSeconds: f.blockTime, detached: true, signal: stopAsked });
  try {
    const { publicClient } = await connect({ rpcUrl: node.url, chainId: node.chainId });
    const balances = await Promise.all(node.accounts.map((a) => publicClient.getBalance({ address: a.address })));
    const deployment = f.deploy ? await deployOnto(node, f, log) : undefined;
    if (f.json) {
      process.stdout.write(JSON.stringify({
        impl: node.impl, clientVersion: node.clientVersion, rpcUrl: node.url, chainId: node.chainId, blockTimeSeconds: node.blockTimeSeconds, pid: node.pid,
        warning: KEY_WARNING, mnemonic: HARDHAT_MNEMONIC,
        accounts: node.accounts.map((a, i) => ({ index: i, address: a.address, privateKey: a.privateKey, balanceWei: balances[i]!.toString() })),
        ...(deployment ? { deployment } : {}),
      }) + "\n");
    } else {
      printChain(node, balances, deployment, f.out);
    }
    log.info({ rpcUrl: node.url, chainId: node.chainId, pid: node.pid }, "local chain up: Ctrl-C stops it");
    void heartbeat(publicClient, log, AbortSignal.any([stopAsked, done.signal]));

    const how = await Promise.race([node.exited, aborted(stopAsked).then(() => undefined)]);
    if (how !== undefined && !stopAsked.aborted) throw new ChainError(`the local ${node.impl} node stopped by itself (${how}): ${node.lastOutput()}`);
    log.info({ reason: (stopAsked.reason as Error | undefined)?.message, pid: node.pid }, "stopping the local chain");
  } finally {
    done.abort();
    await node.stop();
    process.off("SIGHUP", onHup);
  }
  log.info({ how: await node.exited }, "local chain stopped");
}

export function registerChain(program: Command, log: () => Logger, signal: AbortSignal): void {
  const chain = program.command("chain").description("a local development chain (Hardhat's node or Foundry's anvil) for trying the protocol by hand");
  chain
    .command("start")
    .description("start a local chain whose clock moves (a block every --block-time seconds), print its RPC URL, chain id and funded dev keys (public test keys), optionally deploy the protocol; runs until Ctrl-C")
    .addOption(new Option("--impl <name>", "the node that runs the chain: hardhat (Hardhat's EDR) or anvil (Foundry's, from npm)").choices(LOCAL_NODE_IMPLS).default("hardhat"))
    .option("--block-time <seconds>", "seconds between the blocks mined without traffic (interval mining; a transaction is mined at once anyway)", blockTime, CHAIN_DEFAULTS.blockTimeSeconds)
    .option("--port <n>", "port to listen on, on 127.0.0.1", positiveInt("--port", 65_535), CHAIN_DEFAULTS.port)
    .option("--accounts <n>", `how many funded dev accounts to print (1-${FUNDED_DEV_ACCOUNTS}; the chain funds ${FUNDED_DEV_ACCOUNTS} whatever this says)`, positiveInt("--accounts", FUNDED_DEV_ACCOUNTS), CHAIN_DEFAULTS.accounts)
    .option("--deploy", "deploy the protocol with dev account #0 (deployer and treasury) and print the market's address")
    .addOption(new Option("--kernel <kind>", "with --deploy: the kernel verifier, recompute (on chain) or groth16 (proofs)").choices(["recompute", "groth16"]).default("recompute"))
    .option("--out <file>", "with --deploy: also write the deployment JSON (as `veritrain deploy --out`) to this file")
    .option("--json", "print the chain (and deployment) as one JSON object")
    .action(async (f: ChainStartFlags) => {
      if (f.out && !f.deploy) throw new ChainCommandError("--out needs --deploy (it writes the deployment)");
      await runChain(f, log(), signal);
    });
}
