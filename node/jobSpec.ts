import path from "node:path";
import type { Job } from "../chain/jobs.ts";
import { checkCommitments } from "../commitment/specCommitments.ts";
import { CONTENT_CACHE_DIR } from "../content/contentCache.ts";
import { fetchSpec } from "../content/fetchSpec.ts";
import type { Dataset } from "../engine/batch.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { NodeConfig } from "./config.ts";

/** Where a node caches content it fetched by hash (specs, datasets), under its data directory. */
export function contentCacheDir(cfg: Pick<NodeConfig, "dataDir">): string {
  return path.join(cfg.dataDir, CONTENT_CACHE_DIR);
}

/**
 * A posted job's spec as a node accepts it, the same for the solver and the verifier: read from the job's
 * spec URI within the node's accept limits (through its IPFS gateway), checked against the job's spec hash
 * whatever the transport and cached by it, then checked against every other commitment of the job with the
 * dataset the node holds. One attempt (retries: 0): each role retries a transient SpecFetchError on its own
 * schedule, as a logged wait; CommitmentMismatchError when the spec is not the job's.
 */
export async function fetchJobSpec(cfg: NodeConfig, specURI: string | null, job: Job, jobId: bigint, dataset: Dataset): Promise<TrainingSpec> {
  const spec = await fetchSpec({
    uri: specURI ?? "", specHash: job.specHash, maxBytes: cfg.accept.maxSpecBytes, timeoutMs: cfg.accept.specTimeoutMs, retries: 0,
    ipfsGateway: cfg.ipfsGateway, cacheDir: contentCacheDir(cfg),
  });
  checkCommitments(job, spec, dataset, `job ${jobId}`);
  return spec;
}
