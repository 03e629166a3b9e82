// The whole protocol as deployed by chain/deploy.ts (RecomputeKernelVerifier -> DisputeGame -> JobMarket ->
// setMarket) on an in-process Hardhat network, with the pieces the integration tests and bench/gas.ts share:
// named participants, job parameters computed from a world's spec (commitment/program.ts etc.), committed
// histories of a party's view, challenges opened on the first disagreeing checkpoint, and a dispute driver
// that plays a real game between two gamePlayer.ts Players (the production move over each party's view)
// through the REAL market, settles with RecomputeKernelVerifier operands (settlement/operands.ts) and checks
// solvency (INV-MKT-3) after every transaction.
import assert from "node:assert/strict";
import { getContract, type Address, type Hex } from "viem";
import { deployProtocol, type ProtocolDeployment } from "../../../chain/deploy.ts";
import { disputeGameAbi, jobMarketAbi, recomputeKernelVerifierAbi } from "../../../chain/generated/contracts.ts";
import { toHex } from "../../../commitment/hash.ts";
import type { Dataset } from "../../../engine/batch.ts";
import type { TrainingSpec } from "../../../engine/spec.ts";
import { specCommitments } from "../../../commitment/specCommitments.ts";
import { type GameView, isOver, Party, Phase } from "../../../dispute/gameState.ts";
import type { History, World } from "./gameWorld.ts";
import { type Fixture, GasRecorder, Player, type PublicClient, type Settler, settlerFor, stateOf, type TestClient, type Viem, type Wallet } from "./gamePlayer.ts";
import { HistoryView } from "./historyView.ts";
import {
  assertSolvent, Clock, type Contract, eventsOf, type History as CommittedHistory, type JobParams, makeHistory, scheduleSteps, send,
} from "./market.ts";

export const BPS = 10_000n;

export interface Protocol {
  readonly viem: Viem;
  readonly pc: PublicClient;
  readonly tc: TestClient;
  readonly deployment: ProtocolDeployment;
  readonly market: Contract;
  readonly game: Contract;
  readonly verifier: Contract;
  readonly forfeitBps: bigint;
  readonly clock: Clock;
  readonly deployer: Wallet;
  readonly treasury: Wallet;
  readonly client: Wallet;
  readonly solver: Wallet;
  /** Accounts for challengers and other bidders. */
  readonly others: readonly Wallet[];
  /** A bystander that calls what anyone may call (closeBidding, settle, timeout, voidGame, finalize). */
  readonly anyone: Wallet;
}

/** Deploys the protocol with chain/deploy.ts from the first wallet; the second wallet is the treasury. */
export async function deployProtocolFixture(viem: Viem, forfeitBps = 1_000): Promise<Protocol> {
  const pc = await viem.getPublicClient();
  const tc = await viem.getTestClient();
  const [deployer, treasury, client, solver, anyone, ...others] = await viem.getWalletClients();
  const deployment = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps });
  const clientOf = { public: pc, wallet: deployer! };
  const market = getContract({ address: deployment.jobMarket, abi: jobMarketAbi, client: clientOf });
  const game = getContract({ address: deployment.disputeGame, abi: disputeGameAbi, client: clientOf });
  const verifier = getContract({ address: deployment.kernelVerifier, abi: recomputeKernelVerifierAbi, client: clientOf });
  const clock = new Clock(pc, tc);
  await clock.sync();
  return {
    viem, pc, tc, deployment, market, game, verifier, forfeitBps: BigInt(forfeitBps), clock,
    deployer: deployer!, treasury: treasury!, client: client!, solver: solver!, anyone: anyone!, others,
  };
}

/** The winner's part of a lost bond: floor(amount * (1 - forfeit)); the treasury gets the rest. */
export function winnerShare(p: Protocol, amount: bigint): bigint {
  return (amount * (BPS - p.forfeitBps)) / BPS;
}

// ------------------------------------------------------------------ jobs from a spec

export function jobParams(spec: TrainingSpec, dataset: Dataset, over: Partial<JobParams> & { steps: bigint; checkpointInterval: bigint }): JobParams {
  return {
    ...specCommitments(spec, dataset),
    specURI: "ipfs://veritrain/spec.json",
    requiredBond: 3_000_000_007n,
    challengeBond: 1_000_000_003n,
    bidDuration: 0n,
    firstCome: true,
    commitDuration: 3_600n,
    challengeWindow: 7_200n,
    clockDuration: 900n,
    sampleBps: 500,
    ...over,
  };
}

