import type { Abi, Address, Log } from "viem";
import { getBlockNumber } from "viem/actions";
import { getLogsPaged } from "../chain/getLogsPaged.ts";
import type { Logger } from "../log/logger.ts";
import type { NodeClient } from "./chain.ts";
import type { NodeDb } from "./db.ts";
import type { NodeModule } from "./node.ts";

/**
 * Follows one contract's events from a persisted block cursor (NodeDb.cursor(name)): each tick reads the
 * blocks from the cursor to the latest in pages of `logChunk` blocks (public endpoints refuse unbounded log
 * ranges), hands each page's logs of the wanted events to `onLogs` in chain order, and moves the cursor past
 * the page only once `onLogs` returned. A crash between the two replays the page: handlers are idempotent
 * (they insert with "if not known").
 */
export interface ChainWatcherOptions<A extends Abi> {
  /** The cursor's name in the database (one per watched contract). */
  readonly name: string;
  readonly client: NodeClient;
  readonly db: NodeDb;
  readonly log: Logger;
  readonly address: Address;
  readonly abi: A;
  /** The event names to deliver (others are skipped). */
  readonly events: readonly string[];
  /** First block to read when the database has no cursor yet. */
  readonly fromBlock: bigint;
  readonly logChunk: number;
  readonly signal: AbortSignal;
  readonly onLogs: (logs: readonly WatchedLog[]) => Promise<void> | void;
  /** Called with the latest block number on every tick (metrics). */
  readonly onBlock?: (latest: bigint) => void;
  /** The clock of `lastBlockAt` (ms since the epoch; tests pass a fake one). */
  readonly now?: () => number;
}

/** A decoded event log (viem's shape: eventName, args, blockNumber, transactionHash, logIndex). */
export type WatchedLog = Log<bigint, number, false> & { readonly eventName: string; readonly args: Record<string, unknown> };

export class ChainWatcher<A extends Abi> implements NodeModule {
  readonly name: string;
  readonly #o: ChainWatcherOptions<A>;
  /** The latest block seen and when (for status and "no new block" waits). */
  lastBlock: bigint | undefined;
  lastBlockAt = 0;

  constructor(o: ChainWatcherOptions<A>) {
    this.name = `watcher:${o.name}`;
    this.#o = o;
  }

  async tick(): Promise<void> {
    const o = this.#o;
    const latest = await getBlockNumber(o.client, { cacheTime: 0 });
    if (this.lastBlock === undefined || latest > this.lastBlock) {
      this.lastBlock = latest;
      this.lastBlockAt = (o.now ?? Date.now)();
    }
    o.onBlock?.(latest);
    let from = o.db.cursor(o.name) ?? o.fromBlock;
    const want = new Set(o.events);
    while (from <= latest && !o.signal.aborted) {
      const to = from + BigInt(o.logChunk) - 1n < latest ? from + BigInt(o.logChunk) - 1n : latest;
      // One page of the cursor, read in smaller pages if the endpoint refuses its range (chain/getLogsPaged.ts).
      const logs = (await getLogsPaged(o.client, { address: o.address, abi: o.abi as Abi, fromBlock: from, toBlock: to, strict: true, range: o.logChunk })) as unknown as WatchedLog[];
      const page = logs.filter((l) => want.has(l.eventName)).sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
      if (page.length > 0) await o.onLogs(page);
      o.db.setCursor(to + 1n, o.name);
      from = to + 1n;
    }
  }
}
