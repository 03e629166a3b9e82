import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Address, Chain, Client, Transport } from "viem";
import { getContractEvents } from "viem/actions";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { stateRoot } from "../commitment/stateRoot.ts";
import { type Root, toRoot } from "../core/root.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { decodeState, encodeState } from "../engine/stateFile.ts";
import { initialState, type TrainingState } from "../engine/state.ts";
import { ModelFetchError, ModelRootMismatchError } from "./errors.ts";
import { getJob } from "../chain/jobs.ts";
import { VeritrainError } from "../core/errors.ts";

export interface FetchModelParameters {
  readonly market: Address;
  readonly jobId: bigint;
  /** The job's spec (its hash must be the job's spec hash). */
  readonly spec: TrainingSpec;
  /** Where to start looking for the job's ResultCommitted event (default: block 0). */
  readonly fromBlock?: bigint;
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

/** Default time limit of an http(s) model download. */
export const DEFAULT_FETCH_TIMEOUT_MS = 60_000;

export interface ReadUriOptions {
  /** Refuse a body longer than this many bytes (checked on Content-Length and while streaming). */
  readonly maxBytes: number;
  /** http(s) only: abort after this long (default 60 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

async function readHttp(url: URL, uri: string, o: ReadUriOptions): Promise<Uint8Array> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const signals = [AbortSignal.timeout(timeoutMs), ...(o.signal ? [o.signal] : [])];
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.any(signals), redirect: "error", headers: { Accept: "application/octet-stream" } });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError") throw new ModelFetchError(`fetching the model at ${uri} timed out after ${timeoutMs} ms`, { uri, reason: "timeout" });
    if (o.signal?.aborted) throw o.signal.reason;
    const cause = err.cause?.code ?? err.cause?.message ?? err.message;
    throw new ModelFetchError(`cannot reach the model at ${uri}: ${cause}`, { uri, reason: "unreachable", cause });
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    throw new ModelFetchError(`the model server answered ${res.status} ${res.statusText} for ${uri}`, { uri, reason: "status", status: res.status });
  }
  const tooLarge = (n: string) => new ModelFetchError(`the model at ${uri} is larger than ${o.maxBytes} bytes (${n}): refused`, { uri, reason: "too-large", maxBytes: o.maxBytes });
  const declared = res.headers.get("content-length");
  if (declared !== null && Number(declared) > o.maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge(`Content-Length ${declared}`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > o.maxBytes) {
          await reader.cancel().catch(() => {});
          throw tooLarge(`more than ${o.maxBytes} bytes received`);
        }
        chunks.push(value);
      }
    }
  } catch (e) {
    if (e instanceof ModelFetchError) throw e;
    const err = e as Error;
    if (err.name === "TimeoutError") throw new ModelFetchError(`fetching the model at ${uri} timed out after ${timeoutMs} ms`, { uri, reason: "timeout" });
    if (o.signal?.aborted) throw o.signal.reason;
    throw new ModelFetchError(`the download of the model at ${uri} failed: ${err.message}`, { uri, reason: "unreachable" });
  }
  return Buffer.concat(chunks, total);
}

/** Reads the bytes at a model URI (file://, http://, https://), unverified: the caller checks them against a root. */
export async function readModelUri(uri: string, o: ReadUriOptions): Promise<Uint8Array> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ModelFetchError(`model URI ${JSON.stringify(uri)} is not a URL`);
  }
  if (url.protocol === "http:" || url.protocol === "https:") return readHttp(url, uri, o);
  if (url.protocol !== "file:") throw new ModelFetchError(`model URI scheme ${url.protocol} is not supported (file://, http://, https://)`);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(fileURLToPath(url));
  } catch (e) {
    throw new ModelFetchError(`cannot read the model at ${uri}: ${(e as Error).message}`);
  }
  if (bytes.byteLength > o.maxBytes) throw new ModelFetchError(`the model at ${uri} is larger than ${o.maxBytes} bytes: refused`, { uri, reason: "too-large", maxBytes: o.maxBytes });
  return bytes;
}

/** The exact size of a state file of this spec (a state file's length depends on the spec only). */
export function stateFileSize(spec: TrainingSpec): number {
  return encodeState(spec, initialState(spec)).length;
}

export interface FetchVerifiedStateParameters {
  readonly uri: string;
  readonly spec: TrainingSpec;
  /** The committed root the state must have (a Root, or 32 bytes of hex of either case). */
  readonly expectedRoot: string;
  /** Names the job in errors. */
  readonly jobId: bigint;
  /** Default: the spec's state file size. */
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Reads a state from a URI, decodes it against the spec and returns it only if its state root is
 * `expectedRoot` (ModelRootMismatchError otherwise; ModelFetchError for anything unreadable or undecodable).
 */
export async function fetchVerifiedState(p: FetchVerifiedStateParameters): Promise<{ state: TrainingState; root: Root }> {
  const bytes = await readModelUri(p.uri, {
    maxBytes: p.maxBytes ?? stateFileSize(p.spec), ...(p.timeoutMs !== undefined ? { timeoutMs: p.timeoutMs } : {}), ...(p.signal ? { signal: p.signal } : {}),
  });
  let state: TrainingState;
  try {
    state = decodeState(p.spec, bytes);
  } catch (e) {
    if (e instanceof VeritrainError) throw new ModelFetchError(`the model at ${p.uri} is not a valid state of the job's spec: ${e.message}`);
    throw e;
  }
  const root = toRoot(stateRoot(p.spec, state));
  if (root !== toRoot(p.expectedRoot, "the expected root")) throw new ModelRootMismatchError(p.jobId, p.expectedRoot, root, p.uri);
  return { state, root };
}

/**
 * Fetches the trained model of a committed (or finalized) job from the model URI of its ResultCommitted
 * event (file://, or http(s):// with a timeout and a size limit: the spec's state file size), decodes it and
 * verifies that its state root is the final root committed on chain before returning it.
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
  const { state, root } = await fetchVerifiedState({
    uri: modelURI, spec: p.spec, expectedRoot: job.finalRoot, jobId: p.jobId,
    ...(p.maxBytes !== undefined ? { maxBytes: p.maxBytes } : {}), ...(p.timeoutMs !== undefined ? { timeoutMs: p.timeoutMs } : {}), ...(p.signal ? { signal: p.signal } : {}),
  });
  return { state, root, modelURI };
}
