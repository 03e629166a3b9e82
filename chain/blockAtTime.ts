import type { Chain, Client, Transport } from "viem";
import { getBlock, getBlockNumber } from "viem/actions";

/**
 * The first block whose timestamp is at or after `time` (the latest block if none is): a binary search over
 * block headers, about log2(height) requests, which any full node answers (no archive state needed). Used to
 * start a job's event reads at the block that posted it (the market stores the job's postedAt) instead of
 * block 0.
 */
export async function firstBlockAtOrAfter(client: Client<Transport, Chain | undefined>, time: bigint): Promise<bigint> {
  const latest = await getBlockNumber(client, { cacheTime: 0 });
  let lo = 0n, hi = latest;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    const b = await getBlock(client, { blockNumber: mid });
    if (b.timestamp >= time) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}
