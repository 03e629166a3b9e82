import { writeContract } from "viem/actions";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { getJob } from "../chain/jobs.ts";
import { amounts } from "../node/amounts.ts";
import { forEachJob, type NodeModule } from "../node/node.ts";
import { withdrawBalance } from "../node/withdraw.ts";
import type { SolverContext } from "./context.ts";
import type { JobRow } from "./db.ts";

/**
 * committed -> finalized -> withdrawn: once the challenge window has passed and every game on the job is
 * resolved, finalizes it (anyone may; the node does) and withdraws its pay; a job that failed instead (a
 * dispute lost, or slashed) ends `failed` after withdrawing whatever a won game credited. Every wait is
 * logged with what ends it.
 */
export class Finalizer implements NodeModule {
  readonly name = "finalizer";
  readonly #ctx: SolverContext;

  constructor(ctx: SolverContext) {
    this.#ctx = ctx;
  }

  async tick(): Promise<void> {
    await forEachJob(this.#ctx, this.name, this.#ctx.db.jobs(), async (row) => {
      if (row.status === "committed") await this.#finalize(row);
      else if (row.status === "finalized") await this.#collect(row);
    });
  }

  async #finalize(row: JobRow): Promise<void> {
    const { chain, db, log, tx, waits } = this.#ctx;
    const jobId = row.jobId;
    const key = jobId.toString();
    const job = await getJob(chain.client, { market: chain.market, jobId });
    if (job.status !== "Committed" || job.openGames === 0n) waits.done(`disputes:${key}`);
    if (job.status === "Finalized") {
      waits.done(`window:${key}`);
      db.updateJob(jobId, { status: "finalized" });
      return;
    }
    if (job.status !== "Committed") {
      waits.done(`window:${key}`);
      const amount = await withdrawBalance(chain, tx, log, jobId); // a bond share from a game we won before another was lost
      db.updateJob(jobId, { withdrawnWei: (row.withdrawnWei ?? 0n) + amount });
      return this.#ctx.finish(jobId, "failed", `the job became ${job.status} after the commit`);
    }
    if (job.openGames > 0n) {
      waits.done(`window:${key}`);
      waits.waiting(`disputes:${key}`, `job ${key}: ${job.openGames} dispute(s) open: it finalizes once they are resolved (each game's clocks are followed by the game player)`, { jobId: key, openGames: Number(job.openGames) });
      return;
    }
    const now = await chain.now();
    const end = job.committedAt + job.challengeWindow;
    if (now < end) {
      waits.waiting(`window:${key}`, `job ${key}: waiting for its challenge window to end at chain time ${end} (chain time now ${now}, ${end - now} s to go), then it finalizes and collects its pay; the chain's clock moves only with new blocks`, { jobId: key, windowEnd: end.toString(), now: now.toString() });
      return;
    }
    waits.done(`window:${key}`);
    const { receipt } = await tx.send(jobId, "finalize", () =>
      writeContract(chain.client, { address: chain.market, abi: jobMarketAbi, functionName: "finalize", args: [jobId], account: chain.client.account, chain: chain.client.chain }));
    db.updateJob(jobId, { status: "finalized" });
    log.info({ jobId: key, tx: receipt.transactionHash }, "job finalized");
  }

  /**
   * finalized: the market credited price + bond to our pull balance; withdrawn, and reported apart (the bond
   * is our own money back, not pay). The balance may also hold earlier credits (an outbid bid's bond).
   */
  async #collect(row: JobRow): Promise<void> {
    const { chain, db, log, tx } = this.#ctx;
    const amount = await withdrawBalance(chain, tx, log, row.jobId);
    db.updateJob(row.jobId, { withdrawnWei: (row.withdrawnWei ?? 0n) + amount });
    const price = row.bidWei ?? 0n, bond = row.bondWei ?? 0n;
    const other = amount - price - bond;
    log.info({ jobId: row.jobId.toString(), ...amounts({ price, bondReturned: bond, withdrawn: amount, ...(other > 0n ? { otherCredits: other } : {}) }) },
      `paid ${amounts({ price }).priceEth} for the job; bond of ${amounts({ bond }).bondEth} returned`);
    this.#ctx.finish(row.jobId, "withdrawn", null);
  }
}
