// An automatic DisputeGame player: given a party's view of the computation (its state roots and op traces,
// see gameWorld.ts), it reads the game's state (gameState) and events and plays that party's every move.
// Also: the deployment fixture, the driver that plays a whole game between two players (timing out a
// player that cannot move and settling with the honest value), a gas recorder and revert decoding.
//
// Contract handles are typed loosely (artifacts/ is outside tsconfig's `include`): reads return `unknown`
// and are cast here.
import assert from "node:assert/strict";
import type { network } from "hardhat";
import { bytesToHex, type Hex } from "viem";
import { type Hash, sha256, toHex } from "../../../commitment/hash.ts";
import { proofOf, type MerkleTree } from "../../../commitment/merkle.ts";
import type { Program } from "../../../commitment/program.ts";
import { decodeElements, LEAF_BYTES } from "../../../commitment/tensorCommit.ts";
import type { OpTrace } from "../../../commitment/trace.ts";
import type { TermSlice } from "../../../settlement/operandRule.ts";
import type { History, World } from "./gameWorld.ts";
import { chooseResponse, dissectionPoints, rootsHash, valueWord } from "../../../dispute/dissection.ts";
import { Party, Phase, type Side } from "../../../dispute/gameState.ts";
import { descentNodes, nodeOf } from "../../../dispute/treeNodes.ts";
export { chooseResponse, DISSECTION, dissectionPoints, level1Rounds, rootsHash, valueWord, ZERO32 } from "../../../dispute/dissection.ts";
export { Party, Phase, Reason, type Side } from "../../../dispute/gameState.ts";
export { DESCENT_LEVELS, descentLevels, descentNodes, firstDifference, nodeOf } from "../../../dispute/treeNodes.ts";
import { chooseTermResponse, honestTerms, honestView, isAccumulation, lyingView, postTermsArgs, type TermLie } from "./terms.ts";

import { expectRevert, type Contract, type PublicClient, type TestClient, type Viem, type Wallet } from "./viem.ts";
export { expectRevert, type Contract, type PublicClient, type TestClient, type Viem, type Wallet } from "./viem.ts";

// ------------------------------------------------------------------ on-chain mirrors


export interface GameState {
  phase: number; level: number; turn: number;
  solver: Hex; challenger: Hex;
  loStep: bigint; hiStep: bigint;
  agreedRoot: Hex; solverRoot: Hex; challengerRoot: Hex; solverTrace: Hex;
  solverNode: Hex; challengerNode: Hex; pendingHash: Hex;
  entries: number; entry: number; depth: number; round: number; index: bigint;
  width: number; elementCount: bigint; element: bigint;
  clockDuration: bigint; solverUsed: bigint; challengerUsed: bigint; lastMove: bigint; deadline: bigint;
  programRoot: Hex; datasetRoot: Hex;
  code: number; termLo: bigint; termHi: bigint; termCount: bigint; accIn: bigint;
}

export interface GameParams {
  jobId: bigint; solver: Hex; challenger: Hex; loStep: bigint; hiStep: bigint;
  agreedRoot: Hex; solverRoot: Hex; challengerRoot: Hex; clockDuration: bigint; programRoot: Hex; datasetRoot: Hex;
}

export const hex = (b: Uint8Array): Hex => toHex(b);

// ------------------------------------------------------------------ level 1: 8-ary dissection

// ------------------------------------------------------------------ fixture

export interface Fixture {
  viem: Viem;
  pc: PublicClient;
  tc: TestClient;
  game: Contract;
  market: Contract;
  verifier: Contract;
  deployer: Wallet;
  solver: Wallet;
  challenger: Wallet;
  other: Wallet;
  gas: GasRecorder;
}

/** Deploys a game with a fresh kernel verifier (TestKernelVerifier, or e.g. RecomputeKernelVerifier) and a TestMarket. */
export async function deployGame(viem: Viem, verifierName = "TestKernelVerifier"): Promise<Fixture> {
  const [deployer, solver, challenger, other] = await viem.getWalletClients();
  const verifier = await viem.deployContract(verifierName);
  const game = await viem.deployContract("DisputeGame", [verifier.address]);
  const market = await viem.deployContract("TestMarket", [game.address]);
  await game.write.setMarket([market.address]);
  return { viem, pc: await viem.getPublicClient(), tc: await viem.getTestClient(), game, market, verifier, deployer: deployer!, solver: solver!, challenger: challenger!, other: other!, gas: new GasRecorder() };
}

