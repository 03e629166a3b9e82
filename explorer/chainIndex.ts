import type { Address, Chain, Client, Transport } from "viem";
import { getBalance, getBlock, readContract } from "viem/actions";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { getJob, type Job } from "../chain/jobs.ts";
import { getMarketEvents, type JobEvent } from "../client/getJobEvents.ts";
import { disputesOf } from "../client/getVerificationReport.ts";
import { isOver, type GameView } from "../dispute/gameState.ts";
import { type GameSummary, gameSummary } from "../dispute/gameSummary.ts";
import { readGame } from "../dispute/playGame.ts";

/**
 * The explorer's copy of what the chain says about one market, kept current by `poll()` with a block cursor:
 * every job (IJobMarket.getJob, re-read while it is unsettled) with its events (client/getMarketEvents: one
 * paged pass over the market's logs of the blocks since the cursor serves every job; a per-job read would
 * cost the same blocks once per job, which a public endpoint answers with 429s), and every dispute game
 * with its state (DisputeGame.gameState, re-read while the game is open) and its moves (dispute/gameSummary,
 * re-read when the state shows a new move).
 * All reads go through the SDK and the game reader, so they share whatever paging those do.
 */
export interface IndexedJob {
  readonly id: bigint;
  readonly job: Job;
  readonly events: readonly JobEvent[];
}

export interface IndexedGame {
  readonly gameId: bigint;
  readonly jobId: bigint;
  readonly state: GameView;
  readonly summary: GameSummary;
  /** The chain's time at the block the state was read at (the clocks count against it). */
  readonly readAt: { readonly block: bigint; readonly timestamp: bigint };
}

export interface ChainHead {
  readonly block: bigint;
  readonly timestamp: bigint;
}

export interface ChainIndexOptions {
  readonly client: Client<Transport, Chain | undefined>;
  readonly market: Address;
  /** The market's DisputeGame (JobMarket.game(), from checkMarket). */
  readonly game: Address;
  /** Read events from this block (the market's deployment block on a long chain); default 0. */
  readonly fromBlock?: bigint;
}

const TERMINAL_EVENTS = new Set<JobEvent["kind"]>(["finalized", "failed", "slashed", "cancelled"]);

/** A job whose history can still grow: not yet finalized, failed, slashed or cancelled, or with a game still open. */
export function isUnsettled(j: Pick<IndexedJob, "job" | "events">): boolean {
  if (!j.events.some((e) => TERMINAL_EVENTS.has(e.kind))) return true;
  return disputesOf(j.job, j.events).some((d) => d.outcome === "open");
}

export class ChainIndex {
  readonly market: Address;
  readonly game: Address;
  readonly fromBlock: bigint;
  readonly #client: Client<Transport, Chain | undefined>;
  readonly #jobs = new Map<bigint, IndexedJob>();
  readonly #games = new Map<bigint, IndexedGame>();
  #head: ChainHead | undefined;
  #marketBalance = 0n;
  #treasury: Address | undefined;

  constructor(o: ChainIndexOptions) {
    this.#client = o.client;
    this.market = o.market;
    this.game = o.game;
    this.fromBlock = o.fromBlock ?? 0n;
  }

  get head(): ChainHead | undefined {
    return this.#head;
  }

  /** Every wei the market holds (escrow, bonds and pull balances alike), at the head. */
  get marketBalance(): bigint {
    return this.#marketBalance;
  }

  /** Where the forfeited share of lost bonds goes (JobMarket.treasury), once read. */
  get treasury(): Address | undefined {
    return this.#treasury;
  }

  jobs(): IndexedJob[] {
    return [...this.#jobs.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  job(id: bigint): IndexedJob | undefined {
    return this.#jobs.get(id);
  }

  games(): IndexedGame[] {
    return [...this.#games.values()].sort((a, b) => (a.gameId < b.gameId ? -1 : 1));
  }

  gameById(id: bigint): IndexedGame | undefined {
    return this.#games.get(id);
  }

  /**
   * Reads what happened since the cursor; returns whether a new block was seen. The cursor moves only after
   * every read of the round succeeded, so a failed round is read again whole on the next poll.
   */
  async poll(): Promise<boolean> {
    const c = this.#client;
    const latest = await getBlock(c, { blockTag: "latest" });
    const head = { block: latest.number, timestamp: latest.timestamp };
    if (this.#head && head.block <= this.#head.block) return false;
    const from = this.#head ? this.#head.block + 1n : this.fromBlock;
    this.#treasury ??= await readContract(c, { address: this.market, abi: jobMarketAbi, functionName: "treasury" });
    const [count, balance] = await Promise.all([
      readContract(c, { address: this.market, abi: jobMarketAbi, functionName: "jobCount", blockNumber: head.block }),
      getBalance(c, { address: this.market, blockNumber: head.block }),
    ]);
    const fresh = await getMarketEvents(c, { market: this.market, fromBlock: from, toBlock: head.block });
    const jobs = new Map(this.#jobs);
    for (let id = 1n; id <= count; id++) {
      const known = jobs.get(id);
      const events = [...(known?.events ?? []), ...(fresh.get(id) ?? [])];
      if (known && !isUnsettled(known) && !fresh.has(id)) continue;
      jobs.set(id, { id, job: await getJob(c, { market: this.market, jobId: id }), events });
    }
    const games = new Map(this.#games);
    for (const j of jobs.values()) {
      for (const e of j.events) {
        if (e.kind !== "challenged") continue;
        const known = games.get(e.gameId);
        if (known && isOver(known.state.phase)) continue;
        const state = await readGame(c, this.game, e.gameId);
        // The moves are read again only when the game moved (a move sets lastMove; the end sets the phase).
        const moved = !known || known.state.lastMove !== state.lastMove || known.state.phase !== state.phase;
        const summary = moved ? await gameSummary(c as Client, this.game, e.gameId, e.blockNumber) : known.summary;
        games.set(e.gameId, { gameId: e.gameId, jobId: j.id, state, summary, readAt: head });
      }
    }
    for (const [id, j] of jobs) this.#jobs.set(id, j);
    for (const [id, g] of games) this.#games.set(id, g);
    this.#marketBalance = balance;
    this.#head = head;
    return true;
  }
}
