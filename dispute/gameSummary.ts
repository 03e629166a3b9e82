// What happened in one game, from the chain alone: every transaction that touched it (found through its
// events), which level each move belongs to, who sent it and its gas, and how the game ended. For the demo's
// summary, the dispute benchmark and anyone auditing a dispute.
import type { Address, Client, Hash } from "viem";
import { getBlock, getTransaction, getTransactionReceipt } from "viem/actions";
import { disputeGameAbi } from "../chain/generated/contracts.ts";
import { getLogsPaged } from "../chain/getLogsPaged.ts";
import { Party, REASON_NAMES } from "./gameState.ts";

/** A game's transaction: its level (1 steps, 2 ops, 3 elements, 4 terms, 5 settlement / timeout), sender and gas. */
export interface GameMove {
  readonly level: 1 | 2 | 3 | 4 | 5;
  readonly label: string;
  readonly by: "solver" | "challenger" | "anyone";
  /** The transaction's sender (who settled or timed out a game, where `by` is "anyone"). */
  readonly from: Address;
  readonly tx: Hash;
  readonly block: bigint;
  readonly gasUsed: bigint;
  /** Calldata bytes of the transaction. */
  readonly calldataBytes: number;
  /** Every game event of the transaction, in log order, with its arguments (what the move narrowed to). */
  readonly events: readonly { readonly name: string; readonly args: Readonly<Record<string, unknown>> }[];
}

export interface GameSummary {
  readonly gameId: bigint;
  readonly moves: readonly GameMove[];
  /** Transactions per level (1..5). */
  readonly movesPerLevel: Readonly<Record<1 | 2 | 3 | 4 | 5, number>>;
  readonly gasPerLevel: Readonly<Record<1 | 2 | 3 | 4 | 5, bigint>>;
  readonly totalGas: bigint;
  readonly maxMoveGas: bigint;
  /** Chain seconds from the game's creation to its resolution (undefined while it is open). */
  readonly chainSeconds?: number;
  readonly outcome?: { readonly solverWon: boolean; readonly reason: string };
}

const LEVEL: Record<string, 1 | 2 | 3 | 4 | 5> = {
  StepBisected: 1, StepResponded: 1, TracePosted: 2, RecordOpened: 2, DataRootRevealed: 3, LeafRevealed: 3,
  TermsPosted: 4, TermsResponded: 4, Settled: 5, GameTimedOut: 5,
};

/** The game's events are read in pages of `logRange` blocks (default DEFAULT_LOG_RANGE) from `fromBlock` (the block that opened it, if known). */
export async function gameSummary(client: Client, game: Address, gameId: bigint, fromBlock = 0n, logRange?: number): Promise<GameSummary> {
  const logs = await getLogsPaged(client, { address: game, abi: disputeGameAbi, args: { gameId }, fromBlock, strict: true, ...(logRange !== undefined ? { range: logRange } : {}) });
  const byTx = new Map<Hash, { level: 1 | 2 | 3 | 4 | 5; label: string; by: GameMove["by"]; block: bigint }>();
  const eventsOf = new Map<Hash, { name: string; args: Record<string, unknown> }[]>();
  let created: bigint | undefined, resolved: bigint | undefined, outcome: GameSummary["outcome"];
  for (const l of logs as unknown as { eventName: string; args: Record<string, unknown>; transactionHash: Hash; blockNumber: bigint }[]) {
    if (l.eventName === "GameCreated") created = l.blockNumber;
    if (l.eventName === "GameResolved") {
      resolved = l.blockNumber;
      outcome = { solverWon: l.args.solverWon as boolean, reason: REASON_NAMES[Number(l.args.reason)] ?? String(l.args.reason) };
    }
    eventsOf.set(l.transactionHash, [...(eventsOf.get(l.transactionHash) ?? []), { name: l.eventName, args: l.args }]);
    const level = l.eventName === "NodesRevealed" ? (Number(l.args.level) as 2 | 3) : LEVEL[l.eventName];
    if (level === undefined || byTx.has(l.transactionHash)) continue;
    const who = l.args.by === undefined ? undefined : Number(l.args.by) === Party.Solver ? "solver" : "challenger";
    byTx.set(l.transactionHash, { level, label: l.eventName, by: who ?? "anyone", block: l.blockNumber });
  }
  const moves: GameMove[] = [];
  for (const [tx, m] of byTx) {
    const [r, t] = await Promise.all([getTransactionReceipt(client, { hash: tx }), getTransaction(client, { hash: tx })]);
    // Moves without a `by` field: level 1 and 4 alternate solver (bisect/post) and challenger (respond).
    const by = m.by !== "anyone" ? m.by : m.label === "StepBisected" || m.label === "TermsPosted" ? "solver" : m.label === "StepResponded" || m.label === "TermsResponded" ? "challenger" : "anyone";
    moves.push({ ...m, by, from: t.from, tx, gasUsed: r.gasUsed, calldataBytes: (t.input.length - 2) / 2, events: eventsOf.get(tx) ?? [] });
  }
  moves.sort((a, b) => (a.block < b.block ? -1 : a.block > b.block ? 1 : 0));
  const movesPerLevel = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
  const gasPerLevel = { 1: 0n, 2: 0n, 3: 0n, 4: 0n, 5: 0n };
  let totalGas = 0n, maxMoveGas = 0n;
  for (const m of moves) {
    movesPerLevel[m.level]++;
    gasPerLevel[m.level] += m.gasUsed;
    totalGas += m.gasUsed;
    if (m.gasUsed > maxMoveGas) maxMoveGas = m.gasUsed;
  }
  let chainSeconds: number | undefined;
  if (created !== undefined && resolved !== undefined) {
    const [a, b] = await Promise.all([getBlock(client, { blockNumber: created }), getBlock(client, { blockNumber: resolved })]);
    chainSeconds = Number(b.timestamp - a.timestamp);
  }
  return { gameId, moves, movesPerLevel, gasPerLevel, totalGas, maxMoveGas, ...(chainSeconds !== undefined ? { chainSeconds } : {}), ...(outcome ? { outcome } : {}) };
}
