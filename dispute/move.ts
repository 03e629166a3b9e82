// The move a side makes in the game's current phase, from its ComputationView: which DisputeGame function
// with which arguments, or why it has none (its view cannot answer: only a lying or mistaken party gets here).
import { bytesToHex, type Hex } from "viem";
import { toHex } from "../commitment/hash.ts";
import { proofOf } from "../commitment/merkle.ts";
import { decodeElements, LEAF_BYTES } from "../commitment/tensorCommit.ts";
import { chooseResponse, dissectionPoints, rootsHash } from "./dissection.ts";
import { GameStateError } from "./errors.ts";
import { type GameView, Party, Phase, type Side } from "./gameState.ts";
import { chooseTermResponse, postTermsArgs, programTermCount, termViewOf, type TermView } from "./terms.ts";
import { descentNodes, nodeOf } from "./treeNodes.ts";
import type { TraceReveal } from "./solverTrace.ts";
import type { ComputationView } from "./view.ts";

/** What the other side posted earlier in the game (from its events), as a move needs it. */
export interface GameEvents {
  /** The roots of the solver's latest bisectStep (StepBisected). */
  postedRoots(): Promise<Hex[]>;
  /** The sums of the solver's latest postTerms (TermsPosted). */
  postedSums(): Promise<bigint[]>;
  /** The leaf the solver revealed (LeafRevealed by the solver). */
  solverLeaf(): Promise<Hex>;
  /** The nodes of the solver's latest revealNodes (NodesRevealed by the solver). */
  solverNodes(): Promise<Hex[]>;
  /** Every round of the solver's level-2 (trace) descent (its NodesRevealed of level 2), for the challenger's
   *  copy of the solver's trace tree at settlement (solverTrace.ts). */
  solverTraceReveals(): Promise<TraceReveal[]>;
}

export type MoveFunction = "bisectStep" | "respondStep" | "postTrace" | "revealNodes" | "openRecord" | "revealDataRoot" | "revealLeaf" | "postTerms" | "respondTerms";

export type Move =
  | { readonly kind: "move"; readonly functionName: MoveFunction; readonly args: readonly unknown[]; readonly label: string }
  | { readonly kind: "stuck"; readonly reason: string };

const stuck = (reason: string): Move => ({ kind: "stuck", reason });


/** The element's value in an output commitment. */
export function elementOf(c: { bytes: Buffer; width: number }, element: number): bigint {
  return BigInt(decodeElements(c.bytes, c.width as never, 1, element * c.width)[0]!);
}

/** A side's level-4 view of (step, entry, element): the agreed operands' partial sums, its own value at K. */
export async function termViewAt(view: ComputationView, step: number, entry: number, element: number): Promise<TermView> {
  const sums = await view.partialSums(step, entry, element);
  return termViewOf(sums, elementOf(await view.output(step, entry), element));
}

/**
 * The move of `side` in game state `st` (the caller checked it is its turn). Throws GameStateError on a
 * phase without moves.
 */