/** Posts a job from the client; returns its id (from JobPosted). */
export async function postJob(p: Protocol, params: JobParams, escrow: bigint): Promise<{ jobId: bigint; gasUsed: bigint }> {
  const r = await send(p, p.market.write.postJob([params], { account: p.client.account, value: escrow }));
  const [ev] = await eventsOf(p, p.market, r, "JobPosted");
  return { jobId: ev.jobId as bigint, gasUsed: r.gasUsed };
}

/** The checkpoints a party commits: its roots at the schedule 0, I, 2I, ..., steps. */
export function committedHistory(h: History, steps: number, interval: number): CommittedHistory {
  const sched = scheduleSteps(steps, interval);
  return makeHistory(steps, interval, toHex(h.roots[0]!), (i) => toHex(h.roots[sched[i]!]!));
}

/** commitResult of a party's history, from the job's solver. */
export async function commit(p: Protocol, jobId: bigint, solver: Wallet, ch: CommittedHistory, modelURI = "ipfs://veritrain/model.bin") {
  return send(p, p.market.write.commitResult([jobId, ch.roots, modelURI], { account: solver.account }));
}

/** The first checkpoint index at which a committed history disagrees with a party's view (undefined: none). */
export function firstDisagreement(ch: CommittedHistory, view: History, steps: number, interval: number): number | undefined {
  const sched = scheduleSteps(steps, interval);
  const i = sched.findIndex((s, j) => toHex(view.roots[s]!) !== toHex(ch.checkpoints[j]!.root));
  return i < 0 ? undefined : i;
}

/** Opens a challenge on checkpoints (hiIndex - 1, hiIndex) claiming `claimedRoot`; returns the game id. */
export async function challenge(p: Protocol, jobId: bigint, ch: CommittedHistory, hiIndex: number, claimedRoot: Hex, challenger: Wallet, bond: bigint) {
  const r = await send(p, p.market.write.challenge([jobId, ch.cp(hiIndex - 1), ch.cp(hiIndex), claimedRoot], { account: challenger.account, value: bond }));
  const [ev] = await eventsOf(p, p.market, r, "ChallengeOpened");
  assert.ok(ev, "ChallengeOpened");
  return { gameId: ev.gameId as bigint, receipt: r };
}

// ------------------------------------------------------------------ disputes

export interface DisputeOutcome {
  readonly solverWon: boolean;
  readonly reason: number;
  /** Transactions sent by the driver for this game (moves, settle, timeouts). */
  readonly txs: number;
  readonly settledAt?: { entry: number; element: bigint };
}

/**
 * One game between two Players on the real protocol. `step()` sends at most one transaction: the mover's
 * move, the settlement (by `anyone`, with RecomputeKernelVerifier operands), or a timeout when the mover is stuck
 * and its clock has run out (with `allowTimeout`, the clock is advanced to the deadline). Solvency is checked
 * after every transaction.
 */
export class Dispute {
  readonly p: Protocol;
  readonly gameId: bigint;
  readonly world: World;
  readonly fixture: Fixture;
  readonly solver: Player;
  readonly challenger: Player;
  readonly settler: Settler;
  /** Gas of every transaction of this game sent by the driver, by kind (Player moves, "settle", "timeout"). */
  readonly gas: GasRecorder;
  txs = 0;
  settledAt?: { entry: number; element: bigint };

  constructor(p: Protocol, world: World, gameId: bigint, solver: { wallet: Wallet; history: History }, challenger: { wallet: Wallet; history: History }, gas = new GasRecorder()) {
    this.p = p;
    this.world = world;
    this.gameId = gameId;
    this.gas = gas;
    this.fixture = {
      viem: p.viem, pc: p.pc, tc: p.tc, game: p.game, market: p.market, verifier: p.verifier, deployer: p.deployer,
      solver: solver.wallet, challenger: challenger.wallet, other: p.anyone, gas,
    };
    this.solver = new Player(this.fixture, "solver", new HistoryView(world, solver.history));
    this.challenger = new Player(this.fixture, "challenger", new HistoryView(world, challenger.history));
    this.settler = settlerFor(world, solver.history);
  }

  state(): Promise<GameView> {
    return stateOf(this.fixture, this.gameId);
  }

  private async sent(kind: string, tx: Promise<Hex>): Promise<void> {
    const r = await send(this.p, tx);
    this.gas.record(kind, r.gasUsed);
    this.txs++;
  }

