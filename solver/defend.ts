import type { Account, Address, Chain, Client, Transport } from "viem";
import { buildStepGraph } from "../engine/graph.ts";
import type { Dataset } from "../engine/batch.ts";
import type { BackendName } from "../engine/runner.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { createRunner } from "../training/train.ts";
import { type GameOutcome, playGame, type PlayProgress } from "../dispute/playGame.ts";
import { engineStepper, ReplayView } from "../dispute/replayView.ts";
import type { KernelKind } from "../dispute/settleCall.ts";
import type { GameRow, SolverDb } from "./db.ts";
import { SolverError } from "./errors.ts";
import type { StateStore } from "./store.ts";

/**
 * Defends one game on one of our committed jobs: the honest view replays the challenged interval from our
 * stored checkpoint at its low step (checked against its root on read) with the engine, and dispute/
 * plays the solver's side to the end. Nothing is kept but the chain's state, so a restart defends again
 * from wherever the game is.
 */
export interface DefendGameOptions {
  readonly client: Client<Transport, Chain | undefined, Account>;
  readonly game: Address;
  readonly db: SolverDb;
  readonly store: StateStore;
  readonly row: GameRow;
  readonly spec: TrainingSpec;
  readonly dataset: Dataset;
  readonly backend: BackendName;
  readonly pollMs: number;
  readonly kernel?: KernelKind;
  readonly signal?: AbortSignal;
  readonly onProgress?: (e: PlayProgress) => void;
}

export async function defendGame(o: DefendGameOptions): Promise<GameOutcome> {
  const { row } = o;
  const cp = o.db.checkpoints(row.jobId).find((c) => c.step === row.loStep);
  if (!cp) throw new SolverError(`game ${row.gameId}: job ${row.jobId} has no stored checkpoint at step ${row.loStep}`);
  const start = await o.store.get(o.spec, cp.root);
  const graph = buildStepGraph(o.spec);
  const runner = await createRunner(graph, o.backend);
  try {
    const view = new ReplayView({ spec: o.spec, dataset: o.dataset, start, hiStep: row.hiStep, graph, stepper: engineStepper(runner, o.spec, o.dataset) });
    return await playGame({
      client: o.client, game: o.game, gameId: row.gameId, side: "solver", view, pollMs: o.pollMs, fromBlock: row.openedBlock,
      ...(o.kernel ? { kernel: o.kernel } : {}), ...(o.signal ? { signal: o.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
  } finally {
    await runner.close();
  }
}