export function paramsFor(f: Fixture, world: World, lo: number, hi: number, solverRoot: Hash, challengerRoot: Hash, clockDuration = 3600n): GameParams {
  return {
    jobId: 7n, solver: f.solver.account.address, challenger: f.challenger.account.address, loStep: BigInt(lo), hiStep: BigInt(hi),
    agreedRoot: hex(world.roots[lo]!), solverRoot: hex(solverRoot), challengerRoot: hex(challengerRoot), clockDuration,
    programRoot: hex(world.program.root), datasetRoot: hex(datasetRootOf(world)),
  };
}

function datasetRootOf(world: World): Hash {
  return Buffer.from(world.spec.data.root, "hex");
}

/** Opens a game through the market double; returns its id. */
export async function createGame(f: Fixture, p: GameParams): Promise<bigint> {
  const before = (await f.game.read.gameCount()) as bigint;
  await send(f, f.market, "create", [p], f.deployer, null);
  return before + 1n;
}

export async function stateOf(f: Fixture, gameId: bigint): Promise<GameState> {
  return (await f.game.read.gameState([gameId])) as GameState;
}

export async function now(f: Fixture): Promise<bigint> {
  return (await f.pc.getBlock()).timestamp;
}

/** Sets the next block's timestamp (strictly after the latest block). */
export async function at(f: Fixture, timestamp: bigint): Promise<void> {
  await f.tc.setNextBlockTimestamp({ timestamp });
}

// ------------------------------------------------------------------ transactions and gas

export class GasRecorder {
  readonly byKind = new Map<string, bigint[]>();
  record(kind: string, gas: bigint): void {
    const xs = this.byKind.get(kind) ?? [];
    xs.push(gas);
    this.byKind.set(kind, xs);
  }
  max(kind: string): bigint {
    return (this.byKind.get(kind) ?? []).reduce((a, b) => (b > a ? b : a), 0n);
  }
  table(): string {
    const rows = [...this.byKind.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, xs]) => {
      const s = [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return `${k.padEnd(34)} n=${String(xs.length).padStart(4)}  median=${String(s[s.length >> 1]).padStart(7)}  max=${String(s[s.length - 1]).padStart(7)}`;
    });
    return rows.join("\n");
  }
}

/** Sends a transaction and waits for it; records its gas under `kind` (null: not recorded). */
export async function send(f: Fixture, c: Contract, fn: string, args: unknown[], from: Wallet, kind: string | null = fn) {
  const hash = await c.write[fn](args, { account: from.account });
  const receipt = await f.pc.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, "success");
  if (kind) f.gas.record(kind, receipt.gasUsed);
  return receipt;
}


// ------------------------------------------------------------------ the player

export interface PlayerOptions {
  /** Deterministic randomness: a garbage player answers level 1 with random valid choices and may make invalid moves. */
  readonly random?: () => number;
  /** Probability, per move, that a garbage player sends an invalid move (then stops). */
  readonly invalidRate?: number;
  /** Phase at which the player stops moving (to test clocks). */
  readonly stopAt?: number;
}

/** The result of Player.act: moved, cannot move (its view has no valid answer), or not its turn. */
export type ActResult = "moved" | "stuck" | "waiting";

export class Player {
  readonly f: Fixture;
  readonly side: Side;
  readonly history: History;
  readonly program: Program;
  readonly opts: PlayerOptions;
  /** A dishonest solver's level-4 sums (default: the lie only at K). */
  termLie: TermLie | undefined;

  constructor(f: Fixture, side: Side, history: History, program: Program, opts: PlayerOptions = {}) {
    this.f = f;
    this.side = side;
    this.history = history;
    this.program = program;
    this.opts = opts;
  }

