import { type Address, createPublicClient, http } from "viem";
import { readContract } from "viem/actions";
import { ChainError, redactUrl, transportReason } from "../chain/errors.ts";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { eth } from "./amounts.ts";
import type { NodeDb, WaitRow } from "./db.ts";

/**
 * What both nodes' `status` commands share (solver/status.ts, verifier/status.ts): read from the node's
 * database by another process (the node need not run), optionally with the chain for the pull balance.
 * The shape, the same for both roles: the node's identity, its own waits (no new block, nothing to do), its
 * pull balance on the market when read, and every job with its phase, what it waits for, the money at stake
 * and where it sits, and its last error. Amounts are wei as decimal strings.
 */
export interface StatusWait {
  readonly message: string;
  /** When the wait began and when it was last logged (ISO times, the node's clock). */
  readonly since: string;
  readonly loggedAt: string;
}

export interface StatusError {
  readonly module: string;
  readonly error: string;
  readonly at: string;
}

export interface JobMoney {
  /** Where the job's money sits now, in words ("bond 0.1 ETH locked with the job..."). */
  readonly sits: string;
  /** What the market still owes this node for the job (wei), by the database's last word. */
  readonly owedWei: string;
  readonly withdrawnWei: string;
}

export interface StatusJob {
  readonly jobId: string;
  readonly phase: string;
  readonly reason: string | null;
  readonly waitingFor: readonly StatusWait[];
  readonly lastError: StatusError | null;
  readonly money: JobMoney;
  readonly gasUsed: string;
  readonly feesWei: string;
}

export interface NodeStatus<J extends StatusJob = StatusJob> {
  readonly role: "solver" | "verifier";
  /** "chain <id> market <address> <role> <account>", as the database is bound. */
  readonly identity: string | null;
  /** The node's own waits (no new block, nothing to do). */
  readonly waitingFor: readonly StatusWait[];
  /** The node's pull balance on the market (wei), when the chain was read (`--chain`). */
  readonly pullBalanceWei: string | null;
  readonly jobs: readonly J[];
}

const iso = (ms: number) => new Date(ms).toISOString();
export const statusWait = (w: WaitRow): StatusWait => ({ message: w.message, since: iso(w.since), loggedAt: iso(w.loggedAt) });

/** The waits, the last error, the gas and fees of a job: every role's part of its status. */
export function jobStatusParts(db: NodeDb, jobId: bigint): Pick<StatusJob, "waitingFor" | "lastError" | "gasUsed" | "feesWei"> {
  const err = db.jobError(jobId);
  const spent = db.spent(jobId);
  return {
    waitingFor: db.waits(jobId).map(statusWait), lastError: err ? { module: err.module, error: err.error, at: iso(err.at) } : null,
    gasUsed: spent.gasUsed.toString(), feesWei: spent.feesWei.toString(),
  };
}

/** The node's own waits (not a job's). */
export const nodeWaits = (db: NodeDb): StatusWait[] => db.waits().filter((w) => w.jobId === null).map(statusWait);

/** The account's pull balance on the market (the chain read by `status --chain`). */
export async function pullBalance(rpcUrl: string, market: Address, account: Address): Promise<bigint> {
  const client = createPublicClient({ transport: http(rpcUrl, { timeout: 15_000, retryCount: 1 }) });
  try {
    return await readContract(client, { address: market, abi: jobMarketAbi, functionName: "balanceOf", args: [account] });
  } catch (e) {
    throw new ChainError(`cannot read the pull balance from ${redactUrl(rpcUrl)}: ${transportReason(e)}`);
  }
}

/** The account a status database is bound to (the identity's last word). */
export function accountOf(identity: string | null): Address | undefined {
  const m = identity ? /(0x[0-9a-fA-F]{40})$/.exec(identity) : null;
  return (m?.[1] as Address | undefined) ?? undefined;
}

/** The terminal text of a status: the node's lines, then each job's block. `jobLine` gives a job's first line. */
export function formatStatus<J extends StatusJob>(s: NodeStatus<J>, jobLine: (j: J) => string): string {
  const out: string[] = [];
  out.push(`${s.role} ${s.identity ?? "(database not bound to a chain yet)"}`);
  if (s.pullBalanceWei !== null) out.push(`pull balance on the market: ${eth(BigInt(s.pullBalanceWei))}`);
  for (const w of s.waitingFor) out.push(`waiting (since ${w.since}): ${w.message}`);
  if (s.jobs.length === 0) out.push("no jobs seen yet");
  for (const j of s.jobs) {
    out.push(jobLine(j));
    out.push(`  money: ${j.money.sits}`);
    for (const w of j.waitingFor) out.push(`  waiting (since ${w.since}): ${w.message}`);
    if (j.lastError) out.push(`  last error (${j.lastError.module}, ${j.lastError.at}): ${j.lastError.error}`);
  }
  return out.join("\n") + "\n";
}
