import path from "node:path";
import type { Account } from "viem";
import type { Logger } from "../log/logger.ts";
import { shutdownProver } from "../settlement/prover.ts";
import { type NodeClient, openNodeChain } from "./chain.ts";
import type { NodeConfig } from "./config.ts";
import type { NodeContext } from "./context.ts";
import { loadDatasets } from "./datasets.ts";
import { contentCacheDir } from "./jobSpec.ts";
import type { NodeDb } from "./db.ts";
import { NodeMetrics } from "./metrics.ts";
import { Node } from "./node.ts";
import { openStore } from "./store.ts";
import { TxSender } from "./txSender.ts";
import { Waits } from "./waits.ts";

export interface OpenNodeOptions<C extends NodeConfig, D extends NodeDb> {
  readonly config: C;
  /** The role, as the database's identity names it ("solver", "verifier"). */
  readonly role: "solver" | "verifier";
  /** Every job phase of the role (the metrics' jobs-by-phase lists them all). */
  readonly phases: readonly string[];
  /** What the node withdrew and what it earned, from its database (the metrics). */
  readonly money: (db: D) => { readonly withdrawnWei: bigint; readonly earnedWei: bigint };
  readonly account: Account;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** An existing client for `account` (an in-process chain in tests) instead of connecting to config.rpcUrl. */
  readonly client?: NodeClient;
  readonly openDb: (dataDir: string) => D;
}

export interface OpenedNode<C extends NodeConfig, D extends NodeDb> {
  readonly ctx: NodeContext<C, D>;
  /** The skeleton, with the transaction sender added first; the role adds its modules after it. */
  readonly node: Node;
  /** Closes the modules (last added first), stops the prover's worker threads, closes the database. */
  close(): Promise<void>;
}

/**
 * What every role's node opens first, in this order: the chain (the endpoint or the given client; the
 * market must have code), the role's database bound to this chain, market and account, the accepted
 * datasets, the state store, and the transaction sender (whose pending transactions are settled before the
 * role wires anything). Whatever was opened is closed again if a later step throws.
 */
export async function openNode<C extends NodeConfig, D extends NodeDb>(o: OpenNodeOptions<C, D>): Promise<OpenedNode<C, D>> {
  const { config: cfg, log, signal } = o;
  let metrics: NodeMetrics | undefined;
  const chain = await openNodeChain({
    onRpcError: (e) => metrics?.rpcError(e), market: cfg.market, account: o.account, rpcUrl: cfg.rpcUrl, ...(o.client ? { client: o.client } : {}), ...(cfg.chainId !== undefined ? { chainId: cfg.chainId } : {}), pollingIntervalMs: cfg.pollIntervalMs });
  const db = o.openDb(cfg.dataDir);
  const waits = new Waits(log, { sink: db, errors: db.jobErrorKeys() });
  const node = new Node({ log, signal, pollIntervalMs: cfg.pollIntervalMs, waits });
  const close = async () => {
    await node.close();
    await shutdownProver(); // snarkjs's worker threads (a Groth16 settlement) would keep the process alive
    db.close();
  };
  try {
    db.bindIdentity(`chain ${chain.chainId} market ${cfg.market} ${o.role} ${chain.me}`);
    db.bindGenesis(chain.genesis);
    db.clearWaits(); // the last run's waits: found again, and logged, on the first ticks
    const datasets = await loadDatasets(cfg.accept.datasets, { ipfsGateway: cfg.ipfsGateway, cacheDir: contentCacheDir(cfg), signal });
    const store = await openStore(path.join(cfg.dataDir, "states"));
    metrics = new NodeMetrics({
      role: o.role, phases: o.phases, jobs: () => db.jobsOf(), games: () => db.games(), spent: () => db.spent(), waits: () => waits.keys().length,
      withdrawnWei: () => o.money(db).withdrawnWei, earnedWei: () => o.money(db).earnedWei,
    });
    const tx = node.add(new TxSender({ client: chain.client, db, log: node.logger("transactions"), waits }));
    await tx.init();
    return { ctx: { cfg, chain, db, store, datasets, tx, log, waits, metrics, signal }, node, close };
  } catch (e) {
    await node.close();
    db.close();
    throw e;
  }
}
