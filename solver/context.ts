import type { Logger } from "../log/logger.ts";
import type { NodeChain } from "../node/chain.ts";
import type { LocalDataset } from "../node/datasets.ts";
import type { StateStore } from "../node/store.ts";
import type { TxSender } from "../node/txSender.ts";
import type { Waits } from "../node/waits.ts";
import type { SolverConfig } from "./config.ts";
import type { SolverDb } from "./db.ts";
import type { JobReport } from "./report.ts";

/** What the solver's modules share (wired once by solver/node.ts). */
export interface SolverContext {
  readonly cfg: SolverConfig;
  readonly chain: NodeChain;
  readonly db: SolverDb;
  /** Checkpoint states by root. */
  readonly store: StateStore;
  /** By dataset root (hex, no 0x). */
  readonly datasets: ReadonlyMap<string, LocalDataset>;
  readonly tx: TxSender;
  readonly log: Logger;
  readonly waits: Waits;
  readonly signal: AbortSignal;
  /** Base URL of the committed model URI (`<base>/state/<root>`). */
  readonly modelBase: string;
  /** Ends a job in a terminal status, recording why, and reports it. */
  finish(jobId: bigint, status: "lost" | "rejected" | "failed" | "withdrawn", reason: string | null): void;
  readonly onJobDone?: (r: JobReport) => void;
}
