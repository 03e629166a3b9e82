// Adversarial strategies and a lean game driver for the randomized DisputeGame test
// (test/contracts/DisputeGame.random.test.ts).
//
// A game is drawn from one integer seed (drawGame): world kind, interval, dishonest side, strategy and every
// random choice of the strategy, so any game replays alone (GAME_SEED=<seed>). The driver (Arena) plays many
// games on one DisputeGame instance, one after the other: one gameState read per move, transactions sent with
// a fixed gas limit (no estimation) and their receipts decoded for the events the players need (the solver's
// posted roots, sums, nodes and leaf, settlement, resolution) instead of scanning logs. Every move of either
// side is the production player's (dispute/move.ts's nextMove over the party's HistoryView); a lie in the
// moves themselves is a deliberate deviation from it (the lies below, also used by gamePlayer.ts's Player).
// Invalid moves are checked by estimation: each must revert with its expected custom error.
//
// Strategies of the dishonest party (the other side plays honestly):
//   op        one element of one trace entry changed at a step, everything after recomputed (consistent lie)
//   post      honest ops, wrong post-state assembly at a step
//   garbage   random (valid) level-1 answers and random invalid moves, with made-up roots (with or without a fabricated
//             trace) or with a consistent op/post lie
//   record    a record that breaks the step program (INV-GAME-4), or a made-up output root it cannot open
//   padding   non-zero padding: past the tensor's last element (INV-GAME-5), or a whole padding leaf; or a
//             data tree deeper than the tensor's (it cannot open the leaf the game asks for)
//   stop      an op/post liar that stops moving after a random number of moves (its clock runs out)
//   invalid   an op/post liar that tries invalid moves (each must revert) before its valid ones
//   nosettle  an op/post solver that lets settlement expire (SettlementTimeout)
//   terms     an op liar at a matmul/col_sum element, to level 4: a solver whose partial sums carry the lie
//             at the end, from one point on, or spread evenly, or that declares a wrong K (refused at once:
//             it runs out of time, the challenger answers no level-4 round), or that stalls at level 4; or a
//             challenger answering level 4 at random
import assert from "node:assert/strict";
import { bytesToHex, parseEventLogs, type Hex, type TransactionReceipt } from "viem";
import { type Hash, sha256, toHex } from "../../../commitment/hash.ts";
import { depthFor } from "../../../commitment/merkle.ts";
import { LEAF_BYTES } from "../../../commitment/tensorCommit.ts";
import type { TraceEntry } from "../../../commitment/trace.ts";
import type { Deviation } from "../../../dispute/deviation.ts";
import { chooseResponse, dissectionPoints, level1Rounds, ZERO32 } from "../../../dispute/dissection.ts";
import { GameStateError } from "../../../dispute/errors.ts";
import { type GameView, Party, Phase, Reason, type Side } from "../../../dispute/gameState.ts";
import { elementOf, type GameEvents, type Move, termViewAt } from "../../../dispute/move.ts";
import { hasTermLevel } from "../../../settlement/operandRule.ts";
import { sliceOf } from "../../../dispute/settleCall.ts";
import type { TraceReveal } from "../../../dispute/solverTrace.ts";
import { chooseTermResponse, NO_OPERAND, postTermsArgs, TERM_SLICE, type TensorDescription } from "../../../dispute/terms.ts";
import { DESCENT_LEVELS } from "../../../dispute/treeNodes.ts";
import { commitBytes, craftTrace, deviate, garbageHistory, makeWorld, rng, withOverrides, type History, type World, type WorldKind } from "./gameWorld.ts";
import {
  type Attempt, expectRevert, honestValue, type Contract, type Fixture, type Lie, type LieContext, productionMove, settlerFor, type Wallet,
} from "./gamePlayer.ts";
import { HistoryView, worldView } from "./historyView.ts";
import { honestTerms, lyingView, type TermLie } from "./terms.ts";

type Rng = ReturnType<typeof rng>;

// ================================================================== worlds

const worldCache = new Map<string, World>();

