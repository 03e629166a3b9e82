import { scheduledStep } from "../chain/checkpoints.ts";
import { toHex } from "../commitment/hash.ts";
import { stateRoot } from "../commitment/stateRoot.ts";
import { canonicalSpecJson, parseSpec } from "../engine/spec.ts";
import type { NodeModule } from "../node/node.ts";
import { checkpointState } from "./checkpointState.ts";
import type { VerifierContext } from "./context.ts";
import type { VJobRow } from "./db.ts";
import { reexecute } from "./reexecute.ts";
import type { VerifierAdversary } from "./adversary.ts";
import type { Dataset } from "../engine/batch.ts";
import { buildStepGraph } from "../engine/graph.ts";
import type { BackendName, StepRunner } from "../engine/runner.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";
import { engineStepper, ReplayView } from "../dispute/replayView.ts";
import { createRunner } from "../training/train.ts";

/**
 * Re-executes the sampled intervals of every sampled job (in the background, one job at a time per job id):
 * for interval i, the verified state at checkpoint i (verifier/checkpointState.ts), the interval's steps with
 * the engine, and the computed root against the committed root i + 1. Each outcome is stored as it is known
 * (a restart resumes at the first pending interval). A mismatch stops the job's checking: the challenger
 * module challenges that interval. All matching: the job is `checked` (the attester attests). Checking that
 * cannot finish before the challenge window closes marks the job `missed`, loudly.
 */
export class Checker implements NodeModule {
  readonly name = "checker";
  readonly #ctx: VerifierContext;
  readonly #running = new Map<string, Promise<void>>();
  /**
   * One warm engine session per spec, kept for the node's life: a session's first steps run several times
   * slower than the rest (bench:dispute), and a verifier checks many jobs of the same model. Checks of one
   * spec run one at a time on it (a session is not re-entrant).
   */
  readonly #runners = new Map<string, { runner: Promise<StepRunner>; busy: Promise<void> }>();

  constructor(ctx: VerifierContext) {
    this.#ctx = ctx;
  }

