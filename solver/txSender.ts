import { type Account, BaseError, type Chain, type Client, type Hash, type TransactionReceipt, type Transport } from "viem";
import { getTransaction, getTransactionReceipt, waitForTransactionReceipt } from "viem/actions";
import { shortReason } from "../chain/errors.ts";
import type { SolverDb } from "./db.ts";
import { SolverTransactionError } from "./errors.ts";
import { RECEIPT_TIMEOUT_MS } from "../core/defaults.ts";

/**
 * Sends the node's transactions with a record in the database: the hash is stored as soon as the node has it,
 * the outcome (status, gas, fee) once the receipt is in. After a restart, `settlePending` looks every
 * unfinished one up first, so the state machine decides from what landed (the job's on-chain status is the
 * other guard: a transaction whose hash never reached the database shows there).
 */
export type SolverClient = Client<Transport, Chain, Account>;

export interface SentTx {
  readonly receipt: TransactionReceipt;
  readonly feesWei: bigint;
}

export async function sendTx(client: SolverClient, db: SolverDb, jobId: bigint, action: string, write: () => Promise<Hash>, timeoutMs = RECEIPT_TIMEOUT_MS): Promise<SentTx> {
  let hash: Hash;
  try {
    hash = await write();
  } catch (e) {
    throw new SolverTransactionError(action, e instanceof BaseError ? shortReason(e) : String(e), { jobId: jobId.toString() });
  }
  db.recordTx(jobId, action, hash);
  const receipt = await waitForTransactionReceipt(client, { hash, timeout: timeoutMs });
  const feesWei = receipt.gasUsed * receipt.effectiveGasPrice;
  db.settleTx(hash, receipt.status === "success" ? "success" : "reverted", receipt.gasUsed, feesWei);
  if (receipt.status !== "success") throw new SolverTransactionError(action, `transaction ${hash} reverted`, { hash, jobId: jobId.toString() });
  return { receipt, feesWei };
}

/** Resolves the transactions recorded as sent whose outcome was never recorded: mined, still pending, or gone. */
export async function settlePending(client: SolverClient, db: SolverDb): Promise<number> {
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
