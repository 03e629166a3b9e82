// JobMarket (contracts/market/JobMarket.sol) against docs/protocol.md sections 1-3, with the
// TestDisputeGame double standing in for the dispute game. Every test deploys a fresh market; every
// transaction (and every expected revert) is followed by the solvency check INV-MKT-3
// (market balance == totalLiabilities() == sum of the buckets). Amounts are checked to the wei on pull
// balances; the one EOA balance check accounts for gas.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { type Address, type Hex, getAddress } from "viem";
import { MAX_CHECKPOINTS } from "../../chain/checkpoints.ts";
import {
  type Contract,
  type History,
  type JobParams,
  type MarketFixture,
  type Wallet,
  DoubleStatus,
  GameStatus,
  JobStatus,
  ZERO32,
  ZERO_ADDRESS,
  assertSolvent,
  auctionParams,
  b32,
  balanceOf,
  buckets,
  defaultParams,
  deployMarket,
  eventsOf,
  expectRevert,
  getGame,
  getJob,
  makeHistory,
  send,
  sendReverts,
} from "./helpers/market.ts";

const ESCROW = 10_000_000n;
const BOND = 2_000_000n; // defaultParams().requiredBond
const CBOND = 1_000_000n; // defaultParams().challengeBond
const FORFEIT = 1_000n; // bps, deployMarket's default
const BPS = 10_000n;
const MODEL_URI = "ipfs://model";
const share = (amount: bigint): bigint => (amount * (BPS - FORFEIT)) / BPS; // the winner's part of a lost bond

