import { scheduledStep } from "../chain/checkpoints.ts";
import { stateRoot } from "../commitment/stateRoot.ts";
import { fetchVerifiedState } from "../content/fetchState.ts";
import { type Root, toRoot } from "../core/root.ts";
import type { Dataset } from "../engine/batch.ts";
import type { BackendName } from "../engine/runner.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { initialState, type TrainingState } from "../engine/state.ts";
import type { Logger } from "../log/logger.ts";
import { type HeldoutScore, scoreStates } from "./evaluateState.ts";
import { checkpointStateUrl } from "../content/stateUrl.ts";

/**
 * The explorer's verified training curve: for each committed checkpoint root, the state is fetched from the
 * solver's state server (content/fetchState.ts fetchVerifiedState: returned only when its state root is the
 * committed one; checkpoint 0 may instead be the spec's own initial state, when its root is the committed
 * one) and scored on a held-out set by the engine's forward pass (evaluateState.ts). Nothing the solver
 * reports about loss or accuracy is used. A point that cannot be fetched or does not verify is shown as such,
 * with the reason, and retried later. Scores are cached by root (a root fixes the state, hence the score).
 */
export const VERIFIED_CURVE_RULE = "verified curve: each point recomputed from a state whose root matches the on-chain commitment";

/** A held-out evaluation set: used for jobs whose spec has its number of features and classes. */
export interface HeldoutSet {
  readonly name: string;
  readonly data: Dataset;
}

export interface CurvePoint {
  readonly checkpoint: number;
  readonly step: number;
  readonly root: Root;
  readonly verified: boolean;
  /** Where the verified state came from. */
  readonly source?: "state server" | "spec's initial state";
  readonly accuracy?: number;
  readonly loss?: number;
  /** Why the point is missing (not served, root mismatch, not reachable...). */
  readonly reason?: string;
}

export interface TrainingCurve {
  readonly rule: string;
  /** Which held-out set scored the points, if one fits the job. */
  readonly heldout?: { readonly name: string; readonly examples: number };
  /** True while points are being fetched and scored (the page shows what is there and polls again). */
  readonly computing: boolean;
  readonly points: readonly CurvePoint[];
  /** Why there is no curve at all (no commitment yet, no spec, no fitting held-out set). */
  readonly unavailable?: string;
}

export interface CurveInput {
  readonly jobId: bigint;
  readonly spec: TrainingSpec;
  /** Every committed checkpoint root, in order (ResultCommitted). */
  readonly roots: readonly Root[];
  readonly steps: number;
  readonly checkpointInterval: number;
  readonly modelURI: string;
}

export interface CurveBuilderOptions {
  readonly heldout: readonly HeldoutSet[];
  readonly backend?: BackendName;
  readonly fetchTimeoutMs?: number;
  /** A failed point is tried again after this long (default 15 s). */
  readonly retryMs?: number;
  readonly log?: Logger;
}

export class CurveBuilder {
  readonly #o: CurveBuilderOptions;
  readonly #scores = new Map<string, HeldoutScore>();
  readonly #failures = new Map<string, { reason: string; at: number }>();
  readonly #running = new Map<bigint, Promise<void>>();

  constructor(o: CurveBuilderOptions) {
    this.#o = o;
  }

  /** The held-out set for a spec: the first whose features and classes are the spec's data's. */
  heldoutFor(spec: TrainingSpec): HeldoutSet | undefined {
    return this.#o.heldout.find((h) => h.data.features === spec.data.features && h.data.classes === spec.data.classes);
  }

  /** The curve as known now; starts fetching and scoring the missing points in the background. */
  curve(c: CurveInput): TrainingCurve {
    const set = this.heldoutFor(c.spec);
    if (!set) {
      return { rule: VERIFIED_CURVE_RULE, computing: false, points: [], unavailable: `no held-out set with ${c.spec.data.features} features and ${c.spec.data.classes} classes is loaded (explorer --heldout)` };
    }
    const points = c.roots.map((root, i) => this.#point(c, set, root, i));
    const missing = points.some((p) => !p.verified && !this.#failedRecently(c.jobId, p.root));
    if (missing && !this.#running.has(c.jobId)) {
      const run = this.#fill(c, set).catch((e) => this.#o.log?.warn({ jobId: c.jobId.toString(), err: (e as Error).message }, "training curve: scoring failed")).finally(() => this.#running.delete(c.jobId));
      this.#running.set(c.jobId, run);
    }
    return { rule: VERIFIED_CURVE_RULE, heldout: { name: set.name, examples: set.data.count }, computing: this.#running.has(c.jobId), points };
  }

  /** Resolves when the job's background scoring (if any) is done: for tests and screenshots. */
  async settled(jobId: bigint): Promise<void> {
    await this.#running.get(jobId);
  }

  #key(set: HeldoutSet, root: Root): string {
    return `${set.name}|${root}`;
  }

  /** Failures are the job's (its solver's server), scores are the root's. */
  #failKey(jobId: bigint, root: Root): string {
    return `${jobId}|${root}`;
  }

  #failedRecently(jobId: bigint, root: Root): boolean {
    const f = this.#failures.get(this.#failKey(jobId, root));
    return f !== undefined && Date.now() - f.at < (this.#o.retryMs ?? 15_000);
  }

  #point(c: CurveInput, set: HeldoutSet, root: Root, i: number): CurvePoint {
    const base = { checkpoint: i, step: scheduledStep(i, c.steps, c.checkpointInterval), root };
    const s = this.#scores.get(this.#key(set, root));
    if (s) return { ...base, verified: true, source: i === 0 && this.#isInitial(c.spec, root) ? "spec's initial state" : "state server", accuracy: s.accuracy, loss: s.loss };
    const f = this.#failures.get(this.#failKey(c.jobId, root));
    return { ...base, verified: false, reason: f?.reason ?? "not fetched yet" };
  }

  #isInitial(spec: TrainingSpec, root: Root): boolean {
    return toRoot(stateRoot(spec, initialState(spec))) === root;
  }

  /** Fetches and verifies every missing state, then scores them together (one forward runner). */
  async #fill(c: CurveInput, set: HeldoutSet): Promise<void> {
    const got: { root: Root; state: TrainingState }[] = [];
    for (const [i, root] of c.roots.entries()) {
      const key = this.#key(set, root), fail = this.#failKey(c.jobId, root);
      if (this.#scores.has(key) || got.some((g) => g.root === root) || this.#failedRecently(c.jobId, root)) continue;
      if (i === 0 && this.#isInitial(c.spec, root)) {
        got.push({ root, state: initialState(c.spec) });
        continue;
      }
      const url = checkpointStateUrl(c.modelURI, root);
      if (!url) {
        this.#failures.set(fail, { reason: `the model URI ${c.modelURI} is not a state server's (<base>/state/<root>): no checkpoint to fetch`, at: Date.now() });
        continue;
      }
      try {
        const { state } = await fetchVerifiedState({ uri: url, spec: c.spec, expectedRoot: root, jobId: c.jobId, timeoutMs: this.#o.fetchTimeoutMs ?? 10_000 });
        got.push({ root, state });
        this.#failures.delete(fail);
      } catch (e) {
        this.#failures.set(fail, { reason: (e as Error).message, at: Date.now() });
      }
    }
    if (got.length === 0) return;
    const scores = await scoreStates(c.spec, got.map((g) => g.state), set.data, this.#o.backend ?? "onnx");
    got.forEach((g, k) => this.#scores.set(this.#key(set, g.root), scores[k]!));
  }
}
