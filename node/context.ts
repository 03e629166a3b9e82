import type { Logger } from "../log/logger.ts";
import type { NodeChain } from "./chain.ts";
import type { NodeConfig } from "./config.ts";
import type { LocalDataset } from "./datasets.ts";
import type { NodeMetrics } from "./metrics.ts";
import type { NodeDb } from "./db.ts";
import type { StateStore } from "./store.ts";
import type { TxSender } from "./txSender.ts";
import type { Waits } from "./waits.ts";

/** What every role's modules share, opened once by openNode (node/open.ts); a role's context extends it. */
export interface NodeContext<C extends NodeConfig = NodeConfig, D extends NodeDb = NodeDb> {
  readonly cfg: C;
  readonly chain: NodeChain;
  readonly db: D;
  /** Checkpoint states by root. */
  readonly store: StateStore;
  /** By dataset root (hex, no 0x). */
  readonly datasets: ReadonlyMap<string, LocalDataset>;
  readonly tx: TxSender;
  readonly log: Logger;
  readonly waits: Waits;
  /** Its Prometheus metrics (served at /metrics). */
  readonly metrics: NodeMetrics;
  readonly signal: AbortSignal;
}
