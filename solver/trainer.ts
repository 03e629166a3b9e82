import { commitArgs } from "../chain/checkpoints.ts";
import { bareHex, toRoot } from "../core/root.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { parseSpec } from "../engine/spec.ts";
import { Backoff } from "../node/backoff.ts";
import type { NodeModule } from "../node/node.ts";
import { jobLie, trainingOverride } from "./adversary.ts";
import type { SolverContext } from "./context.ts";
import type { JobRow } from "./db.ts";
import { trainJob } from "./trainStep.ts";

/**
 * won -> training -> trained: trains each won job in the background (at most maxConcurrentJobs at once),
 * resumably from its last stored checkpoint (solver/trainStep.ts). A failed run is retried from there after a
 * growing pause (1 s doubling to 60 s); the commit deadline still applies.
 */
export class Trainer implements NodeModule {
  readonly name = "trainer";
  readonly #ctx: SolverContext;
  readonly #running = new Map<string, Promise<void>>();
  readonly #retries = new Backoff(1_000, 60_000);

  constructor(ctx: SolverContext) {
    this.#ctx = ctx;
  }

  async tick(): Promise<void> {
    for (const row of this.#ctx.db.jobs()) if ((row.status === "won" || row.status === "training") && !this.#ctx.signal.aborted) this.#start(row);
  }

  #start(row: JobRow): void {
    const { cfg, db, log, store, datasets, signal, waits } = this.#ctx;
    const key = row.jobId.toString();
    if (this.#running.has(key) || !this.#retries.ready(key)) return;
    if (this.#running.size >= cfg.maxConcurrentJobs) {
      waits.waiting(`slot:${key}`, `job ${key}: waiting for a training slot: ${this.#running.size} of maxConcurrentJobs ${cfg.maxConcurrentJobs} running (jobs ${[...this.#running.keys()].join(", ")}); it starts when one ends, and its commit deadline still applies`, { jobId: key, running: [...this.#running.keys()] });
      return;
    }
    waits.done(`slot:${key}`);
    waits.done(`retry:${key}`);
    const jobId = row.jobId;
    db.updateJob(jobId, { status: "training" });
    const spec = parseSpec(JSON.parse(row.specJson!));
    const ds = datasets.get(spec.data.root)!;
    const lie = cfg.adversary ? jobLie(cfg.adversary, { spec, dataset: ds.dataset, graph: buildStepGraph(spec) }, jobId, row.steps, log) : undefined;
    log.info({ jobId: key, steps: row.steps, checkpointInterval: row.checkpointInterval }, "training");
    const p = (async () => {
      const override = lie ? trainingOverride(lie, { spec, dataset: ds.dataset, graph: buildStepGraph(spec) }) : undefined;
      const r = await trainJob({
        db, store, jobId, spec, dataset: ds.dataset, steps: row.steps, checkpointInterval: row.checkpointInterval, backend: cfg.backend, workers: cfg.workers, signal,
        ...(override ? { override } : {}),
        onResume: (step) => log.info({ jobId: key, fromStep: step }, "resuming training from the latest stored checkpoint"),
        onCheckpoint: (c) => log.info({ jobId: key, step: c.step, index: c.index, root: c.root }, "checkpoint stored"),
      });
      const checkpoints = lie?.fakeRoot ? r.checkpoints.map((c, i) => (i === lie.fakeRoot!.index ? { ...c, root: Buffer.from(lie.fakeRoot!.root.slice(2), "hex") } : c)) : r.checkpoints;
      const args = commitArgs(checkpoints);
      const prev = db.job(jobId)!;
      db.updateJob(jobId, {
        status: "trained", historyRoot: args.historyRoot, finalRoot: args.finalRoot, modelURI: `${this.#ctx.modelBase}/state/${bareHex(toRoot(args.finalRoot))}`,
        trainSeconds: prev.trainSeconds + r.seconds,
      });
      log.info({ jobId: key, startStep: r.startStep, stepsRun: r.stepsRun, seconds: Number(r.seconds.toFixed(2)), historyRoot: args.historyRoot }, "training done");
      this.#retries.clear(key);
      waits.succeeded(jobId, this.name);
    })().catch((e) => {
      if (signal.aborted) return void log.info({ jobId: key }, "training interrupted (resumes on restart)");
      // Retried from the last stored checkpoint after a growing pause (the commit deadline still applies).
      const { failures, delayMs } = this.#retries.fail(key);
      log.error({ jobId: key, err: (e as Error).message, failures, retryInMs: delayMs }, "training failed");
      waits.failed(jobId, this.name, (e as Error).message);
      waits.waiting(`retry:${key}`, `job ${key}: training failed ${failures} time(s) in a row; retrying from the last stored checkpoint in ${Math.round(delayMs / 1000)} s (its commit deadline still applies)`, { jobId: key, failures, retryInMs: delayMs, err: (e as Error).message });
    }).finally(() => this.#running.delete(key));
    this.#running.set(key, p);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#running.values());
  }
}
