import { BaseError, type Hash, type TransactionReceipt } from "viem";
import { getTransaction, getTransactionReceipt, waitForTransactionReceipt } from "viem/actions";
import { shortReason } from "../chain/errors.ts";
import { RECEIPT_TIMEOUT_MS } from "../core/defaults.ts";
import { VeritrainError } from "../core/errors.ts";
import type { Logger } from "../log/logger.ts";
import type { NodeClient } from "./chain.ts";
import type { NodeDb } from "./db.ts";
import type { NodeModule } from "./node.ts";
import type { Waits } from "./waits.ts";

/** How long a transaction may stay pending before the wait is logged (then once a minute). */
export const PENDING_NOTICE_MS = 10_000;

/**
 * Sends the node's transactions with a record in the database: the hash is stored as soon as the node has it,
 * the outcome (status, gas, fee) once the receipt is in. At start (`init`), every transaction recorded as sent
 * but never settled (the process died waiting) is looked up first, so the node decides from what landed; the
 * job's on-chain state is the other guard (a transaction whose hash never reached the database shows there).
 */
export class NodeTransactionError extends VeritrainError {
  override name = "NodeTransactionError";
  readonly action: string;
  constructor(action: string, reason: string, details: Record<string, unknown> = {}) {
    super(`${action}: ${reason}`, { action, ...details });
    this.action = action;
  }
}

export interface SentTx {
  readonly receipt: TransactionReceipt;
  readonly feesWei: bigint;
}

export class TxSender implements NodeModule {
  readonly name = "transactions";
  readonly #client: NodeClient;
  readonly #db: NodeDb;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #waits: Waits | undefined;

  constructor(o: { client: NodeClient; db: NodeDb; log: Logger; receiptTimeoutMs?: number; waits?: Waits }) {
    this.#waits = o.waits;
    this.#client = o.client;
    this.#db = o.db;
    this.#log = o.log;
    this.#timeoutMs = o.receiptTimeoutMs ?? RECEIPT_TIMEOUT_MS;
  }

  /** Looks up the transactions sent before a restart whose outcome was never recorded. */
  async init(): Promise<void> {
    const n = await settlePending(this.#client, this.#db);
    if (n > 0) this.#log.info({ transactions: n }, "looked up transactions sent before a restart");
  }

  /** Sends `write`, records it under (jobId, action), waits for the receipt; throws unless it succeeded. */
  async send(jobId: bigint, action: string, write: () => Promise<Hash>): Promise<SentTx> {
    let hash: Hash;
    try {
      hash = await write();
    } catch (e) {
      throw new NodeTransactionError(action, e instanceof BaseError ? shortReason(e) : String(e), { jobId: jobId.toString() });
    }
    this.#db.recordTx(jobId, action, hash);
    this.#log.debug({ jobId: jobId.toString(), action, tx: hash }, "transaction sent; waiting for its receipt");
    // A transaction that is not mined soon is a wait like any other (a local chain without automining mines
    // nothing until told to): logged after PENDING_NOTICE_MS, then once a minute, until the receipt is in.
    const key = `tx:${jobId}`, sentAt = Date.now();
    const notice = setInterval(() => this.#waits?.waiting(key,
      `job ${jobId}: waiting for transaction ${action} ${hash} to be mined (sent ${Math.round((Date.now() - sentAt) / 1000)} s ago; given up after ${Math.round(this.#timeoutMs / 1000)} s): a chain without traffic or automining must mine a block`,
      { jobId: jobId.toString(), action, tx: hash }), PENDING_NOTICE_MS);
    let receipt: TransactionReceipt;
    try {
      receipt = await waitForTransactionReceipt(this.#client, { hash, timeout: this.#timeoutMs });
    } finally {
      clearInterval(notice);
      this.#waits?.done(key);
    }
    const feesWei = receipt.gasUsed * receipt.effectiveGasPrice;
    this.#db.settleTx(hash, receipt.status === "success" ? "success" : "reverted", receipt.gasUsed, feesWei);
    if (receipt.status !== "success") throw new NodeTransactionError(action, `transaction ${hash} reverted`, { hash, jobId: jobId.toString() });
    return { receipt, feesWei };
  }

  /** Records a transaction someone else sent for this node (the dispute player) with its known outcome. */
  record(jobId: bigint, action: string, hash: Hash, gasUsed: bigint, feesWei: bigint): void {
    this.#db.recordTx(jobId, action, hash);
    this.#db.settleTx(hash, "success", gasUsed, feesWei);
  }
}

/** Resolves the transactions recorded as sent whose outcome was never recorded: mined, still pending, or gone. */
export async function settlePending(client: NodeClient, db: NodeDb): Promise<number> {
  let n = 0;
  for (const tx of db.txs().filter((t) => t.status === "sent")) {
    const hash = tx.hash as Hash;
    let receipt: TransactionReceipt | undefined;
    try {
      receipt = await getTransactionReceipt(client, { hash });
    } catch {
      const known = await getTransaction(client, { hash }).then(() => true, () => false);
      if (known) receipt = await waitForTransactionReceipt(client, { hash, timeout: RECEIPT_TIMEOUT_MS });
    }
    if (receipt) db.settleTx(hash, receipt.status === "success" ? "success" : "reverted", receipt.gasUsed, receipt.gasUsed * receipt.effectiveGasPrice);
    else db.settleTx(hash, "dropped");
    n++;
  }
  return n;
}
