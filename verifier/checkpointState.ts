import type { Hex } from "viem";
import { scheduledStep } from "../chain/checkpoints.ts";
import { toHex } from "../commitment/hash.ts";
import { stateRoot } from "../commitment/stateRoot.ts";
import { fetchVerifiedState } from "../content/fetchState.ts";
import { checkpointStateUrl } from "../content/stateUrl.ts";
import type { Dataset } from "../engine/batch.ts";
import type { StepRunner } from "../engine/runner.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { initialState, type TrainingState } from "../engine/state.ts";
import type { VerifierContext } from "./context.ts";
import type { VJobRow } from "./db.ts";
import { VerifierError } from "./errors.ts";
import { reexecute } from "./reexecute.ts";

/**
 * The verified state at checkpoint i of a committed job, from the cheapest source that gives it:
 *   1. the verifier's own store (a state it verified or computed earlier);
 *   2. the solver's server: `<base>/state/<root>`, where the model URI is `<base>/state/<final root>`; the
 *      bytes must decode to a state whose root is the committed root i, else they are refused;
 *   3. a rebuild: re-executing from the latest earlier checkpoint it holds (or from the job's initial state,
 *      public: spec + dataset), checking every committed root it passes on the way.
 * A withholding solver (404, garbage, bytes of another state, no server) therefore costs the verifier time,
 * never the check: the docs state the challenge window this needs. A rebuild that finds a committed root it
 * cannot reproduce reports that interval as the mismatch instead.
 */
export type CheckpointState =
  | { readonly kind: "state"; readonly state: TrainingState; readonly source: "local" | "fetched" | "rebuilt" }
  | { readonly kind: "mismatch"; readonly interval: number; readonly computedRoot: Hex; readonly seconds: number };

export async function checkpointState(ctx: VerifierContext, job: VJobRow, spec: TrainingSpec, dataset: Dataset, i: number, runner?: StepRunner): Promise<CheckpointState> {
  const roots = job.roots!;
  const root = roots[i]!;
  const ids = { jobId: job.jobId.toString(), checkpoint: i };
  if (await ctx.store.has(root)) return { kind: "state", state: await ctx.store.get(spec, root), source: "local" };
  const url = checkpointStateUrl(job.modelURI, root);
  if (url) {
    try {
      const { state } = await fetchVerifiedState({
        uri: url, spec, expectedRoot: root, jobId: job.jobId, timeoutMs: ctx.cfg.stateTimeoutMs, signal: ctx.signal,
        maxBytes: ctx.cfg.maxStateBytes,
      });
      await ctx.store.put(spec, state);
      return { kind: "state", state, source: "fetched" };
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      ctx.log.warn({ ...ids, err: (e as Error).message }, "the solver does not serve this checkpoint's state (or serves bytes that are not it): rebuilding it");
    }
  } else {
    ctx.log.warn({ ...ids, modelURI: job.modelURI }, "the solver publishes no state server: rebuilding the checkpoint's state");
  }
  // 3. Rebuild from the latest checkpoint before i that this verifier holds, or from the initial state.
  let j = i - 1;
  while (j > 0 && !(await ctx.store.has(roots[j]!))) j--;
  let s = j > 0 ? await ctx.store.get(spec, roots[j]!) : initialState(spec);
  if (j === 0) {
    if (toHex(stateRoot(spec, s)) !== roots[0]!.toLowerCase()) throw new VerifierError(`job ${job.jobId}: the spec's initial state is not the committed checkpoint 0`);
    await ctx.store.put(spec, s); // the start of a game on interval 0
  }
  ctx.log.info({ ...ids, from: j, fromStep: s.step, toStep: scheduledStep(i, job.steps, job.checkpointInterval) }, "rebuilding a checkpoint state by re-execution");
  for (let m = j + 1; m <= i; m++) {
    const toStep = scheduledStep(m, job.steps, job.checkpointInterval);
    const r = await reexecute({
      spec, dataset, start: s, toStep, backend: ctx.cfg.backend, signal: ctx.signal, ...(runner ? { runner } : {}),
      onProgress: (p) => ctx.log.info({ ...ids, rebuilding: m, ...p, stepsPerSecond: Math.round(p.stepsPerSecond) }, "rebuilding"),
    });
    s = r.state;
    const computed = toHex(stateRoot(spec, s));
    if (computed !== roots[m]!.toLowerCase()) return { kind: "mismatch", interval: m - 1, computedRoot: computed, seconds: r.seconds };
    await ctx.store.put(spec, s);
  }
  return { kind: "state", state: s, source: "rebuilt" };
}
