import { type Address, BaseError, type Chain, type Client, ContractFunctionRevertedError, type Transport } from "viem";
import { readContract } from "viem/actions";
import { type Root, toRoot } from "../core/root.ts";
import { jobMarketAbi } from "./generated/contracts.ts";
import { JobNotFoundError } from "./errors.ts";

/** IJobMarket.JobStatus, by its uint8 value. */
export const JOB_STATUS = ["None", "Open", "Assigned", "Committed", "Finalized", "Cancelled", "Slashed", "Failed"] as const;
export type JobStatusName = (typeof JOB_STATUS)[number];

type RawJob = Awaited<ReturnType<typeof readJobRaw>>;
/** The job's bytes32 fields: commitments about what it trains, then (zero until the commit) about its result. */
export const JOB_ROOTS = ["specHash", "programRoot", "initialRoot", "datasetRoot", "historyRoot", "finalRoot"] as const;
type JobRootField = (typeof JOB_ROOTS)[number];
/** IJobMarket.Job with its status as a name and its bytes32 fields as Roots. */
export type Job = Omit<RawJob, "status" | JobRootField> & { readonly status: JobStatusName } & { readonly [K in JobRootField]: Root };

export interface GetJobParameters {
  readonly market: Address;
  readonly jobId: bigint;
}

function readJobRaw(client: Client<Transport, Chain | undefined>, p: GetJobParameters) {
  return readContract(client, { address: p.market, abi: jobMarketAbi, functionName: "getJob", args: [p.jobId] });
}

/** Reads a job (IJobMarket.getJob) with its status as a name and its roots as Roots; throws JobNotFoundError for an unknown id. */
export async function getJob(client: Client<Transport, Chain | undefined>, p: GetJobParameters): Promise<Job> {
  let raw: RawJob;
  try {
    raw = await readJobRaw(client, p);
  } catch (e) {
    // The market reverts JobNotFound(jobId) for an id it never issued.
    const r = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
    if (r instanceof ContractFunctionRevertedError && r.data?.errorName === "JobNotFound") throw new JobNotFoundError(p.jobId);
    throw e;
  }
  const status = JOB_STATUS[raw.status];
  if (status === undefined || status === "None") throw new JobNotFoundError(p.jobId);
  return { ...raw, status, ...Object.fromEntries(JOB_ROOTS.map((k) => [k, toRoot(raw[k], `job ${p.jobId}'s ${k}`)])) as Record<JobRootField, Root> };
}
