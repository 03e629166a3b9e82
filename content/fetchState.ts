import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { stateRoot } from "../commitment/stateRoot.ts";
import { VeritrainError } from "../core/errors.ts";
import { type Root, toRoot } from "../core/root.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { decodeState, encodeState } from "../engine/stateFile.ts";
import { initialState, type TrainingState } from "../engine/state.ts";
import { ModelFetchError, ModelRootMismatchError } from "./errors.ts";

/**
 * A training state fetched by URI (file://, http://, https://: a solver's model or checkpoint, served by its
 * state server as `<base>/state/<root>`), with a time and size limit, decoded against the job's spec and
 * returned only when its state root is the committed one: for the client's model and the verifier's
 * checkpoints alike. Every failure is a ModelFetchError (ModelRootMismatchError for a valid state of
 * another root).
 */
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