/** The honest world of (kind, steps), built once per process. */
export function worldOf(kind: WorldKind, steps: number): World {
  const key = `${kind}/${steps}`;
  let w = worldCache.get(key);
  if (!w) {
    w = makeWorld(kind, steps);
    worldCache.set(key, w);
  }
  return w;
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

// ================================================================== lies: deliberate deviations from the production move

/** A move the production player sends (not a stuck one). */
export type Call = Extract<Move, { kind: "move" }>;

/** A deviation that changes only the move (the Arena's liars; gamePlayer.ts's Player takes it as a Lie). */
export type MoveLie = (production: Move, c: LieContext) => Promise<Move>;

/** Level 1 at random: a uniformly random VALID answer (any point where its root differs, or m) instead of the first. */
export function randomLevel1(random: () => number): MoveLie {
  return async (m, c) => {
    if (m.kind !== "move" || m.functionName !== "respondStep") return m;
    const posted = m.args[1] as Hex[];
    const pts = dissectionPoints(Number(c.st.loStep), Number(c.st.hiStep));
    const own: Hash[] = [];
    for (const p of pts) own[p] = await c.view.stateRoot(p);
    const { choice, ownRoot } = chooseResponse(pts, posted, own, random);
    return { ...m, args: [c.gameId, posted, choice, ownRoot], label: choice < posted.length ? "respondStep(disagree)" : "respondStep(agree)" };
  };
}

/** Level 4 at random: any choice in [0, m] (every one is valid: the challenger posts no value of its own). */
export function randomTerms(random: () => number): MoveLie {
  return async (m, c) => {
    if (m.kind !== "move" || m.functionName !== "respondTerms") return m;
    const { st } = c;
    const posted = m.args[1] as bigint[];
    const own = await termViewAt(c.view, Number(st.hiStep), st.entry, Number(st.element));
    const choice = chooseTermResponse(Number(st.termLo), Number(st.termHi), posted, own, random);
    return { ...m, args: [c.gameId, posted, choice], label: choice < posted.length ? "respondTerms(disagree)" : "respondTerms(agree)" };
  };
}

/** Level 1 and level 4 at random. */
export const randomAnswers = (random: () => number): MoveLie => lies(randomLevel1(random), randomTerms(random));

/**
 * A dishonest solver's level-4 sums as `lie` says (terms.ts) around its claim at K, instead of the production
 * move's (the true sums before K: the lie "end").
 */
export function termLie(lie: TermLie): MoveLie {
  return async (m, c) => {
    if (m.kind !== "move" || m.functionName !== "postTerms") return m;
    const { st, view } = c;
    const step = Number(st.hiStep), e = Number(st.element);
    const sums = await view.partialSums(step, st.entry, e);
    const v = lyingView({ K: sums.length - 1, sums }, elementOf(await view.output(step, st.entry), e), lie);
    return { ...m, args: [c.gameId, ...postTermsArgs(view.program, st.entry, v, st.termLo, st.termHi, st.termCount)] };
  };
}

/** No move from phase `phase` on: its clock runs out. */
export function stallAt(phase: number): MoveLie {
  return async (m, c) => (c.st.phase >= phase ? { kind: "stuck", reason: `it stalls from phase ${phase} on` } : m);
}

/** The lies in turn. */
export function lies(...ls: readonly (MoveLie | undefined)[]): MoveLie {
  const xs = ls.filter((l): l is MoveLie => l !== undefined);
  return async (m, c) => {
    for (const l of xs) m = await l(m, c);
    return m;
  };
}

/**
 * A garbage player (gamePlayer.ts's Player): before each move, with probability `invalidRate`, one of the
 * mover's invalid variants of its move instead (invalidAttempts: it must revert, and the player stops);
 * else its move with random answers at levels 1 and 4.
 */
export function garbage(random: () => number, invalidRate: number): Lie {
  const answers = randomAnswers(random);
  return async (m, c) => {
    if (random() >= invalidRate) return answers(m, c);
    const tag = `${c.gameId} ${c.st.phase} ${c.st.round}`;
    const menu = invalidAttempts(c.gameId, c.st, m.kind === "move" ? m : undefined, tag).filter((a) => a.from === "mover");
    return menu[junkOf(tag).charCodeAt(5) % menu.length]!;
  };
}

// ================================================================== invalid moves

const junkOf = (tag: string): Hex => toHex(sha256(Buffer.from(`junk ${tag}`)));
function junkLeaf(tag: string): Hex {
  const parts: Buffer[] = [];
  for (let i = 0; i < LEAF_BYTES / 32; i++) parts.push(sha256(Buffer.from(`junk leaf ${tag} ${i}`)));
  return bytesToHex(Buffer.concat(parts));
}
const EMPTY_HEADER = { entries: 0, stateTensors: 0, batchSize: 0, firstOpTensorId: 0, stateOutEntries: [] };

/** Invalid variants of the mover's turn in state `st` (`valid`: the mover's own valid move, if any). */
export function invalidAttempts(id: bigint, st: GameView, valid: Call | undefined, tag: string): Attempt[] {
  const j = junkOf(tag);
  const out: Attempt[] = [
    st.phase <= Phase.Respond
      ? { fn: "revealNodes", args: [id, [j, j], []], from: "mover", error: "WrongPhase" }
      : { fn: "bisectStep", args: [id, [j]], from: "mover", error: "WrongPhase" },
    { fn: "settle", args: [id, "0x", "0x"], from: "other", error: "WrongPhase" },
    { fn: "timeout", args: [id], from: "other", error: "ClockNotExpired" },
  ];
  if (!valid) return out;
  const a = valid.args as unknown[];
  const byMover = (args: unknown[], error: string): Attempt => ({ fn: valid.functionName, args, from: "mover", error });
  out.push({ fn: valid.functionName, args: a, from: "other", error: "NotYourTurn" });
  switch (st.phase) {
    case Phase.Bisect: {
      const [, roots] = a as [bigint, Hex[]];
      out.push(byMover([id, roots.slice(1)], "WrongRootCount"));
      out.push(byMover([id, [...roots, j]], "WrongRootCount"));
      out.push(byMover([id, roots.map((r, i) => (i === roots.length - 1 ? ZERO32 : r))], "ZeroRoot"));
      break;
    }
    case Phase.Respond: {
      const [, roots, choice, own] = a as [bigint, Hex[], number, Hex];
      const m = roots.length;
      out.push(byMover([id, roots.map((r, i) => (i === choice % m ? j : r)), choice, own], "RootsMismatch"));
      out.push(byMover([id, roots.slice(0, -1), choice, own], "RootsMismatch"));
      out.push(byMover([id, roots, m + 1 + (j.charCodeAt(2) % 8), own], "ChoiceOutOfRange"));
      out.push(byMover([id, roots, choice % m, roots[choice % m]!], "SameAsSolverRoot"));
      out.push(byMover([id, roots, choice % m, ZERO32], "ZeroRoot"));
      break;
    }
    case Phase.SolverTrace:
    case Phase.ChallengerTrace: {
      const [, root, header, hp, pre, post] = a as [bigint, Hex, typeof EMPTY_HEADER, Hex[], Hex[], Hex[]];
      out.push(byMover([id, root, header, hp, pre.slice(1), post], "ProofDepthMismatch"));
      out.push(byMover([id, root, header, hp, post, post], "AnchorMismatch"));
      out.push(byMover([id, j, header, hp, pre, post], "AnchorMismatch"));
      if (st.phase === Phase.SolverTrace) out.push(byMover([id, root, { ...header, entries: header.entries + 1 }, hp, pre, post], "ProgramRootMismatch"));
      break;
    }
    case Phase.SolverTraceNodes:
    case Phase.ChallengerTraceNodes:
    case Phase.SolverDataNodes:
    case Phase.ChallengerDataNodes: {
      const [, nodes, solverNodes] = a as [bigint, Hex[], Hex[]];
      const n = nodes.length;
      const at = j.charCodeAt(3) % n;
      // wrong nodes, nodes swapped (they no longer hash to the mover's node), one node too many or too few
      out.push(byMover([id, nodes.map((x, i) => (i === at ? j : x)), solverNodes], "NodesMismatch"));
      if (nodes[0] !== nodes[n - 1]) out.push(byMover([id, [nodes[n - 1]!, ...nodes.slice(1, -1), nodes[0]!], solverNodes], "NodesMismatch"));
      out.push(byMover([id, [...nodes, j], solverNodes], "WrongNodeCount"));
      if (n > 1) out.push(byMover([id, nodes.slice(1), solverNodes], "WrongNodeCount"));
      if (st.phase === Phase.SolverTraceNodes || st.phase === Phase.SolverDataNodes) {
        out.push(byMover([id, nodes, nodes], "UnexpectedSolverNodes"));
      } else {
        // forged solver nodes: not the ones the solver revealed (e.g. chosen to move the descent elsewhere)
        out.push(byMover([id, nodes, solverNodes.map((x, i) => (i === at ? j : x))], "SolverNodesMismatch"));
        out.push(byMover([id, nodes, nodes], "SolverNodesMismatch"));
        out.push(byMover([id, nodes, []], "SolverNodesMismatch"));
      }
      break;
    }
    case Phase.SolverRecord:
    case Phase.ChallengerRecord: {
      const [, rec, width, dims, path] = a as [bigint, Record<string, unknown>, number, number[], Hex[]];
      out.push(byMover([id, { ...rec, outputRoot: j }, width, dims, path], "RecordMismatch"));
      if (path.length > 0) out.push(byMover([id, rec, width, dims, path.slice(1)], "ProofDepthMismatch"));
      break;
    }
    case Phase.SolverDataRoot:
    case Phase.ChallengerDataRoot: {
      const [, root, dims] = a as [bigint, Hex, number[]];
      out.push(byMover([id, root, [...dims, 1]], "ShapeMismatch"));
      out.push(byMover([id, j, dims], "DataRootMismatch"));
      break;
    }
    case Phase.SolverTerms: {
      const [, K, sums, operand] = a as [bigint, bigint, bigint[], TensorDescription];
      out.push(byMover([id, K, [...sums, 1n], operand], "WrongSumCount"));
      if (st.termHi === 0n) {
        // INV-GAME-9: K must be the program's, proved by the operand's program leaf.
        out.push(byMover([id, 0n, sums, operand], "ZeroTermCount"));
        out.push(byMover([id, K + 1n + BigInt(j.charCodeAt(4) % 4), sums, operand], "WrongTermCount"));
        const other = { ...operand, state: { ...operand.state, tensorId: operand.state.tensorId + 1 }, producer: { ...operand.producer, tensorId: operand.producer.tensorId + 1 } };
        out.push(byMover([id, K, sums, other], "OperandMismatch"));
        out.push(byMover([id, K, sums, { ...operand, path: operand.path.map((x, i) => (i === 0 ? j : x)) }], "ProgramRootMismatch"));
      } else {
        out.push(byMover([id, K + 1n, sums, operand], "TermCountChanged"));
      }
      break;
    }
    case Phase.ChallengerTerms: {
      const [, sums, choice] = a as [bigint, bigint[], number];
      out.push(byMover([id, sums.map((x, i) => (i === choice % sums.length ? x + 1n : x)), choice], "SumsMismatch"));
      out.push(byMover([id, sums, sums.length + 1 + (j.charCodeAt(2) % 8)], "ChoiceOutOfRange"));
      break;
    }
    case Phase.SolverLeaf:
    case Phase.ChallengerLeaf: {
      const [, leaf, solverLeaf] = a as [bigint, Hex, Hex];
      out.push(byMover([id, junkLeaf(tag), solverLeaf], "LeafMismatch"));
      out.push(byMover([id, leaf.slice(0, -2), solverLeaf], "LeafLengthMismatch"));
      if (st.phase === Phase.SolverLeaf) out.push(byMover([id, leaf, leaf], "UnexpectedSolverLeaf"));
      else out.push(byMover([id, leaf, junkLeaf(`${tag} s`)], "LeafMismatch"));
      break;
    }
  }
  return out;
}

/** A call of the current phase's move by the party that is NOT to move: NotYourTurn. */
export function wrongTurnAttempt(id: bigint, st: GameView, tag: string): Attempt {
  const j = junkOf(tag);
  const call = (fn: string, args: unknown[]): Attempt => ({ fn, args, from: "waiter", error: "NotYourTurn" });
  switch (st.phase) {
    case Phase.Bisect: return call("bisectStep", [id, [j]]);
    case Phase.Respond: return call("respondStep", [id, [j], 0, j]);
    case Phase.SolverTrace: case Phase.ChallengerTrace: return call("postTrace", [id, j, EMPTY_HEADER, [], [], []]);
    case Phase.SolverRecord: case Phase.ChallengerRecord:
      return call("openRecord", [id, { entry: 0, tensorId: 0, code: 0, inputs: [], attrs: [], outputRoot: j }, 4, [1], []]);
    case Phase.SolverDataRoot: case Phase.ChallengerDataRoot: return call("revealDataRoot", [id, j, []]);
    case Phase.SolverLeaf: case Phase.ChallengerLeaf: return call("revealLeaf", [id, "0x", "0x"]);
    case Phase.SolverTerms: return call("postTerms", [id, 1n, [], NO_OPERAND]);
    case Phase.ChallengerTerms: return call("respondTerms", [id, [], 0]);
    default: return call("revealNodes", [id, [j, j], []]);
  }
}

// ================================================================== drawing a game

export const STRATEGIES = ["op", "post", "garbage", "record", "padding", "stop", "invalid", "nosettle", "terms"] as const;
export type Strategy = (typeof STRATEGIES)[number];
const STRATEGY_WEIGHTS: readonly [Strategy, number][] = [
  ["op", 24], ["post", 8], ["garbage", 14], ["record", 10], ["padding", 8], ["stop", 14], ["invalid", 14], ["nosettle", 8], ["terms", 16],
];
const MOCK_STRATEGIES: readonly Strategy[] = ["op", "post", "invalid", "terms"];
/** Level-4 variants of the terms strategy (see the file's notes). */
export const TERM_VARIANTS = ["end", "step", "drift", "wrongK", "stall", "randomChallenger"] as const;
const WORLD_WEIGHTS: readonly [WorldKind, number][] = [["tiny", 5], ["medium", 2], ["wide", 3]];
const TERMS_WORLD_WEIGHTS: readonly [WorldKind, number][] = [["tiny", 1], ["medium", 3], ["wide", 1]];
const DELTAS = [4096, -4096, 1 << 20, -(1 << 20), 1, -1];

function weighted<T>(R: Rng, xs: readonly [T, number][]): T {
  let u = R.next() * xs.reduce((a, [, w]) => a + w, 0);
  for (const [x, w] of xs) if ((u -= w) < 0) return x;
  return xs.at(-1)![0];
}

/** What the game must end with (besides the honest side winning). */
export interface Expectation {
  reason?: number;
  /** Where settlement must be reached (hiStep, entry, element; a missing field is not checked). */
  at?: { step?: number; entry: number; element?: number };
  /** The trace entry of the last opened record (RecordNotInProgram). */
  recordEntry?: number;
  /** The challenger answers no level-4 round (the solver's K is refused at declaration: INV-GAME-9). */
  noTermAnswers?: boolean;
}

/** The printable parameters of a game. */
export interface GameSpec {
  seed: number;
  world: WorldKind;
  worldSteps: number;
  lo: number;
  hi: number;
  side: Side;
  strategy: Strategy;
  clock: number;
  mock: boolean;
  /** The strategy's own choices (deviation, variant, stop point...). */
  detail: Record<string, unknown>;
}

export interface Draw {
  spec: GameSpec;
  world: World;
  liar: History;
  /** The liar answers level 1 at random. */
  randomAnswers: boolean;
  /** Per liar turn: probability of invalid attempts before the move (then how many: 1 + int(maxAttempts)). */
  invalidRate: number;
  /** The liar stops after this many moves. */
  stopAfter?: number;
  /** Nobody settles. */
  noSettle: boolean;
  /** A dishonest solver's level-4 sums. */
  termLie?: TermLie;
  /** A dishonest solver that stops at level 4 after this many level-4 moves. */
  stallTerms?: number;
  /** A dishonest challenger that answers level 4 at random. */
  termRandom?: boolean;
  expect: Expectation;
  /** Draws thrown away because the deviation did not change the state at hi. */
  skipped: number;
  rng: Rng;
}

export interface DrawOptions {
  worldSteps: number;
  /** Games whose seed is a multiple of this are settled through the RecomputeKernelVerifier. */
  mockEvery: number;
}

/** Draws a game from its seed alone. */
export function drawGame(seed: number, o: DrawOptions): Draw {
  const R = rng(Math.imul(seed ^ 0x5eed2024, 0x9e3779b1));
  const mock = seed % o.mockEvery === 0;
  const strategy = mock ? R.pick(MOCK_STRATEGIES) : weighted(R, STRATEGY_WEIGHTS);
  // Level 4 takes a dissection round only for K > TERM_SLICE: the medium world's first matmul (K = 48).
  const kind = weighted(R, strategy === "terms" ? TERMS_WORLD_WEIGHTS : WORLD_WEIGHTS);
  const w = worldOf(kind, o.worldSteps);
  const T = w.roots.length - 1;
  const u = R.next();
  // Interval length: 1 (straight to level 2), a power of two, or any length 2..64 (odd ones included).
  const L = Math.min(T, u < 0.15 ? 1 : u < 0.45 ? 2 ** (1 + R.int(6)) : 2 + R.int(63));
  const lo = R.int(T - L + 1), hi = lo + L;
  const side: Side = strategy === "nosettle" || R.next() < 0.5 ? "solver" : "challenger";
  const clock = 600 + R.int(7200);
  const E = w.entries;
  const D = depthFor(E);
  const spec: GameSpec = { seed, world: kind, worldSteps: T, lo, hi, side, strategy, clock, mock, detail: {} };
  const base = { spec, world: w, randomAnswers: false, invalidRate: 0, noSettle: false, skipped: 0, rng: R };

  /** A consistent lie at a random step of (lo, hi]: op (one element) or post (wrong assembly). */
  const deviation = (postShare: number, entries?: readonly number[]) => {
    for (let skipped = 0; skipped < 100; skipped++) {
      const step = lo + 1 + R.int(L);
      let dev: Deviation;
      if (R.next() < postShare) {
        dev = { kind: "post", step };
      } else {
        const entry = entries ? R.pick(entries) : 1 + R.int(E - 2);
        dev = { kind: "op", step, entry, element: R.int(numel(w.program.entries[entry]!.shape)), delta: R.pick(DELTAS) };
      }
      const liar = deviate(w, dev, hi);
      if (!liar.roots[hi]!.equals(w.roots[hi]!)) {
        const at = { step, entry: dev.kind === "op" ? dev.entry : E - 1, element: dev.kind === "op" ? dev.element : 0 };
        spec.detail = { ...dev };
        return { liar, at, dev, skipped };
      }
    }
    throw new Error("no deviation reaches the state");
  };
  /** A liar that differs only at hi: its own root G there, and trace `craft` of step hi (ending at G). */
  const G = sha256(Buffer.from(`made-up root ${seed}`));
  const atHi = (change: Parameters<typeof craftTrace>[2]) => withOverrides(w, { [hi]: G }, { [hi]: craftTrace(w.traces[hi]!, G, change) });

  switch (strategy) {
    case "terms": {
      // An op lie at a matmul/col_sum element: the game reaches level 4 there.
      const acc = w.program.entries.flatMap((p, k) => (hasTermLevel(p.code) ? [k] : []));
      const deep = acc.filter((k) => honestTerms(w, 1, k, 0).K > TERM_SLICE);
      const variant = mock ? R.pick(["end", "step", "drift"] as const) : R.pick(TERM_VARIANTS);
      spec.side = variant === "randomChallenger" ? "challenger" : "solver";
      const d = deviation(0, deep.length > 0 && R.next() < 0.7 ? deep : acc);
      const step = d.at.step, k = d.at.entry, e = d.at.element;
      const K = honestTerms(w, step, k, e).K;
      spec.detail = { ...spec.detail, variant };
      const settled: Expectation = { reason: Reason.Settled, at: d.at };
      switch (variant) {
        case "end":
        case "drift":
          // Also tries invalid moves (each must revert with its named error), level 4's included.
          return { ...base, liar: d.liar, skipped: d.skipped, termLie: { kind: variant }, invalidRate: 0.5, expect: settled };
        case "step": {
          const r = 1 + R.int(K - 1);
          spec.detail.r = r;
          return { ...base, liar: d.liar, skipped: d.skipped, termLie: { kind: "step", r }, expect: settled };
        }
        case "wrongK": {
          const delta = R.pick([1, -1, K, 7 * K]);
          spec.detail.delta = delta;
          return { ...base, liar: d.liar, skipped: d.skipped, termLie: { kind: "wrongK", delta }, expect: { reason: Reason.Timeout, noTermAnswers: true } };
        }
        case "stall":
          // Refuses its first level-4 move (the only one it surely has: K <= 64 here takes one round).
          return { ...base, liar: d.liar, skipped: d.skipped, termLie: { kind: "end" }, stallTerms: 0, expect: { reason: Reason.Timeout } };
        case "randomChallenger":
          return { ...base, liar: d.liar, skipped: d.skipped, termRandom: true, invalidRate: 0.9, expect: settled };
      }
      throw new Error(`unknown terms variant ${variant}`);
    }
    case "op":
    case "post": {
      const d = deviation(strategy === "post" ? 1 : 0);
      return { ...base, liar: d.liar, skipped: d.skipped, expect: { reason: Reason.Settled, at: d.at } };
    }
    case "invalid": {
      const d = deviation(0.3);
      spec.detail.invalidRate = 0.6;
      return { ...base, liar: d.liar, skipped: d.skipped, invalidRate: 0.6, expect: { reason: Reason.Settled, at: d.at } };
    }
    case "nosettle": {
      const d = deviation(0.3);
      return { ...base, liar: d.liar, skipped: d.skipped, noSettle: true, expect: { reason: Reason.SettlementTimeout, at: d.at } };
    }
    case "stop": {
      const d = deviation(0.3);
      // Moves the liar surely has: the fewest level-1 rounds of L (one move of either side per round),
      // postTrace and ceil(D / DESCENT_LEVELS) trace-descent rounds, and for an op deviation also openRecord,
      // revealDataRoot and revealLeaf.
      const sure = level1Rounds(L).min + 1 + Math.ceil(D / DESCENT_LEVELS) + (d.dev.kind === "op" ? 3 : 0);
      const stopAfter = R.int(sure);
      spec.detail.stopAfter = stopAfter;
      return { ...base, liar: d.liar, skipped: d.skipped, stopAfter, expect: { reason: Reason.Timeout } };
    }
    case "garbage": {
      if (R.next() < 0.3) {
        // A consistent liar that answers level 1 by coin flips: it may accept a root it disagrees with and
        // then have no trace from the agreed root (it times out), or end where its lie is.
        const d = deviation(0.3);
        spec.detail = { ...spec.detail, randomAnswers: true, invalidRate: 0.1 };
        return { ...base, liar: d.liar, skipped: d.skipped, randomAnswers: true, invalidRate: 0.1, expect: {} };
      }
      const fabricate = R.next() < 0.7;
      spec.detail = { fabricate, invalidRate: 0.1 };
      const liar = garbageHistory(w, lo, `garbage ${seed}`, fabricate);
      // A fabricated trace is the honest one ending at the liar's root: settled at the post-state anchor.
      const expect: Expectation = fabricate ? { reason: Reason.Settled, at: { entry: E - 1, element: 0 } } : { reason: Reason.Timeout };
      return { ...base, liar, randomAnswers: true, invalidRate: 0.1, expect };
    }
    case "record": {
      const k = 1 + R.int(E - 2);
      const e = w.traces[hi]!.entries[k]!;
      const variants: [string, Omit<TraceEntry, "name">][] = [
        ["code", { ...e, code: e.code + 1 }],
        ["tensorId", { ...e, tensorId: e.tensorId + 1 }],
        ["attrs", { ...e, attrs: [...e.attrs, 1 + R.int(9)] }],
        ["entry", { ...e, entry: e.entry + 1 }],
        ["outputRoot", { ...e, outputRoot: sha256(Buffer.from(`made-up output ${seed}`)) }],
      ];
      const rev = [...e.inputs].reverse();
      if (rev.some((x, i) => x !== e.inputs[i])) variants.push(["inputs", { ...e, inputs: rev }]);
      const [variant, entry] = R.pick(variants);
      spec.detail = { entry: k, variant };
      // A made-up output root passes the program check but cannot be opened: the liar times out at level 3.
      const expect: Expectation = variant === "outputRoot" ? { reason: Reason.Timeout } : { reason: Reason.RecordNotInProgram, recordEntry: k };
      return { ...base, liar: atHi({ at: k, entry }), expect };
    }
    case "padding": {
      const tr = w.traces[hi]!;
      const elementCands: number[] = [], leafCands: number[] = [];
      for (let k = 1; k <= E - 2; k++) {
        const c = tr.commitments[k - 1]!;
        const used = numel(c.shape) * c.width, leaves = c.bytes.length / LEAF_BYTES;
        if (used < c.bytes.length) elementCands.push(k);
        if (leaves > 1 && depthFor(leaves + 1) === depthFor(leaves)) leafCands.push(k);
      }
      const u = R.next();
      if (u < 0.15) {
        // A data tree one level deeper than the tensor's (an extra leaf past a power of two): the game's
        // descent depth comes from the shape, so the liar cannot reveal the leaf the game asks for.
        const deeper: number[] = [];
        for (let k = 1; k <= E - 2; k++) {
          const leaves = tr.commitments[k - 1]!.bytes.length / LEAF_BYTES;
          if (depthFor(leaves + 1) > depthFor(leaves)) deeper.push(k);
        }
        const k = R.pick(deeper);
        const c = tr.commitments[k - 1]!;
        const cc = commitBytes(c.bytes, c.shape, c.width, [sha256(Buffer.from(`extra leaf ${seed}`))]);
        spec.detail = { entry: k, variant: "deeper tree" };
        return { ...base, liar: atHi({ at: k, entry: { ...tr.entries[k]!, outputRoot: cc.root }, commitment: cc }), expect: { reason: Reason.Timeout } };
      }
      const byLeaf = leafCands.length > 0 && u < 0.6;
      const k = R.pick(byLeaf ? leafCands : elementCands);
      const c = tr.commitments[k - 1]!;
      let cc;
      if (byLeaf) {
        cc = commitBytes(c.bytes, c.shape, c.width, [sha256(Buffer.from(`padding leaf ${seed}`))]);
        spec.detail = { entry: k, variant: "leaf" };
      } else {
        const used = numel(c.shape) * c.width;
        const bytes = Buffer.from(c.bytes);
        const p = used + R.int(bytes.length - used);
        bytes[p] = 1 + R.int(255);
        cc = commitBytes(bytes, c.shape, c.width);
        spec.detail = { entry: k, variant: "element", byte: p };
      }
      const liar = atHi({ at: k, entry: { ...tr.entries[k]!, outputRoot: cc.root }, commitment: cc });
      return { ...base, liar, expect: { reason: byLeaf ? Reason.PaddingLeaf : Reason.PaddingElement } };
    }
  }
}

// ================================================================== the driver

const GAS = 8_000_000n;

export interface GameResult {
  solverWon: boolean;
  reason: number;
  moves: number;
  reverts: number;
  timeTravels: number;
  /** respondTerms moves (level-4 rounds the challenger answered). */
  termAnswers: number;
  reached?: { step: number; entry: number; element: number; code: number; terms?: [number, number, number] };
  recordEntry?: number;
  timedOut?: number;
}

/** Counters for the summary line. */
export class Tally {
  readonly counts = new Map<string, Map<string, number>>();
  moves = 0;
  reverts = 0;
  timeTravels = 0;
  honestWins = 0;
  games = 0;
  skipped = 0;
  note(group: string, key: string | number | boolean): void {
    const m = this.counts.get(group) ?? new Map<string, number>();
    m.set(String(key), (m.get(String(key)) ?? 0) + 1);
    this.counts.set(group, m);
  }
  get(group: string, key: string | number | boolean): number {
    return this.counts.get(group)?.get(String(key)) ?? 0;
  }
  group(group: string): string {
    const m = this.counts.get(group) ?? new Map();
    return `${group}{${[...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}:${n}`).join(" ")}}`;
  }
}

const REASON_NAMES = Object.fromEntries(Object.entries(Reason).map(([k, v]) => [v, k])) as Record<number, string>;
export const reasonName = (r: number): string => REASON_NAMES[r] ?? String(r);

type Log = { eventName: string; args: Record<string, unknown> };

/**
 * What the solver posted in game `id`, from the events of the receipts the driver decodes (the Arena reads no
 * logs), as the production move reads it (dispute/move.ts's GameEvents).
 */
function receiptEvents(id: bigint): { absorb(l: Log): void; readonly events: GameEvents } {
  let roots: Hex[] | undefined, sums: bigint[] | undefined, leaf: Hex | undefined, nodes: Hex[] | undefined;
  const reveals: TraceReveal[] = [];
  const known = <T>(x: T | undefined, what: string): T => {
    if (x === undefined) throw new GameStateError(`game ${id}: no ${what} yet`);
    return x;
  };
  return {
    absorb(l) {
      const a = l.args;
      if (l.eventName === "StepBisected") roots = [...(a.roots as Hex[])];
      if (l.eventName === "TermsPosted") sums = [...(a.sums as bigint[])];
      if (l.eventName === "LeafRevealed" && a.by === Party.Solver) leaf = a.leaf as Hex;
      if (l.eventName === "NodesRevealed" && a.by === Party.Solver) {
        nodes = [...(a.nodes as Hex[])];
        if (a.level === 2) reveals.push({ round: a.round as number, index: a.index as bigint, nodes });
      }
    },
    events: {
      postedRoots: async () => known(roots, "StepBisected"),
      postedSums: async () => known(sums, "TermsPosted"),
      solverLeaf: async () => known(leaf, "LeafRevealed by the solver"),
      solverNodes: async () => known(nodes, "NodesRevealed by the solver"),
      solverTraceReveals: async () => reveals,
    },
  };
}

/** Plays drawn games on a fixture (TestKernelVerifier) and, for mock games, on `mock` (RecomputeKernelVerifier). */
export class Arena {
  readonly f: Fixture;
  readonly mock: Fixture;
  readonly tally = new Tally();
  /** Per-move log (replays). */
  readonly log: ((line: string) => void) | undefined;

  constructor(f: Fixture, mock: Fixture, log?: (line: string) => void) {
    this.f = f;
    this.mock = mock;
    this.log = log;
  }

  /** Sends a transaction with a fixed gas limit; returns the decoded events of the game and market. */
  private async tx(f: Fixture, c: Contract, fn: string, args: readonly unknown[], from: Wallet, kind: string | null, gas: bigint | undefined = GAS): Promise<{ r: TransactionReceipt; logs: Log[] }> {
    const hash = await c.write[fn](args, gas === undefined ? { account: from.account } : { account: from.account, gas });
    const r = await f.pc.getTransactionReceipt({ hash });
    assert.equal(r.status, "success", `${fn} failed`);
    const game = f.game.address.toLowerCase();
    const logs = parseEventLogs({ abi: f.game.abi, logs: r.logs.filter((l) => l.address.toLowerCase() === game) }) as unknown as Log[];
    if (kind) {
      const suffix = logs.some((l) => l.eventName === "GameResolved") ? " +resolve" : logs.some((l) => l.eventName === "ReachedSettlement") ? " +to settlement" : "";
      f.gas.record(kind + suffix, r.gasUsed);
    }
    this.log?.(`  ${fn}${kind ? ` [${kind}]` : ""} gas ${r.gasUsed}: ${logs.map((l) => l.eventName).join(", ")}`);
    return { r, logs };
  }

  /** Runs `a` (from the mover `mover`, the waiting party `waiter` or a third account): it must revert. */
  private async attempt(f: Fixture, a: Attempt, mover: Wallet, waiter: Wallet): Promise<void> {
    const from = a.from === "mover" ? mover : a.from === "waiter" ? waiter : f.other;
    this.log?.(`  invalid ${a.fn} by ${a.from}: expect ${a.error}`);
    await expectRevert(f.game.write[a.fn](a.args, { account: from.account }), a.error);
    this.tally.note("reverted", `${a.fn}:${a.error}`);
  }

  /** Moves time on (evm_increaseTime + evm_mine) until the latest block is at or past `deadline`. */
  private async travelTo(f: Fixture, deadline: bigint): Promise<void> {
    for (let i = 0; i < 8; i++) {
      const t = (await f.pc.getBlock()).timestamp;
      if (t >= deadline) return;
      await f.tc.increaseTime({ seconds: Number(deadline - t) });
      await f.tc.mine({ blocks: 1 });
    }
    throw new Error(`could not reach time ${deadline}`);
  }

  async play(d: Draw): Promise<GameResult> {
    const { spec, world: w, rng: R } = d;
    const f = spec.mock ? this.mock : this.f;
    const honestSide: Side = spec.side === "solver" ? "challenger" : "solver";
    // The production player's views: the world's for the honest side, the liar's own history for the liar,
    // whose moves may also lie (random answers, level-4 sums other than the production move's).
    const honestView = worldView(w), liarView = new HistoryView(w, d.liar);
    const lie = lies(d.randomAnswers ? randomLevel1(R.next) : undefined, d.termRandom || d.randomAnswers ? randomTerms(R.next) : undefined, d.termLie ? termLie(d.termLie) : undefined);
    const wallet = (side: Side) => (side === "solver" ? f.solver : f.challenger);
    const [sRoots, cRoots] = spec.side === "solver" ? [d.liar.roots, w.roots] : [w.roots, d.liar.roots];
    const params = {
      jobId: BigInt(spec.seed), solver: f.solver.account.address, challenger: f.challenger.account.address, loStep: BigInt(spec.lo), hiStep: BigInt(spec.hi),
      agreedRoot: toHex(w.roots[spec.lo]!), solverRoot: toHex(sRoots[spec.hi]!), challengerRoot: toHex(cRoots[spec.hi]!), clockDuration: BigInt(spec.clock),
      programRoot: toHex(w.program.root), datasetRoot: `0x${w.spec.data.root}`,
    };
    const created = await this.tx(f, f.market, "create", [params], f.deployer, "create");
    const id = (created.logs.find((l) => l.eventName === "GameCreated")!.args.gameId) as bigint;
    this.log?.(`game ${id}: ${JSON.stringify(spec)}`);

    const res: GameResult = { solverWon: false, reason: -1, moves: 0, reverts: 0, timeTravels: 0, termAnswers: 0 };
    let resolved = 0, liarMoves = 0, termMoves = 0;
    const seen = receiptEvents(id);
    const absorb = (logs: Log[]) => {
      for (const l of logs) {
        if (l.args.gameId !== id) continue;
        seen.absorb(l);
        if (l.eventName === "RecordOpened") res.recordEntry = Number(l.args.entry);
        if (l.eventName === "GameTimedOut") res.timedOut = Number(l.args.loser);
        if (l.eventName === "GameResolved") {
          resolved++;
          res.solverWon = l.args.solverWon as boolean;
          res.reason = Number(l.args.reason);
        }
      }
    };
    /** The mover cannot or will not move: its clock runs out and anyone times it out. */
    const runOut = async (st: GameView, late?: { move: Call; from: Wallet }) => {
      await this.attempt(f, { fn: "timeout", args: [id], from: "other", error: "ClockNotExpired" }, f.other, f.other);
      await this.travelTo(f, st.deadline);
      res.timeTravels++;
      // A move at or after the deadline reverts: that instant belongs to timeout.
      if (late) await expectRevert(f.game.write[late.move.functionName](late.move.args, { account: late.from.account }), "ClockExpired");
      res.reverts += late ? 2 : 1;
      absorb((await this.tx(f, f.game, "timeout", [id], f.other, "timeout")).logs);
    };

    for (let guard = 0; ; guard++) {
      assert.ok(guard < 500, "the game does not end");
      const st = (await f.game.read.gameState([id])) as GameView;
      if (st.phase === Phase.Resolved) break;
      assert.notEqual(st.phase, Phase.Aborted);
      if (st.phase === Phase.Settlement) {
        res.reached ??= { step: Number(st.hiStep), entry: st.entry, element: Number(st.element), code: st.code, ...(sliceOf(st) ? { terms: [Number(st.termLo), Number(st.termHi), Number(st.termCount)] as [number, number, number] } : {}) };
        if (d.noSettle) {
          await this.attempt(f, { fn: "timeout", args: [id], from: "other", error: "ClockNotExpired" }, f.other, f.other);
          await this.travelTo(f, st.deadline);
          res.timeTravels++;
          await this.attempt(f, { fn: "settle", args: [id, "0x", "0x"], from: "other", error: "SettlementExpired" }, f.other, f.other);
          res.reverts += 2;
          absorb((await this.tx(f, f.game, "timeout", [id], f.other, "timeout (settlement)")).logs);
        } else if (spec.mock) {
          // The SOLVER's operands (its trace's agreed prefix), opened against the agreed pre-state.
          const operands = settlerFor(w, spec.side === "solver" ? d.liar : w)(st);
          absorb((await this.tx(f, f.game, "settle", [id, operands, "0x"], f.other, sliceOf(st) ? "settle (RecomputeKernelVerifier, dot slice)" : "settle (RecomputeKernelVerifier)", undefined)).logs);
        } else {
          const slice = sliceOf(st);
          const step = Number(st.hiStep), e = Number(st.element);
          const K = slice ? honestTerms(w, step, st.entry, e).K : 0;
          // INV-GAME-9: the game took only the program's K, so every slice reaching settlement has the true K.
          if (slice) assert.equal(slice.count, K, "a slice with a K other than the operands' reached settlement");
          if (slice) await this.tx(f, f.verifier, "setSliceValue", [st.entry, st.element, st.termHi, BigInt(K), honestValue(w, step, st.entry, e, slice.hi)], f.other, null);
          else await this.tx(f, f.verifier, "setValue", [st.entry, st.element, honestValue(w, step, st.entry, e)], f.other, null);
          absorb((await this.tx(f, f.game, "settle", [id, "0x", "0x"], f.other, slice ? "settle (dot slice)" : "settle")).logs);
        }
        continue;
      }
      const liarTurn = st.turn === (spec.side === "solver" ? Party.Solver : Party.Challenger);
      const side = liarTurn ? spec.side : honestSide, view = liarTurn ? liarView : honestView;
      const mover = wallet(side), waiter = wallet(liarTurn ? honestSide : spec.side);
      const production = await productionMove(view, side, id, st, seen.events);
      const m = liarTurn ? await lie(production, { gameId: id, st, side, view }) : production;
      const move = m.kind === "move" ? m : undefined;
      if (!liarTurn) {
        assert.ok(move, `the honest ${honestSide} has no move in phase ${st.phase}`);
        if (d.invalidRate > 0 && R.next() < d.invalidRate / 4) {
          await this.attempt(f, wrongTurnAttempt(id, st, `${spec.seed}/${guard}`), mover, waiter);
          res.reverts++;
        }
      } else {
        if (d.termLie?.kind === "wrongK" && st.phase === Phase.SolverTerms && st.termHi === 0n) {
          // INV-GAME-9: the liar's K (the true one + delta) is refused at declaration; it has no other and runs
          // out of time. The challenger has answered no level-4 round.
          assert.ok(move, "a wrong-K solver has a declaration to try");
          await this.attempt(f, { fn: move.functionName, args: move.args, from: "mover", error: "WrongTermCount" }, mover, waiter);
          res.reverts++;
          await runOut(st);
          continue;
        }
        if ((d.stopAfter !== undefined && liarMoves >= d.stopAfter) || (d.stallTerms !== undefined && st.phase === Phase.SolverTerms && termMoves >= d.stallTerms)) {
          assert.ok(move, "a stopping liar has a move it refuses");
          await runOut(st, { move, from: mover });
          continue;
        }
        if (d.invalidRate > 0 && R.next() < d.invalidRate) {
          const menu = invalidAttempts(id, st, move, `${spec.seed}/${guard}`);
          for (let n = 1 + R.int(2); n > 0; n--) {
            await this.attempt(f, R.pick(menu), mover, waiter);
            res.reverts++;
          }
          if (st.phase === Phase.SolverTerms || st.phase === Phase.ChallengerTerms) {
            // Level 4 is reached by few games: there the liar tries every malformed variant of its move.
            for (const a of menu.filter((x) => x.from === "mover" && x.fn === move?.functionName)) {
              await this.attempt(f, a, mover, waiter);
              res.reverts++;
            }
          }
        }
        if (!move) {
          await runOut(st);
          continue;
        }
      }
      absorb((await this.tx(f, f.game, move.functionName, move.args, mover, move.label)).logs);
      if (move.functionName === "respondStep") {
        const [, roots, choice] = move.args as [bigint, readonly Hex[], number];
        this.tally.note("choice", choice === 0 ? "first" : choice === roots.length ? "all" : "middle");
      }
      res.moves++;
      if (liarTurn) liarMoves++;
      if (liarTurn && move.functionName === "postTerms") termMoves++;
      if (move.functionName === "respondTerms") res.termAnswers++;
    }

    // Exactly one resolution, reported once to the market with the same outcome; the game takes no more calls.
    assert.equal(resolved, 1, "exactly one GameResolved");
    assert.equal(await f.market.read.reports([id]), 1n, "reported to the market once");
    assert.equal(await f.market.read.solverWon([id]), res.solverWon, "the market's record of the outcome");
    await expectRevert(f.game.write.timeout([id], { account: f.other.account }), "GameClosed");
    res.reverts++;
    return res;
  }
}