  /** Runs `use` with the spec's warm session, after the other checks of that spec. */
  async #withRunner<T>(spec: TrainingSpec, use: (r: StepRunner) => Promise<T>): Promise<T> {
    const key = canonicalSpecJson(spec);
    let e = this.#runners.get(key);
    if (!e) this.#runners.set(key, (e = { runner: createRunner(buildStepGraph(spec), this.#ctx.cfg.backend), busy: Promise.resolve() }));
    const entry = e;
    const run = entry.busy.then(async () => use(await entry.runner));
    entry.busy = run.then(() => {}, () => {});
    return run;
  }

  get running(): number {
    return this.#running.size;
  }

  async tick(): Promise<void> {
    for (const job of this.#ctx.db.jobs()) {
      if (job.status !== "sampled" || this.#running.has(job.jobId.toString())) continue;
      const key = job.jobId.toString();
      const p = this.#check(job)
        .then(() => {
          this.#ctx.waits.succeeded(job.jobId, this.name);
          this.#ctx.waits.done(`check:${key}`);
        })
        .catch((e) => {
          if (this.#ctx.signal.aborted) return void this.#ctx.log.info({ jobId: key }, "checking interrupted (resumes on restart)");
          const err = (e as Error).message;
          this.#ctx.waits.failed(job.jobId, this.name, err);
          // A failure that repeats (a state that cannot be fetched nor rebuilt, an engine error) is a wait: a line a minute.
          this.#ctx.waits.waiting(`check:${key}`, `job ${key}: checking failed (${err}); retrying on the next poll, until the challenge window closes at chain time ${job.deadline}`, { jobId: key, err, deadline: job.deadline?.toString() }, "warn");
        })
        .finally(() => this.#running.delete(key));
      this.#running.set(key, p);
    }
  }

  async #check(job: VJobRow): Promise<void> {
    const spec = parseSpec(JSON.parse(job.specJson!));
    const dataset = this.#ctx.datasets.get(spec.data.root)!.dataset;
    await this.#withRunner(spec, (runner) => this.#intervals(job, spec, dataset, runner));
  }

  async #intervals(job: VJobRow, spec: TrainingSpec, dataset: Dataset, runner: StepRunner): Promise<void> {
    const { db, log, chain } = this.#ctx;
    const roots = job.roots!;
    const ids = { jobId: job.jobId.toString() };
    for (const c of db.checks(job.jobId)) {
      if (c.status !== "pending") continue;
      if (this.#ctx.signal.aborted) return;
      if ((await chain.now()) >= job.deadline!) {
        db.updateJob(job.jobId, { status: "missed", reason: `the challenge window closed before interval ${c.interval} was checked` });
        log.error({ ...ids, interval: c.interval, deadline: job.deadline!.toString() }, "challenge window closed before checking finished: this job is NOT verified by this node");
        return;
      }
      const i = c.interval;
      const t0 = performance.now();
      const start = await checkpointState(this.#ctx, job, spec, dataset, i, runner);
      const r0 = performance.now() / 1000;
      if (start.kind === "mismatch") {
        // Found while rebuilding an earlier checkpoint: that interval is provably wrong (not a sampled one).
        db.addChecks(job.jobId, [start.interval]);
        db.setCheck(job.jobId, start.interval, "mismatch", start.computedRoot, "rebuilt", start.seconds);
        log.warn({ ...ids, interval: start.interval, committed: roots[start.interval + 1], computed: start.computedRoot }, "MISMATCH found while rebuilding a withheld state: challenging");
        return;
      }
      const toStep = scheduledStep(i + 1, job.steps, job.checkpointInterval);
      log.info({ ...ids, interval: i, fromStep: start.state.step, toStep, source: start.source }, "re-executing interval");
      const r = await reexecute({
        spec, dataset, start: start.state, toStep, backend: this.#ctx.cfg.backend, runner, signal: this.#ctx.signal,
        onProgress: (p) => log.info({ ...ids, interval: i, ...p, stepsPerSecond: Math.round(p.stepsPerSecond) }, "re-executing"),
      });
      const computed = toHex(stateRoot(spec, r.state));
      const seconds = (performance.now() - t0) / 1000;
      const match = computed === roots[i + 1]!.toLowerCase();
      if (match) await this.#ctx.store.put(spec, r.state);
      const lie = this.#ctx.cfg.adversary?.lie;
      if (match && lie) {
        // TEST-ONLY (verifier/adversary.ts): claim the root of a deviating computation for a correct interval.
        const lying = await lyingRoot(spec, dataset, start.state, toStep, this.#ctx.cfg.backend, lie);
        db.setCheck(job.jobId, i, "mismatch", lying, "adversary", seconds);
        log.warn({ ...ids, interval: i, committed: roots[i + 1], claimed: lying }, "ADVERSARY: claiming a wrong root for a correct interval");
        return;
      }
      db.setCheck(job.jobId, i, match ? "match" : "mismatch", computed, start.source, seconds);
      db.updateJob(job.jobId, { checkSeconds: (db.job(job.jobId)?.checkSeconds ?? 0) + seconds });
      if (!match) {
        log.warn({ ...ids, interval: i, committed: roots[i + 1], computed, seconds: Number(seconds.toFixed(2)) }, "MISMATCH: the solver's root is not the engine's: challenging");
        return;
      }
      log.info({ ...ids, interval: i, root: computed, seconds: Number(seconds.toFixed(3)), startSeconds: Number((r0 - t0 / 1000).toFixed(3)), reexecuteSeconds: Number(r.seconds.toFixed(3)) }, "interval matches");
    }
    if (db.checks(job.jobId).every((c) => c.status === "match")) {
      db.updateJob(job.jobId, { status: "checked" });
      log.info({ ...ids, intervals: db.checks(job.jobId).map((c) => c.interval) }, "every sampled interval matches");
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#running.values());
    for (const e of this.#runners.values()) await e.runner.then((r) => r.close(), () => {});
    this.#runners.clear();
  }
}

/** The state root a lying verifier claims at `toStep` (its deviating computation from the verified start). */
async function lyingRoot(spec: TrainingSpec, dataset: Dataset, start: TrainingState, toStep: number, backend: BackendName, lie: NonNullable<VerifierAdversary["lie"]>): Promise<`0x${string}`> {
  const graph = buildStepGraph(spec);
  const runner = await createRunner(graph, backend);
  try {
    const view = new ReplayView({ spec, dataset, start, hiStep: toStep, graph, stepper: lie.stepper(engineStepper(runner, spec, dataset), { spec, dataset, graph }, toStep) });
    return toHex(await view.stateRoot(toStep));
  } finally {
    await runner.close();
  }
}
