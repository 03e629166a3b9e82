import { writeContract } from "viem/actions";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { getJob, type Job } from "../chain/jobs.ts";
import { getSettleCoverage } from "../chain/settleCoverage.ts";
import { CommitmentMismatchError } from "../commitment/specCommitments.ts";
import { SpecFetchError } from "../content/errors.ts";
import { bareHex } from "../core/root.ts";
import { canonicalSpecJson } from "../engine/spec.ts";
import { amounts, eth } from "../node/amounts.ts";
import { Backoff } from "../node/backoff.ts";
import { fetchJobSpec } from "../node/jobSpec.ts";
import { forEachJob, type NodeModule } from "../node/node.ts";
import { withdrawBalance } from "../node/withdraw.ts";
import { describeMissing } from "../settlement/coverage.ts";
import type { SolverContext } from "./context.ts";
import type { JobRow } from "./db.ts";
import { JobMismatchError } from "./errors.ts";
import { decidePrice } from "./pricing.ts";

/** Fetches of a spec that fail transiently (no answer, 408/429/5xx) before the job is rejected. */
const SPEC_ATTEMPTS = 5;

/**
 * The solver's way into a job: `seen` jobs are evaluated (the spec fetched from its URI and checked against
 * the job's commitments, the dataset allow-list, the step limit, settle coverage under Groth16, the pricing
 * rule) and taken, bid on or rejected (nothing sent); `bidding` jobs follow their auction: re-bid when outbid
 * (down to the floor), close it when won, withdraw the bond when lost. Every decision reads the job's
 * on-chain state first, so a transaction that landed before a restart is found there.
 */
export class Bidder implements NodeModule {
  readonly name = "bidder";
  readonly #ctx: SolverContext;
  readonly #specRetries = new Backoff(1_000, 30_000);

  constructor(ctx: SolverContext) {
    this.#ctx = ctx;
  }

