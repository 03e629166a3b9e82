// Adversarial strategies and a lean game driver for the randomized DisputeGame test
// (test/contracts/DisputeGame.random.test.ts).
//
// A game is drawn from one integer seed (drawGame): world kind, interval, dishonest side, strategy and every
// random choice of the strategy, so any game replays alone (GAME_SEED=<seed>). The driver (Arena) plays many
// games on one DisputeGame instance, one after the other: one gameState read per move, transactions sent with
// a fixed gas limit (no estimation) and their receipts decoded for the events the players need (the solver's
// revealed leaf, settlement, resolution) instead of scanning logs. Invalid moves are checked by estimation:
// each must revert with its expected custom error.
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
import { settlementOperands } from "../../../settlement/operands.ts";
import { decodeElements } from "../../../commitment/tensorCommit.ts";
import { chooseTermResponse, honestTerms, honestView, isAccumulation, lyingView, NO_OPERAND, postTermsArgs, TERM_SLICE, type TensorDescription, type TermLie } from "./terms.ts";
import { sha256 } from "../../../commitment/hash.ts";
import { depthFor, proofOf } from "../../../commitment/merkle.ts";
import { commitState } from "../../../commitment/stateRoot.ts";
import { LEAF_BYTES } from "../../../commitment/tensorCommit.ts";
import { buildTrace, type OpTrace, type TraceEntry } from "../../../commitment/trace.ts";
import { commitBytes, craftTrace, garbageHistory, makeWorld, rng, runStep, withOverrides, type Deviation, type History, type World, type WorldKind } from "./gameWorld.ts";
import {
  DESCENT_LEVELS, descentNodes, chooseResponse, dissectionPoints, expectRevert, hex, honestValue, level1Rounds, nodeOf, Party, Phase, Reason, rootsHash, sliceOf, ZERO32,
  type Contract, type Fixture, type GameState, type Side, type Wallet,
} from "./gamePlayer.ts";

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


/**
 * deviate() of gameWorld.ts, cheaper: the world's roots before dev.step are reused (not recommitted) and only
 * steps dev.step .. last are recomputed (a game on [lo, hi] never asks a party about a step past hi).
 */
