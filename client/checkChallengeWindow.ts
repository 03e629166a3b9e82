import { VERIFIER_WINDOW } from "../core/defaults.ts";
import { macsPerStep } from "../engine/cost.ts";
import { buildStepGraph } from "../engine/graph.ts";
import type { TrainingSpec } from "../engine/spec.ts";

export interface CheckChallengeWindowParameters {
  readonly spec: TrainingSpec;
  readonly steps: number;
  readonly challengeWindow: bigint;
}

export interface CheckChallengeWindowReturnType {
  /** Whether the window leaves a verifier time to rebuild the whole run (withheld states) and still challenge. */
  readonly ok: boolean;
  /** The window a job of these steps needs: the rebuild at the reference throughput, plus the margin. */
  readonly requiredSeconds: bigint;
  readonly rebuildSeconds: number;
  /** A warning to show when the window is too short. */
  readonly warning: string | undefined;
}

/**
 * Whether a job's challenge window is long enough for a verifier that must rebuild every checkpoint itself (a
 * solver may withhold its states: docs/verifier.md, "The window a job needs"). Not enforced by the market: a
 * shorter window is the client's risk, so this is a warning, never a refusal.
 */
export function checkChallengeWindow(p: CheckChallengeWindowParameters): CheckChallengeWindowReturnType {
  const macs = macsPerStep(buildStepGraph(p.spec)) * p.steps;
  const rebuildSeconds = macs / VERIFIER_WINDOW.referenceMacsPerSecond;
  const requiredSeconds = BigInt(Math.ceil(rebuildSeconds) + VERIFIER_WINDOW.marginSeconds);
  const ok = p.challengeWindow >= requiredSeconds;
  return {
    ok, requiredSeconds, rebuildSeconds,
    warning: ok ? undefined : `the challenge window of ${p.challengeWindow} s is shorter than the ${requiredSeconds} s a verifier needs to rebuild ${p.steps} steps from the initial state (${(macs / 1e9).toFixed(1)} G multiply-adds at ${VERIFIER_WINDOW.referenceMacsPerSecond / 1e9} G/s, plus ${VERIFIER_WINDOW.marginSeconds} s) if the solver withholds its checkpoints: a cheating solver could outlast the verifiers`,
  };
}