  get wallet(): Wallet {
    return this.side === "solver" ? this.f.solver : this.f.challenger;
  }

  private myNode(st: GameState): Hex {
    return this.side === "solver" ? st.solverNode : st.challengerNode;
  }

  /** Sends a move; its gas is recorded under `kind`, marked when the move also ended the game (which
   *  includes the market's onGameResolved) or reached settlement. */
  private async move(fn: string, args: unknown[], kind: string): Promise<ActResult> {
    const r = await send(this.f, this.f.game, fn, args, this.wallet, null);
    const gameId = args[0] as bigint;
    const phase = (await stateOf(this.f, gameId)).phase;
    this.f.gas.record(phase === Phase.Resolved ? `${kind} +resolve` : phase === Phase.Settlement ? `${kind} +to settlement` : kind, r.gasUsed);
    return "moved";
  }

  /**
   * Plays this party's move in game `gameId` if it is its turn. Level 4 (terms) needs the honest `world`
   * (the operands both agree on); its interior partial sums are the true ones, its claim at K its own value.
   */
  async act(gameId: bigint, st?: GameState, world?: World): Promise<ActResult> {
    st ??= await stateOf(this.f, gameId);
    const mine = this.side === "solver" ? Party.Solver : Party.Challenger;
    if (st.turn !== mine) return "waiting";
    if (this.opts.stopAt !== undefined && st.phase >= this.opts.stopAt) return "stuck";
    const rnd = this.opts.random;
    if (rnd && rnd() < (this.opts.invalidRate ?? 0)) return this.invalidMove(gameId, st);
    const s = this.side;
    const lo = Number(st.loStep), hi = Number(st.hiStep);
    const roots = this.history.roots;
    switch (st.phase) {
      case Phase.Bisect:
        return this.move("bisectStep", [gameId, dissectionPoints(lo, hi).map((p) => hex(roots[p]!))], "bisectStep");
      case Phase.Respond: {
        const posted = await postedRoots(this.f, gameId);
        assert.equal(rootsHash(posted), st.pendingHash, "the posted roots are the ones the game stored");
        const { choice, ownRoot } = chooseResponse(dissectionPoints(lo, hi), posted, roots, rnd);
        return this.move("respondStep", [gameId, posted, choice, ownRoot], choice < posted.length ? "respondStep(disagree)" : "respondStep(agree)");
      }
      case Phase.SolverTrace:
      case Phase.ChallengerTrace: {
        const tr = this.history.trace(hi);
        const own = s === "solver" ? st.solverRoot : st.challengerRoot;
        if (!tr || hex(tr.entries[0]!.outputRoot) !== st.agreedRoot || hex(tr.entries.at(-1)!.outputRoot) !== own) return "stuck";
        const h = this.program.header;
        const header = { entries: h.entries, stateTensors: h.stateTensors, batchSize: h.batchSize, firstOpTensorId: h.firstOpTensorId, stateOutEntries: h.stateOutEntries };
        const E = tr.entries.length;
        return this.move("postTrace", [gameId, hex(tr.root), header, proofOf(this.program.tree, 0).map(hex), proofOf(tr.tree, 0).map(hex), proofOf(tr.tree, E - 1).map(hex)], `postTrace(${s})`);
      }
      case Phase.SolverTraceNodes:
      case Phase.ChallengerTraceNodes: {
        const tr = this.history.trace(hi)!;
        if (nodeOf(tr.tree, st.depth, st.round, st.index) !== this.myNode(st)) return "stuck";
        return this.revealNodes(gameId, descentNodes(tr.tree, st.depth, st.round, st.index));
      }
      case Phase.SolverRecord:
      case Phase.ChallengerRecord: {
        const tr = this.history.trace(hi)!;
        const k = st.entry;
        const e = tr.entries[k]!;
        const p = this.program.entries[k]!;
        const rec = { entry: e.entry, tensorId: e.tensorId, code: e.code, inputs: e.inputs, attrs: e.attrs.map(BigInt), outputRoot: hex(e.outputRoot) };
        return this.move("openRecord", [gameId, rec, p.width, p.shape, proofOf(this.program.tree, 1 + k).map(hex)], `openRecord(${s})`);
      }
      case Phase.SolverDataRoot:
      case Phase.ChallengerDataRoot: {
        const c = this.history.trace(hi)!.commitments[st.entry - 1]!;
        return this.move("revealDataRoot", [gameId, hex(c.tree.root), c.shape], `revealDataRoot(${s})`);
      }
      case Phase.SolverDataNodes:
      case Phase.ChallengerDataNodes: {
        const c = this.history.trace(hi)!.commitments[st.entry - 1]!;
        if (nodeOf(c.tree, st.depth, st.round, st.index) !== this.myNode(st)) return "stuck";
        return this.revealNodes(gameId, descentNodes(c.tree, st.depth, st.round, st.index));
      }
      case Phase.SolverLeaf:
      case Phase.ChallengerLeaf: {
        const c = this.history.trace(hi)!.commitments[st.entry - 1]!;
        const l = Number(st.index);
        const leaf = bytesToHex(c.bytes.subarray(l * LEAF_BYTES, (l + 1) * LEAF_BYTES));
        if (s === "solver") return this.move("revealLeaf", [gameId, leaf, "0x"], "revealLeaf(solver)");
        const solverLeaf = await revealedSolverLeaf(this.f, gameId);
        return this.move("revealLeaf", [gameId, leaf, solverLeaf], "revealLeaf(challenger)");
      }
      case Phase.SolverTerms:
      case Phase.ChallengerTerms: {
        if (!world) return "stuck";
        const h = honestTerms(world, hi, st.entry, Number(st.element));
        const c = this.history.trace(hi)!.commitments[st.entry - 1]!;
        const mine = BigInt(decodeElements(c.bytes, c.width, 1, Number(st.element) * c.width)[0]!);
        const view = mine === h.sums[h.K] ? honestView(h) : lyingView(h, mine, this.termLie);
        if (st.phase === Phase.SolverTerms) {
          return this.move("postTerms", [gameId, ...postTermsArgs(this.program, st.entry, view, st.termLo, st.termHi, st.termCount)], "postTerms");
        }
        const posted = await postedSums(this.f, gameId);
        const choice = chooseTermResponse(Number(st.termLo), Number(st.termHi), posted, view, rnd);
        return this.move("respondTerms", [gameId, posted, choice], choice < posted.length ? "respondTerms(disagree)" : "respondTerms(agree)");
      }
      default:
        throw new Error(`no move in phase ${st.phase}`);
    }
  }

