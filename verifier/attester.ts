import { writeContract } from "viem/actions";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { getJob } from "../chain/jobs.ts";
import { forEachJob, type NodeModule } from "../node/node.ts";
import type { VerifierContext } from "./context.ts";
import type { VJobRow } from "./db.ts";

/**
 * checked -> attested: publishes what this node re-executed and found right (JobMarket.attest: an on-chain
 * record the client's verification report reads; an attestation, not a proof of checking). attested ->
 * done once the job is final on chain.
 */
export class Attester implements NodeModule {
  readonly name = "attester";
  readonly #ctx: VerifierContext;

  constructor(ctx: VerifierContext) {
    this.#ctx = ctx;
  }

  async tick(): Promise<void> {
    await forEachJob(this.#ctx, this.name, this.#ctx.db.jobs(), async (job) => {
      if (job.status === "checked" || job.status === "attested") await this.#attest(job);
    });
  }

  async #attest(job: VJobRow): Promise<void> {
    const { db, chain, tx, log } = this.#ctx;
    const onChain = await getJob(chain.client, { market: chain.market, jobId: job.jobId });
    if (job.status === "attested") {
      const key = `final:${job.jobId}`;
      if (onChain.status === "Finalized" || onChain.status === "Failed") {
        this.#ctx.waits.done(key);
        db.updateJob(job.jobId, { status: "done", reason: `attested; the job is ${onChain.status}` });
      } else if (this.#ctx.waits.due(key)) {
        const now = await chain.now();
        const end = onChain.committedAt + onChain.challengeWindow;
        this.#ctx.waits.waiting(key, `job ${job.jobId}: attested; waiting for the job to be final: its challenge window ends at chain time ${end} (chain time now ${now}${end > now ? `, ${end - now} s to go` : ""}${onChain.openGames > 0n ? `; ${onChain.openGames} dispute(s) open` : ""}), then anyone finalizes it`, { jobId: job.jobId.toString(), windowEnd: end.toString(), now: now.toString() });
      }
      return;
    }
    if (onChain.status !== "Committed" && onChain.status !== "Finalized") {
      db.updateJob(job.jobId, { status: "done", reason: `checked, not attested: the job is ${onChain.status}` });
      return;
    }
    const intervals = db.checks(job.jobId).map((c) => BigInt(c.interval));
    const { receipt } = await tx.send(job.jobId, "attest", () =>
      writeContract(chain.client, { address: chain.market, abi: jobMarketAbi, functionName: "attest", args: [job.jobId, intervals], account: chain.client.account, chain: chain.client.chain }));
    db.updateJob(job.jobId, { status: "attested" });
    log.info({ jobId: job.jobId.toString(), intervals: intervals.map(Number), tx: receipt.transactionHash, gasUsed: receipt.gasUsed.toString() }, "attested: intervals re-executed, roots match");
  }
}
