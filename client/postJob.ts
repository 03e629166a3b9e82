import {
  type Account, type Address, BaseError, type Chain, type Client, type ContractFunctionArgs, type Hash, parseEventLogs, type TransactionReceipt, type Transport,
} from "viem";
import { waitForTransactionReceipt, writeContract } from "viem/actions";
import { shortReason } from "../chain/errors.ts";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { specCommitments } from "../commitment/specCommitments.ts";
import { type JobId, toJobId } from "../core/root.ts";
import type { Dataset } from "../engine/batch.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { checkChallengeWindow } from "./checkChallengeWindow.ts";
import { checkJobParams, type CheckJobParamsParameters } from "./checkJobParams.ts";
import { ClientTransactionError } from "./errors.ts";
import { JOB_DEFAULTS, RECEIPT_TIMEOUT_MS } from "../core/defaults.ts";

/** IJobMarket.JobParams as viem types it. */
export type JobParams = ContractFunctionArgs<typeof jobMarketAbi, "payable", "postJob">[0];

/** The job's numbers (checked by checkJobParams) plus what the job is about and where it is posted. */
export interface PostJobParameters extends CheckJobParamsParameters {
  readonly market: Address;
  readonly spec: TrainingSpec;
  /** The training set the spec names (its root must be the spec's data root). */
  readonly dataset: Dataset;
  /** Where solvers fetch the spec (and dataset). */
  readonly specURI: string;
  readonly receiptTimeoutMs?: number;
}

export interface PostJobReturnType {
  readonly jobId: JobId;
  readonly params: JobParams;
  readonly hash: Hash;
  readonly receipt: TransactionReceipt;
  /** What the checks found risky but allowed (a challenge window too short for a verifier's rebuild). */
  readonly warnings: readonly string[];
}

/**
 * Posts a training job with `escrow` held by the market; returns the job id from its JobPosted event. The
 * parameters are checked first (checkJobParams) and the dataset against the spec (specCommitments), so a
 * bad job throws before anything is sent.
 */
export async function postJob(client: Client<Transport, Chain, Account>, p: PostJobParameters): Promise<PostJobReturnType> {
  checkJobParams(p);
  const window = checkChallengeWindow({ spec: p.spec, steps: p.steps, challengeWindow: p.challengeWindow });
  const firstCome = p.firstCome ?? true;
  const params: JobParams = {
    ...specCommitments(p.spec, p.dataset),
    specURI: p.specURI,
    steps: BigInt(p.steps),
    checkpointInterval: BigInt(p.checkpointInterval),
    requiredBond: p.requiredBond,
    challengeBond: p.challengeBond,
    bidDuration: firstCome ? 0n : (p.bidDuration ?? 0n),
    firstCome,
    commitDuration: p.commitDuration,
    challengeWindow: p.challengeWindow,
    clockDuration: p.clockDuration,
    sampleBps: p.sampleBps ?? JOB_DEFAULTS.sampleBps,
  };
  let hash: Hash;
  try {
    hash = await writeContract(client, { address: p.market, abi: jobMarketAbi, functionName: "postJob", args: [params], value: p.escrow, account: client.account, chain: client.chain });
  } catch (e) {
    throw new ClientTransactionError("postJob", e instanceof BaseError ? shortReason(e) : String(e));
  }
  const receipt = await waitForTransactionReceipt(client, { hash, timeout: p.receiptTimeoutMs ?? RECEIPT_TIMEOUT_MS });
  if (receipt.status !== "success") throw new ClientTransactionError("postJob", `transaction ${hash} reverted`, { hash });
  const [ev] = parseEventLogs({ abi: jobMarketAbi, eventName: "JobPosted", logs: receipt.logs });
  if (!ev) throw new ClientTransactionError("postJob", `no JobPosted event in ${hash}`, { hash });
  return { jobId: toJobId(ev.args.jobId), params, hash, receipt, warnings: window.warning ? [window.warning] : [] };
}