  async tick(): Promise<void> {
    await forEachJob(this.#ctx, this.name, this.#ctx.db.jobs(), async (row) => {
      if (row.status === "seen") await this.#evaluate(row);
      else if (row.status === "bidding") await this.#followAuction(row);
    });
  }

  #market(j: Job) {
    return { firstCome: j.firstCome, steps: j.steps, escrow: j.escrow, hasBid: j.hasBid, bestPrice: j.price, bestIsMine: j.hasBid && this.#ctx.chain.mine(j.solver) };
  }

  async #placeBid(jobId: bigint, price: bigint, bond: bigint): Promise<void> {
    const { chain, tx, db, log } = this.#ctx;
    const { receipt } = await tx.send(jobId, "bid", () =>
      writeContract(chain.client, { address: chain.market, abi: jobMarketAbi, functionName: "bid", args: [jobId, price], value: bond, account: chain.client.account, chain: chain.client.chain }));
    db.updateJob(jobId, { status: "bidding", bidWei: price, bondWei: bond });
    log.info({ jobId: jobId.toString(), ...amounts({ price, bond }), tx: receipt.transactionHash, gasUsed: receipt.gasUsed.toString() }, "bid placed");
  }

  /** seen: evaluate the job and take it, bid on it, or reject it (nothing sent). */
  async #evaluate(row: JobRow): Promise<void> {
    const { cfg, chain, db, log, datasets } = this.#ctx;
    const jobId = row.jobId;
    const key = jobId.toString();
    if (!this.#specRetries.ready(key)) return;
    this.#ctx.waits.done(`spec:${key}`);
    const job = await getJob(chain.client, { market: chain.market, jobId });
    if (job.status !== "Open") {
      // Our own take or closeBidding landed before a kill let us record it: the spec was recorded before sending.
      if (chain.mine(job.solver) && row.specJson && (job.status === "Assigned" || job.status === "Committed")) {
        db.updateJob(jobId, { status: "won", bidWei: job.price, bondWei: job.requiredBond });
        log.info({ jobId: key, status: job.status }, "the job is already ours (a transaction landed before a restart)");
        return;
      }
      // Never bid on: not lost, not ours (a fresh node sees every past job).
      return this.#ctx.finish(jobId, "skipped", `the job was ${job.status} when first seen`);
    }
    if (job.steps > BigInt(cfg.accept.maxSteps)) return this.#ctx.finish(jobId, "rejected", `${job.steps} steps exceed accept.maxSteps ${cfg.accept.maxSteps}`);
    const ds = datasets.get(bareHex(job.datasetRoot));
    if (!ds) return this.#ctx.finish(jobId, "rejected", `dataset root ${job.datasetRoot} is not one of accept.datasets (${cfg.accept.datasets.join(", ")})`);
    let specJson: string;
    try {
      // One attempt: a transient failure is retried on this module's schedule (below).
      const spec = await fetchJobSpec(cfg, row.specURI, job, jobId, ds.dataset);
      // SAFETY: a dispute ending on an op with no settlement path (no registered circuit under Groth16, an op
      // code past the verifier's MAX_OP_CODE) cannot be settled, and an unsettled game fails the solver even
      // when it is right: never take such a job.
      const coverage = await getSettleCoverage(chain.client, { market: chain.market, spec });
      if (coverage.missing.length > 0) return this.#ctx.finish(jobId, "rejected", `the market's ${coverage.kernel === "groth16" ? "Groth16" : "recomputing"} kernel verifier cannot settle this spec: ${describeMissing(coverage.missing)}`);
      specJson = canonicalSpecJson(spec);
    } catch (e) {
      if (e instanceof SpecFetchError && e.transient && this.#specRetries.failures(key) + 1 < SPEC_ATTEMPTS) {
        // The endpoint may come back: the job stays seen and is evaluated again after a backoff.
        const { failures, delayMs } = this.#specRetries.fail(key);
        log.warn({ jobId: key, attempt: failures, of: SPEC_ATTEMPTS, retryInMs: delayMs, err: e.message }, "spec fetch failed; retrying");
        this.#ctx.waits.waiting(`spec:${key}`, `job ${key}: waiting to fetch its spec again in ${Math.round(delayMs / 1000)} s (attempt ${failures} of ${SPEC_ATTEMPTS} failed: ${e.message}); the job is rejected after ${SPEC_ATTEMPTS}`, { jobId: key, uri: row.specURI, attempt: failures, retryInMs: delayMs });
        return;
      }
      if (e instanceof SpecFetchError || e instanceof JobMismatchError || e instanceof CommitmentMismatchError) return this.#ctx.finish(jobId, "rejected", e.message);
      throw e;
    }
    this.#specRetries.clear(key);
    db.updateJob(jobId, { specJson, steps: Number(job.steps), checkpointInterval: Number(job.checkpointInterval), firstCome: job.firstCome });
    const d = decidePrice(cfg.pricing, this.#market(job));
    if (d.kind === "decline") return this.#ctx.finish(jobId, "rejected", d.reason);
    if (d.kind === "take") {
      const { receipt } = await this.#ctx.tx.send(jobId, "take", () =>
        writeContract(chain.client, { address: chain.market, abi: jobMarketAbi, functionName: "take", args: [jobId], value: job.requiredBond, account: chain.client.account, chain: chain.client.chain }));
      db.updateJob(jobId, { status: "won", bidWei: d.price, bondWei: job.requiredBond });
      log.info({ jobId: key, ...amounts({ price: d.price, bond: job.requiredBond }), tx: receipt.transactionHash }, "job taken");
      return;
    }
    if ((await chain.now()) >= job.postedAt + job.bidDuration) return this.#ctx.finish(jobId, "skipped", "the bidding had ended when the job was first seen");
    if (d.kind === "bid") await this.#placeBid(jobId, d.price, job.requiredBond);
    else db.updateJob(jobId, { status: "bidding" });
  }

  /** bidding: follow the auction; re-bid when outbid (down to the floor), close it when won. */
  async #followAuction(row: JobRow): Promise<void> {
    const { chain, db, log, tx, waits } = this.#ctx;
    const jobId = row.jobId;
    const key = jobId.toString();
    const job = await getJob(chain.client, { market: chain.market, jobId });
    if (job.status !== "Open") {
      waits.done(`auction:${key}`);
      if (job.status !== "Cancelled" && chain.mine(job.solver)) {
        db.updateJob(jobId, { status: "won", bidWei: job.price });
        log.info({ jobId: key, ...amounts({ price: job.price }) }, "auction won");
        return;
      }
      return this.#lose(row, `the auction ended ${job.status === "Cancelled" ? "cancelled" : `assigned to ${job.solver}`}`);
    }
    const now = await chain.now();
    const deadline = job.postedAt + job.bidDuration;
    if (now >= deadline) {
      waits.done(`auction:${key}`);
      if (job.hasBid && chain.mine(job.solver)) {
        const { receipt } = await tx.send(jobId, "closeBidding", () =>
          writeContract(chain.client, { address: chain.market, abi: jobMarketAbi, functionName: "closeBidding", args: [jobId], account: chain.client.account, chain: chain.client.chain }));
        db.updateJob(jobId, { status: "won", bidWei: job.price });
        log.info({ jobId: key, ...amounts({ price: job.price }), tx: receipt.transactionHash }, "bidding closed: auction won");
        return;
      }
      return this.#lose(row, job.hasBid ? `the bidding ended with ${job.solver}'s bid of ${job.price} wei` : "the bidding ended without our bid");
    }
    const d = decidePrice(this.#ctx.cfg.pricing, this.#market(job));
    if (d.kind === "bid") await this.#placeBid(jobId, d.price, job.requiredBond);
    else {
      const best = job.hasBid && chain.mine(job.solver) ? `our bid of ${eth(job.price)} is the best` : "we do not bid lower";
      waits.waiting(`auction:${key}`, `job ${key}: waiting for the auction to end at chain time ${deadline} (chain time now ${now}, ${deadline - now} s to go; ${best}; the chain's clock moves only with new blocks)`, { jobId: key, deadline: deadline.toString(), now: now.toString(), bestIsOurs: job.hasBid && chain.mine(job.solver) });
    }
  }

  /** The auction went to someone else: an outbid bond is already in our pull balance, withdrawn now. A job never bid on was never ours to lose. */
  async #lose(row: JobRow, reason: string): Promise<void> {
    const { chain, tx, log, db } = this.#ctx;
    if (row.bidWei === null) return this.#ctx.finish(row.jobId, "skipped", `${reason}; this node never bid`);
    const amount = await withdrawBalance(chain, tx, log, row.jobId);
    if (amount > 0n) db.updateJob(row.jobId, { withdrawnWei: (row.withdrawnWei ?? 0n) + amount });
    return this.#ctx.finish(row.jobId, "lost", reason);
  }
}
