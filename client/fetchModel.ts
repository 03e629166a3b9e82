import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Address, Chain, Client, Hex, Transport } from "viem";
import { getContractEvents } from "viem/actions";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { toHex } from "../commitment/hash.ts";
import { stateRoot } from "../commitment/stateRoot.ts";
import { VeritrainError } from "../engine/errors.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { decodeState } from "../engine/stateFile.ts";
import type { TrainingState } from "../engine/state.ts";
import { ModelFetchError, ModelRootMismatchError } from "./errors.ts";
import { getJob } from "./getJob.ts";

export interface FetchModelParameters {
  readonly market: Address;
  readonly jobId: bigint;
  /** The job's spec (its hash must be the job's spec hash). */
  readonly spec: TrainingSpec;
  /** Where to start looking for the job's ResultCommitted event (default: block 0). */
  readonly fromBlock?: bigint;
}

export interface FetchModelReturnType {
  readonly state: TrainingState;
  /** The verified state root: the job's committed final root. */
  readonly root: Hex;
  readonly modelURI: string;
}

async function readUri(uri: string): Promise<Uint8Array> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ModelFetchError(`model URI ${JSON.stringify(uri)} is not a URL`);
  }
  if (url.protocol !== "file:") throw new ModelFetchError(`model URI scheme ${url.protocol} is not supported yet (only file://)`);
  try {
    return await readFile(fileURLToPath(url));
  } catch (e) {
    throw new ModelFetchError(`cannot read the model at ${uri}: ${(e as Error).message}`);
  }
}

/**
 * Fetches the trained model of a committed (or finalized) job from the model URI of its ResultCommitted
 * event, decodes it and verifies that its state root is the final root committed on chain before returning it.
 */
export async function fetchModel(client: Client<Transport, Chain | undefined>, p: FetchModelParameters): Promise<FetchModelReturnType> {
  const job = await getJob(client, p);
  if (job.status !== "Committed" && job.status !== "Finalized") throw new ModelFetchError(`job ${p.jobId} is ${job.status}: it has no committed model`);
  const events = await getContractEvents(client, {
    address: p.market, abi: jobMarketAbi, eventName: "ResultCommitted", args: { jobId: p.jobId }, fromBlock: p.fromBlock ?? 0n, toBlock: "latest",
  });
  const ev = events[events.length - 1];
  if (!ev) throw new ModelFetchError(`no ResultCommitted event for job ${p.jobId}`);
  const modelURI = ev.args.modelURI!;
  const bytes = await readUri(modelURI);
  let state: TrainingState;
  try {
    state = decodeState(p.spec, bytes);
  } catch (e) {
    if (e instanceof VeritrainError) throw new ModelFetchError(`the model at ${modelURI} is not a valid state of the job's spec: ${e.message}`);
    throw e;
  }
  const root = toHex(stateRoot(p.spec, state));
  if (root.toLowerCase() !== job.finalRoot.toLowerCase()) throw new ModelRootMismatchError(p.jobId, job.finalRoot, root, modelURI);
  return { state, root, modelURI };
}