describe("JobMarket", async () => {
  const conn = await network.create();

  /** Fresh market; roles: alice = client, bob = solver, carol/dave = bidders or challengers. */
  async function setup(forfeitBps = 1_000) {
    const f = await deployMarket(conn, forfeitBps);
    const [alice, bob, carol, dave, erin] = f.users as [Wallet, Wallet, Wallet, Wallet, Wallet];
    const addr = (w: Wallet): Address => getAddress(w.account.address);
    return { f, alice, bob, carol, dave, erin, A: addr(alice), B: addr(bob), C: addr(carol), D: addr(dave), T: addr(f.treasury) };
  }
  type Ctx = Awaited<ReturnType<typeof setup>>;

  async function post(c: Ctx, over: Partial<JobParams> = {}, value = ESCROW, from: Wallet = c.alice): Promise<bigint> {
    await send(c.f, c.f.market.write.postJob([defaultParams(over)], { account: from.account, value }));
    return (await c.f.market.read.jobCount()) as bigint;
  }
  async function postAuction(c: Ctx, over: Partial<JobParams> = {}, value = ESCROW): Promise<bigint> {
    return post(c, auctionParams(over), value);
  }
  async function bid(c: Ctx, id: bigint, price: bigint, from: Wallet, value = BOND) {
    return send(c.f, c.f.market.write.bid([id, price], { account: from.account, value }));
  }
  async function assign(c: Ctx, over: Partial<JobParams> = {}): Promise<bigint> {
    const id = await post(c, over);
    await send(c.f, c.f.market.write.take([id], { account: c.bob.account, value: over.requiredBond ?? BOND }));
    return id;
  }
  function historyFor(over: Partial<JobParams> = {}): History {
    const p = defaultParams(over);
    return makeHistory(Number(p.steps), Number(p.checkpointInterval), p.initialRoot);
  }
  async function commitJob(c: Ctx, id: bigint, h: History) {
    return send(c.f, c.f.market.write.commitResult([id, h.roots, MODEL_URI], { account: c.bob.account }));
  }
  /** A first-come job taken by bob at price = ESCROW and committed with a 5-checkpoint history. */
  async function committed(c: Ctx, over: Partial<JobParams> = {}): Promise<{ id: bigint; h: History }> {
    const id = await assign(c, over);
    const h = historyFor(over);
    await commitJob(c, id, h);
    return { id, h };
  }
  async function challenge(
    c: Ctx,
    id: bigint,
    h: History,
    i: number,
    opts: { from?: Wallet; value?: bigint; claimed?: Hex } = {},
  ): Promise<bigint> {
    const gid = (await c.f.game.read.nextGameId()) as bigint;
    await send(c.f, c.f.market.write.challenge([id, h.cp(i), h.cp(i + 1), opts.claimed ?? b32(999, 0xcc)], { account: (opts.from ?? c.carol).account, value: opts.value ?? CBOND }));
    return gid;
  }
  async function resolve(c: Ctx, gid: bigint, solverWon: boolean) {
    return send(c.f, c.f.game.write.resolve([gid, solverWon]));
  }
  async function bal(c: Ctx, who: Address): Promise<bigint> {
    return balanceOf(c.f.market, who);
  }
  async function afterWindow(c: Ctx, id: bigint): Promise<void> {
    const j = await getJob(c.f.market, id);
    await c.f.clock.at(j.committedAt + j.challengeWindow);
  }

  // ================================================================ constructor and wiring

  describe("constructor", () => {
    it("constructor: zero game address reverts", async () => {
      const { f } = await setup();
      await expectRevert(f.viem.deployContract("JobMarket", [ZERO_ADDRESS, f.treasury.account.address, 1000]), "ZeroAddress");
    });
    it("constructor: zero treasury reverts", async () => {
      const { f } = await setup();
      await expectRevert(f.viem.deployContract("JobMarket", [f.game.address, ZERO_ADDRESS, 1000]), "ZeroAddress");
    });
    it("constructor: forfeitBps above 10000 reverts", async () => {
      const { f } = await setup();
      await expectRevert(f.viem.deployContract("JobMarket", [f.game.address, f.treasury.account.address, 10_001]), "ForfeitBpsTooLarge", [10_001n]);
    });
    it("constructor: stores game, treasury, forfeitBps and starts empty succeeds", async () => {
      const { f, T } = await setup();
      assert.equal(((await f.market.read.game()) as string).toLowerCase(), f.game.address.toLowerCase());
      assert.equal(((await f.market.read.treasury()) as string).toLowerCase(), T.toLowerCase());
      assert.equal(await f.market.read.forfeitBps(), 1000);
      assert.equal(await f.market.read.jobCount(), 0n);
      assert.equal(await assertSolvent(f), 0n);
      const m = await f.viem.deployContract("JobMarket", [f.game.address, T, 10_000]);
      assert.equal(await m.read.forfeitBps(), 10_000);
    });
  });

  describe("TestDisputeGame wiring", () => {
    it("setMarket: second call reverts", async () => {
      const { f } = await setup();
      await expectRevert(f.game.write.setMarket([f.market.address]), "MarketAlreadySet");
    });
    it("setMarket: non-deployer reverts", async () => {
      const { f, alice } = await setup();
      const g = await f.viem.deployContract("TestDisputeGame");
      await expectRevert(g.write.setMarket([f.market.address], { account: alice.account }), "NotDeployer");
    });
    it("create/abort: caller other than the market reverts", async () => {
      const { f, A } = await setup();
      const p = { jobId: 1n, solver: A, challenger: A, loStep: 0n, hiStep: 1n, agreedRoot: b32(1), solverRoot: b32(2), challengerRoot: b32(3), clockDuration: 1n, programRoot: b32(4), datasetRoot: b32(5) };
      await expectRevert(f.game.write.create([p]), "NotMarket");
      await expectRevert(f.game.write.abort([0n]), "NotMarket");
    });
  });

  // ================================================================ postJob

  describe("postJob", () => {
    it("postJob: valid first-come job succeeds (fields, checkpoint count, escrow bucket, event)", async () => {
      const c = await setup();
      const r = await send(c.f, c.f.market.write.postJob([defaultParams()], { account: c.alice.account, value: ESCROW }));
      const j = await getJob(c.f.market, 1n);
      const block = await c.f.pc.getBlock({ blockHash: r.blockHash });
      assert.equal(j.client, c.A);
      assert.equal(j.escrow, ESCROW);
      assert.equal(j.status, JobStatus.Open);
      assert.equal(j.checkpointCount, 5n); // steps 10, interval 3: 0 3 6 9 10
      assert.equal(j.postedAt, block.timestamp);
      assert.equal(j.requiredBond, BOND);
      assert.equal(j.challengeBond, CBOND);
      assert.equal(j.specHash, defaultParams().specHash);
      assert.equal(j.initialRoot, defaultParams().initialRoot);
      assert.equal(j.firstCome, true);
      assert.equal(j.hasBid, false);
      assert.equal((await buckets(c.f.market)).escrows, ESCROW);
      const [ev] = await eventsOf(c.f, c.f.market, r, "JobPosted");
      assert.equal(ev.jobId, 1n);
      assert.equal(ev.escrow, ESCROW);
      assert.equal(ev.params.specURI, "ipfs://spec");
    });

    it("postJob: job ids increase from 1 succeeds", async () => {
      const c = await setup();
      assert.equal(await post(c), 1n);
      assert.equal(await postAuction(c), 2n);
      assert.equal(await c.f.market.read.jobCount(), 2n);
      assert.equal((await buckets(c.f.market)).escrows, 2n * ESCROW);
    });

    it("postJob: interval equal to steps and steps not a multiple of the interval succeed", async () => {
      const c = await setup();
      const a = await post(c, { steps: 7n, checkpointInterval: 7n });
      const b = await post(c, { steps: 10n, checkpointInterval: 4n });
      assert.equal((await getJob(c.f.market, a)).checkpointCount, 2n);
      assert.equal((await getJob(c.f.market, b)).checkpointCount, 4n); // 0 4 8 10
    });

    const bad: [string, Partial<JobParams>, bigint, string, unknown[]?][] = [
      ["zero escrow", {}, 0n, "ZeroEscrow"],
      ["zero steps", { steps: 0n }, ESCROW, "ZeroSteps"],
      ["zero checkpoint interval", { checkpointInterval: 0n }, ESCROW, "ZeroCheckpointInterval"],
      ["interval larger than steps", { steps: 5n, checkpointInterval: 6n }, ESCROW, "IntervalExceedsSteps", [6n, 5n]],
      ["zero required bond", { requiredBond: 0n }, ESCROW, "ZeroRequiredBond"],
      ["zero challenge bond", { challengeBond: 0n }, ESCROW, "ZeroChallengeBond"],
      ["auction with zero bid duration", { firstCome: false, bidDuration: 0n }, ESCROW, "ZeroBidDuration"],
      ["first-come with a bid duration", { firstCome: true, bidDuration: 5n }, ESCROW, "BidDurationWithFirstCome", [5n]],
      ["zero commit duration", { commitDuration: 0n }, ESCROW, "ZeroCommitDuration"],
      ["zero challenge window", { challengeWindow: 0n }, ESCROW, "ZeroChallengeWindow"],
      ["zero clock duration", { clockDuration: 0n }, ESCROW, "ZeroClockDuration"],
      ["sampleBps above 10000", { sampleBps: 10_001 }, ESCROW, "SampleBpsTooLarge", [10_001]],
    ];
    for (const [what, over, value, err, args] of bad) {
      it(`postJob: ${what} reverts`, async () => {
        const c = await setup();
        await sendReverts(c.f, c.f.market.write.postJob([defaultParams(over)], { account: c.alice.account, value }), err, args);
        assert.equal(await c.f.market.read.jobCount(), 0n);
      });
    }

    it("checkpointCountFor: ceil(steps / interval) + 1 succeeds", async () => {
      const { f } = await setup();
      for (const [s, i, n] of [[1n, 1n, 2n], [10n, 3n, 5n], [9n, 3n, 4n], [10n, 10n, 2n], [1000n, 7n, 144n]] as const) {
        assert.equal(await f.market.read.checkpointCountFor([s, i]), n, `${s}/${i}`);
      }
    });
  });

  // ================================================================ auction

  describe("bid", () => {
    it("bid: first bid at the escrow holds the bond succeeds", async () => {
      const c = await setup();
      const id = await postAuction(c);
      const r = await bid(c, id, ESCROW, c.bob);
      const j = await getJob(c.f.market, id);
      assert.equal(j.solver, c.B);
      assert.equal(j.price, ESCROW);
      assert.equal(j.hasBid, true);
      assert.equal(j.status, JobStatus.Open);
      assert.equal((await buckets(c.f.market)).bidBonds, BOND);
      const [ev] = await eventsOf(c.f, c.f.market, r, "BidPlaced");
      assert.deepEqual([ev.bidder, ev.price, ev.bond], [c.B, ESCROW, BOND]);
    });

    it("bid: lower bid credits the outbid bond back at once (INV-MKT-1) succeeds", async () => {
      const c = await setup();
      const id = await postAuction(c);
      await bid(c, id, 8_000_000n, c.bob);
      const r = await bid(c, id, 7_999_999n, c.carol);
      const j = await getJob(c.f.market, id);
      assert.equal(j.solver, c.C);
      assert.equal(j.price, 7_999_999n);
      assert.equal(await bal(c, c.B), BOND);
      // INV-MKT-1: only the best bid's bond is held.
      assert.equal((await buckets(c.f.market)).bidBonds, BOND);
      const [ev] = await eventsOf(c.f, c.f.market, r, "BidderOutbid");
      assert.deepEqual([ev.bidder, ev.bondRefunded], [c.B, BOND]);
    });

    it("bid: best bidder lowering its own bid succeeds", async () => {
      const c = await setup();
      const id = await postAuction(c);
      await bid(c, id, 9n, c.bob);
      await bid(c, id, 8n, c.bob);
      assert.equal((await getJob(c.f.market, id)).price, 8n);
      assert.equal(await bal(c, c.B), BOND);
      assert.equal((await buckets(c.f.market)).bidBonds, BOND);
    });

    it("bid: zero price succeeds", async () => {
      const c = await setup();
      const id = await postAuction(c);
      await bid(c, id, 0n, c.bob);
      assert.equal((await getJob(c.f.market, id)).price, 0n);
    });

    it("bid: equal to the best bid reverts (a tie keeps the earlier bidder)", async () => {
      const c = await setup();
      const id = await postAuction(c);
      await bid(c, id, 5n, c.bob);
      await sendReverts(c.f, c.f.market.write.bid([id, 5n], { account: c.carol.account, value: BOND }), "BidNotLower", [5n, 5n]);
      assert.equal((await getJob(c.f.market, id)).solver, c.B);
    });

    it("bid: above the best bid reverts", async () => {
      const c = await setup();
      const id = await postAuction(c);
      await bid(c, id, 5n, c.bob);
      await sendReverts(c.f, c.f.market.write.bid([id, 6n], { account: c.carol.account, value: BOND }), "BidNotLower", [6n, 5n]);
    });

    it("bid: price above the escrow reverts", async () => {
      const c = await setup();
      const id = await postAuction(c);
      await sendReverts(c.f, c.f.market.write.bid([id, ESCROW + 1n], { account: c.bob.account, value: BOND }), "PriceAboveEscrow", [ESCROW + 1n, ESCROW]);
    });

    it("bid: bond below the required bond reverts", async () => {
      const c = await setup();
      const id = await postAuction(c);
      await sendReverts(c.f, c.f.market.write.bid([id, 1n], { account: c.bob.account, value: BOND - 1n }), "WrongBond", [BOND, BOND - 1n]);
    });

    it("bid: bond above the required bond reverts", async () => {
      const c = await setup();
      const id = await postAuction(c);
      await sendReverts(c.f, c.f.market.write.bid([id, 1n], { account: c.bob.account, value: BOND + 1n }), "WrongBond", [BOND, BOND + 1n]);
    });

    it("bid: one second before the deadline succeeds", async () => {
      const c = await setup();
      const id = await postAuction(c);
      const j = await getJob(c.f.market, id);
      await c.f.clock.at(j.postedAt + j.bidDuration - 1n);
      await bid(c, id, 1n, c.bob);
    });

    it("bid: at the deadline reverts", async () => {
      const c = await setup();
      const id = await postAuction(c);
      const j = await getJob(c.f.market, id);
      const deadline = j.postedAt + j.bidDuration;
      await c.f.clock.at(deadline);
      await sendReverts(c.f, c.f.market.write.bid([id, 1n], { account: c.bob.account, value: BOND }), "BiddingEnded", [id, deadline]);
    });

    it("bid: first-come job reverts", async () => {
      const c = await setup();
      const id = await post(c);
      await sendReverts(c.f, c.f.market.write.bid([id, 1n], { account: c.bob.account, value: BOND }), "NotAnAuction", [id]);
    });

    it("bid: unknown job reverts", async () => {
      const c = await setup();
      await sendReverts(c.f, c.f.market.write.bid([7n, 1n], { account: c.bob.account, value: BOND }), "JobNotFound", [7n]);
    });

    it("bid: assigned job reverts", async () => {
      const c = await setup();
      const id = await postAuction(c);
      await bid(c, id, 1n, c.bob);
      const j = await getJob(c.f.market, id);
      await c.f.clock.at(j.postedAt + j.bidDuration);
      await send(c.f, c.f.market.write.closeBidding([id]));
      await sendReverts(c.f, c.f.market.write.bid([id, 0n], { account: c.carol.account, value: BOND }), "WrongJobStatus", [id, JobStatus.Assigned]);
    });
  });

  describe("closeBidding", () => {
    it("closeBidding: with a bid assigns the best bidder and moves its bond succeeds", async () => {
      const c = await setup();
      const id = await postAuction(c);
      await bid(c, id, 9n, c.bob);
      await bid(c, id, 7n, c.carol);
      const j0 = await getJob(c.f.market, id);
      await c.f.clock.at(j0.postedAt + j0.bidDuration);
      const r = await send(c.f, c.f.market.write.closeBidding([id], { account: c.erin.account })); // anyone
      const j = await getJob(c.f.market, id);
      assert.equal(j.status, JobStatus.Assigned);
      assert.equal(j.solver, c.C);
      assert.equal(j.price, 7n);
      assert.equal(j.assignedAt, j0.postedAt + j0.bidDuration);
      const b = await buckets(c.f.market);
      assert.equal(b.bidBonds, 0n);
      assert.equal(b.solverBonds, BOND);
      assert.equal(b.pullBalances, BOND); // bob's outbid bond
      const [ev] = await eventsOf(c.f, c.f.market, r, "JobAssigned");
      assert.deepEqual([ev.solver, ev.price, ev.bond], [c.C, 7n, BOND]);
    });

    it("closeBidding: without a bid cancels and credits the escrow succeeds", async () => {
      const c = await setup();
      const id = await postAuction(c);
      const j0 = await getJob(c.f.market, id);
      await c.f.clock.at(j0.postedAt + j0.bidDuration);
      const r = await send(c.f, c.f.market.write.closeBidding([id], { account: c.erin.account }));
      assert.equal((await getJob(c.f.market, id)).status, JobStatus.Cancelled);
      assert.equal(await bal(c, c.A), ESCROW);
      assert.equal((await buckets(c.f.market)).escrows, 0n);
      assert.equal((await eventsOf(c.f, c.f.market, r, "JobCancelled")).length, 1);
    });

    it("closeBidding: one second before the deadline reverts", async () => {
      const c = await setup();
      const id = await postAuction(c);
      const j = await getJob(c.f.market, id);
      const deadline = j.postedAt + j.bidDuration;
      await c.f.clock.at(deadline - 1n);
      await sendReverts(c.f, c.f.market.write.closeBidding([id]), "BiddingNotEnded", [id, deadline]);
    });

    it("closeBidding: first-come job reverts", async () => {
      const c = await setup();
      const id = await post(c);
      await sendReverts(c.f, c.f.market.write.closeBidding([id]), "NotAnAuction", [id]);
    });

    it("closeBidding: second call reverts", async () => {
      const c = await setup();
      const id = await postAuction(c);
      const j = await getJob(c.f.market, id);
      await c.f.clock.at(j.postedAt + j.bidDuration);
      await send(c.f, c.f.market.write.closeBidding([id]));
      await sendReverts(c.f, c.f.market.write.closeBidding([id]), "WrongJobStatus", [id, JobStatus.Cancelled]);
    });
  });

  // ================================================================ first come, cancel

  describe("take", () => {
    it("take: first-come job assigned at price = escrow succeeds", async () => {
      const c = await setup();
      const id = await post(c);
      const r = await send(c.f, c.f.market.write.take([id], { account: c.bob.account, value: BOND }));
      const j = await getJob(c.f.market, id);
      const block = await c.f.pc.getBlock({ blockHash: r.blockHash });
      assert.equal(j.status, JobStatus.Assigned);
      assert.equal(j.solver, c.B);
      assert.equal(j.price, ESCROW);
      assert.equal(j.assignedAt, block.timestamp);
      assert.equal((await buckets(c.f.market)).solverBonds, BOND);
      assert.equal((await eventsOf(c.f, c.f.market, r, "JobAssigned")).length, 1);
    });

    it("take: wrong bond reverts", async () => {
      const c = await setup();
      const id = await post(c);
      await sendReverts(c.f, c.f.market.write.take([id], { account: c.bob.account, value: BOND - 1n }), "WrongBond", [BOND, BOND - 1n]);
      await sendReverts(c.f, c.f.market.write.take([id], { account: c.bob.account, value: 0n }), "WrongBond", [BOND, 0n]);
    });

    it("take: auction job reverts", async () => {
      const c = await setup();
      const id = await postAuction(c);
      await sendReverts(c.f, c.f.market.write.take([id], { account: c.bob.account, value: BOND }), "NotFirstCome", [id]);
    });

    it("take: already taken reverts", async () => {
      const c = await setup();
      const id = await assign(c);
      await sendReverts(c.f, c.f.market.write.take([id], { account: c.carol.account, value: BOND }), "WrongJobStatus", [id, JobStatus.Assigned]);
    });

    it("take: unknown job reverts", async () => {
      const c = await setup();
      await sendReverts(c.f, c.f.market.write.take([1n], { account: c.bob.account, value: BOND }), "JobNotFound", [1n]);
    });
  });

  describe("cancelJob", () => {
    it("cancelJob: client cancels an open first-come job succeeds", async () => {
      const c = await setup();
      const id = await post(c);
      const r = await send(c.f, c.f.market.write.cancelJob([id], { account: c.alice.account }));
      assert.equal((await getJob(c.f.market, id)).status, JobStatus.Cancelled);
      assert.equal(await bal(c, c.A), ESCROW);
      const [ev] = await eventsOf(c.f, c.f.market, r, "JobCancelled");
      assert.equal(ev.escrowRefunded, ESCROW);
    });

    it("cancelJob: client cancels an auction without a bid succeeds", async () => {
      const c = await setup();
      const id = await postAuction(c);
      await send(c.f, c.f.market.write.cancelJob([id], { account: c.alice.account }));
      assert.equal(await bal(c, c.A), ESCROW);
    });

    it("cancelJob: not the client reverts", async () => {
      const c = await setup();
      const id = await post(c);
      await sendReverts(c.f, c.f.market.write.cancelJob([id], { account: c.bob.account }), "NotClient", [id, c.B]);
    });

    it("cancelJob: auction with a bid reverts", async () => {
      const c = await setup();
      const id = await postAuction(c);
      await bid(c, id, 1n, c.bob);
      await sendReverts(c.f, c.f.market.write.cancelJob([id], { account: c.alice.account }), "HasBid", [id]);
    });

    it("cancelJob: assigned job reverts", async () => {
      const c = await setup();
      const id = await assign(c);
      await sendReverts(c.f, c.f.market.write.cancelJob([id], { account: c.alice.account }), "WrongJobStatus", [id, JobStatus.Assigned]);
    });
  });

  // ================================================================ commit

  describe("commitResult", () => {
    it("commitResult: valid history succeeds (status, rebuilt history root, every root emitted, window opens)", async () => {
      const c = await setup();
      const id = await assign(c);
      const h = historyFor();
      const r = await commitJob(c, id, h);
      const j = await getJob(c.f.market, id);
      const block = await c.f.pc.getBlock({ blockHash: r.blockHash });
      assert.equal(j.status, JobStatus.Committed);
      assert.equal(j.historyRoot, h.root); // rebuilt on chain = commitment/history.ts's root
      assert.equal(j.finalRoot, h.cp(4).root);
      assert.equal(j.committedAt, block.timestamp);
      const [ev] = await eventsOf(c.f, c.f.market, r, "ResultCommitted");
      assert.equal(ev.challengeDeadline, block.timestamp + j.challengeWindow);
      assert.equal(ev.modelURI, MODEL_URI);
      assert.equal(ev.checkpointCount, 5n);
      assert.deepEqual(ev.roots, h.roots);
      assert.equal(ev.historyRoot, h.root);
    });

    it("commitResult: one-interval job (two checkpoints) and a large history succeed", async () => {
      const c = await setup();
      const a = await assign(c, { steps: 1n, checkpointInterval: 1n });
      await commitJob(c, a, historyFor({ steps: 1n, checkpointInterval: 1n }));
      const b = await assign(c, { steps: 1000n, checkpointInterval: 7n });
      const h = historyFor({ steps: 1000n, checkpointInterval: 7n }); // 144 checkpoints, depth 8
      await commitJob(c, b, h);
      const j = await getJob(c.f.market, b);
      assert.equal(j.status, JobStatus.Committed);
      assert.equal(j.historyRoot, h.root);
    });

    it("INV-MKT-4: commitResult of a withholding solver (made-up interior and final roots) leaves every interval challengeable from the ResultCommitted roots alone", async () => {
      // The attack of the verifier-node issue: a 2-step job with interval 1 (3 checkpoints) whose interior
      // checkpoint the solver never publishes and whose final root matches no computation. Before, the commit
      // carried only a history root and the first/last leaves: the interior leaf could be 32 bytes with no
      // preimage and no honest challenge could be formed. Now the commit carries every root, the market
      // rebuilds the history root itself, and a verifier builds both checkpoints' paths from the event.
      const c = await setup();
      const over = { steps: 2n, checkpointInterval: 1n };
      const id = await assign(c, over);
      const made = [defaultParams().initialRoot, b32(0xdead, 0x01), b32(0xbeef, 0x02)];
      const r = await send(c.f, c.f.market.write.commitResult([id, made, MODEL_URI], { account: c.bob.account }));
      const [ev] = await eventsOf(c.f, c.f.market, r, "ResultCommitted");
      // What a verifier knows: the event's roots and the job's schedule; nothing from the solver.
      const seen = makeHistory(2, 1, ev.roots[0], (i) => ev.roots[i]);
      assert.equal(seen.root, (await getJob(c.f.market, id)).historyRoot);
      for (const i of [0, 1]) {
        const gid = await challenge(c, id, seen, i, { claimed: b32(100 + i, 0xcc), from: i === 0 ? c.carol : c.dave });
        assert.equal((await getGame(c.f.market, gid)).status, GameStatus.Open, `interval ${i} challengeable`);
      }
      assert.equal((await getJob(c.f.market, id)).openGames, 2n);
      // The job cannot finalize while the games are open, whatever the window.
      await afterWindow(c, id);
      await sendReverts(c.f, c.f.market.write.finalize([id]), "GamesOpen", [id, 2n]);
    });

    it("INV-MKT-4: commitResult leaves carry the schedule's steps (min(i * interval, steps)), whatever the solver computed", async () => {
      const c = await setup();
      const id = await assign(c); // steps 10, interval 3: checkpoints at 0 3 6 9 10
      const h = historyFor();
      await commitJob(c, id, h);
      const off = makeHistory(10, 3, defaultParams().initialRoot, undefined, (i, s) => (i === 2 ? 5 : s));
      assert.notEqual(off.root, h.root);
      assert.equal((await getJob(c.f.market, id)).historyRoot, h.root);
    });

    it("commitResult: one second before the deadline succeeds", async () => {
      const c = await setup();
      const id = await assign(c);
      const j = await getJob(c.f.market, id);
      await c.f.clock.at(j.assignedAt + j.commitDuration - 1n);
      await commitJob(c, id, historyFor());
    });

    it("commitResult: at the deadline reverts", async () => {
      const c = await setup();
      const id = await assign(c);
      const j = await getJob(c.f.market, id);
      const deadline = j.assignedAt + j.commitDuration;
      await c.f.clock.at(deadline);
      const h = historyFor();
      await sendReverts(c.f, c.f.market.write.commitResult([id, h.roots, MODEL_URI], { account: c.bob.account }), "CommitDeadlinePassed", [id, deadline]);
    });

    it("commitResult: not the solver reverts", async () => {
      const c = await setup();
      const id = await assign(c);
      const h = historyFor();
      await sendReverts(c.f, c.f.market.write.commitResult([id, h.roots, MODEL_URI], { account: c.alice.account }), "NotSolver", [id, c.A]);
    });

    it("commitResult: open (unassigned) job reverts", async () => {
      const c = await setup();
      const id = await post(c);
      const h = historyFor();
      await sendReverts(c.f, c.f.market.write.commitResult([id, h.roots, MODEL_URI], { account: c.bob.account }), "WrongJobStatus", [id, JobStatus.Open]);
    });

    it("commitResult: second commit reverts", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      await sendReverts(c.f, c.f.market.write.commitResult([id, h.roots, MODEL_URI], { account: c.bob.account }), "WrongJobStatus", [id, JobStatus.Committed]);
    });

    it("commitResult: wrong checkpoint count reverts (too many, too few, none)", async () => {
      const c = await setup();
      const id = await assign(c);
      // A consistent 6-checkpoint history (steps 0 2 4 6 8 10) for a job whose schedule has 5.
      const h = makeHistory(10, 2, defaultParams().initialRoot);
      await sendReverts(c.f, c.f.market.write.commitResult([id, h.roots, MODEL_URI], { account: c.bob.account }), "CheckpointCountMismatch", [5n, 6n]);
      await sendReverts(c.f, c.f.market.write.commitResult([id, h.roots.slice(0, 4), MODEL_URI], { account: c.bob.account }), "CheckpointCountMismatch", [5n, 4n]);
      await sendReverts(c.f, c.f.market.write.commitResult([id, [], MODEL_URI], { account: c.bob.account }), "CheckpointCountMismatch", [5n, 0n]);
    });

    it("commitResult: checkpoint 0 not the initial root reverts", async () => {
      const c = await setup();
      const id = await assign(c);
      const h = makeHistory(10, 3, b32(42, 0xee));
      await sendReverts(c.f, c.f.market.write.commitResult([id, h.roots, MODEL_URI], { account: c.bob.account }), "InitialRootMismatch", [defaultParams().initialRoot, b32(42, 0xee)]);
    });

    it("commitResult: a zero checkpoint root reverts, naming its index", async () => {
      const c = await setup();
      const id = await assign(c);
      for (const i of [1, 4]) {
        const roots = historyFor().roots;
        roots[i] = ZERO32;
        await sendReverts(c.f, c.f.market.write.commitResult([id, roots, MODEL_URI], { account: c.bob.account }), "ZeroCheckpointRoot", [BigInt(i)]);
      }
    });

    it("commitResult: MAX_CHECKPOINTS roots fit one transaction far below the 2^24 gas cap; one more checkpoint is refused at posting", async (t) => {
      const c = await setup();
      const max = Number(await c.f.market.read.MAX_CHECKPOINTS());
      assert.equal(max, MAX_CHECKPOINTS, "chain/checkpoints.ts mirrors JobMarket.MAX_CHECKPOINTS");
      const over = { steps: BigInt(max - 1), checkpointInterval: 1n };
      const id = await assign(c, over);
      const h = historyFor(over);
      const r = await commitJob(c, id, h);
      assert.equal((await getJob(c.f.market, id)).historyRoot, h.root);
      t.diagnostic(`commitResult of ${max} checkpoints: ${r.gasUsed} gas`);
      assert.ok(r.gasUsed < 2n ** 23n, `${r.gasUsed} gas is not far below 2^24`);
      await sendReverts(c.f, c.f.market.write.postJob([defaultParams({ steps: BigInt(max), checkpointInterval: 1n })], { account: c.alice.account, value: ESCROW }), "TooManyCheckpoints", [BigInt(max + 1), BigInt(max)]);
    });
  });

  describe("attest", () => {
    it("attest: a verifier's record of re-executed intervals emits Attested and moves nothing succeeds", async () => {
      const c = await setup();
      const { id } = await committed(c); // 5 checkpoints: intervals 0 .. 3
      const before = await buckets(c.f.market);
      const r = await send(c.f, c.f.market.write.attest([id, [0n, 2n, 3n]], { account: c.dave.account }));
      const [ev] = await eventsOf(c.f, c.f.market, r, "Attested");
      assert.equal(ev.jobId, id);
      assert.equal(ev.verifier, getAddress(c.dave.account.address));
      assert.deepEqual(ev.intervals, [0n, 2n, 3n]);
      assert.deepEqual(await buckets(c.f.market), before);
      await assertSolvent(c.f);
    });

    it("attest: an interval past the last, unordered or empty intervals, and a job not committed revert", async () => {
      const c = await setup();
      const { id } = await committed(c);
      const a = { account: c.dave.account };
      await sendReverts(c.f, c.f.market.write.attest([id, [4n]], a), "IntervalOutOfRange", [4n, 4n]);
      await sendReverts(c.f, c.f.market.write.attest([id, [2n, 1n]], a), "IntervalsNotIncreasing");
      await sendReverts(c.f, c.f.market.write.attest([id, [1n, 1n]], a), "IntervalsNotIncreasing");
      await sendReverts(c.f, c.f.market.write.attest([id, []], a), "IntervalsNotIncreasing");
      const open = await post(c);
      await sendReverts(c.f, c.f.market.write.attest([open, [0n]], a), "WrongJobStatus", [open, JobStatus.Open]);
      await sendReverts(c.f, c.f.market.write.attest([999n, [0n]], a), "JobNotFound", [999n]);
    });
  });

  // ================================================================ slash

  describe("slashUncommitted", () => {
    it("slashUncommitted: at the commit deadline credits escrow and bond to the client succeeds", async () => {
      const c = await setup();
      const id = await assign(c);
      const j = await getJob(c.f.market, id);
      await c.f.clock.at(j.assignedAt + j.commitDuration);
      const r = await send(c.f, c.f.market.write.slashUncommitted([id], { account: c.erin.account })); // anyone
      assert.equal((await getJob(c.f.market, id)).status, JobStatus.Slashed);
      assert.equal(await bal(c, c.A), ESCROW + BOND);
      assert.equal(await bal(c, c.B), 0n);
      const b = await buckets(c.f.market);
      assert.deepEqual([b.escrows, b.solverBonds, b.pullBalances], [0n, 0n, ESCROW + BOND]);
      const [ev] = await eventsOf(c.f, c.f.market, r, "JobSlashed");
      assert.deepEqual([ev.solver, ev.escrowRefunded, ev.bondForfeited], [c.B, ESCROW, BOND]);
    });

    it("slashUncommitted: one second before the deadline reverts", async () => {
      const c = await setup();
      const id = await assign(c);
      const j = await getJob(c.f.market, id);
      const deadline = j.assignedAt + j.commitDuration;
      await c.f.clock.at(deadline - 1n);
      await sendReverts(c.f, c.f.market.write.slashUncommitted([id]), "CommitDeadlineNotPassed", [id, deadline]);
    });

    it("slashUncommitted: committed job reverts", async () => {
      const c = await setup();
      const { id } = await committed(c);
      await c.f.clock.advance(10_000n);
      await sendReverts(c.f, c.f.market.write.slashUncommitted([id]), "WrongJobStatus", [id, JobStatus.Committed]);
    });
  });

  // ================================================================ finalize

  describe("finalize", () => {
    it("finalize: auction job pays price + bond to the solver and the rest to the client succeeds", async () => {
      const c = await setup();
      const id = await postAuction(c);
      await bid(c, id, 6_000_000n, c.bob);
      const j0 = await getJob(c.f.market, id);
      await c.f.clock.at(j0.postedAt + j0.bidDuration);
      await send(c.f, c.f.market.write.closeBidding([id]));
      const h = historyFor();
      await commitJob(c, id, h);
      await afterWindow(c, id);
      const r = await send(c.f, c.f.market.write.finalize([id], { account: c.erin.account })); // anyone
      assert.equal((await getJob(c.f.market, id)).status, JobStatus.Finalized);
      assert.equal(await bal(c, c.B), 6_000_000n + BOND);
      assert.equal(await bal(c, c.A), ESCROW - 6_000_000n);
      const b = await buckets(c.f.market);
      assert.deepEqual([b.escrows, b.solverBonds, b.bidBonds, b.pullBalances], [0n, 0n, 0n, ESCROW + BOND]);
      const [ev] = await eventsOf(c.f, c.f.market, r, "JobFinalized");
      assert.deepEqual([ev.solverPaid, ev.clientRefund], [6_000_000n + BOND, 4_000_000n]);
    });

    it("finalize: first-come job pays the whole escrow to the solver succeeds", async () => {
      const c = await setup();
      const { id } = await committed(c);
      await afterWindow(c, id);
      const r = await send(c.f, c.f.market.write.finalize([id]));
      assert.equal(await bal(c, c.B), ESCROW + BOND);
      assert.equal(await bal(c, c.A), 0n);
      assert.equal((await eventsOf(c.f, c.f.market, r, "Credited")).length, 1); // no zero credit to the client
    });

    it("finalize: one second before the window closes reverts", async () => {
      const c = await setup();
      const { id } = await committed(c);
      const j = await getJob(c.f.market, id);
      const deadline = j.committedAt + j.challengeWindow;
      await c.f.clock.at(deadline - 1n);
      await sendReverts(c.f, c.f.market.write.finalize([id]), "ChallengeWindowOpen", [id, deadline]);
    });

    it("finalize: with an open game reverts", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      await challenge(c, id, h, 1);
      await c.f.clock.advance(10_000n);
      await sendReverts(c.f, c.f.market.write.finalize([id]), "GamesOpen", [id, 1n]);
    });

    it("finalize: after every game was won by the solver succeeds", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const g0 = await challenge(c, id, h, 0);
      const g1 = await challenge(c, id, h, 3, { from: c.dave });
      await c.f.clock.advance(10_000n);
      await resolve(c, g0, true);
      await sendReverts(c.f, c.f.market.write.finalize([id]), "GamesOpen", [id, 1n]);
      await resolve(c, g1, true);
      await send(c.f, c.f.market.write.finalize([id]));
      assert.equal(await bal(c, c.B), ESCROW + BOND + 2n * share(CBOND));
      assert.equal(await bal(c, c.T), 2n * (CBOND - share(CBOND)));
    });

    it("finalize: second call reverts", async () => {
      const c = await setup();
      const { id } = await committed(c);
      await afterWindow(c, id);
      await send(c.f, c.f.market.write.finalize([id]));
      await sendReverts(c.f, c.f.market.write.finalize([id]), "WrongJobStatus", [id, JobStatus.Finalized]);
    });

    it("finalize: assigned (uncommitted) job reverts", async () => {
      const c = await setup();
      const id = await assign(c);
      await c.f.clock.advance(10_000n);
      await sendReverts(c.f, c.f.market.write.finalize([id]), "WrongJobStatus", [id, JobStatus.Assigned]);
    });
  });

  // ================================================================ challenge

  describe("challenge", () => {
    it("challenge: consecutive checkpoints open a game with the bound parameters (INV-GAME-1) succeeds", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const claimed = b32(7, 0xcd);
      const gid = (await c.f.game.read.nextGameId()) as bigint;
      assert.equal(gid, 0n); // the double starts at 0: a zero game id must work
      const r = await send(c.f, c.f.market.write.challenge([id, h.cp(1), h.cp(2), claimed], { account: c.carol.account, value: CBOND }));
      const p = (await c.f.game.read.params([gid])) as Record<string, unknown>;
      assert.deepEqual(p, {
        jobId: id, solver: c.B, challenger: c.C, loStep: 3n, hiStep: 6n,
        agreedRoot: h.cp(1).root, solverRoot: h.cp(2).root, challengerRoot: claimed,
        clockDuration: 300n, programRoot: defaultParams().programRoot, datasetRoot: defaultParams().datasetRoot,
      });
      assert.deepEqual(await getGame(c.f.market, gid), { challenger: c.C, bond: CBOND, jobId: id, status: GameStatus.Open });
      assert.equal((await getJob(c.f.market, id)).openGames, 1n);
      assert.equal((await buckets(c.f.market)).challengerBonds, CBOND);
      const [ev] = await eventsOf(c.f, c.f.market, r, "ChallengeOpened");
      assert.deepEqual([ev.gameId, ev.jobId, ev.challenger, ev.bond, ev.loIndex, ev.claimedRoot], [gid, id, c.C, CBOND, 1n, claimed]);
    });

    it("challenge: last interval has hiStep = steps (shorter than the interval) succeeds", async () => {
      const c = await setup();
      const { id, h } = await committed(c); // 0 3 6 9 10
      const gid = await challenge(c, id, h, 3);
      const p = (await c.f.game.read.params([gid])) as { loStep: bigint; hiStep: bigint };
      assert.deepEqual([p.loStep, p.hiStep], [9n, 10n]);
    });

    it("challenge: first interval (agreeing with the initial state) succeeds", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const gid = await challenge(c, id, h, 0);
      const p = (await c.f.game.read.params([gid])) as { loStep: bigint; hiStep: bigint; agreedRoot: Hex };
      assert.deepEqual([p.loStep, p.hiStep, p.agreedRoot], [0n, 3n, defaultParams().initialRoot]);
    });

    it("challenge: bond above the minimum is held whole succeeds", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const gid = await challenge(c, id, h, 1, { value: CBOND * 3n + 7n });
      assert.equal((await getGame(c.f.market, gid)).bond, CBOND * 3n + 7n);
      assert.equal((await buckets(c.f.market)).challengerBonds, CBOND * 3n + 7n);
    });

    it("challenge: several games on one job, including by the solver itself, succeed", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      await challenge(c, id, h, 0);
      await challenge(c, id, h, 0, { from: c.dave });
      await challenge(c, id, h, 2, { from: c.bob });
      assert.equal((await getJob(c.f.market, id)).openGames, 3n);
      assert.equal((await buckets(c.f.market)).challengerBonds, 3n * CBOND);
    });

    it("challenge: one second before the window closes succeeds", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const j = await getJob(c.f.market, id);
      await c.f.clock.at(j.committedAt + j.challengeWindow - 1n);
      await challenge(c, id, h, 1);
    });

    it("challenge: at the end of the window reverts", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const j = await getJob(c.f.market, id);
      const deadline = j.committedAt + j.challengeWindow;
      await c.f.clock.at(deadline);
      await sendReverts(c.f, c.f.market.write.challenge([id, h.cp(1), h.cp(2), b32(1, 0xcc)], { account: c.carol.account, value: CBOND }), "ChallengeWindowClosed", [id, deadline]);
    });

    it("challenge: bond below the minimum reverts", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      await sendReverts(c.f, c.f.market.write.challenge([id, h.cp(1), h.cp(2), b32(1, 0xcc)], { account: c.carol.account, value: CBOND - 1n }), "BondTooLow", [CBOND, CBOND - 1n]);
    });

    it("challenge: non-consecutive checkpoints reverts", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      await sendReverts(c.f, c.f.market.write.challenge([id, h.cp(1), h.cp(3), b32(1, 0xcc)], { account: c.carol.account, value: CBOND }), "CheckpointsNotConsecutive", [1n, 3n]);
      await sendReverts(c.f, c.f.market.write.challenge([id, h.cp(2), h.cp(2), b32(1, 0xcc)], { account: c.carol.account, value: CBOND }), "CheckpointsNotConsecutive", [2n, 2n]);
      await sendReverts(c.f, c.f.market.write.challenge([id, h.cp(2), h.cp(1), b32(1, 0xcc)], { account: c.carol.account, value: CBOND }), "CheckpointsNotConsecutive", [2n, 1n]);
      await sendReverts(c.f, c.f.market.write.challenge([id, h.cp(1), h.cp(0), b32(1, 0xcc)], { account: c.carol.account, value: CBOND }), "CheckpointsNotConsecutive", [1n, 0n]);
    });

    it("challenge: checkpoint index past the count (padding leaf) reverts", async () => {
      const c = await setup();
      const { id, h } = await committed(c); // 5 checkpoints in a depth-3 tree: leaves 5..7 are padding
      const lo = h.cp(4);
      const hi = { ...h.cp(4), index: 5n };
      await sendReverts(c.f, c.f.market.write.challenge([id, lo, hi, b32(1, 0xcc)], { account: c.carol.account, value: CBOND }), "CheckpointOutOfRange", [5n, 5n]);
    });

    it("challenge: claimed root equal to the solver's reverts", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      await sendReverts(c.f, c.f.market.write.challenge([id, h.cp(1), h.cp(2), h.cp(2).root], { account: c.carol.account, value: CBOND }), "ClaimMatchesSolver", [h.cp(2).root]);
    });

    it("challenge: lo not in the committed history reverts (INV-GAME-1)", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const lo = { ...h.cp(1), root: b32(1234, 0x31) }; // a root the solver never committed
      await sendReverts(c.f, c.f.market.write.challenge([id, lo, h.cp(2), b32(1, 0xcc)], { account: c.carol.account, value: CBOND }), "HistoryRootMismatch");
    });

    it("challenge: hi not in the committed history reverts (INV-GAME-1)", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const hi = { ...h.cp(2), step: 7n }; // right root, wrong step: the leaf binds the step
      await sendReverts(c.f, c.f.market.write.challenge([id, h.cp(1), hi, b32(1, 0xcc)], { account: c.carol.account, value: CBOND }), "HistoryRootMismatch");
      const hi2 = h.cp(2);
      hi2.siblings[1] = b32(3, 0x42);
      await sendReverts(c.f, c.f.market.write.challenge([id, h.cp(1), hi2, b32(1, 0xcc)], { account: c.carol.account, value: CBOND }), "HistoryRootMismatch");
    });

    it("challenge: path of the wrong depth reverts", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const lo = h.cp(1);
      lo.siblings.pop();
      await sendReverts(c.f, c.f.market.write.challenge([id, lo, h.cp(2), b32(1, 0xcc)], { account: c.carol.account, value: CBOND }), "HistoryDepthMismatch", [3n, 2n]);
    });

    it("challenge: assigned (uncommitted) job reverts", async () => {
      const c = await setup();
      const id = await assign(c);
      const h = historyFor();
      await sendReverts(c.f, c.f.market.write.challenge([id, h.cp(1), h.cp(2), b32(1, 0xcc)], { account: c.carol.account, value: CBOND }), "WrongJobStatus", [id, JobStatus.Assigned]);
    });

    it("challenge: failed job reverts", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const g = await challenge(c, id, h, 1);
      await resolve(c, g, false);
      await sendReverts(c.f, c.f.market.write.challenge([id, h.cp(1), h.cp(2), b32(1, 0xcc)], { account: c.dave.account, value: CBOND }), "WrongJobStatus", [id, JobStatus.Failed]);
    });

    it("challenge: checkpoints whose leaf step is off the schedule revert (the committed leaves carry the schedule's steps)", async () => {
      const c = await setup();
      const { id } = await committed(c);
      const off = makeHistory(10, 3, defaultParams().initialRoot, undefined, (i, s) => (i === 2 ? 5 : s));
      await sendReverts(c.f, c.f.market.write.challenge([id, off.cp(1), off.cp(2), b32(1, 0xcc)], { account: c.carol.account, value: CBOND }), "HistoryRootMismatch");
    });
  });

  // ================================================================ game outcomes

  describe("onGameResolved", () => {
    it("onGameResolved: solver won splits the challenger bond (1 - forfeit) to the solver succeeds", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const g = await challenge(c, id, h, 1);
      const r = await resolve(c, g, true);
      assert.equal(await bal(c, c.B), share(CBOND)); // 900,000
      assert.equal(await bal(c, c.T), CBOND - share(CBOND)); // 100,000
      assert.equal(await bal(c, c.C), 0n);
      const j = await getJob(c.f.market, id);
      assert.equal(j.status, JobStatus.Committed);
      assert.equal(j.openGames, 0n);
      assert.equal((await getGame(c.f.market, g)).status, GameStatus.Resolved);
      const b = await buckets(c.f.market);
      assert.deepEqual([b.challengerBonds, b.escrows, b.solverBonds], [0n, ESCROW, BOND]);
      const [ev] = await eventsOf(c.f, c.f.market, r, "GameResolved");
      assert.deepEqual([ev.solverWon, ev.jobFailed, ev.voidOutcome], [true, false, false]);
    });

    it("onGameResolved: challenger won fails the job, refunds the client and pays the challenger succeeds", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const g = await challenge(c, id, h, 2);
      const r = await resolve(c, g, false);
      const j = await getJob(c.f.market, id);
      assert.equal(j.status, JobStatus.Failed);
      assert.equal(j.openGames, 0n);
      assert.equal(await bal(c, c.A), ESCROW);
      assert.equal(await bal(c, c.C), CBOND + share(BOND)); // 1,000,000 + 1,800,000
      assert.equal(await bal(c, c.T), BOND - share(BOND)); // 200,000
      assert.equal(await bal(c, c.B), 0n);
      const b = await buckets(c.f.market);
      assert.deepEqual([b.escrows, b.solverBonds, b.challengerBonds, b.pullBalances], [0n, 0n, 0n, ESCROW + BOND + CBOND]);
      assert.equal((await eventsOf(c.f, c.f.market, r, "JobFailed")).length, 1);
      const [ev] = await eventsOf(c.f, c.f.market, r, "GameResolved");
      assert.deepEqual([ev.solverWon, ev.jobFailed, ev.voidOutcome], [false, true, false]);
    });

    it("onGameResolved: after the job failed, a game the solver wins refunds its challenger succeeds", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const g0 = await challenge(c, id, h, 1);
      const g1 = await challenge(c, id, h, 2, { from: c.dave, value: CBOND + 5n });
      await resolve(c, g0, false);
      const r = await resolve(c, g1, true);
      assert.equal(await bal(c, c.D), CBOND + 5n);
      assert.equal(await bal(c, c.B), 0n);
      assert.equal(await bal(c, c.T), BOND - share(BOND));
      assert.equal((await getJob(c.f.market, id)).openGames, 0n);
      const [ev] = await eventsOf(c.f, c.f.market, r, "GameResolved");
      assert.deepEqual([ev.solverWon, ev.jobFailed, ev.voidOutcome], [true, false, true]);
    });

    it("onGameResolved: after the job failed, a second challenger win only refunds its bond succeeds", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const g0 = await challenge(c, id, h, 1);
      const g1 = await challenge(c, id, h, 2, { from: c.dave });
      await resolve(c, g0, false);
      await resolve(c, g1, false);
      assert.equal(await bal(c, c.D), CBOND);
      assert.equal(await bal(c, c.C), CBOND + share(BOND));
      assert.equal(await bal(c, c.A), ESCROW); // the escrow was refunded once
      assert.equal((await buckets(c.f.market)).pullBalances, ESCROW + BOND + 2n * CBOND);
    });

    it("onGameResolved: rounding gives the treasury the remainder succeeds", async () => {
      const c = await setup();
      const { id, h } = await committed(c, { requiredBond: 2_000_003n });
      const g0 = await challenge(c, id, h, 1, { value: 1_000_001n });
      await resolve(c, g0, true);
      assert.equal(await bal(c, c.B), 900_000n); // floor(1,000,001 * 0.9)
      assert.equal(await bal(c, c.T), 100_001n);
      const g1 = await challenge(c, id, h, 1, { value: CBOND });
      await resolve(c, g1, false);
      assert.equal(await bal(c, c.C), CBOND + 1_800_002n); // floor(2,000,003 * 0.9)
      assert.equal(await bal(c, c.T), 100_001n + 200_001n);
    });

    it("onGameResolved: the solver challenging itself loses the forfeit either way succeeds", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const g0 = await challenge(c, id, h, 1, { from: c.bob });
      await resolve(c, g0, true);
      assert.equal(await bal(c, c.B), share(CBOND)); // paid CBOND, got 90% back
      const g1 = await challenge(c, id, h, 1, { from: c.bob });
      await resolve(c, g1, false);
      // Job failed: bob, as challenger, gets CBOND + 90% of its own solver bond; it loses its price.
      assert.equal(await bal(c, c.B), share(CBOND) + CBOND + share(BOND));
      assert.equal(await bal(c, c.A), ESCROW);
    });

    it("onGameResolved: forfeitBps 0 and 10000 succeed", async () => {
      for (const bps of [0, 10_000]) {
        const c = await setup(bps);
        const { id, h } = await committed(c);
        const g = await challenge(c, id, h, 1);
        await resolve(c, g, true);
        assert.equal(await bal(c, c.B), bps === 0 ? CBOND : 0n);
        assert.equal(await bal(c, c.T), bps === 0 ? 0n : CBOND);
      }
    });

    it("onGameResolved: caller other than the game reverts", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const g = await challenge(c, id, h, 1);
      await sendReverts(c.f, c.f.market.write.onGameResolved([g, false], { account: c.carol.account }), "NotGame", [c.C]);
    });

    it("onGameResolved: a resolved game reported again reverts (INV-GAME-7)", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const g = await challenge(c, id, h, 1);
      await resolve(c, g, true);
      const before = await bal(c, c.B);
      await sendReverts(c.f, c.f.game.write.forceResolve([g, true]), "GameNotOpen", [g, GameStatus.Resolved]);
      await sendReverts(c.f, c.f.game.write.forceResolve([g, false]), "GameNotOpen", [g, GameStatus.Resolved]);
      assert.equal(await bal(c, c.B), before);
      assert.equal((await getJob(c.f.market, id)).status, JobStatus.Committed);
    });

    it("onGameResolved: unknown game reverts", async () => {
      const c = await setup();
      await sendReverts(c.f, c.f.game.write.forceResolve([42n, true]), "GameNotOpen", [42n, GameStatus.None]);
    });
  });

  describe("voidGame", () => {
    it("voidGame: open game of a failed job refunds its challenger and aborts the game succeeds", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const g0 = await challenge(c, id, h, 1);
      const g1 = await challenge(c, id, h, 3, { from: c.dave, value: CBOND + 1n });
      await resolve(c, g0, false);
      const r = await send(c.f, c.f.market.write.voidGame([g1], { account: c.erin.account })); // anyone
      assert.equal(await bal(c, c.D), CBOND + 1n);
      assert.equal((await getGame(c.f.market, g1)).status, GameStatus.Voided);
      assert.equal(await c.f.game.read.status([g1]), DoubleStatus.Aborted);
      assert.equal((await getJob(c.f.market, id)).openGames, 0n);
      assert.equal((await buckets(c.f.market)).challengerBonds, 0n);
      const [ev] = await eventsOf(c.f, c.f.market, r, "GameVoided");
      assert.deepEqual([ev.gameId, ev.challenger, ev.bondRefunded], [g1, c.D, CBOND + 1n]);
    });

    it("voidGame: job not failed reverts", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const g = await challenge(c, id, h, 1);
      await sendReverts(c.f, c.f.market.write.voidGame([g]), "WrongJobStatus", [id, JobStatus.Committed]);
    });

    it("voidGame: voided game voided or resolved again reverts (INV-GAME-7)", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const g0 = await challenge(c, id, h, 1);
      const g1 = await challenge(c, id, h, 2, { from: c.dave });
      await resolve(c, g0, false);
      await send(c.f, c.f.market.write.voidGame([g1]));
      const before = await bal(c, c.D);
      await sendReverts(c.f, c.f.market.write.voidGame([g1]), "GameNotOpen", [g1, GameStatus.Voided]);
      await sendReverts(c.f, c.f.game.write.resolve([g1, false]), "GameNotOpen"); // the double refuses too
      await sendReverts(c.f, c.f.game.write.forceResolve([g1, false]), "GameNotOpen", [g1, GameStatus.Voided]);
      assert.equal(await bal(c, c.D), before);
    });

    it("voidGame: resolved game reverts (INV-GAME-7)", async () => {
      const c = await setup();
      const { id, h } = await committed(c);
      const g = await challenge(c, id, h, 1);
      await resolve(c, g, false);
      await sendReverts(c.f, c.f.market.write.voidGame([g]), "GameNotOpen", [g, GameStatus.Resolved]);
    });

    it("voidGame: unknown game reverts", async () => {
      const c = await setup();
      await sendReverts(c.f, c.f.market.write.voidGame([3n]), "GameNotOpen", [3n, GameStatus.None]);
    });
  });

  // ================================================================ withdraw

  describe("withdraw", () => {
    it("withdraw: pays the whole pull balance to the caller (gas accounted) succeeds", async () => {
      const c = await setup();
      const id = await post(c);
      await send(c.f, c.f.market.write.cancelJob([id], { account: c.alice.account }));
      const before = await c.f.pc.getBalance({ address: c.A });
      const r = await send(c.f, c.f.market.write.withdraw({ account: c.alice.account }));
      const after = await c.f.pc.getBalance({ address: c.A });
      assert.equal(after - before + r.gasUsed * r.effectiveGasPrice, ESCROW);
      assert.equal(await bal(c, c.A), 0n);
      assert.equal(await assertSolvent(c.f), 0n);
      const [ev] = await eventsOf(c.f, c.f.market, r, "Withdrawn");
      assert.deepEqual([ev.account, ev.to, ev.amount], [c.A, c.A, ESCROW]);
    });

    it("withdraw: zero balance reverts", async () => {
      const c = await setup();
      await sendReverts(c.f, c.f.market.write.withdraw({ account: c.alice.account }), "NothingToWithdraw", [c.A]);
    });

    it("withdraw: second withdrawal reverts", async () => {
      const c = await setup();
      const id = await post(c);
      await send(c.f, c.f.market.write.cancelJob([id], { account: c.alice.account }));
      await send(c.f, c.f.market.write.withdraw({ account: c.alice.account }));
      await sendReverts(c.f, c.f.market.write.withdraw({ account: c.alice.account }), "NothingToWithdraw", [c.A]);
    });

    it("withdrawTo: pays another address succeeds", async () => {
      const c = await setup();
      const id = await post(c);
      await send(c.f, c.f.market.write.cancelJob([id], { account: c.alice.account }));
      const before = await c.f.pc.getBalance({ address: c.D });
      await send(c.f, c.f.market.write.withdrawTo([c.D], { account: c.alice.account }));
      assert.equal((await c.f.pc.getBalance({ address: c.D })) - before, ESCROW);
      assert.equal(await bal(c, c.A), 0n);
    });

    it("withdrawTo: zero address reverts", async () => {
      const c = await setup();
      await sendReverts(c.f, c.f.market.write.withdrawTo([ZERO_ADDRESS], { account: c.alice.account }), "ZeroAddress");
    });

    it("withdraw: recipient rejecting ether reverts and keeps the balance", async () => {
      const c = await setup();
      const actor: Contract = await c.f.viem.deployContract("TestMarketActor", [c.f.market.address]);
      await send(c.f, actor.write.postJob([defaultParams()], { value: ESCROW }));
      await send(c.f, actor.write.cancelJob([1n]));
      await send(c.f, actor.write.setMode([1])); // Reject
      await sendReverts(c.f, actor.write.withdraw(), "TransferFailed", [actor.address, ESCROW]);
      assert.equal(await bal(c, actor.address), ESCROW);
      // It can still be paid elsewhere.
      await send(c.f, actor.write.withdrawTo([c.D]));
      assert.equal(await bal(c, actor.address), 0n);
    });

    it("withdraw: re-entrant recipient is paid once (INV-MKT-2) succeeds", async () => {
      const c = await setup();
      const actor: Contract = await c.f.viem.deployContract("TestMarketActor", [c.f.market.address]);
      await send(c.f, actor.write.postJob([defaultParams()], { value: ESCROW }));
      await send(c.f, actor.write.postJob([defaultParams()], { value: ESCROW })); // a second escrow stays held
      await send(c.f, actor.write.cancelJob([1n]));
      await send(c.f, actor.write.setMode([2])); // Reenter
      await send(c.f, actor.write.withdraw());
      assert.equal(await actor.read.received(), ESCROW);
      assert.equal(await actor.read.reentryAttempted(), true);
      const err = (await actor.read.reentryError()) as Hex;
      // The re-entrant call failed with ReentrantCall() (the balance was zeroed before the transfer anyway).
      assert.equal(err.slice(0, 10), "0x" + (await selector("ReentrantCall()")));
      assert.equal(await c.f.pc.getBalance({ address: c.f.market.address }), ESCROW);
      assert.equal(await bal(c, actor.address), 0n);
    });
  });

  // ================================================================ gas (reported, not asserted beyond sanity bounds)

  describe("gas", () => {
    it("gas: postJob / bid / take / commitResult / challenge / finalize / withdraw are measured succeeds", async (t) => {
      const c = await setup();
      const g: Record<string, bigint> = {};
      const over = { steps: 1000n, checkpointInterval: 10n }; // 101 checkpoints: paths of depth 7
      let r = await send(c.f, c.f.market.write.postJob([defaultParams(over)], { account: c.alice.account, value: ESCROW }));
      g.postJob = r.gasUsed;
      r = await send(c.f, c.f.market.write.take([1n], { account: c.bob.account, value: BOND }));
      g.take = r.gasUsed;
      const h = historyFor(over);
      r = await commitJob(c, 1n, h);
      g["commitResult (depth 7)"] = r.gasUsed;
      const gid = (await c.f.game.read.nextGameId()) as bigint;
      r = await send(c.f, c.f.market.write.challenge([1n, h.cp(40), h.cp(41), b32(1, 0xcc)], { account: c.carol.account, value: CBOND }));
      g["challenge (depth 7; TestDisputeGame records the 11-word params)"] = r.gasUsed;
      await send(c.f, c.f.game.write.setRecordParams([false]));
      r = await send(c.f, c.f.market.write.challenge([1n, h.cp(40), h.cp(41), b32(2, 0xcc)], { account: c.dave.account, value: CBOND }));
      g["challenge (depth 7; TestDisputeGame keeps only a status)"] = r.gasUsed;
      await resolve(c, gid + 1n, true);
      await send(c.f, c.f.game.write.setRecordParams([true]));
      r = await resolve(c, gid, true);
      g["onGameResolved solver won (via TestDisputeGame.resolve)"] = r.gasUsed;
      await afterWindow(c, 1n);
      r = await send(c.f, c.f.market.write.finalize([1n]));
      g.finalize = r.gasUsed;
      r = await send(c.f, c.f.market.write.withdraw({ account: c.bob.account }));
      g.withdraw = r.gasUsed;
      const a = await postAuction(c);
      r = await bid(c, a, 9n, c.bob);
      g["bid (first)"] = r.gasUsed;
      r = await bid(c, a, 8n, c.carol);
      g["bid (outbidding)"] = r.gasUsed;
      const j = await getJob(c.f.market, a);
      await c.f.clock.at(j.postedAt + j.bidDuration);
      r = await send(c.f, c.f.market.write.closeBidding([a]));
      g["closeBidding (assign)"] = r.gasUsed;
      const { id: small, h: hs } = await committed(c); // 5 checkpoints: depth 3
      const g0 = (await c.f.game.read.nextGameId()) as bigint;
      r = await send(c.f, c.f.market.write.challenge([small, hs.cp(1), hs.cp(2), b32(1, 0xcc)], { account: c.carol.account, value: CBOND }));
      g["challenge (depth 3)"] = r.gasUsed;
      await challenge(c, small, hs, 2, { from: c.dave });
      r = await resolve(c, g0, false);
      g["onGameResolved challenger won"] = r.gasUsed;
      r = await send(c.f, c.f.market.write.voidGame([g0 + 1n]));
      g.voidGame = r.gasUsed;
      for (const [k, v] of Object.entries(g)) {
        t.diagnostic(`gas ${k}: ${v}`);
        assert.ok(v < 500_000n, `${k} uses ${v} gas`);
      }
    });
  });
});

async function selector(sig: string): Promise<string> {
  const { keccak256, toBytes } = await import("viem");
  return keccak256(toBytes(sig)).slice(2, 10);
}