export function deviateTo(world: World, dev: Deviation, last: number): History {
  const roots = world.roots.slice(0, dev.step);
  const traces: OpTrace[] = [];
  let pre = world.states[dev.step - 1]!;
  for (let t = dev.step; t <= last; t++) {
    const { post, all } = runStep(world, pre, t === dev.step ? dev : undefined);
    const postRoot = commitState(world.spec, post).root;
    traces[t] = buildTrace(world.graph, all, roots[t - 1]!, postRoot);
    roots.push(postRoot);
    pre = post;
  }
  return { roots, trace: (t) => (t < dev.step ? world.traces[t] : traces[t]) };
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

// ================================================================== the move planner

export interface Move {
  readonly fn: string;
  readonly args: readonly unknown[];
  /** Gas-recorder kind. */
  readonly kind: string;
}

interface ProgramCache {
  header: { entries: number; stateTensors: number; batchSize: number; firstOpTensorId: number; stateOutEntries: readonly number[] };
  headerPath: Hex[];
  paths: Map<number, Hex[]>;
}
const programCaches = new WeakMap<World, ProgramCache>();

function programCache(w: World): ProgramCache {
  let c = programCaches.get(w);
  if (!c) {
    const h = w.program.header;
    c = {
      header: { entries: h.entries, stateTensors: h.stateTensors, batchSize: h.batchSize, firstOpTensorId: h.firstOpTensorId, stateOutEntries: h.stateOutEntries },
      headerPath: proofOf(w.program.tree, 0).map(hex),
      paths: new Map(),
    };
    programCaches.set(w, c);
  }
  return c;
}

function programPath(w: World, leaf: number): Hex[] {
  const c = programCache(w);
  let p = c.paths.get(leaf);
  if (!p) {
    p = proofOf(w.program.tree, leaf).map(hex);
    c.paths.set(leaf, p);
  }
  return p;
}

/**
 * What a party with view `history` plays (the protocol's answer from its own data; the same moves as
 * gamePlayer.ts's Player, computed without sending). Undefined: it has no valid move (stuck). With `random`,
 * level-1 answers are random valid choices (a garbage challenger). `posted`: the roots of the solver's latest
 * StepBisected (needed to respond).
 */
export class Agent {
  readonly side: Side;
  readonly history: History;
  readonly world: World;
  readonly random: (() => number) | undefined;
  /** A dishonest solver's partial sums at level 4 (default: the lie only at K). */
  readonly termLie: TermLie | undefined;
  /** Level-4 answers at random (default: `random`). */
  readonly termRandom: (() => number) | undefined;

  constructor(side: Side, history: History, world: World, random?: () => number, termLie?: TermLie, termRandom?: () => number) {
    this.side = side;
    this.history = history;
    this.world = world;
    this.random = random;
    this.termLie = termLie;
    this.termRandom = termRandom ?? random;
  }

  /** Its partial sums of the disputed element: the true ones, or a lie ending at its own element value. */
  private termView(st: GameState) {
    const hi = Number(st.hiStep), e = Number(st.element);
    const h = honestTerms(this.world, hi, st.entry, e);
    const c = this.history.trace(hi)!.commitments[st.entry - 1]!;
    const mine = BigInt(decodeElements(c.bytes, c.width, 1, e * c.width)[0]!);
    return mine === h.sums[h.K] && this.termLie === undefined ? honestView(h) : lyingView(h, mine, this.termLie);
  }

  /** A descent round: the solver's nodes, or the challenger's with the solver's (from its NodesRevealed). */
  private revealNodes(id: bigint, st: GameState, nodes: Hex[], solverNodes: readonly Hex[] | undefined): Move {
    if (this.side === "solver") return { fn: "revealNodes", args: [id, nodes, []], kind: "revealNodes(solver)" };
    assert.ok(solverNodes && rootsHash(solverNodes) === st.pendingHash, "the solver's revealed nodes are not known");
    return { fn: "revealNodes", args: [id, nodes, solverNodes], kind: "revealNodes(challenger)" };
  }

  plan(id: bigint, st: GameState, solverLeaf: Hex | undefined, posted?: readonly Hex[], postedSums?: readonly bigint[], solverNodes?: readonly Hex[]): Move | undefined {
    const s = this.side;
    const lo = Number(st.loStep), hi = Number(st.hiStep);
    const my = s === "solver" ? st.solverNode : st.challengerNode;
    switch (st.phase) {
      case Phase.Bisect:
        return { fn: "bisectStep", args: [id, dissectionPoints(lo, hi).map((p) => hex(this.history.roots[p]!))], kind: "bisectStep" };
      case Phase.Respond: {
        assert.ok(posted && rootsHash(posted) === st.pendingHash, "the solver's posted roots are not known");
        const { choice, ownRoot } = chooseResponse(dissectionPoints(lo, hi), posted, this.history.roots, this.random);
        return { fn: "respondStep", args: [id, posted, choice, ownRoot], kind: choice < posted.length ? "respondStep(disagree)" : "respondStep(agree)" };
      }
      case Phase.SolverTrace:
      case Phase.ChallengerTrace: {
        const tr = this.history.trace(hi);
        const own = s === "solver" ? st.solverRoot : st.challengerRoot;
        if (!tr || hex(tr.entries[0]!.outputRoot) !== st.agreedRoot || hex(tr.entries.at(-1)!.outputRoot) !== own) return undefined;
        const pc = programCache(this.world);
        const E = tr.entries.length;
        // The challenger's header and header path are ignored by the game: it sends an empty path.
        return { fn: "postTrace", args: [id, hex(tr.root), pc.header, s === "solver" ? pc.headerPath : [], proofOf(tr.tree, 0).map(hex), proofOf(tr.tree, E - 1).map(hex)], kind: `postTrace(${s})` };
      }
      case Phase.SolverTraceNodes:
      case Phase.ChallengerTraceNodes: {
        const tr = this.history.trace(hi)!;
        if (tr.tree.depth !== st.depth || nodeOf(tr.tree, st.depth, st.round, st.index) !== my) return undefined;
        return this.revealNodes(id, st, descentNodes(tr.tree, st.depth, st.round, st.index), solverNodes);
      }
      case Phase.SolverRecord:
      case Phase.ChallengerRecord: {
        const k = st.entry;
        const e = this.history.trace(hi)!.entries[k]!;
        const p = this.world.program.entries[k]!;
        const rec = { entry: e.entry, tensorId: e.tensorId, code: e.code, inputs: e.inputs, attrs: e.attrs.map(BigInt), outputRoot: hex(e.outputRoot) };
        return { fn: "openRecord", args: [id, rec, p.width, p.shape, programPath(this.world, 1 + k)], kind: `openRecord(${s})` };
      }
      case Phase.SolverDataRoot:
      case Phase.ChallengerDataRoot: {
        const c = this.history.trace(hi)!.commitments[st.entry - 1];
        if (!c || hex(c.root) !== my) return undefined; // an output root it cannot open
        return { fn: "revealDataRoot", args: [id, hex(c.tree.root), c.shape], kind: `revealDataRoot(${s})` };
      }
      case Phase.SolverDataNodes:
      case Phase.ChallengerDataNodes: {
        const c = this.history.trace(hi)!.commitments[st.entry - 1]!;
        if (c.tree.depth !== st.depth || nodeOf(c.tree, st.depth, st.round, st.index) !== my) return undefined;
        return this.revealNodes(id, st, descentNodes(c.tree, st.depth, st.round, st.index), solverNodes);
      }
      case Phase.SolverLeaf:
      case Phase.ChallengerLeaf: {
        const c = this.history.trace(hi)!.commitments[st.entry - 1]!;
        if (c.tree.depth !== st.depth || nodeOf(c.tree, st.depth, st.depth, st.index) !== my) return undefined;
        const l = Number(st.index);
        const leaf = bytesToHex(c.bytes.subarray(l * LEAF_BYTES, (l + 1) * LEAF_BYTES));
        if (s === "solver") return { fn: "revealLeaf", args: [id, leaf, "0x"], kind: "revealLeaf(solver)" };
        assert.ok(solverLeaf, "the solver's leaf is not known");
        return { fn: "revealLeaf", args: [id, leaf, solverLeaf], kind: "revealLeaf(challenger)" };
      }
      case Phase.SolverTerms: {
        return { fn: "postTerms", args: [id, ...postTermsArgs(this.world.program, st.entry, this.termView(st), st.termLo, st.termHi, st.termCount)], kind: "postTerms" };
      }
      case Phase.ChallengerTerms: {
        assert.ok(postedSums, "the solver's posted sums are not known");
        const choice = chooseTermResponse(Number(st.termLo), Number(st.termHi), postedSums, this.termView(st), this.termRandom);
        return { fn: "respondTerms", args: [id, postedSums, choice], kind: choice < postedSums.length ? "respondTerms(disagree)" : "respondTerms(agree)" };
      }
      default:
        throw new Error(`no move in phase ${st.phase}`);
    }
  }
}

// ================================================================== invalid moves

/** A call that must revert with `error`. */
export interface Attempt {
  readonly fn: string;
  readonly args: readonly unknown[];
  readonly from: "mover" | "other" | "waiter";
  readonly error: string;
}

const junkOf = (tag: string): Hex => hex(sha256(Buffer.from(`junk ${tag}`)));
function junkLeaf(tag: string): Hex {
  const parts: Buffer[] = [];
  for (let i = 0; i < LEAF_BYTES / 32; i++) parts.push(sha256(Buffer.from(`junk leaf ${tag} ${i}`)));
  return bytesToHex(Buffer.concat(parts));
}
const EMPTY_HEADER = { entries: 0, stateTensors: 0, batchSize: 0, firstOpTensorId: 0, stateOutEntries: [] };

/** Invalid variants of the mover's turn in state `st` (`valid`: the mover's own valid move, if any). */
export function invalidAttempts(id: bigint, st: GameState, valid: Move | undefined, tag: string): Attempt[] {
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
  const byMover = (args: unknown[], error: string): Attempt => ({ fn: valid.fn, args, from: "mover", error });
  out.push({ fn: valid.fn, args: a, from: "other", error: "NotYourTurn" });
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
export function wrongTurnAttempt(id: bigint, st: GameState, tag: string): Attempt {
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
      const liar = deviateTo(w, dev, hi);
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
      const acc = w.program.entries.flatMap((p, k) => (isAccumulation(p.code) ? [k] : []));
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
    const liar = new Agent(spec.side, d.liar, w, d.randomAnswers ? R.next : undefined, d.termLie, d.termRandom ? R.next : undefined);
    const honest = new Agent(honestSide, w, w);
    const solverAgent = spec.side === "solver" ? liar : honest;
    const wallet = (side: Side) => (side === "solver" ? f.solver : f.challenger);
    const [sRoots, cRoots] = spec.side === "solver" ? [d.liar.roots, w.roots] : [w.roots, d.liar.roots];
    const params = {
      jobId: BigInt(spec.seed), solver: f.solver.account.address, challenger: f.challenger.account.address, loStep: BigInt(spec.lo), hiStep: BigInt(spec.hi),
      agreedRoot: hex(w.roots[spec.lo]!), solverRoot: hex(sRoots[spec.hi]!), challengerRoot: hex(cRoots[spec.hi]!), clockDuration: BigInt(spec.clock),
      programRoot: hex(w.program.root), datasetRoot: `0x${w.spec.data.root}`,
    };
    const created = await this.tx(f, f.market, "create", [params], f.deployer, "create");
    const id = (created.logs.find((l) => l.eventName === "GameCreated")!.args.gameId) as bigint;
    this.log?.(`game ${id}: ${JSON.stringify(spec)}`);

    const res: GameResult = { solverWon: false, reason: -1, moves: 0, reverts: 0, timeTravels: 0, termAnswers: 0 };
    let resolved = 0, liarMoves = 0, termMoves = 0, solverLeaf: Hex | undefined, posted: readonly Hex[] | undefined, postedSums: readonly bigint[] | undefined, solverNodes: readonly Hex[] | undefined;
    const absorb = (logs: Log[]) => {
      for (const l of logs) {
        if (l.args.gameId !== id) continue;
        if (l.eventName === "LeafRevealed" && l.args.by === Party.Solver) solverLeaf = l.args.leaf as Hex;
        if (l.eventName === "StepBisected") posted = l.args.roots as readonly Hex[];
        if (l.eventName === "TermsPosted") postedSums = l.args.sums as readonly bigint[];
        if (l.eventName === "NodesRevealed" && l.args.by === Party.Solver) solverNodes = l.args.nodes as readonly Hex[];
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
    const runOut = async (st: GameState, late?: { move: Move; from: Wallet }) => {
      await this.attempt(f, { fn: "timeout", args: [id], from: "other", error: "ClockNotExpired" }, f.other, f.other);
      await this.travelTo(f, st.deadline);
      res.timeTravels++;
      // A move at or after the deadline reverts: that instant belongs to timeout.
      if (late) await expectRevert(f.game.write[late.move.fn](late.move.args, { account: late.from.account }), "ClockExpired");
      res.reverts += late ? 2 : 1;
      absorb((await this.tx(f, f.game, "timeout", [id], f.other, "timeout")).logs);
    };

    for (let guard = 0; ; guard++) {
      assert.ok(guard < 500, "the game does not end");
      const st = (await f.game.read.gameState([id])) as GameState;
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
          const t = Number(st.hiStep);
          assert.equal(st.agreedRoot, hex(w.roots[t - 1]!));
          const pre = w.states[t - 1]!;
          const trace = solverAgent.history.trace(t)!;
          const slice = sliceOf(st);
          const operands = settlementOperands({ spec: w.spec, graph: w.graph, program: w.program, pre, preCommitment: commitState(w.spec, pre), trace, dataset: w.dataset }, st.entry, Number(st.element), slice);
          absorb((await this.tx(f, f.game, "settle", [id, operands, "0x"], f.other, slice ? "settle (RecomputeKernelVerifier, dot slice)" : "settle (RecomputeKernelVerifier)", undefined)).logs);
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
      const agent = liarTurn ? liar : honest;
      const mover = wallet(agent.side), waiter = wallet(liarTurn ? honestSide : spec.side);
      const move = agent.plan(id, st, solverLeaf, posted, postedSums, solverNodes);
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
          await this.attempt(f, { fn: move.fn, args: move.args, from: "mover", error: "WrongTermCount" }, mover, waiter);
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
            for (const a of menu.filter((x) => x.from === "mover" && x.fn === move?.fn)) {
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
      absorb((await this.tx(f, f.game, move.fn, move.args, mover, move.kind)).logs);
      if (move.fn === "respondStep") {
        const [, roots, choice] = move.args as [bigint, readonly Hex[], number];
        this.tally.note("choice", choice === 0 ? "first" : choice === roots.length ? "all" : "middle");
      }
      res.moves++;
      if (liarTurn) liarMoves++;
      if (liarTurn && move.fn === "postTerms") termMoves++;
      if (move.fn === "respondTerms") res.termAnswers++;
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
