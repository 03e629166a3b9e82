import type { Address, Chain, Client, Hash, Hex, Transport } from "viem";
import { getBlock, getBlockNumber, getTransactionReceipt } from "viem/actions";

/** One transaction as its receipt settled it. */
export interface SentTransaction {
  readonly hash: Hash;
  readonly to: Address | null;
  readonly input: Hex;
  readonly status: "success" | "reverted";
  readonly gasUsed: bigint;
  /** gasUsed * effectiveGasPrice: what the sender paid. */
  readonly feesWei: bigint;
}

export interface SenderTransactions {
  readonly gasUsed: bigint;
  readonly feesWei: bigint;
  /** In chain order. */
  readonly transactions: readonly SentTransaction[];
}

/**
 * Every transaction mined from `fromBlock` to the latest block, grouped by sender (lowercase address), with
 * its gas and fees from the receipt: how the demo reports gas per role and the end-to-end tests check exact
 * balances. Reads every block: meant for local chains and short ranges.
 */
export async function transactionsBySender(client: Client<Transport, Chain | undefined>, fromBlock: bigint): Promise<Map<string, SenderTransactions>> {
  const out = new Map<string, { gasUsed: bigint; feesWei: bigint; transactions: SentTransaction[] }>();
  const latest = await getBlockNumber(client, { cacheTime: 0 });
  for (let n = fromBlock; n <= latest; n++) {
    const block = await getBlock(client, { blockNumber: n, includeTransactions: true });
    for (const tx of block.transactions) {
      const r = await getTransactionReceipt(client, { hash: tx.hash });
      const t: SentTransaction = { hash: tx.hash, to: tx.to, input: tx.input, status: r.status, gasUsed: r.gasUsed, feesWei: r.gasUsed * r.effectiveGasPrice };
      const k = tx.from.toLowerCase();
      const e = out.get(k) ?? { gasUsed: 0n, feesWei: 0n, transactions: [] };
      e.gasUsed += t.gasUsed;
      e.feesWei += t.feesWei;
      e.transactions.push(t);
      out.set(k, e);
    }
  }
  return out;
}
