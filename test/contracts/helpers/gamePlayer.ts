// The DisputeGame test driver around the production player: the deployment fixture, a Player per party that
// sends dispute/move.ts's nextMove over its HistoryView (historyView.ts) one move at a time (or, for a lying
// party, a deliberate deviation from it: strategies.ts), the driver that plays a whole game between two
// players (timing out a player that cannot move and settling with the honest value), a gas recorder and the
// settlement operands of the recomputing verifier.
//
// Contract handles are typed loosely (artifacts/ is outside tsconfig's `include`): reads return `unknown`
// and are cast here.
import assert from "node:assert/strict";
import type { ContractFunctionArgs, Hex } from "viem";
import type { disputeGameAbi } from "../../../chain/generated/contracts.ts";
import { type Hash, toHex } from "../../../commitment/hash.ts";
import { decodeElements } from "../../../commitment/tensorCommit.ts";
import type { OpTrace } from "../../../commitment/trace.ts";
import { settlementOperands } from "../../../settlement/operands.ts";
import { zkCircuits } from "../../../settlement/prover.ts";
import { valueWord } from "../../../dispute/dissection.ts";
import { ViewError } from "../../../dispute/errors.ts";
import { gameEvents } from "../../../dispute/gameEvents.ts";
import { type GameView, Party, partyOf, Phase, type Side } from "../../../dispute/gameState.ts";
import { type Move, nextMove, type GameEvents } from "../../../dispute/move.ts";
import { hasTermLevel } from "../../../settlement/operandRule.ts";
import { readGame } from "../../../dispute/playGame.ts";
import { sliceOf } from "../../../dispute/settleCall.ts";
import type { ComputationView } from "../../../dispute/view.ts";
import type { History, World } from "./gameWorld.ts";
import { HistoryView } from "./historyView.ts";
import { honestTerms } from "./terms.ts";
import { expectRevert, type Contract, type PublicClient, type TestClient, type Viem, type Wallet } from "./viem.ts";
export { expectRevert, type Contract, type PublicClient, type TestClient, type Viem, type Wallet } from "./viem.ts";

// ------------------------------------------------------------------ fixture

/** What DisputeGame.create takes (the TestMarket passes it on). */
export type GameParams = ContractFunctionArgs<typeof disputeGameAbi, "nonpayable", "create">[0];

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

/**
 * deployGame with a Groth16KernelVerifier: every settlement circuit of build/zk/manifest.json deployed and
 * registered in its CircuitRegistry.
 */
/** One registration of a CircuitRegistry: a settle circuit's key fields and its deployed snarkjs verifier. */
export interface CircuitRegistration {
  readonly code: number;
  readonly attrs: bigint[];
  readonly classes: number;
  readonly verifier: Hex;
}

/**
 * A Groth16KernelVerifier over a CircuitRegistry of every circuit in build/zk/manifest.json (zkCircuits order),
 * each circuit's snarkjs verifier deployed first: what tests and benches settle with proofs against.
 */
export async function deployGroth16Verifier(viem: Viem): Promise<{ verifier: Contract; registry: Contract; regs: CircuitRegistration[] }> {
  const regs: CircuitRegistration[] = [];
  for (const c of zkCircuits()) {
    const v: { address: Hex } = await viem.deployContract(c.contractName as never);
    regs.push({ code: c.code, attrs: c.attrs.map(BigInt), classes: c.classes, verifier: v.address });
  }
  const registry = await viem.deployContract("CircuitRegistry", [regs]);
  const verifier = await viem.deployContract("Groth16KernelVerifier", [registry.address]);
  return { verifier, registry, regs };
}

export async function deployGroth16Game(viem: Viem): Promise<Fixture> {
  const [deployer, solver, challenger, other] = await viem.getWalletClients();
  const { verifier } = await deployGroth16Verifier(viem);
  const game = await viem.deployContract("DisputeGame", [verifier.address]);
  const market = await viem.deployContract("TestMarket", [game.address]);
  await game.write.setMarket([market.address]);
  return { viem, pc: await viem.getPublicClient(), tc: await viem.getTestClient(), game, market, verifier, deployer: deployer!, solver: solver!, challenger: challenger!, other: other!, gas: new GasRecorder() };
}

export function paramsFor(f: Fixture, world: World, lo: number, hi: number, solverRoot: Hash, challengerRoot: Hash, clockDuration = 3600n): GameParams {
  return {
    jobId: 7n, solver: f.solver.account.address, challenger: f.challenger.account.address, loStep: BigInt(lo), hiStep: BigInt(hi),
    agreedRoot: toHex(world.roots[lo]!), solverRoot: toHex(solverRoot), challengerRoot: toHex(challengerRoot), clockDuration,
    programRoot: toHex(world.program.root), datasetRoot: `0x${world.spec.data.root}`,
  };
}

/** Opens a game through the market double; returns its id. */
export async function createGame(f: Fixture, p: GameParams): Promise<bigint> {
  const before = (await f.game.read.gameCount()) as bigint;
  await send(f, f.market, "create", [p], f.deployer, null);
  return before + 1n;
}

