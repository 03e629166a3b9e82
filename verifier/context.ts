import type { LocalDataset } from "../node/datasets.ts";
import type { Logger } from "../log/logger.ts";
import type { NodeChain } from "../node/chain.ts";
import type { StateStore } from "../node/store.ts";
import type { TxSender } from "../node/txSender.ts";
import type { Waits } from "../node/waits.ts";
import type { VerifierConfig } from "./config.ts";
import type { VerifierDb } from "./db.ts";

/** What the verifier's modules share (wired once by verifier/node.ts). */
export interface VerifierContext {
  readonly cfg: VerifierConfig;
  readonly chain: NodeChain;
  readonly db: VerifierDb;
  /** Verified checkpoint states (each stored only once its root equals a committed one, or as computed). */
  readonly store: StateStore;
  /** By dataset root (hex, no 0x). */
  readonly datasets: ReadonlyMap<string, LocalDataset>;
  readonly tx: TxSender;
  readonly log: Logger;
  readonly waits: Waits;
  readonly signal: AbortSignal;
}