  /** A descent round: the solver's nodes, or the challenger's with the solver's (from its NodesRevealed). */
  private async revealNodes(gameId: bigint, nodes: Hex[]): Promise<ActResult> {
    if (this.side === "solver") return this.move("revealNodes", [gameId, nodes, []], "revealNodes(solver)");
    return this.move("revealNodes", [gameId, nodes, await revealedSolverNodes(this.f, gameId)], "revealNodes(challenger)");
  }

  /** A garbage move: random data where the game checks a hash; it must revert, and the player then stops. */
  private async invalidMove(gameId: bigint, st: GameState): Promise<ActResult> {
    const junk = hex(sha256(Buffer.from(`junk ${gameId} ${st.phase} ${st.round}`)));
    let p: Promise<unknown>;
    switch (st.phase) {
      case Phase.Bisect: // one root too many
        await expectRevert(this.f.game.write.bisectStep([gameId, [...dissectionPoints(Number(st.loStep), Number(st.hiStep)).map(() => junk), junk]], { account: this.wallet.account }), "WrongRootCount");
        return "stuck";
      case Phase.Respond: // roots that are not the posted ones
        await expectRevert(this.f.game.write.respondStep([gameId, [junk], 0, junk], { account: this.wallet.account }), "RootsMismatch");
        return "stuck";
      case Phase.SolverTrace:
      case Phase.ChallengerTrace:
        p = this.f.game.write.postTrace([gameId, junk, { entries: 0, stateTensors: 0, batchSize: 0, firstOpTensorId: 0, stateOutEntries: [] }, [], [], []], { account: this.wallet.account });
        break;
      case Phase.SolverLeaf:
      case Phase.ChallengerLeaf:
        p = this.f.game.write.revealLeaf([gameId, bytesToHex(Buffer.alloc(LEAF_BYTES, 7)), this.side === "solver" ? "0x" : bytesToHex(Buffer.alloc(LEAF_BYTES, 7))], { account: this.wallet.account });
        break;
      case Phase.SolverRecord:
      case Phase.ChallengerRecord:
        p = this.f.game.write.openRecord([gameId, { entry: st.entry, tensorId: 0, code: 0, inputs: [], attrs: [], outputRoot: junk }, 4, [1], []], { account: this.wallet.account });
        break;
      case Phase.SolverDataRoot:
      case Phase.ChallengerDataRoot:
        p = this.f.game.write.revealDataRoot([gameId, junk, []], { account: this.wallet.account });
        break;
      default: // nodes that do not hash to its node (or of the wrong number)
        p = this.f.game.write.revealNodes([gameId, new Array(8).fill(junk), []], { account: this.wallet.account });
    }
    await assert.rejects(p);
    return "stuck";
  }
}

