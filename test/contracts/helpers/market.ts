// Shared fixtures for the JobMarket contract tests: deployment (market + TestDisputeGame double), job
// parameters, committed histories with their checkpoint proofs (commitment/history.ts), a controlled clock,
// revert decoding and the solvency check (INV-MKT-3).
//
// Contract handles are typed loosely (artifacts/ is outside tsconfig's `include`): reads return `unknown`
// and are cast here, in one place.
import assert from "node:assert/strict";
import { type Address, type Hex } from "viem";
import { toHex, type Hash } from "../../../commitment/hash.ts";
import { historyTree, type Checkpoint as TsCheckpoint } from "../../../commitment/history.ts";
import { proofOf, type MerkleTree } from "../../../commitment/merkle.ts";

import { expectRevert, type Contract, type PublicClient, type TestClient, type Viem, type Wallet } from "./viem.ts";
export { expectRevert, type Contract, type PublicClient, type TestClient, type Viem, type Wallet } from "./viem.ts";

// ------------------------------------------------------------------ on-chain types (mirrors of IJobMarket)

export const JobStatus = { None: 0, Open: 1, Assigned: 2, Committed: 3, Finalized: 4, Cancelled: 5, Slashed: 6, Failed: 7 } as const;
export const GameStatus = { None: 0, Open: 1, Resolved: 2, Voided: 3 } as const;
/** TestDisputeGame's own statuses. */
export const DoubleStatus = { None: 0, Open: 1, Resolved: 2, Aborted: 3 } as const;

export interface JobParams {
  specHash: Hex;
  programRoot: Hex;
  initialRoot: Hex;
  datasetRoot: Hex;
  specURI: string;
  steps: bigint;
  checkpointInterval: bigint;
  requiredBond: bigint;
  challengeBond: bigint;
  bidDuration: bigint;
  firstCome: boolean;
  commitDuration: bigint;
  challengeWindow: bigint;
  clockDuration: bigint;
  sampleBps: number;
}

export interface Job {
  client: Address;
  escrow: bigint;
  solver: Address;
  price: bigint;
  requiredBond: bigint;
  challengeBond: bigint;
  steps: bigint;
  checkpointInterval: bigint;
  bidDuration: bigint;
  commitDuration: bigint;
  challengeWindow: bigint;
  clockDuration: bigint;
  postedAt: bigint;
  assignedAt: bigint;
  committedAt: bigint;
  checkpointCount: bigint;
  openGames: bigint;
  sampleBps: number;
  status: number;
  firstCome: boolean;
  hasBid: boolean;
  specHash: Hex;
  programRoot: Hex;
  initialRoot: Hex;
  datasetRoot: Hex;
  historyRoot: Hex;
  finalRoot: Hex;
}

export interface GameRecord {
  challenger: Address;
  bond: bigint;
  jobId: bigint;
  status: number;
}

export interface GameParams {
  jobId: bigint;
  solver: Address;
  challenger: Address;
  loStep: bigint;
  hiStep: bigint;
  agreedRoot: Hex;
  solverRoot: Hex;
  challengerRoot: Hex;
  clockDuration: bigint;
  programRoot: Hex;
  datasetRoot: Hex;
}

/** IJobMarket.Checkpoint. */
export interface Checkpoint {
  step: bigint;
  root: Hex;
  index: bigint;
  siblings: Hex[];
}

export const ZERO32: Hex = `0x${"00".repeat(32)}`;
export const ZERO_ADDRESS: Address = "0x0000000000000000000000000000000000000000";

/** A recognisable 32-byte value: byte 31 = n (and byte 0 = tag). */
export function b32(n: number, tag = 0xaa): Hex {
  const b = Buffer.alloc(32);
  b[0] = tag;
  b.writeUInt32BE(n >>> 0, 28);
  return toHex(b);
}