export async function nextMove(view: ComputationView, side: Side, gameId: bigint, st: GameView, ev: GameEvents): Promise<Move> {
  const lo = Number(st.loStep), hi = Number(st.hiStep);
  const mine = side === "solver" ? st.solverNode : st.challengerNode;
  const move = (functionName: MoveFunction, args: readonly unknown[], label: string = functionName): Move => ({ kind: "move", functionName, args: [gameId, ...args], label });
  /** A descent round: the solver reveals its nodes; the challenger its own with the solver's (from its event). */
  const revealMove = async (nodes: Hex[]): Promise<Move> => {
    if (side === "solver") return move("revealNodes", [nodes, []], "revealNodes(solver)");
    const posted = await ev.solverNodes();
    if (rootsHash(posted) !== st.pendingHash) throw new GameStateError(`game ${gameId}: the solver's NodesRevealed nodes do not hash to the stored ${st.pendingHash}`);
    return move("revealNodes", [nodes, posted], "revealNodes(challenger)");
  };
  switch (st.phase) {
    case Phase.Bisect: {
      const pts = dissectionPoints(lo, hi);
      const roots = await Promise.all(pts.map((p) => view.stateRoot(p)));
      return move("bisectStep", [roots.map(toHex)]);
    }
    case Phase.Respond: {
      const posted = await ev.postedRoots();
      if (rootsHash(posted) !== st.pendingHash) throw new GameStateError(`game ${gameId}: the solver's StepBisected roots do not hash to the stored ${st.pendingHash}`);
      const pts = dissectionPoints(lo, hi);
      const own: Buffer[] = [];
      for (const p of pts) own[p] = await view.stateRoot(p);
      const { choice, ownRoot } = chooseResponse(pts, posted, own);
      return move("respondStep", [posted, choice, ownRoot], choice < posted.length ? "respondStep(disagree)" : "respondStep(agree)");
    }
    case Phase.SolverTrace:
    case Phase.ChallengerTrace: {
      const tr = await view.trace(hi);
      const own = side === "solver" ? st.solverRoot : st.challengerRoot;
      if (toHex(tr.entries[0]!.outputRoot) !== st.agreedRoot) return stuck(`its state at step ${hi - 1} is not the agreed root ${st.agreedRoot}`);
      if (toHex(tr.entries.at(-1)!.outputRoot) !== own) return stuck(`its state at step ${hi} is not its claimed root ${own}`);
      const program = view.program;
      const h = program.header;
      const header = { entries: h.entries, stateTensors: h.stateTensors, batchSize: h.batchSize, firstOpTensorId: h.firstOpTensorId, stateOutEntries: h.stateOutEntries };
      const E = tr.entries.length;
      return move("postTrace", [toHex(tr.root), header, proofOf(program.tree, 0).map(toHex), proofOf(tr.tree, 0).map(toHex), proofOf(tr.tree, E - 1).map(toHex)], `postTrace(${side})`);
    }
    case Phase.SolverTraceNodes:
    case Phase.ChallengerTraceNodes: {
      const tr = await view.trace(hi);
      if (tr.tree.depth !== st.depth || nodeOf(tr.tree, st.depth, st.round, st.index) !== mine) return stuck("its trace node differs from the one it claimed");
      return revealMove(descentNodes(tr.tree, st.depth, st.round, st.index));
    }
    case Phase.SolverRecord:
    case Phase.ChallengerRecord: {
      const tr = await view.trace(hi);
      const k = st.entry;
      const e = tr.entries[k];
      const p = view.program.entries[k];
      if (!e || !p) return stuck(`its trace has no entry ${k}`);
      const rec = { entry: e.entry, tensorId: e.tensorId, code: e.code, inputs: e.inputs, attrs: e.attrs.map(BigInt), outputRoot: toHex(e.outputRoot) };
      return move("openRecord", [rec, p.width, p.shape, proofOf(view.program.tree, 1 + k).map(toHex)], `openRecord(${side})`);
    }
    case Phase.SolverDataRoot:
    case Phase.ChallengerDataRoot: {
      const c = await view.output(hi, st.entry);
      return move("revealDataRoot", [toHex(c.tree.root), c.shape], `revealDataRoot(${side})`);
    }
    case Phase.SolverDataNodes:
    case Phase.ChallengerDataNodes: {
      const c = await view.output(hi, st.entry);
      if (c.tree.depth !== st.depth || nodeOf(c.tree, st.depth, st.round, st.index) !== mine) return stuck("its data node differs from the one it claimed");
      return revealMove(descentNodes(c.tree, st.depth, st.round, st.index));
    }
    case Phase.SolverLeaf:
    case Phase.ChallengerLeaf: {
      const c = await view.output(hi, st.entry);
      const l = Number(st.index);
      const leaf = bytesToHex(c.bytes.subarray(l * LEAF_BYTES, (l + 1) * LEAF_BYTES));
      if (side === "solver") return move("revealLeaf", [leaf, "0x"], "revealLeaf(solver)");
      return move("revealLeaf", [leaf, await ev.solverLeaf()], "revealLeaf(challenger)");
    }
    case Phase.SolverTerms: {
      const tv = await termViewAt(view, hi, st.entry, Number(st.element));
      // INV-GAME-9: the game takes only the program's K; a view that counts other terms has no move.
      const { K } = programTermCount(view.program, st.entry);
      if (st.termHi === 0n && tv.K !== K) return stuck(`its element has ${tv.K} terms, the program's K is ${K}`);
      return move("postTerms", postTermsArgs(view.program, st.entry, tv, st.termLo, st.termHi, st.termCount));
    }
    case Phase.ChallengerTerms: {
      const tv = await termViewAt(view, hi, st.entry, Number(st.element));
      const posted = await ev.postedSums();
      const choice = chooseTermResponse(Number(st.termLo), Number(st.termHi), posted, tv);
      return move("respondTerms", [posted, choice], choice < posted.length ? "respondTerms(disagree)" : "respondTerms(agree)");
    }
    default:
      throw new GameStateError(`game ${gameId}: phase ${st.phase} has no move (turn ${st.turn === Party.Solver ? "solver" : st.turn === Party.Challenger ? "challenger" : "none"})`);
  }
}
