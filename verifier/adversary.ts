import { lyingPlay } from "../dispute/adversaryPlay.ts";
import { type DeviationWorld, deviatingStepper, stateUpdateEntry } from "../dispute/deviation.ts";
import type { playGame } from "../dispute/playGame.ts";
import type { Stepper } from "../dispute/replayView.ts";
import type { Logger } from "../log/logger.ts";
import { VerifierConfigError } from "./errors.ts";

/**
 * TEST-ONLY lying verifiers, for the adversarial end-to-end tests: they exist so that the tests can show an
 * honest solver is never slashed by them. Never on by default: the config field `adversary` is refused unless
 * VERITRAIN_TEST_ADVERSARY=1 is set in the node's environment, and the node logs every lie it tells.
 *   challengeCorrect   challenges the first sampled interval although it matched, claiming the root of a
 *                      computation that changed one weight update at the interval's last step, and plays
 *                      that lie consistently;
 *   stallAfterMoves    stops moving in its games after that many moves (and loses on its clock);
 *   replaySettlement   at settlement, submits settle call data that is valid for another op entry of the
 *                      disputed step (the settlement of another dispute) before doing nothing.
 */
export const ADVERSARY_ENV = "VERITRAIN_TEST_ADVERSARY";

export interface VerifierAdversary {
  readonly challengeCorrect: boolean;
  readonly stallAfterMoves?: number;
  readonly replaySettlement: boolean;
  /** The lie (challengeCorrect): a stepper that deviates at the challenged interval's last step. */
  readonly lie?: { stepper(base: Stepper, w: DeviationWorld, hiStep: number): Stepper };
}

export function parseAdversary(raw: unknown, env: NodeJS.ProcessEnv): VerifierAdversary {
  if (env[ADVERSARY_ENV] !== "1") throw new VerifierConfigError("adversary", `test-only: refused unless ${ADVERSARY_ENV}=1 is set`);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new VerifierConfigError("adversary", "must be an object { challengeCorrect?, stallAfterMoves?, replaySettlement? }");
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!["challengeCorrect", "stallAfterMoves", "replaySettlement"].includes(k)) throw new VerifierConfigError(`adversary.${k}`, "unknown field");
  const flag = (k: string) => {
    if (o[k] !== undefined && typeof o[k] !== "boolean") throw new VerifierConfigError(`adversary.${k}`, "must be true or false");
    return o[k] === true;
  };
  const stall = o.stallAfterMoves;
  if (stall !== undefined && !(typeof stall === "number" && Number.isInteger(stall) && stall >= 0)) throw new VerifierConfigError("adversary.stallAfterMoves", "must be a non-negative integer");
  const challengeCorrect = flag("challengeCorrect");
  return {
    challengeCorrect,
    replaySettlement: flag("replaySettlement"),
    ...(stall === undefined ? {} : { stallAfterMoves: stall as number }),
    ...(challengeCorrect ? { lie: { stepper: (base: Stepper, w: DeviationWorld, hiStep: number) => deviatingStepper(base, w, [{ kind: "op", step: hiStep, entry: stateUpdateEntry(w.graph), element: 0, delta: 1 }]) } } : {}),
  };
}

/** The game play of a lying verifier: playGame with its configured lies (dispute/adversaryPlay.ts). */
export function adversaryPlay(a: VerifierAdversary, log: Logger): typeof playGame {
  return lyingPlay({ ...(a.stallAfterMoves !== undefined ? { stallAfterMoves: a.stallAfterMoves } : {}), replaySettlement: a.replaySettlement }, log);
}
