import { writeContract } from "viem/actions";
import { commitArgs } from "../chain/checkpoints.ts";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { getJob } from "../chain/jobs.ts";
import type { Checkpoint } from "../commitment/history.ts";
import { rootBytes } from "../core/root.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { parseSpec } from "../engine/spec.ts";
import { forEachJob, type NodeModule } from "../node/node.ts";
import { jobLie } from "./adversary.ts";
import type { SolverContext } from "./context.ts";
import type { JobRow } from "./db.ts";
import { SolverError } from "./errors.ts";

/**
 * trained -> committed: commits every checkpoint root of a trained job before its commit deadline (the market
 * rebuilds the history root from them, INV-MKT-4). A commit that landed before a restart is found on chain
 * (its history root must be ours) and not sent again.
 */
export class Committer implements NodeModule {
  readonly name = "committer";
  readonly #ctx: SolverContext;

  constructor(ctx: SolverContext) {
    this.#ctx = ctx;
  }

  async tick(): Promise<void> {
    await forEachJob(this.#ctx, this.name, this.#ctx.db.jobs(), async (row) => {
      if (row.status === "trained") await this.#commit(row);
    });
  }

  /** The checkpoints this node commits for a job: the stored ones (with a test-only adversary's made-up root). */
  checkpoints(row: JobRow): Checkpoint[] {
    const cps = this.#ctx.db.checkpoints(row.jobId).map((c) => ({ step: c.step, root: rootBytes(c.root) }));
    const a = this.#ctx.cfg.adversary;
    if (a?.cheat !== "fake-root") return cps;
    const spec = parseSpec(JSON.parse(row.specJson!));
    const fake = jobLie(a, { spec, dataset: this.#ctx.datasets.get(spec.data.root)!.dataset, graph: buildStepGraph(spec) }, row.jobId, row.steps).fakeRoot!;
    return cps.map((c, i) => (i === fake.index ? { ...c, root: Buffer.from(fake.root.slice(2), "hex") } : c));
  }

  async #commit(row: JobRow): Promise<void> {
    const { chain, db, log, tx } = this.#ctx;
    const jobId = row.jobId;
    const job = await getJob(chain.client, { market: chain.market, jobId });
    if (!chain.mine(job.solver)) return this.#ctx.finish(jobId, "failed", `the job is assigned to ${job.solver}, not to this solver`);
    if (job.status === "Committed" || job.status === "Finalized") {
      if (job.historyRoot !== row.historyRoot) throw new SolverError(`job ${jobId}: on-chain history root ${job.historyRoot} is not ours ${row.historyRoot}`);
      db.updateJob(jobId, { status: "committed" });
      log.info({ jobId: jobId.toString() }, "commit already landed");
      return;
    }
    if (job.status !== "Assigned") return this.#ctx.finish(jobId, "failed", `the job is ${job.status}, cannot commit`);
    if ((await chain.now()) >= job.assignedAt + job.commitDuration) return this.#ctx.finish(jobId, "failed", "the commit deadline has passed");
    const args = commitArgs(this.checkpoints(row));
    const { receipt } = await tx.send(jobId, "commitResult", () =>
      writeContract(chain.client, { address: chain.market, abi: jobMarketAbi, functionName: "commitResult", args: [jobId, args.roots, row.modelURI!], account: chain.client.account, chain: chain.client.chain }));
    db.updateJob(jobId, { status: "committed" });
    log.info({ jobId: jobId.toString(), tx: receipt.transactionHash, gasUsed: receipt.gasUsed.toString(), checkpoints: args.roots.length, historyRoot: args.historyRoot, finalRoot: args.finalRoot, modelURI: row.modelURI }, "result committed");
  }
}