  /** One action; "done" once the game is resolved or aborted. */
  async step(allowTimeout = true): Promise<"moved" | "stuck" | "done"> {
    const st = await this.state();
    if (isOver(st.phase)) return "done";
    if (st.phase === Phase.Settlement) {
      this.settledAt = { entry: st.entry, element: st.element };
      await this.sent("settle", this.p.game.write.settle([this.gameId, this.settler(st), "0x"], { account: this.p.anyone.account }));
      return "moved";
    }
    const mover = st.turn === Party.Solver ? this.solver : this.challenger;
    const r = await mover.act(this.gameId, st);
    if (r === "moved") {
      this.txs++;
      await assertSolvent(this.p);
      return "moved";
    }
    assert.equal(r, "stuck");
    if (!allowTimeout) return "stuck";
    const now = await this.p.clock.sync();
    if (st.deadline > now + 1n) await this.p.clock.at(st.deadline);
    await this.sent("timeout", this.p.game.write.timeout([this.gameId], { account: this.p.anyone.account }));
    return "moved";
  }

  /** Plays to the end; returns the outcome (checked against both contracts' events). */
  async play(): Promise<DisputeOutcome> {
    for (let i = 0; i < 500; i++) {
      if ((await this.step()) === "done") return this.outcome();
    }
    throw new Error(`game ${this.gameId} does not end`);
  }

  /** The outcome of a resolved game: exactly one GameResolved from the game, and one from the market. */
  async outcome(): Promise<DisputeOutcome> {
    const logs = (await this.p.pc.getContractEvents({ address: this.p.game.address, abi: this.p.game.abi, eventName: "GameResolved", args: { gameId: this.gameId }, fromBlock: 0n })) as unknown as { args: { solverWon: boolean; reason: number } }[];
    assert.equal(logs.length, 1, "exactly one GameResolved from the game");
    const m = (await this.p.pc.getContractEvents({ address: this.p.market.address, abi: this.p.market.abi, eventName: "GameResolved", args: { gameId: this.gameId }, fromBlock: 0n })) as unknown as { args: { solverWon: boolean } }[];
    assert.equal(m.length, 1, "exactly one GameResolved from the market");
    assert.equal(m[0]!.args.solverWon, logs[0]!.args.solverWon);
    const { solverWon, reason } = logs[0]!.args;
    return { solverWon, reason, txs: this.txs, ...(this.settledAt ? { settledAt: this.settledAt } : {}) };
  }
}

/**
 * Plays several games at once, round-robin, one transaction per game per round; a stuck player is timed out
 * only once every other game is finished or stuck (advancing the clock would run the others' clocks out).
 */
export async function playAll(ds: readonly Dispute[]): Promise<DisputeOutcome[]> {
  const done = new Set<number>();
  for (let round = 0; round < 2_000 && done.size < ds.length; round++) {
    let progressed = false;
    for (const [i, d] of ds.entries()) {
      if (done.has(i)) continue;
      const r = await d.step(false);
      if (r === "done") done.add(i);
      else if (r === "moved") progressed = true;
    }
    if (!progressed) {
      const stuck = ds.findIndex((_, i) => !done.has(i));
      if (stuck >= 0) await ds[stuck]!.step(true); // times it out
    }
  }
  assert.equal(done.size, ds.length, "every game ended");
  return Promise.all(ds.map((d) => d.outcome()));
}

// ------------------------------------------------------------------ money

/** Withdraws `who`'s whole pull balance, checking the exact ether received (balance delta = amount - fee). */
export async function withdrawAll(p: Protocol, who: Wallet, expected: bigint): Promise<void> {
  const a: Address = who.account.address;
  assert.equal(await p.market.read.balanceOf([a]), expected, `pull balance of ${a}`);
  if (expected === 0n) return;
  const before = await p.pc.getBalance({ address: a });
  const r = await send(p, p.market.write.withdraw({ account: who.account }));
  const after = await p.pc.getBalance({ address: a });
  assert.equal(after - before, expected - r.gasUsed * r.effectiveGasPrice, `ether received by ${a}`);
  assert.equal(await p.market.read.balanceOf([a]), 0n);
}

/** Asserts the market holds nothing (every job settled, every balance withdrawn). */
export async function assertEmpty(p: Protocol): Promise<void> {
  assert.equal(await assertSolvent(p), 0n, "the market holds nothing at the end");
  assert.equal(await p.market.read.totalLiabilities(), 0n);
}
