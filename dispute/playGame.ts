// Plays one side of a DisputeGame to its end: polls gameState, moves on its own turn, settles at Settlement
// as soon as the true value is on its side (the solver: its claim is the true value; the challenger: the
// solver's claim is not), calls timeout when the other side's clock has run out, and
// stops when the game is Resolved or Aborted. It keeps no state of its own: a restarted process calling it
// again picks the game up where the chain says it is. Progress goes to `onProgress`; it never logs.
import type { Account, Address, Chain, Client, Hash, Transport } from "viem";
import { getLogsPaged } from "../chain/getLogsPaged.ts";
import { getBlock, readContract, waitForTransactionReceipt, writeContract } from "viem/actions";
import { disputeGameAbi } from "../chain/generated/contracts.ts";
import { shortReason } from "../chain/errors.ts";
import { DisputeError } from "./errors.ts";
import { gameEvents } from "./gameEvents.ts";
import { type GameView, isOver, partyOf, Phase, type Side } from "./gameState.ts";
import { nextMove } from "./move.ts";
import { detectKernel, type KernelKind, settleCall } from "./settleCall.ts";
import { solverTraceCopy } from "./solverTrace.ts";
import { trueValueOf } from "./trueValue.ts";
import type { ComputationView } from "./view.ts";
import { sleep } from "../core/sleep.ts";
import { RECEIPT_TIMEOUT_MS } from "../core/defaults.ts";

export type PlayProgress =
  | { readonly kind: "move"; readonly phase: number; readonly label: string; readonly tx: Hash; readonly gasUsed: bigint; readonly feesWei: bigint }
  | { readonly kind: "settle"; readonly tx: Hash; readonly gasUsed: bigint; readonly feesWei: bigint; readonly proveMs?: number }
  | { readonly kind: "timeout"; readonly phase: number; readonly tx: Hash; readonly gasUsed: bigint; readonly feesWei: bigint }
  | { readonly kind: "stuck"; readonly phase: number; readonly reason: string }
  | { readonly kind: "error"; readonly phase: number; readonly action: string; readonly message: string };

export interface PlayGameOptions {
  readonly client: Client<Transport, Chain | undefined, Account>;
  readonly game: Address;
  readonly gameId: bigint;
  readonly side: Side;
  readonly view: ComputationView;
  /** The game's kernel verifier kind (default: detected from the chain). */
  readonly kernel?: KernelKind;
  readonly pollMs?: number;
  /** First block of event lookups (the game's creation block is enough). */
  readonly fromBlock?: bigint;
  /** Give up after this many consecutive failed transactions (default 20). */
  readonly maxFailures?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (e: PlayProgress) => void;
}

export interface GameOutcome {
  /** False when the game was aborted (its job was voided) rather than resolved. */
  readonly resolved: boolean;
  readonly solverWon: boolean;
  /** DisputeGame.Reason (REASON_NAMES); -1 when aborted. */
  readonly reason: number;
}

export function readGame(client: Client, game: Address, gameId: bigint): Promise<GameView> {
  return readContract(client, { address: game, abi: disputeGameAbi, functionName: "gameState", args: [gameId] });
}

/** The outcome of a game that is over (from its GameResolved event). */
export async function gameOutcome(client: Client, game: Address, gameId: bigint, st: GameView, fromBlock = 0n): Promise<GameOutcome> {
  if (st.phase === Phase.Aborted) return { resolved: false, solverWon: false, reason: -1 };
  // Paged: a game can span more blocks than a public endpoint serves in one eth_getLogs.
  const [ev] = await getLogsPaged(client, { address: game, abi: disputeGameAbi, eventName: "GameResolved", args: { gameId }, fromBlock, strict: true });
  if (!ev) throw new DisputeError(`game ${gameId} is resolved but has no GameResolved event since block ${fromBlock}`);
  return { resolved: true, solverWon: ev.args.solverWon, reason: ev.args.reason };
}

