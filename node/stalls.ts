import type { NodeModule } from "./node.ts";
import type { Waits } from "./waits.ts";

/**
 * The node's own waits, not any one job's: no new block for a while (on a chain without traffic nothing moves
 * until a block is mined, and every deadline is chain time, which moves only with blocks), and nothing to do
 * (no job to work on). Ticked after the market watcher, whose latest block and when it arrived it reads.
 */
export interface StallWatchOptions {
  readonly waits: Waits;
  /** The market watcher (node/watcher.ts): the latest block it saw and when. */
  readonly watcher: { readonly lastBlock: bigint | undefined; readonly lastBlockAt: number };
  /** How long without a new block before it is a wait (default 60 s). */
  readonly staleBlockMs?: number;
  /** Why the node has nothing to do, or undefined when it has (a role's rule: no job in progress...). */
  readonly idle: () => string | undefined;
  readonly now?: () => number;
}

export const STALE_BLOCK_MS = 60_000;

export class StallWatch implements NodeModule {
  readonly name = "stalls";
  readonly #o: StallWatchOptions;

  constructor(o: StallWatchOptions) {
    this.#o = o;
  }

  async tick(): Promise<void> {
    const { waits, watcher } = this.#o;
    const now = (this.#o.now ?? Date.now)();
    const stale = this.#o.staleBlockMs ?? STALE_BLOCK_MS;
    const quiet = now - watcher.lastBlockAt;
    if (watcher.lastBlock !== undefined && quiet >= stale) {
      const minutes = Math.floor(quiet / 60_000);
      const since = minutes >= 1 ? `${minutes} min` : `${Math.round(quiet / 1000)} s`;
      waits.waiting("block", `no new block for ${since} (the latest is block ${watcher.lastBlock}): on a chain without traffic a block must be mined; every deadline is chain time, which moves only with new blocks`, {
        lastBlock: watcher.lastBlock.toString(), lastBlockAt: new Date(watcher.lastBlockAt).toISOString(), quietMs: quiet,
      });
    } else {
      waits.done("block");
    }
    const idle = this.#o.idle();
    if (idle !== undefined) waits.waiting("idle", idle, { lastBlock: watcher.lastBlock?.toString() ?? null });
    else waits.done("idle");
  }
}
