// Reads of what the solver posted earlier in a game, from the DisputeGame's events (the game stores only
// their hashes).
import type { Address, Client, Hex } from "viem";
import { disputeGameAbi } from "../chain/generated/contracts.ts";
import { getLogsPaged } from "../chain/getLogsPaged.ts";
import { GameStateError } from "./errors.ts";
import { Party } from "./gameState.ts";
import type { GameEvents } from "./move.ts";
import type { TraceReveal } from "./solverTrace.ts";

/** `logRange`: most blocks per eth_getLogs request (default DEFAULT_LOG_RANGE); reads are paged from `fromBlock`. */
export function gameEvents(client: Client, game: Address, gameId: bigint, fromBlock = 0n, logRange?: number): GameEvents {
  const base = { address: game, abi: disputeGameAbi, args: { gameId }, fromBlock, strict: true, ...(logRange !== undefined ? { range: logRange } : {}) } as const;
  return {
    async postedRoots(): Promise<Hex[]> {
      const logs = await getLogsPaged(client, { ...base, eventName: "StepBisected" });
      const last = logs.at(-1);
      if (!last) throw new GameStateError(`game ${gameId}: no StepBisected event since block ${fromBlock}`);
      return [...last.args.roots];
    },
    async postedSums(): Promise<bigint[]> {
      const logs = await getLogsPaged(client, { ...base, eventName: "TermsPosted" });
      const last = logs.at(-1);
      if (!last) throw new GameStateError(`game ${gameId}: no TermsPosted event since block ${fromBlock}`);
      return [...last.args.sums];
    },
    async solverLeaf(): Promise<Hex> {
      const logs = (await getLogsPaged(client, { ...base, eventName: "LeafRevealed" })).filter((l) => l.args.by === Party.Solver);
      const last = logs.at(-1);
      if (!last) throw new GameStateError(`game ${gameId}: the solver has not revealed its leaf (no LeafRevealed since block ${fromBlock})`);
      return last.args.leaf;
    },
    async solverTraceReveals(): Promise<TraceReveal[]> {
      const logs = (await getLogsPaged(client, { ...base, eventName: "NodesRevealed" })).filter((l) => l.args.by === Party.Solver && l.args.level === 2);
      if (logs.length === 0) throw new GameStateError(`game ${gameId}: the solver has not revealed trace nodes (no level-2 NodesRevealed since block ${fromBlock})`);
      return logs.map((l) => ({ round: l.args.round, index: l.args.index, nodes: [...l.args.nodes] }));
    },
    async solverNodes(): Promise<Hex[]> {
      const logs = (await getLogsPaged(client, { ...base, eventName: "NodesRevealed" })).filter((l) => l.args.by === Party.Solver);
      const last = logs.at(-1);
      if (!last) throw new GameStateError(`game ${gameId}: the solver has not revealed its nodes (no NodesRevealed since block ${fromBlock})`);
      return [...last.args.nodes];
    },
  };
}