export async function playGame(o: PlayGameOptions): Promise<GameOutcome> {
  const { client, game, gameId, side, view, signal } = o;
  const progress = o.onProgress ?? (() => {});
  const pollMs = o.pollMs ?? 500;
  const fromBlock = o.fromBlock ?? 0n;
  const events = gameEvents(client, game, gameId, fromBlock);
  const me = partyOf(side);
  let kernel = o.kernel;
  let failures = 0;
  const reported = new Set<string>();

  const send = async (action: string, phase: number, functionName: string, args: readonly unknown[]) => {
    try {
      const hash = await writeContract(client, { address: game, abi: disputeGameAbi, functionName: functionName as never, args: args as never, account: client.account, chain: client.chain });
      const r = await waitForTransactionReceipt(client, { hash, timeout: RECEIPT_TIMEOUT_MS });
      if (r.status !== "success") throw new DisputeError(`transaction ${hash} reverted`);
      failures = 0;
      return r;
    } catch (e) {
      if (++failures >= (o.maxFailures ?? 20)) throw new DisputeError(`game ${gameId}: ${action} failed ${failures} times in a row: ${shortReason(e)}`);
      progress({ kind: "error", phase, action, message: shortReason(e) });
      return undefined;
    }
  };

  for (;;) {
    if (signal?.aborted) throw new DisputeError(`game ${gameId}: play interrupted`);
    const st = await readGame(client, game, gameId);
    if (isOver(st.phase)) return gameOutcome(client, game, gameId, st, fromBlock);
    if (st.phase === Phase.None) throw new DisputeError(`game ${gameId} does not exist on ${game}`);
    const now = (await getBlock(client, { blockTag: "latest" })).timestamp;
    let acted = false;
    if (st.phase === Phase.Settlement) {
      // Either side settles at once when the true value (from the agreed operands) is on its side: the solver
      // when it is its claim, the challenger when it is not (the solver's claim is false: settlement fails it).
      const tv = await trueValueOf(view, st);
      const mine = tv !== undefined && (side === "solver" ? tv === st.solverNode : tv !== st.solverNode);
      if (mine && now < st.deadline) {
        kernel ??= await detectKernel(client, game);
        // The verifier opens earlier entries against the solver's trace root: the challenger's copy of that tree.
        const solverTrace = side === "challenger" ? solverTraceCopy(await view.trace(Number(st.hiStep)), st.solverTrace, st.entry, await events.solverTraceReveals()) : undefined;
        const call = await settleCall(view, st, kernel, { value: tv, ...(solverTrace ? { solverTrace } : {}) });
        const r = await send("settle", st.phase, "settle", [gameId, call.operands, call.proof]);
        if (r) progress({ kind: "settle", tx: r.transactionHash, gasUsed: r.gasUsed, feesWei: r.gasUsed * r.effectiveGasPrice, ...(call.proveMs !== undefined ? { proveMs: call.proveMs } : {}) });
        acted = r !== undefined;
      } else if (now >= st.deadline) {
        // Nobody settled in time: the solver loses (it carries the burden of settlement, docs/protocol.md 3.5).
        const r = await send("timeout", st.phase, "timeout", [gameId]);
        if (r) progress({ kind: "timeout", phase: st.phase, tx: r.transactionHash, gasUsed: r.gasUsed, feesWei: r.gasUsed * r.effectiveGasPrice });
        acted = r !== undefined;
      } else if (side === "solver" && !mine && !reported.has("settle")) {
        // (A challenger facing a true claim just waits for the solver's settle, as it always did.)
        reported.add("settle");
        progress({ kind: "stuck", phase: st.phase, reason: tv === undefined ? "the declared term count is not the operands'" : `its claim ${st.solverNode} is not the true value ${tv}` });
      }
    } else if (st.turn === me) {
      const m = await nextMove(view, side, gameId, st, events);
      if (m.kind === "move") {
        const r = await send(m.label, st.phase, m.functionName, m.args);
        if (r) progress({ kind: "move", phase: st.phase, label: m.label, tx: r.transactionHash, gasUsed: r.gasUsed, feesWei: r.gasUsed * r.effectiveGasPrice });
        acted = r !== undefined;
      } else {
        const key = `${st.phase}/${st.round}/${st.index}`;
        if (!reported.has(key)) (reported.add(key), progress({ kind: "stuck", phase: st.phase, reason: m.reason }));
      }
    } else if (now >= st.deadline) {
      const r = await send("timeout", st.phase, "timeout", [gameId]);
      if (r) progress({ kind: "timeout", phase: st.phase, tx: r.transactionHash, gasUsed: r.gasUsed, feesWei: r.gasUsed * r.effectiveGasPrice });
      acted = r !== undefined;
    }
    if (!acted) await sleep(pollMs, signal);
  }
}
