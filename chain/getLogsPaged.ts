import type { Abi, BlockNumber, Chain, Client, ContractEventName, GetContractEventsParameters, GetContractEventsReturnType, Transport } from "viem";
import { getBlockNumber, getContractEvents } from "viem/actions";
import { NODE_DEFAULTS } from "../core/defaults.ts";
import { ChainError, shortReason } from "./errors.ts";

/**
 * A contract's event logs over a block range, read in pages of at most `range` blocks (public endpoints refuse
 * unbounded eth_getLogs ranges), in chain order. A page the endpoint refuses as too large ("query exceeds max
 * block range 100", "block range is too large", "more than 10000 results"...) is read again with half the
 * range (or the maximum the refusal names, if smaller), and the rest of this read keeps the smaller range; a
 * refusal of a single block is an error. Rate limits (HTTP 429) are the transport's to retry
 * (chain/rateLimitedFetch.ts). The client-side default range is DEFAULT_LOG_RANGE; `VERITRAIN_LOG_RANGE` /
 * `--log-range` set it from the CLI.
 */
export const DEFAULT_LOG_RANGE = NODE_DEFAULTS.logChunk;
export const LOG_RANGE_ENV = "VERITRAIN_LOG_RANGE";

/** An endpoint refused a log read even at one block per request. */
export class LogRangeError extends ChainError {
  override name = "LogRangeError";
}

const RANGE_REFUSAL = /block range|range (is )?too (large|wide|big)|exceeds? (the )?max(imum)?( block)? range|too many blocks|more than [0-9,]+ (results|logs)|log response size exceeded|response size (is )?(exceeded|too large)|limited to (a )?[0-9,]+( block)? range|query timeout exceeded/i;

/** Whether an eth_getLogs error is the endpoint refusing the range's size (not a transport or other failure). */
export function isRangeRefusal(e: unknown): boolean {
  const err = e as { message?: unknown; details?: unknown; shortMessage?: unknown };
  return RANGE_REFUSAL.test(`${String(err?.message ?? "")} ${String(err?.details ?? "")} ${String(err?.shortMessage ?? "")}`);
}

/** The block range a refusal names as the maximum ("max block range 100", "up to a 2K block range"), if any. */
export function refusedRangeLimit(e: unknown): number | undefined {
  const text = `${String((e as { details?: unknown })?.details ?? "")} ${String((e as { message?: unknown })?.message ?? "")}`;
  const m = /(?:max(?:imum)?(?: block)? range(?: of| is)?|limited to(?: a)?|up to a)\s*:?\s*([0-9][0-9,]*)(k?)/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]!.replace(/,/g, "")) * (m[2] ? 1000 : 1);
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

export type GetLogsPagedParameters<abi extends Abi, eventName extends ContractEventName<abi> | undefined, strict extends boolean | undefined> =
  Omit<GetContractEventsParameters<abi, eventName, strict>, "fromBlock" | "toBlock" | "blockHash"> & {
    /** First block read (default 0). */
    readonly fromBlock?: BlockNumber;
    /** Last block read (default: the latest block when the read starts). */
    readonly toBlock?: BlockNumber;
    /** Most blocks per request (default DEFAULT_LOG_RANGE). */
    readonly range?: number;
  };

export async function getLogsPaged<const abi extends Abi, eventName extends ContractEventName<abi> | undefined = undefined, strict extends boolean | undefined = undefined>(
  client: Client<Transport, Chain | undefined>,
  p: GetLogsPagedParameters<abi, eventName, strict>,
): Promise<GetContractEventsReturnType<abi, eventName, strict, bigint, bigint>> {
  const { range: wanted, fromBlock, toBlock, ...query } = p;
  let range = BigInt(wanted ?? DEFAULT_LOG_RANGE);
  if (range < 1n) throw new ChainError(`a log read's block range must be at least 1, got ${range}`);
  const last = toBlock ?? (await getBlockNumber(client, { cacheTime: 0 }));
  const out: GetContractEventsReturnType<abi, eventName, strict, bigint, bigint> = [];
  let from = fromBlock ?? 0n;
  while (from <= last) {
    const to = from + range - 1n < last ? from + range - 1n : last;
    let page;
    try {
      page = await getContractEvents(client, { ...query, fromBlock: from, toBlock: to } as GetContractEventsParameters<abi, eventName, strict, bigint, bigint>);
    } catch (e) {
      if (!isRangeRefusal(e)) throw e;
      if (to === from) throw new LogRangeError(`the RPC endpoint refuses eth_getLogs even for the single block ${from}: ${shortReason(e)}`, { block: from.toString() });
      const named = refusedRangeLimit(e);
      const half = (to - from + 1n) / 2n;
      range = named !== undefined && BigInt(named) < half ? BigInt(named) : half;
      continue;
    }
    out.push(...(page as typeof out));
    from = to + 1n;
  }
  return out;
}
