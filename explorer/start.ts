import { readFile } from "node:fs/promises";
import type { Address, Chain, Client, Transport } from "viem";
import { checkMarket } from "../chain/checkMarket.ts";
import { decodeDataset } from "../engine/datasetFile.ts";
import { DatasetError, FileReadError } from "../engine/errors.ts";
import { loadMnist } from "../engine/mnist.ts";
import type { Logger } from "../log/logger.ts";
import type { HeldoutSet } from "./curve.ts";
import { Explorer } from "./explorer.ts";
import { type ExplorerServer, startExplorerServer } from "./server.ts";

/**
 * Starts the explorer on a market: checks that the address is a JobMarket (chain/checkMarket.ts:
 * NotAMarketError otherwise, before anything listens), reads the chain once, then serves the page and polls.
 */
export interface StartExplorerOptions {
  readonly client: Client<Transport, Chain | undefined>;
  readonly market: Address;
  readonly host?: string;
  readonly port?: number;
  readonly fromBlock?: bigint;
  /** Held-out sets for the training curves (default: the shipped MNIST held-out split). */
  readonly heldout?: readonly HeldoutSet[];
  readonly pollMs?: number;
  readonly log: Logger;
}

export interface RunningExplorer {
  readonly url: string;
  readonly explorer: Explorer;
  readonly server: ExplorerServer;
  /** Resolves when the signal aborts and the poll loop has stopped. */
  readonly running: Promise<void>;
}

/** The shipped MNIST digits' held-out split (every sixth digit, never in the training split): engine/mnist.ts. */
export function mnistHeldout(): HeldoutSet {
  const { heldout } = loadMnist();
  return { name: "the shipped MNIST held-out split (every sixth digit, never in the training split)", data: heldout };
}

/** A held-out set from a dataset file (.vtds, engine/datasetFile.ts). */
export async function heldoutFromFile(file: string): Promise<HeldoutSet> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new FileReadError(`cannot read the held-out set ${file}: ${(e as Error).message}`, { path: file });
  }
  try {
    return { name: `the held-out set ${file}`, data: decodeDataset(bytes) };
  } catch (e) {
    if (e instanceof DatasetError) throw new DatasetError(`${file} is not a dataset file: ${e.message}`);
    throw e;
  }
}

/** Whether a listen address serves this machine only. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startExplorer(o: StartExplorerOptions, signal: AbortSignal): Promise<RunningExplorer> {
  const { game } = await checkMarket(o.client, { market: o.market });
  const explorer = new Explorer({
    client: o.client, market: o.market, game, heldout: o.heldout ?? [mnistHeldout()], log: o.log, readLocalFiles: isLoopback(o.host ?? "127.0.0.1"),
    ...(o.fromBlock !== undefined ? { fromBlock: o.fromBlock } : {}), ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
  });
  await explorer.poll();
  const server = await startExplorerServer({ explorer, ...(o.host !== undefined ? { host: o.host } : {}), ...(o.port !== undefined ? { port: o.port } : {}), log: o.log });
  const running = explorer.run(signal).finally(() => server.close());
  return { url: server.url, explorer, server, running };
}
