import { stateRoot } from "../commitment/stateRoot.ts";
import { VeritrainError } from "../core/errors.ts";
import { bareHex, type Root, toRoot } from "../core/root.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { decodeState, encodeState } from "../engine/stateFile.ts";
import { initialState, type TrainingState } from "../engine/state.ts";
import { ContentHashMismatchError, ContentReadError, ModelFetchError, ModelRootMismatchError } from "./errors.ts";
import { fetchContent } from "./fetchContent.ts";
import { DEFAULT_READ_TIMEOUT_MS, readUri, type ReadUriOptions } from "./readUri.ts";

export type { ReadUriOptions } from "./readUri.ts";

/**
 * A training state fetched by URI (file://, http://, https://, ipfs://: a solver's model or checkpoint, served by its
 * state server as `<base>/state/<root>`), with a time and size limit, decoded against the job's spec and
 * returned only when its state root is the committed one (the bounded reader: content/readUri.ts; an
 * optional cache by root: content/fetchContent.ts): for the client's model and the verifier's
 * checkpoints alike. Every failure is a ModelFetchError (ModelRootMismatchError for a valid state of
 * another root).
 */
/** Default time limit of an http(s) model download. */
export const DEFAULT_FETCH_TIMEOUT_MS = DEFAULT_READ_TIMEOUT_MS;

/** ModelFetchError for a failed read, with the reader's `reason` (unreachable, timeout, status, too-large...). */
function modelReadError(e: unknown): unknown {
  if (e instanceof ContentReadError) return new ModelFetchError(e.message, { ...e.details, transient: e.transient });
  return e;
}

/** Reads the bytes at a model URI (file://, http://, https://, ipfs://), unverified: the caller checks them against a root. */
export async function readModelUri(uri: string, o: ReadUriOptions): Promise<Uint8Array> {
  try {
    return await readUri(uri, { what: "the model", retries: 0, ...o });
  } catch (e) {
    throw modelReadError(e);
  }
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
  /** Retries of a transient failure (default 0: the verifier falls back to a rebuild, the SDK passes its own). */
  readonly retries?: number;
  readonly ipfsGateway?: string | undefined;
  /** The local content cache: a state cached under its root is used without a fetch. */
  readonly cacheDir?: string | undefined;
}

/**
 * Reads a state from a URI, decodes it against the spec and returns it only if its state root is
 * `expectedRoot` (ModelRootMismatchError otherwise; ModelFetchError for anything unreadable or undecodable).
 */
export async function fetchVerifiedState(p: FetchVerifiedStateParameters): Promise<{ state: TrainingState; root: Root }> {
  const expected = toRoot(p.expectedRoot, "the expected root");
  let state: TrainingState | undefined;
  const hash = (bytes: Uint8Array): Root => {
    try {
      state = decodeState(p.spec, bytes);
    } catch (e) {
      if (e instanceof VeritrainError) throw new ModelFetchError(`the model at ${p.uri} is not a valid state of the job's spec: ${e.message}`);
      throw e;
    }
    return toRoot(stateRoot(p.spec, state));
  };
  try {
    await fetchContent({
      uri: p.uri, what: "the model", expected, hash, cacheDir: p.cacheDir, cacheName: `${bareHex(expected)}.vtst`, ipfsGateway: p.ipfsGateway, retries: p.retries ?? 0,
      maxBytes: p.maxBytes ?? stateFileSize(p.spec), ...(p.timeoutMs !== undefined ? { timeoutMs: p.timeoutMs } : {}), ...(p.signal ? { signal: p.signal } : {}),
    });
  } catch (e) {
    if (e instanceof ContentHashMismatchError) throw new ModelRootMismatchError(p.jobId, p.expectedRoot, e.actual, p.uri);
    throw modelReadError(e);
  }
  return { state: state!, root: expected };
}
