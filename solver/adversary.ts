import { createHash } from "node:crypto";
import { lyingPlay } from "../dispute/adversaryPlay.ts";
import { type Deviation, type DeviationWorld, deviatedStep, deviatingStepper, stateUpdateEntry } from "../dispute/deviation.ts";
import type { playGame } from "../dispute/playGame.ts";
import type { Stepper } from "../dispute/replayView.ts";
import type { ComputationView } from "../dispute/view.ts";
import type { TrainingState } from "../engine/state.ts";
import type { Logger } from "../log/logger.ts";
import { SolverConfigError } from "./errors.ts";

/**
 * TEST-ONLY cheating solvers, for the adversarial end-to-end tests: they exist so that the tests can show
 * every one of them is caught and slashed. Never on by default: the config field `adversary` is refused
 * unless VERITRAIN_TEST_ADVERSARY=1 is set in the node's environment, and the node logs every lie.
 *
 * `cheat` (how the committed history is wrong; the node defends its lie consistently in disputes):
 *   corrupt-update   one element of the first layer's weight update at `step` changed (+4096)
 *   wrong-gradient   one element of the loss gradient (mse_grad's output) at `step` changed (+4096)
 *   lsb              one unit in the last place of the first layer's weight update at `step`
 *   lazy             steps `step` .. `step + count - 1` skipped (the state carried over unchanged)
 *   fake-root        checkpoint `checkpoint`'s committed root made up: it matches no computation
 * `withhold`: the node serves no state, trace or batch (every verifier must rebuild what it checks).
 * `dispute` (how it plays a game): silent (stops after `afterMoves` moves), wrong-trace (posts a trace root
 *   that is not its trace's, and cannot move on), false-settle (settles its false claim anyway).
 * A `step` left out is drawn in [1, steps] from the job id (the same after a restart), and logged.
 */
export const ADVERSARY_ENV = "VERITRAIN_TEST_ADVERSARY";
export const CHEATS = ["corrupt-update", "wrong-gradient", "lsb", "lazy", "fake-root"] as const;
export type Cheat = (typeof CHEATS)[number];
export const DISPUTE_LIES = ["silent", "wrong-trace", "false-settle"] as const;
export type DisputeLie = (typeof DISPUTE_LIES)[number];

export interface SolverAdversary {
  readonly cheat?: Cheat;
  readonly step?: number;
  readonly count?: number;
  readonly checkpoint?: number;
  readonly withhold: boolean;
  readonly dispute?: DisputeLie;
  readonly afterMoves?: number;
}

export function parseSolverAdversary(raw: unknown, env: NodeJS.ProcessEnv): SolverAdversary {
  if (env[ADVERSARY_ENV] !== "1") throw new SolverConfigError("adversary", `test-only: refused unless ${ADVERSARY_ENV}=1 is set`);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new SolverConfigError("adversary", "must be an object { cheat?, step?, count?, checkpoint?, withhold?, dispute?, afterMoves? }");
  const o = raw as Record<string, unknown>;
  const keys = ["cheat", "step", "count", "checkpoint", "withhold", "dispute", "afterMoves"];
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new SolverConfigError(`adversary.${k}`, `unknown field (known: ${keys.join(", ")})`);
  const oneOf = <T extends string>(k: string, xs: readonly T[]): T | undefined => {
    if (o[k] === undefined) return undefined;
    if (!xs.includes(o[k] as T)) throw new SolverConfigError(`adversary.${k}`, `must be one of ${xs.join(", ")}, got ${JSON.stringify(o[k])}`);
    return o[k] as T;
  };
  const nat = (k: string, min: number): number | undefined => {
    if (o[k] === undefined) return undefined;
    if (typeof o[k] !== "number" || !Number.isSafeInteger(o[k]) || (o[k] as number) < min) throw new SolverConfigError(`adversary.${k}`, `must be an integer >= ${min}`);
    return o[k] as number;
  };
  if (o.withhold !== undefined && typeof o.withhold !== "boolean") throw new SolverConfigError("adversary.withhold", "must be true or false");
  const cheat = oneOf("cheat", CHEATS), dispute = oneOf("dispute", DISPUTE_LIES);
  const step = nat("step", 1), count = nat("count", 1), checkpoint = nat("checkpoint", 1), afterMoves = nat("afterMoves", 0);
  if (cheat === "fake-root" && checkpoint === undefined) throw new SolverConfigError("adversary.checkpoint", "is required with cheat fake-root (which checkpoint's root to make up)");
  return {
    withhold: o.withhold === true,
    ...(cheat ? { cheat } : {}), ...(step !== undefined ? { step } : {}), ...(count !== undefined ? { count } : {}), ...(checkpoint !== undefined ? { checkpoint } : {}),
    ...(dispute ? { dispute } : {}), ...(afterMoves !== undefined ? { afterMoves } : {}),
  };
}