/** The roots of the solver's latest bisectStep in game `gameId` (from its StepBisected event). */
export async function postedRoots(f: Fixture, gameId: bigint): Promise<Hex[]> {
  const logs = (await f.pc.getContractEvents({ address: f.game.address, abi: f.game.abi, eventName: "StepBisected", args: { gameId }, fromBlock: 0n })) as unknown as { args: { roots: readonly Hex[] } }[];
  assert.ok(logs.length > 0, "the solver has not posted its roots");
  return [...logs.at(-1)!.args.roots];
}

/** The sums of the solver's latest postTerms in game `gameId` (from its TermsPosted event). */
export async function postedSums(f: Fixture, gameId: bigint): Promise<bigint[]> {
  const logs = (await f.pc.getContractEvents({ address: f.game.address, abi: f.game.abi, eventName: "TermsPosted", args: { gameId }, fromBlock: 0n })) as unknown as { args: { sums: readonly bigint[] } }[];
  assert.ok(logs.length > 0, "the solver has not posted its sums");
  return [...logs.at(-1)!.args.sums];
}

/** The nodes of the solver's latest revealNodes in game `gameId` (from its NodesRevealed events). */
export async function revealedSolverNodes(f: Fixture, gameId: bigint): Promise<Hex[]> {
  const logs = (await f.pc.getContractEvents({ address: f.game.address, abi: f.game.abi, eventName: "NodesRevealed", args: { gameId }, fromBlock: 0n })) as unknown as { args: { by: number; nodes: readonly Hex[] } }[];
  const mine = logs.filter((l) => l.args.by === Party.Solver);
  assert.ok(mine.length > 0, "the solver has not revealed its nodes");
  return [...mine.at(-1)!.args.nodes];
}

/** The leaf the solver revealed in game `gameId` (from its LeafRevealed event). */
export async function revealedSolverLeaf(f: Fixture, gameId: bigint): Promise<Hex> {
  const logs = (await f.pc.getContractEvents({ address: f.game.address, abi: f.game.abi, eventName: "LeafRevealed", args: { gameId }, fromBlock: 0n })) as unknown as { args: { by: number; leaf: Hex } }[];
  const mine = logs.filter((l) => l.args.by === Party.Solver);
  assert.ok(mine.length > 0, "the solver has not revealed its leaf");
  return mine.at(-1)!.args.leaf;
}

// ------------------------------------------------------------------ the truth, and the driver

/**
 * The true value of (step, entry, element) in the honest world: what a correct kernel verifier returns
 * (matmul/col_sum after level 4: the true partial sum at `termHi` when given, else the element).
 */
export function honestValue(world: World, step: number, entry: number, element: number, termHi?: number): Hex {
  if (entry === world.entries - 1) return hex(world.roots[step]!);
  if (termHi !== undefined && termHi > 0) return valueWord(honestTerms(world, step, entry, element).sums[termHi]!);
  const c = world.traces[step]!.commitments[entry - 1]!;
  return valueWord(decodeElements(c.bytes, c.width, 1, element * c.width)[0]!);
}

