import { getBlock } from "viem/actions";
import { forEachJob, type NodeModule } from "../node/node.ts";
import type { VerifierContext } from "./context.ts";
import type { VJobRow } from "./db.ts";
import { detectionProbability, sampleIntervals } from "./sampling.ts";

/**
 * committed -> sampled: picks the intervals to re-execute from the first block after the commit's block
 * (verifier/sampling.ts), once that block exists, and logs them with the detection probability they give for
 * one bad interval, alone and with 2, 3 and 5 independent verifiers. A rate of 0 checks nothing (done).
 */
export const VERIFIER_COUNTS = [1, 2, 3, 5] as const;

export class Sampler implements NodeModule {
  readonly name = "sampler";
  readonly #ctx: VerifierContext;

  constructor(ctx: VerifierContext) {
    this.#ctx = ctx;
  }

  async tick(): Promise<void> {
    await forEachJob(this.#ctx, this.name, this.#ctx.db.jobs(), async (job) => {
      if (job.status === "committed") await this.#sample(job);
    });
  }

  async #sample(job: VJobRow): Promise<void> {
    const { db, cfg, chain, log, waits } = this.#ctx;
    const jobId = job.jobId.toString();
    const beaconNumber = job.commitBlock! + 1n;
    let beacon;
    try {
      beacon = await getBlock(chain.client, { blockNumber: beaconNumber });
    } catch {
      beacon = undefined;
    }
    if (!beacon?.hash) {
      waits.waiting(`beacon:${jobId}`, `job ${jobId}: waiting for block ${beaconNumber}, whose randomness picks the intervals to check (on a chain without traffic a block must be mined)`, { jobId, block: beaconNumber.toString() });
      return;
    }
    waits.done(`beacon:${jobId}`);
    const rateBps = cfg.sampleBps ?? job.sampleBps;
    const n = job.roots!.length - 1;
    const s = sampleIntervals({ beacon: { number: beaconNumber, hash: beacon.hash, mixHash: beacon.mixHash }, verifier: chain.me, jobId: job.jobId, intervals: n, rateBps });
    const k = s.intervals.length;
    const withN = Object.fromEntries(VERIFIER_COUNTS.map((v) => [`${v}`, Number(detectionProbability(n, k, v).toFixed(4))]));
    if (k === 0) {
      db.updateJob(job.jobId, { status: "done", reason: "sampling rate 0: nothing to check", seed: s.seed, intervals: [], detection: 0 });
      log.warn({ jobId, rateBps }, "sampling rate 0: this node checks nothing of this job");
      return;
    }
    db.addChecks(job.jobId, s.intervals);
    db.updateJob(job.jobId, { status: "sampled", seed: s.seed, intervals: s.intervals, detection: s.detection });
    log.info({ jobId, intervals: s.intervals, of: n, rateBps, beacon: beaconNumber.toString(), seed: s.seed, detectionOneBadInterval: withN }, `sampled ${k} of ${n} intervals: detection probability of one bad interval ${(s.detection * 100).toFixed(1)}% alone`);
  }
}
