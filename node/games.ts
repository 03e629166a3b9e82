import type { Logger } from "../log/logger.ts";
import { type GameOutcome, gameOutcome, playGame, type PlayProgress, readGame } from "../dispute/playGame.ts";
import { isOver, Party, partyOf, Phase, REASON_NAMES } from "../dispute/gameState.ts";
import { getBlock } from "viem/actions";
import type { KernelKind } from "../dispute/settleCall.ts";
import type { ComputationView } from "../dispute/view.ts";
import type { NodeChain } from "./chain.ts";
import type { GameRow, GameSide, NodeDb } from "./db.ts";
import type { NodeModule } from "./node.ts";
import type { TxSender } from "./txSender.ts";
import type { Waits } from "./waits.ts";

/**
 * Plays every open game of the node's database on its side to the end, each in the background
 * (dispute/playGame.ts: it keeps no state of its own, so a game interrupted by a kill or a failure is simply
 * played again from wherever the chain says it is). The role provides the computation view of each game: the
 * solver replays its stored checkpoint, the verifier its verified one. Every move, settlement and timeout is
 * recorded with the game's job's transactions, so a job's report counts the dispute's gas and fees.
 */
export interface OpenedView {
  readonly view: ComputationView;
  close(): Promise<void>;
}

export interface GamePlayerOptions {
  readonly side: GameSide;
  readonly chain: NodeChain;
  readonly db: NodeDb;
  readonly tx: TxSender;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly pollMs: number;
  readonly kernel?: KernelKind;
  /** The party's view of a game (throws when it cannot be built; retried on the next tick). */
  readonly viewOf: (g: GameRow) => Promise<OpenedView>;
  /** Called once a game ended (resolved or aborted), after it is recorded. */
  readonly onEnded?: (g: GameRow, outcome: GameOutcome, status: "won" | "lost" | "aborted") => Promise<void> | void;
  /** Test-only: wraps the play of a game (an adversary that stalls or lies mid-game). */
  readonly play?: typeof playGame;
  /** Where the waits on the other side's moves are logged (and recorded for status). */
  readonly waits?: Waits;
}

/** A game's wait key: ends with its job id, so the job's end clears it (Waits.doneJob). */
const gameWaitKey = (g: GameRow) => `game-${g.gameId}:${g.jobId}`;

const PHASE_NAMES = Object.fromEntries(Object.entries(Phase).map(([k, v]) => [v, k])) as Record<number, string>;

export class GamePlayer implements NodeModule {
  readonly name: string;
  readonly #o: GamePlayerOptions;
  readonly #playing = new Map<string, Promise<void>>();

  constructor(o: GamePlayerOptions) {
    this.name = `games:${o.side}`;
    this.#o = o;
  }

  /** Games being played now. */
  get playing(): number {
    return this.#playing.size;
  }

  async tick(): Promise<void> {
    for (const g of this.#o.db.games()) {
      if (g.status === "open" && g.side === this.#o.side && !this.#o.signal.aborted) {
        this.#start(g);
        await this.#noteWait(g).catch((e) => this.#o.log.debug({ gameId: g.gameId.toString(), err: (e as Error).message }, "could not read the game's clock"));
      }
    }
  }

  /**
   * A game waiting on the other side (its move, or the solver's settlement) is a wait: logged with the chain
   * time its clock runs out, after which this side calls timeout. Read from the chain only when due (once a
   * minute per game), so a long game costs two reads a minute, not two per poll.
   */
  async #noteWait(g: GameRow): Promise<void> {
    const { waits, chain, side } = this.#o;
    const key = gameWaitKey(g);
    if (!waits?.due(key)) return;
    const st = await readGame(chain.client, await chain.game(), g.gameId);
    if (isOver(st.phase) || (st.turn === partyOf(side) && st.phase !== Phase.Settlement)) return waits.done(key);
    const now = (await getBlock(chain.client, { blockTag: "latest" })).timestamp;
    const other = st.turn === Party.Solver ? "the solver" : "the challenger";
    const what = st.phase === Phase.Settlement ? "the settlement (the solver must settle the disputed value)" : `${other}'s move in phase ${PHASE_NAMES[st.phase] ?? st.phase}`;
    const left = now >= st.deadline ? `ran out at chain time ${st.deadline} (now ${now})` : `runs out at chain time ${st.deadline} (chain time now ${now}, ${st.deadline - now} s to go)`;
    const ends = st.phase === Phase.Settlement
      ? `its deadline ${left}; unsettled by then, the solver loses by timeout`
      : `its clock ${left}; then this node calls timeout and wins the game`;
    waits.waiting(key, `job ${g.jobId} game ${g.gameId}: waiting for ${what}; ${ends}`, { jobId: g.jobId.toString(), gameId: g.gameId.toString(), side, phase: PHASE_NAMES[st.phase] ?? st.phase, deadline: st.deadline.toString(), now: now.toString() });
  }

  #start(g: GameRow): void {
    const key = g.gameId.toString();
    if (this.#playing.has(key)) return;
    const o = this.#o;
    const ids = { jobId: g.jobId.toString(), gameId: key, side: o.side };
    const p = (async () => {
      const game = await o.chain.game();
      // A game already over (it ended while the node was down, or was never ours to play): its outcome alone.
      const st = await readGame(o.chain.client, game, g.gameId);
      if (isOver(st.phase)) return this.#ended(g, await gameOutcome(o.chain.client, game, g.gameId, st, g.openedBlock));
      const { view, close } = await o.viewOf(g);
      let out: GameOutcome;
      try {
        out = await (o.play ?? playGame)({
          client: o.chain.client, game, gameId: g.gameId, side: o.side, view, pollMs: o.pollMs, fromBlock: g.openedBlock, signal: o.signal,
          ...(o.kernel ? { kernel: o.kernel } : {}),
          onProgress: (e: PlayProgress) => {
            if (e.kind === "stuck" || e.kind === "error") {
              o.log.warn({ ...ids, ...e }, e.kind === "stuck" ? "dispute: no move" : "dispute: transaction failed; retrying");
              return;
            }
            o.tx.record(g.jobId, e.kind === "move" ? `dispute ${e.label}` : `dispute ${e.kind}`, e.tx, e.gasUsed, e.feesWei);
            o.log.info({ ...ids, ...e, gasUsed: e.gasUsed.toString(), feesWei: e.feesWei.toString() }, e.kind === "move" ? `dispute move ${e.label}` : `dispute ${e.kind}`);
          },
        });
      } finally {
        await close();
      }
      await this.#ended(g, out);
    })().catch((e) => {
      if (o.signal.aborted) o.log.info(ids, "dispute interrupted (resumes on restart)");
      else o.log.error({ ...ids, err: (e as Error).message }, "dispute play failed; retrying on the next poll");
    }).finally(() => this.#playing.delete(key));
    this.#playing.set(key, p);
  }

  async #ended(g: GameRow, out: GameOutcome): Promise<void> {
    const o = this.#o;
    const won = o.side === "solver" ? out.solverWon : !out.solverWon;
    const status = !out.resolved ? "aborted" : won ? "won" : "lost";
    const reason = out.resolved ? REASON_NAMES[out.reason] ?? String(out.reason) : "aborted";
    o.db.endGame(g.gameId, status, reason);
    o.waits?.done(gameWaitKey(g));
    o.log.info({ jobId: g.jobId.toString(), gameId: g.gameId.toString(), side: o.side, status, reason }, `dispute ${status}`);
    await o.onEnded?.(g, out, status);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#playing.values());
  }
}