export interface Outcome {
  solverWon: boolean;
  reason: number;
  /** Where settlement was reached (undefined when the game ended otherwise). */
  settledAt?: { entry: number; element: number; solverValue: Hex; challengerValue: Hex };
  moves: number;
}

/**
 * Tells the TestKernelVerifier the honest value of the game's settlement: the element, or after level 4 the
 * true partial sum at termHi under the TRUE K (so a game whose solver declared another K cannot settle).
 * Returns false when there is no honest value to set (a wrong K whose slice reaches past the true K).
 */
export async function setHonestValue(f: Fixture, world: World, st: GameState): Promise<boolean> {
  const step = Number(st.hiStep), e = Number(st.element);
  if (st.termHi === 0n || !isAccumulation(st.code)) {
    await send(f, f.verifier, "setValue", [st.entry, st.element, honestValue(world, step, st.entry, e)], f.other, null);
    return true;
  }
  const { K } = honestTerms(world, step, st.entry, e);
  if (st.termHi > BigInt(K)) return false;
  await send(f, f.verifier, "setSliceValue", [st.entry, st.element, st.termHi, BigInt(K), honestValue(world, step, st.entry, e, Number(st.termHi))], f.other, null);
  return true;
}

/** The term slice of a game at settlement after level 4 (matmul/col_sum), else undefined. */
export function sliceOf(st: GameState): TermSlice | undefined {
  if (!isAccumulation(st.code) || st.termHi === 0n) return undefined;
  return { lo: Number(st.termLo), hi: Number(st.termHi), count: Number(st.termCount) };
}

/** Builds the `operands` of settle for a game at settlement (for a real kernel verifier). */
export type Settler = (st: GameState) => Hex;

/**
 * Plays game `gameId` to the end: each player moves in turn; a player that cannot move is timed out; at
 * settlement anyone settles: with `settler`'s operands, or else after giving the test kernel verifier the
 * honest value of (entry, element).
 */
export async function playGame(f: Fixture, world: World, gameId: bigint, solver: Player, challenger: Player, settler?: Settler): Promise<Outcome> {
  let moves = 0;
  let settledAt: Outcome["settledAt"];
  for (;;) {
    const st = await stateOf(f, gameId);
    if (st.phase === Phase.Resolved) break;
    assert.notEqual(st.phase, Phase.Aborted);
    if (st.phase === Phase.Settlement) {
      settledAt = { entry: st.entry, element: Number(st.element), solverValue: st.solverNode, challengerValue: st.challengerNode };
      if (settler) {
        await send(f, f.game, "settle", [gameId, settler(st), "0x"], f.other, "settle (RecomputeKernelVerifier)");
        continue;
      }
      await setHonestValue(f, world, st);
      await send(f, f.game, "settle", [gameId, "0x", "0x"], f.other, "settle");
      continue;
    }
    const mover = st.turn === Party.Solver ? solver : challenger;
    const r = await mover.act(gameId, st, world);
    if (r === "stuck") {
      const t = await now(f);
      await at(f, st.deadline > t ? st.deadline : t + 1n);
      await send(f, f.game, "timeout", [gameId], f.other, "timeout");
    } else {
      moves++;
    }
    assert.ok(moves < 400, "game does not end");
  }
  const logs = (await f.pc.getContractEvents({ address: f.game.address, abi: f.game.abi, eventName: "GameResolved", args: { gameId }, fromBlock: 0n })) as unknown as { args: { solverWon: boolean; reason: number } }[];
  assert.equal(logs.length, 1, "exactly one GameResolved");
  const { solverWon, reason } = logs[0]!.args;
  assert.equal(await f.market.read.reports([gameId]), 1n, "reported to the market once");
  assert.equal(await f.market.read.solverWon([gameId]), solverWon);
  return { solverWon, reason, moves, ...(settledAt ? { settledAt } : {}) };
}

/** The op trace a player uses at step `hi` (for tests that inspect it). */
export function traceAt(h: History, step: number): OpTrace {
  const t = h.trace(step);
  assert.ok(t, `no trace of step ${step}`);
  return t;
}
