import { SpecFetchError } from "../content/errors.ts";
import { getJob } from "../chain/jobs.ts";
import { canonicalSpecJson } from "../engine/spec.ts";
import { VeritrainError } from "../core/errors.ts";
import { Backoff } from "../node/backoff.ts";
import { fetchJobSpec } from "../node/jobSpec.ts";
import { forEachJob, type NodeModule } from "../node/node.ts";
import type { VerifierContext } from "./context.ts";
import type { VJobRow } from "./db.ts";

/**
 * seen -> watching | rejected: a posted job this verifier can check has a dataset it holds, at most
 * accept.maxSteps steps, and a spec (fetched from its URI) whose commitments are the job's (spec hash,
 * program, initial state, dataset). A job it cannot check is rejected with the reason, loudly: nobody is
 * checking it here. A transient spec fetch failure is retried after a doubling pause, and logged as a wait.
 */
export class Evaluator implements NodeModule {
  readonly name = "evaluator";
  readonly #ctx: VerifierContext;
  /** A spec endpoint that does not answer is tried again after a doubling pause (1 s up to 60 s), never given up on. */
  readonly #specRetries = new Backoff(1_000, 60_000);

  constructor(ctx: VerifierContext) {
    this.#ctx = ctx;
  }

  async tick(): Promise<void> {
    await forEachJob(this.#ctx, this.name, this.#ctx.db.jobs(), async (job) => {
      if (job.status === "seen" && this.#specRetries.ready(job.jobId.toString())) await this.#evaluate(job);
      else if (job.status === "watching") await this.#awaitCommit(job);
      else this.#ctx.waits.done(`commit:${job.jobId}`);
    });
  }

  /** watching: accepted, no commit yet; what the job waits for on chain is read only when the wait is due for a line. */
  async #awaitCommit(row: VJobRow): Promise<void> {
    const { chain, waits } = this.#ctx;
    const key = `commit:${row.jobId}`;
    if (!waits.due(key)) return;
    const job = await getJob(chain.client, { market: chain.market, jobId: row.jobId });
    const now = await chain.now();
    const id = row.jobId.toString();
    let message: string;
    if (job.status === "Open") {
      const end = job.postedAt + job.bidDuration;
      message = job.firstCome ? `job ${id}: waiting for a solver to take it, then for its commit` : `job ${id}: waiting for its auction to end at chain time ${end} (chain time now ${now}) and then for the solver's commit`;
    } else if (job.status === "Assigned") {
      const end = job.assignedAt + job.commitDuration;
      message = `job ${id}: waiting for solver ${job.solver} to commit its result; the commit deadline is chain time ${end} (chain time now ${now}, ${end > now ? `${end - now} s to go` : "passed: the solver can be slashed"})`;
    } else {
      message = `job ${id}: waiting for the ResultCommitted event (the job is ${job.status} on chain)`;
    }
    waits.waiting(key, message, { jobId: id, onChain: job.status, now: now.toString() });
  }

  async #evaluate(row: VJobRow): Promise<void> {
    const { db, cfg, chain, log } = this.#ctx;
    const jobId = row.jobId;
    const reject = (reason: string) => {
      this.#ctx.waits.done(`spec:${jobId}`);
      db.updateJob(jobId, { status: "rejected", reason });
      log.warn({ jobId: jobId.toString(), reason }, "cannot check this job");
    };
    const job = await getJob(chain.client, { market: chain.market, jobId });
    if (job.steps > BigInt(cfg.accept.maxSteps)) return reject(`${job.steps} steps exceed accept.maxSteps ${cfg.accept.maxSteps}`);
    const ds = this.#ctx.datasets.get(job.datasetRoot.slice(2).toLowerCase());
    if (!ds) return reject(`dataset root ${job.datasetRoot} is not one of accept.datasets (${cfg.accept.datasets.join(", ")})`);
    let specJson: string;
    try {
      const spec = await fetchJobSpec(cfg, row.specURI, job, jobId, ds.dataset);
      specJson = canonicalSpecJson(spec);
    } catch (e) {
      if (e instanceof SpecFetchError && e.transient) {
        const { failures, delayMs } = this.#specRetries.fail(jobId.toString());
        log.warn({ jobId: jobId.toString(), attempt: failures, retryInMs: delayMs, err: e.message }, "spec fetch failed; retrying");
        this.#ctx.waits.waiting(`spec:${jobId}`, `job ${jobId}: waiting to fetch its spec again in ${Math.round(delayMs / 1000)} s (attempt ${failures} failed: ${e.message}); retried until it answers`, { jobId: jobId.toString(), uri: row.specURI, attempt: failures, retryInMs: delayMs });
        return;
      }
      if (e instanceof VeritrainError) return reject(e.message);
      throw e;
    }
    this.#ctx.waits.done(`spec:${jobId}`);
    this.#specRetries.clear(jobId.toString());
    db.updateJob(jobId, {
      status: row.roots ? "committed" : "watching", specJson, datasetRoot: ds.root, steps: Number(job.steps), checkpointInterval: Number(job.checkpointInterval),
      sampleBps: job.sampleBps, challengeBond: job.challengeBond,
    });
    log.info({ jobId: jobId.toString(), steps: Number(job.steps), checkpointInterval: Number(job.checkpointInterval), sampleBps: job.sampleBps }, row.roots ? "job accepted (already committed)" : "job accepted: waiting for its commit");
  }
}
