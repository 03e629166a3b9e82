// The DisputeGame's phases, parties and resolution reasons as gameState() reports them, and the view type.
import type { ContractFunctionReturnType } from "viem";
import type { disputeGameAbi } from "../chain/generated/contracts.ts";

/** DisputeGame.Phase. */
export const Phase = {
  None: 0, Bisect: 1, Respond: 2, SolverTrace: 3, ChallengerTrace: 4, SolverTraceNodes: 5, ChallengerTraceNodes: 6,
  SolverRecord: 7, ChallengerRecord: 8, SolverDataRoot: 9, ChallengerDataRoot: 10, SolverDataNodes: 11,
  ChallengerDataNodes: 12, SolverLeaf: 13, ChallengerLeaf: 14, SolverTerms: 15, ChallengerTerms: 16, Settlement: 17,
  Resolved: 18, Aborted: 19,
} as const;
/** DisputeGame.Party. */
export const Party = { None: 0, Solver: 1, Challenger: 2 } as const;
/** DisputeGame.Reason. */
export const Reason = { Settled: 0, Timeout: 1, SettlementTimeout: 2, RecordNotInProgram: 3, PaddingLeaf: 4, PaddingElement: 5 } as const;
export const REASON_NAMES: readonly string[] = ["settled", "timeout", "settlement timeout", "record not in program", "padding leaf", "padding element"];

export type Side = "solver" | "challenger";

/** What DisputeGame.gameState(gameId) returns. */
export type GameView = ContractFunctionReturnType<typeof disputeGameAbi, "view", "gameState">;

export const partyOf = (side: Side): number => (side === "solver" ? Party.Solver : Party.Challenger);
export const isOver = (phase: number): boolean => phase === Phase.Resolved || phase === Phase.Aborted;