export function defaultParams(over: Partial<JobParams> = {}): JobParams {
  return {
    specHash: b32(1, 0x51),
    programRoot: b32(2, 0x52),
    initialRoot: b32(3, 0x53),
    datasetRoot: b32(4, 0x54),
    specURI: "ipfs://spec",
    steps: 10n,
    checkpointInterval: 3n,
    requiredBond: 2_000_000n,
    challengeBond: 1_000_000n,
    bidDuration: 0n,
    firstCome: true,
    commitDuration: 1_000n,
    challengeWindow: 500n,
    clockDuration: 300n,
    sampleBps: 100,
    ...over,
  };
}

/** Auction defaults: bidDuration 600 s. */
export function auctionParams(over: Partial<JobParams> = {}): JobParams {
  return defaultParams({ firstCome: false, bidDuration: 600n, ...over });
}

// ------------------------------------------------------------------ histories

/** ceil(steps / interval) + 1 checkpoints at 0, I, 2I, ..., steps. */
export function scheduleSteps(steps: number, interval: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < steps; s += interval) out.push(s);
  out.push(steps);
  return out;
}

export interface History {
  readonly checkpoints: TsCheckpoint[];
  readonly tree: MerkleTree;
  readonly root: Hex;
  readonly count: number;
  /** Every checkpoint's state root, as commitResult takes them. */
  readonly roots: Hex[];
  /** Checkpoint `i` with its path, as IJobMarket.Checkpoint. */
  cp(i: number): Checkpoint;
}

/** A history whose checkpoint `i` has root `rootOf(i)` (checkpoint 0: `initialRoot`). */
export function makeHistory(
  steps: number,
  interval: number,
  initialRoot: Hex,
  rootOf: (i: number) => Hex = (i) => b32(i, 0x77),
  stepOf: (i: number, scheduled: number) => number = (_i, s) => s,
): History {
  const sched = scheduleSteps(steps, interval);
  const checkpoints: TsCheckpoint[] = sched.map((s, i) => ({
    step: stepOf(i, s),
    root: Buffer.from((i === 0 ? initialRoot : rootOf(i)).slice(2), "hex") as Hash,
  }));
  const tree = historyTree(checkpoints);
  return {
    checkpoints,
    tree,
    root: toHex(tree.root),
    count: checkpoints.length,
    roots: checkpoints.map((c) => toHex(c.root)),
    cp(i: number): Checkpoint {
      const c = checkpoints[i]!;
      return { step: BigInt(c.step), root: toHex(c.root), index: BigInt(i), siblings: proofOf(tree, i).map(toHex) };
    },
  };
}

// ------------------------------------------------------------------ reverts


// ------------------------------------------------------------------ fixture

export interface MarketFixture {
  viem: Viem;
  pc: PublicClient;
  tc: TestClient;
  market: Contract;
  game: Contract;
  wallets: Wallet[];
  deployer: Wallet;
  treasury: Wallet;
  /** General participants (not the deployer or the treasury). */
  users: Wallet[];
  forfeitBps: number;
  clock: Clock;
}

/** Deploys TestDisputeGame, then JobMarket(game, treasury, forfeitBps), then game.setMarket(market). */
export async function deployMarket(conn: { viem: Viem }, forfeitBps = 1_000): Promise<MarketFixture> {
  const { viem } = conn;
  const pc = await viem.getPublicClient();
  const tc = await viem.getTestClient();
  const wallets = await viem.getWalletClients();
  const [deployer, treasury, ...users] = wallets;
  const game = await viem.deployContract("TestDisputeGame");
  const market = await viem.deployContract("JobMarket", [game.address, treasury!.account.address, forfeitBps]);
  await game.write.setMarket([market.address]);
  const clock = new Clock(pc, tc);
  await clock.sync();
  return { viem, pc, tc, market, game, wallets, deployer: deployer!, treasury: treasury!, users, forfeitBps, clock };
}

/**
 * A test-controlled clock: `at(t)` makes the next mined block have timestamp t (t must be after the last
 * block), so deadlines can be hit to the second.
 */
export class Clock {
  private readonly pc: PublicClient;
  private readonly tc: TestClient;
  /** Timestamp of the latest mined block. */
  now = 0n;

  constructor(pc: PublicClient, tc: TestClient) {
    this.pc = pc;
    this.tc = tc;
  }

  async sync(): Promise<bigint> {
    this.now = (await this.pc.getBlock()).timestamp;
    return this.now;
  }

