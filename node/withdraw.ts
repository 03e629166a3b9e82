import { parseEventLogs } from "viem";
import { readContract, writeContract } from "viem/actions";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import type { Logger } from "../log/logger.ts";
import { amounts } from "./amounts.ts";
import type { NodeChain } from "./chain.ts";
import type { TxSender } from "./txSender.ts";

/**
 * Withdraws the node's whole pull balance from the market (recorded under `jobId`, the job that credited
 * it); returns the amount (from the Withdrawn event), or 0 when there was nothing to withdraw.
 */
export async function withdrawBalance(chain: NodeChain, tx: TxSender, log: Logger, jobId: bigint): Promise<bigint> {
  const balance = await readContract(chain.client, { address: chain.market, abi: jobMarketAbi, functionName: "balanceOf", args: [chain.me] });
  if (balance === 0n) return 0n;
  const { receipt } = await tx.send(jobId, "withdraw", () =>
    writeContract(chain.client, { address: chain.market, abi: jobMarketAbi, functionName: "withdraw", args: [], account: chain.client.account, chain: chain.client.chain }));
  const [ev] = parseEventLogs({ abi: jobMarketAbi, eventName: "Withdrawn", logs: receipt.logs });
  const amount = ev?.args.amount ?? balance;
  log.info({ jobId: jobId.toString(), tx: receipt.transactionHash, ...amounts({ amount }) }, "withdrawn");
  return amount;
}
