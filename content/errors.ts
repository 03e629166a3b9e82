import { VeritrainError } from "../core/errors.ts";

/** Typed errors of content-addressed documents (specs, datasets): fetching them by URI, publishing them by hash. */
export class ContentError extends VeritrainError {
  override name = "ContentError";
}

/**
 * Content could not be fetched, or is not the content asked for. `transient`: the endpoint did not answer,
 * timed out or answered 408/429/5xx, so the same fetch may succeed later (a node retries those alone);
 * everything else (a bad URI, a 404, a refused redirect, an oversized, invalid or wrong document) is final.
 */
export class ContentFetchError extends ContentError {
  override name = "ContentFetchError";
  readonly transient: boolean;
  constructor(message: string, details: { transient?: boolean } & Record<string, unknown> = {}) {
    super(message, { ...details, transient: details.transient ?? false });
    this.transient = details.transient ?? false;
  }
}

/** A job's spec could not be fetched or parsed from its URI, or is not the spec the job committed to. */
export class SpecFetchError extends ContentFetchError {
  override name = "SpecFetchError";
}

/** The spec could not be published (directory not writable, another spec already under its hash...). */
export class SpecPublishError extends ContentError {
  override name = "SpecPublishError";
}

/** The dataset could not be published (directory not writable, other bytes already under its root...). */
export class DatasetPublishError extends ContentError {
  override name = "DatasetPublishError";
}

/** A training state (a trained model, a checkpoint) could not be fetched or decoded. */
export class ModelFetchError extends ContentError {
  override name = "ModelFetchError";
}

/** The fetched state's root is not the root committed on chain. */
export class ModelRootMismatchError extends ModelFetchError {
  override name = "ModelRootMismatchError";
  readonly expected: string;
  readonly actual: string;
  constructor(jobId: bigint, expected: string, actual: string, uri: string) {
    super(`the state of job ${jobId} at ${uri} has state root ${actual}, the committed root is ${expected}`, { jobId: jobId.toString(), expected, actual, uri });
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * Content could not be read from its URI (content/readUri.ts): `details.reason` says what failed (bad-uri,
 * unsupported, file, unreachable, timeout, redirect, status, too-large). `transient`: the same read may pass
 * later (no answer, a timeout, 408/429/5xx).
 */
export class ContentReadError extends ContentFetchError {
  override name = "ContentReadError";
}

/** The bytes served at a URI are not the content the protocol committed to: refused, whatever the transport. */
export class ContentHashMismatchError extends ContentError {
  override name = "ContentHashMismatchError";
  readonly expected: string;
  readonly actual: string;
  constructor(what: string, uri: string, expected: string, actual: string) {
    super(`${what} at ${uri} hashes to ${actual}, expected ${expected}: refused (the host serves other bytes than the ones committed to)`, { uri, expected, actual });
    this.expected = expected;
    this.actual = actual;
  }
}

/** An ipfs:// URI that names no valid CID, or no gateway to read it through. */
export class IpfsUriError extends ContentReadError {
  override name = "IpfsUriError";
}

/** A dataset could not be fetched from its URI, or is not the dataset its root names. */
export class DatasetFetchError extends ContentFetchError {
  override name = "DatasetFetchError";
}