  /** The next block will have timestamp `t` (> the latest block's). */
  async at(t: bigint): Promise<void> {
    await this.tc.setNextBlockTimestamp({ timestamp: t });
  }

  /** Mines an empty block at timestamp `t`. */
  async mineAt(t: bigint): Promise<void> {
    await this.at(t);
    await this.tc.mine({ blocks: 1 });
    this.now = t;
  }

  /** Moves time forward by `dt` seconds (mining a block). */
  async advance(dt: bigint): Promise<void> {
    await this.sync();
    await this.mineAt(this.now + dt);
  }
}

// ------------------------------------------------------------------ reads

export async function getJob(market: Contract, jobId: bigint): Promise<Job> {
  return (await market.read.getJob([jobId])) as Job;
}

export async function getGame(market: Contract, gameId: bigint): Promise<GameRecord> {
  return (await market.read.getGame([gameId])) as GameRecord;
}

export async function balanceOf(market: Contract, who: Address): Promise<bigint> {
  return (await market.read.balanceOf([who])) as bigint;
}

export interface Buckets {
  escrows: bigint;
  bidBonds: bigint;
  solverBonds: bigint;
  challengerBonds: bigint;
  pullBalances: bigint;
}

export async function buckets(market: Contract): Promise<Buckets> {
  const [escrows, bidBonds, solverBonds, challengerBonds, pullBalances] = (await market.read.liabilities()) as bigint[];
  return { escrows: escrows!, bidBonds: bidBonds!, solverBonds: solverBonds!, challengerBonds: challengerBonds!, pullBalances: pullBalances! };
}

/**
 * INV-MKT-3 (solvency): the market's ether balance equals totalLiabilities(), which equals the sum of
 * its buckets. Returns the balance.
 */
export async function assertSolvent(f: { pc: PublicClient; market: Contract }): Promise<bigint> {
  const [bal, total, b] = await Promise.all([
    f.pc.getBalance({ address: f.market.address }),
    f.market.read.totalLiabilities() as Promise<bigint>,
    buckets(f.market),
  ]);
  assert.equal(bal, total, "INV-MKT-3: market balance != totalLiabilities()");
  assert.equal(total, b.escrows + b.bidBonds + b.solverBonds + b.challengerBonds + b.pullBalances, "buckets do not sum to totalLiabilities()");
  return bal;
}

/** Waits for a write's receipt, asserts it succeeded, then asserts solvency. */
export async function send(f: { pc: PublicClient; market: Contract }, tx: Promise<Hex>) {
  const hash = await tx;
  const receipt = await f.pc.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, "success", "transaction reverted");
  await assertSolvent(f);
  return receipt;
}

/** expectRevert, then asserts solvency. */
export async function sendReverts(
  f: { pc: PublicClient; market: Contract },
  tx: Promise<unknown>,
  name: string,
  args?: readonly unknown[],
): Promise<void> {
  await expectRevert(tx, name, args);
  await assertSolvent(f);
}

/** The decoded events of `eventName` emitted by `contract` in a receipt. */
export async function eventsOf(
  f: { pc: PublicClient },
  contract: Contract,
  receipt: { blockHash: Hex; transactionHash: Hex },
  eventName: string,
): Promise<any[]> {
  const logs = await f.pc.getContractEvents({ address: contract.address, abi: contract.abi, eventName, blockHash: receipt.blockHash });
  return logs.filter((l: any) => l.transactionHash === receipt.transactionHash).map((l: any) => l.args);
}

// ------------------------------------------------------------------ deterministic PRNG

/** mulberry32: a small seeded PRNG (uniform 32-bit outputs). */
export function prng(seed: number): { next(): number; int(lo: number, hi: number): number; big(lo: bigint, hi: bigint): bigint; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** Uniform integer in [lo, hi]. */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    /** Uniform-ish bigint in [lo, hi]. */
    big: (lo, hi) => {
      const span = hi - lo + 1n;
      const r = (BigInt(Math.floor(next() * 2 ** 32)) << 32n) | BigInt(Math.floor(next() * 2 ** 32));
      return lo + (r % span);
    },
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
  };
}