/** The lie of one job: its deviations (by post-state step), fixed when the job is trained (a random step drawn then). */
export interface JobLie {
  readonly deviations: readonly Deviation[];
  /** fake-root: the checkpoint index and the made-up root committed there. */
  readonly fakeRoot?: { readonly index: number; readonly root: `0x${string}` };
}

export function jobLie(a: SolverAdversary, w: DeviationWorld, jobId: bigint, steps: number, log?: Logger): JobLie {
  const draw = (tag: string) => createHash("sha256").update(`veritrain.adversary.${tag}.${jobId}`).digest();
  const step = Math.min(a.step ?? 1 + Number(draw("step").readBigUInt64BE(0) % BigInt(steps)), steps);
  const mseGrad = 3 + w.graph.ops.findIndex((op) => op.kind === "mse_grad");
  let deviations: Deviation[] = [];
  switch (a.cheat) {
    case "corrupt-update": deviations = [{ kind: "op", step, entry: stateUpdateEntry(w.graph), element: 0, delta: 4096 }]; break;
    case "wrong-gradient": deviations = [{ kind: "op", step, entry: mseGrad, element: 0, delta: 4096 }]; break;
    case "lsb": deviations = [{ kind: "op", step, entry: stateUpdateEntry(w.graph), element: 0, delta: 1 }]; break;
    case "lazy": deviations = Array.from({ length: Math.min(a.count ?? 1, steps - step + 1) }, (_, i) => ({ kind: "skip" as const, step: step + i })); break;
    default: break;
  }
  const lie: JobLie = {
    deviations,
    ...(a.cheat === "fake-root" ? { fakeRoot: { index: a.checkpoint!, root: `0x${draw("root").toString("hex")}` as const } } : {}),
  };
  log?.warn({ adversary: true, jobId: jobId.toString(), cheat: a.cheat ?? "none", deviations, fakeRoot: lie.fakeRoot, withhold: a.withhold, dispute: a.dispute }, "ADVERSARY: this job's result will be wrong");
  return lie;
}

/** train()'s override: the deviated post-state at the lie's steps. */
export function trainingOverride(lie: JobLie, w: DeviationWorld): ((pre: TrainingState) => TrainingState | undefined) | undefined {
  if (lie.deviations.length === 0) return undefined;
  const at = new Map(lie.deviations.map((d) => [d.step, d]));
  return (pre) => {
    const d = at.get(pre.step + 1);
    return d ? deviatedStep(w, pre, d).post : undefined;
  };
}

/** The solver's view in its games: its honest stepper with its lie's deviations. */
export function lyingStepper(lie: JobLie, base: Stepper, w: DeviationWorld): Stepper {
  return lie.deviations.length === 0 ? base : deviatingStepper(base, w, lie.deviations);
}

/** wrong-trace: a view whose op traces carry a root that is not theirs (its postTrace can never verify). */
export function wrongTraceView(v: ComputationView): ComputationView {
  return new Proxy(v, {
    get(target, prop, receiver) {
      if (prop !== "trace") return Reflect.get(target, prop, receiver);
      return async (step: number) => {
        const tr = await target.trace(step);
        const root = Buffer.from(tr.root);
        root[31]! ^= 1;
        return { ...tr, root };
      };
    },
  });
}

/** The game play of a lying solver (dispute/adversaryPlay.ts). */
export function solverPlay(a: SolverAdversary, log: Logger): typeof playGame | undefined {
  if (a.dispute === "silent") return lyingPlay({ stallAfterMoves: a.afterMoves ?? 2 }, log);
  if (a.dispute === "false-settle") return lyingPlay({ falseSettle: true }, log);
  return undefined;
}