export function stateOf(f: Fixture, gameId: bigint): Promise<GameView> {
  return readGame(f.pc, f.game.address, gameId);
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
export async function send(f: Fixture, c: Contract, fn: string, args: readonly unknown[], from: Wallet, kind: string | null = fn) {
  const hash = await c.write[fn](args, { account: from.account });
  const receipt = await f.pc.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, "success");
  if (kind) f.gas.record(kind, receipt.gasUsed);
  return receipt;
}

// ------------------------------------------------------------------ the player

/**
 * The production move of `side` (dispute/move.ts) from its view, or stuck where the view cannot answer what
 * the game asks (a history without that trace, an output it cannot open: nextMove throws a ViewError there).
 */
export async function productionMove(view: ComputationView, side: Side, gameId: bigint, st: GameView, events: GameEvents): Promise<Move> {
  try {
    return await nextMove(view, side, gameId, st, events);
  } catch (e) {
    if (e instanceof ViewError) return { kind: "stuck", reason: e.message };
    throw e;
  }
}

/** A call that must revert with `error`, sent by the mover, the waiting party or a third account. */
export interface Attempt {
  readonly fn: string;
  readonly args: readonly unknown[];
  readonly from: "mover" | "other" | "waiter";
  readonly error: string;
}

export interface LieContext {
  readonly gameId: bigint;
  readonly st: GameView;
  readonly side: Side;
  readonly view: ComputationView;
}

/**
 * A deliberate deviation from the production move (strategies.ts), given that move: the move to make
 * instead (or a stuck one: it refuses to move), or an invalid call that must revert (the player then stops).
 */
export type Lie = (production: Move, c: LieContext) => Promise<Move | Attempt>;

/** The result of Player.act: moved, cannot or will not move, or not its turn. */
export type ActResult = "moved" | "stuck" | "waiting";

export class Player {
  readonly f: Fixture;
  readonly side: Side;
  readonly view: ComputationView;
  /** A lying party's deviation from the production move (strategies.ts), if it lies in its moves too. */
  lie: Lie | undefined;

  constructor(f: Fixture, side: Side, view: ComputationView, lie?: Lie) {
    this.f = f;
    this.side = side;
    this.view = view;
    this.lie = lie;
  }

  get wallet(): Wallet {
    return this.side === "solver" ? this.f.solver : this.f.challenger;
  }

  /** Plays this party's move in game `gameId` if it is its turn: sends it and records its gas. */
  async act(gameId: bigint, st?: GameView): Promise<ActResult> {
    st ??= await stateOf(this.f, gameId);
    if (st.turn !== partyOf(this.side)) return "waiting";
    const production = await productionMove(this.view, this.side, gameId, st, gameEvents(this.f.pc, this.f.game.address, gameId));
    const m = this.lie ? await this.lie(production, { gameId, st, side: this.side, view: this.view }) : production;
    if ("error" in m) {
      await expectRevert(this.f.game.write[m.fn](m.args, { account: this.wallet.account }), m.error);
      return "stuck";
    }
    if (m.kind === "stuck") return "stuck";
    const r = await send(this.f, this.f.game, m.functionName, m.args, this.wallet, null);
    // Its gas under the move's label, marked when the move also ended the game (which includes the market's
    // onGameResolved) or reached settlement.
    const phase = (await stateOf(this.f, gameId)).phase;
    this.f.gas.record(phase === Phase.Resolved ? `${m.label} +resolve` : phase === Phase.Settlement ? `${m.label} +to settlement` : m.label, r.gasUsed);
    return "moved";
  }
}

// ------------------------------------------------------------------ the truth, and the driver

/**
 * The true value of (step, entry, element) in the honest world: what a correct kernel verifier returns
 * (matmul/col_sum after level 4: the true partial sum at `termHi` when given, else the element).
 */
export function honestValue(world: World, step: number, entry: number, element: number, termHi?: number): Hex {
  if (entry === world.entries - 1) return toHex(world.roots[step]!);
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
export async function setHonestValue(f: Fixture, world: World, st: GameView): Promise<boolean> {
  const step = Number(st.hiStep), e = Number(st.element);
  if (st.termHi === 0n || !hasTermLevel(st.code)) {
    await send(f, f.verifier, "setValue", [st.entry, st.element, honestValue(world, step, st.entry, e)], f.other, null);
    return true;
  }
  const { K } = honestTerms(world, step, st.entry, e);
  if (st.termHi > BigInt(K)) return false;
  await send(f, f.verifier, "setSliceValue", [st.entry, st.element, st.termHi, BigInt(K), honestValue(world, step, st.entry, e, Number(st.termHi))], f.other, null);
  return true;
}

/** Builds the `operands` of settle for a game at settlement (for a real kernel verifier). */
export type Settler = (st: GameView) => Hex;

/** Settlement operands opened against the game's context: the agreed pre-state and the SOLVER's trace of step hi. */
export function settlerFor(world: World, solverHistory: History): Settler {
  const view = new HistoryView(world, solverHistory);
  return (st) => {
    const t = Number(st.hiStep);
    assert.equal(st.agreedRoot, toHex(world.roots[t - 1]!), "the agreed pre-state is the honest state at hi - 1");
    return settlementOperands(view.sourceAt(t), st.entry, Number(st.element), sliceOf(st));
  };
}

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
    const r = await mover.act(gameId, st);
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
