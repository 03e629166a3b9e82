import type { Address, Chain, Client, Transport } from "viem";
import { firstBlockAtOrAfter } from "../chain/blockAtTime.ts";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { getLogsPaged } from "../chain/getLogsPaged.ts";
import { getJob } from "../chain/jobs.ts";
import { fetchVerifiedState } from "../content/fetchState.ts";
import type { Root } from "../core/root.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";
import { ModelFetchError } from "./errors.ts";

export { DEFAULT_FETCH_TIMEOUT_MS, fetchVerifiedState, type FetchVerifiedStateParameters, readModelUri, type ReadUriOptions, stateFileSize } from "../content/fetchState.ts";

export interface FetchModelParameters {
  readonly market: Address;
  readonly jobId: bigint;
  /** The job's spec (its hash must be the job's spec hash). */
  readonly spec: TrainingSpec;
  /** Where to start looking for the job's ResultCommitted event (default: the first block at or after the job's committedAt). */
  readonly fromBlock?: bigint;
  /** Most blocks per eth_getLogs request (default DEFAULT_LOG_RANGE). */
  readonly logRange?: number;
  /** The IPFS gateway an ipfs:// model URI is read through. */
  readonly ipfsGateway?: string | undefined;
  /** The local content cache (states by root). */
  readonly cacheDir?: string | undefined;
  /** Retries of a transient download failure (default 2, with a doubling pause). */
  readonly retries?: number;
  /** http(s) model URIs: abort the download after this long (default 60 s). */
  readonly timeoutMs?: number;
  /** Refuse a model larger than this (default: the exact state file size of the spec). */
  readonly maxBytes?: number;
  readonly signal?: AbortSignal;
}

export interface FetchModelReturnType {
  readonly state: TrainingState;
  /** The verified state root: the job's committed final root. */
  readonly root: Root;
  readonly modelURI: string;
}

/**
 * Fetches the trained model of a committed (or finalized) job from the model URI of its ResultCommitted
 * event (file://, or http(s):// with a timeout and a size limit: the spec's state file size), decodes it and
 * verifies that its state root is the final root committed on chain before returning it.
 */
export async function fetchModel(client: Client<Transport, Chain | undefined>, p: FetchModelParameters): Promise<FetchModelReturnType> {
  const job = await getJob(client, p);
  if (job.status !== "Committed" && job.status !== "Finalized") throw new ModelFetchError(`job ${p.jobId} is ${job.status}: it has no committed model`);
  const events = await getLogsPaged(client, {
    address: p.market, abi: jobMarketAbi, eventName: "ResultCommitted", args: { jobId: p.jobId }, fromBlock: p.fromBlock ?? (await firstBlockAtOrAfter(client, job.committedAt)),
    ...(p.logRange !== undefined ? { range: p.logRange } : {}),
  });
  const ev = events[events.length - 1];
  if (!ev) throw new ModelFetchError(`no ResultCommitted event for job ${p.jobId}`);
  const modelURI = ev.args.modelURI!;
  const { state, root } = await fetchVerifiedState({
    uri: modelURI, spec: p.spec, expectedRoot: job.finalRoot, jobId: p.jobId, retries: p.retries ?? 2, ipfsGateway: p.ipfsGateway, cacheDir: p.cacheDir,
    ...(p.maxBytes !== undefined ? { maxBytes: p.maxBytes } : {}), ...(p.timeoutMs !== undefined ? { timeoutMs: p.timeoutMs } : {}), ...(p.signal ? { signal: p.signal } : {}),
  });
  return { state, root, modelURI };
}
