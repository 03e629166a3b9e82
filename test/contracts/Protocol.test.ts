// The whole protocol end to end: the REAL JobMarket + DisputeGame + RecomputeKernelVerifier, deployed by
// chain/deploy.ts, with real training histories (training/train.ts, test/contracts/helpers/gameWorld.ts),
// games played by the production player's moves (helpers/gamePlayer.ts's Players) and settled by the RecomputeKernelVerifier
// recomputing the disputed element from operands built by chain/settlementOperands.ts. Every transaction
// is followed by the solvency check INV-MKT-3 (market balance == totalLiabilities() == sum of buckets);
// every scenario ends with all pull balances withdrawn (exact ether received) and an empty market.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { type Hex } from "viem";
import { toHex } from "../../commitment/hash.ts";
import { train } from "../../training/train.ts";
import { syntheticDataset, tinySpec } from "../vectors/generate.ts";
import { deviate, garbageHistory, makeWorld, type History, type World } from "./helpers/gameWorld.ts";
import { Phase, Reason } from "../../dispute/gameState.ts";
import type { Wallet } from "./helpers/gamePlayer.ts";
import { eventsOf, expectRevert, GameStatus, getGame, getJob, type JobParams, JobStatus, send, sendReverts } from "./helpers/market.ts";
import {
  assertEmpty, challenge, commit, committedHistory, deployProtocolFixture, Dispute, firstDisagreement, jobParams, playAll, postJob, type Protocol,
  winnerShare, withdrawAll,
} from "./helpers/protocol.ts";
import { specCommitments } from "../../commitment/specCommitments.ts";

const STEPS = 9;
const INTERVAL = 3; // checkpoints at 0, 3, 6, 9
const ESCROW = 50_000_000_011n;

describe("Protocol (JobMarket + DisputeGame + RecomputeKernelVerifier, deployed by chain/deploy.ts)", async () => {
  const { viem } = await network.create();
  const world: World = makeWorld("tiny", STEPS);
  const params = (over: Partial<JobParams> = {}) => jobParams(world.spec, world.dataset, { steps: BigInt(STEPS), checkpointInterval: BigInt(INTERVAL), ...over });

  /** A first-come job taken by `solver`, committed with `view`'s history. */
  async function committedJob(p: Protocol, view: History, solver: Wallet = p.solver) {
    const jp = params();
    const { jobId } = await postJob(p, jp, ESCROW);
    await send(p, p.market.write.take([jobId], { account: solver.account, value: jp.requiredBond }));
    const ch = committedHistory(view, STEPS, INTERVAL);
    await commit(p, jobId, solver, ch);
    const j = await getJob(p.market, jobId);
    assert.equal(j.status, JobStatus.Committed);
    assert.equal(j.historyRoot, ch.root);
    assert.equal(j.finalRoot, toHex(view.roots[STEPS]!));
    return { jobId, jp, ch };
  }

  async function toWindowEnd(p: Protocol, jobId: bigint) {
    const j = await getJob(p.market, jobId);
    await p.clock.at(j.committedAt + j.challengeWindow);
  }

  it("the job's commitments computed from the spec match the engine-built world", () => {
    const c = specCommitments(world.spec, world.dataset);
    assert.equal(c.programRoot, toHex(world.program.root));
    assert.equal(c.initialRoot, toHex(world.roots[0]!));
    assert.equal(c.datasetRoot, `0x${world.spec.data.root}`);
  });

  // ============================================================== (a)

  it("(a) honest job: auction (outbid refund), close, commit a real history from training/train.ts, finalize, exact balances, empty market", async () => {
    const p = await deployProtocolFixture(viem);
    // The solver trains for real: training/train.ts on the same synthetic dataset and tiny spec.
    const dataset = syntheticDataset(12, 6, 3);
    const spec = tinySpec(dataset);
    const run = await train({ spec, dataset, steps: STEPS, checkpointInterval: INTERVAL, backend: "reference" });
    assert.deepEqual(run.checkpoints.map((c) => c.step), [0, 3, 6, 9]);
    for (const c of run.checkpoints) assert.equal(toHex(c.root), toHex(world.roots[c.step]!), `train.ts and the game world agree at step ${c.step}`);

    const jp = jobParams(spec, dataset, { steps: BigInt(STEPS), checkpointInterval: BigInt(INTERVAL), firstCome: false, bidDuration: 600n });
    const { jobId } = await postJob(p, jp, ESCROW);
    const [rival] = p.others as [Wallet];
    const rivalPrice = ESCROW - 7n, price = 41_000_000_009n;
    await send(p, p.market.write.bid([jobId, rivalPrice], { account: rival.account, value: jp.requiredBond }));
    await sendReverts(p, p.market.write.bid([jobId, rivalPrice], { account: p.solver.account, value: jp.requiredBond }), "BidNotLower");
    await send(p, p.market.write.bid([jobId, price], { account: p.solver.account, value: jp.requiredBond }));
    assert.equal(await p.market.read.balanceOf([rival.account.address]), jp.requiredBond, "the outbid bond is credited at once (INV-MKT-1)");
    await sendReverts(p, p.market.write.closeBidding([jobId], { account: p.anyone.account }), "BiddingNotEnded");
    const posted = await getJob(p.market, jobId);
    await p.clock.at(posted.postedAt + posted.bidDuration);
    await send(p, p.market.write.closeBidding([jobId], { account: p.anyone.account }));
    assert.equal((await getJob(p.market, jobId)).status, JobStatus.Assigned);

    // Commit the history of checkpoints 0, 3, 6, 9 with proofs of the first and the last.
    const ch = committedHistory({ roots: world.roots, trace: () => undefined }, STEPS, INTERVAL);
    assert.deepEqual(ch.checkpoints.map((c) => toHex(c.root)), run.checkpoints.map((c) => toHex(c.root)));
    assert.equal(ch.root, toHex(run.historyRoot), "helpers' history root == train.ts's");
    await sendReverts(p, p.market.write.commitResult([jobId, ch.roots, "m"], { account: rival.account }), "NotSolver");
    const r = await commit(p, jobId, p.solver, ch);
    const [ev] = await eventsOf(p, p.market, r, "ResultCommitted");
    assert.equal(ev.finalRoot, toHex(run.checkpoints.at(-1)!.root));
    assert.equal(ev.checkpointCount, 4n);

    await sendReverts(p, p.market.write.finalize([jobId], { account: p.anyone.account }), "ChallengeWindowOpen");
    await toWindowEnd(p, jobId);
    await sendReverts(
      p,
      p.market.write.challenge([jobId, ch.cp(0), ch.cp(1), toHex(Buffer.alloc(32, 1))], { account: rival.account, value: jp.challengeBond }),
      "ChallengeWindowClosed",
    );
    await send(p, p.market.write.finalize([jobId], { account: p.anyone.account }));
    assert.equal((await getJob(p.market, jobId)).status, JobStatus.Finalized);

    await withdrawAll(p, p.solver, price + jp.requiredBond);
    await withdrawAll(p, p.client, ESCROW - price);
    await withdrawAll(p, rival, jp.requiredBond);
    await withdrawAll(p, p.treasury, 0n);
    await sendReverts(p, p.market.write.withdraw({ account: p.solver.account }), "NothingToWithdraw");
    await assertEmpty(p);
  });

  // ============================================================== (b)

  it("(b) a dishonest solver (one element changed at step 5, propagated) loses to an honest verifier: job Failed, exact payouts", async () => {
    const p = await deployProtocolFixture(viem);
    const lie = deviate(world, { kind: "op", step: 5, entry: 20, element: 13 });
    const { jobId, jp, ch } = await committedJob(p, lie);
    const verifier = p.others[0]!;
    const hiIndex = firstDisagreement(ch, world, STEPS, INTERVAL)!;
    assert.equal(hiIndex, 2, "the first wrong checkpoint is step 6");
    const bond = jp.challengeBond + 5n;
    await sendReverts(p, p.market.write.challenge([jobId, ch.cp(hiIndex - 1), ch.cp(hiIndex), ch.cp(hiIndex).root], { account: verifier.account, value: bond }), "ClaimMatchesSolver");
    await sendReverts(p, p.market.write.challenge([jobId, ch.cp(hiIndex - 1), ch.cp(hiIndex), toHex(world.roots[6]!)], { account: verifier.account, value: jp.challengeBond - 1n }), "BondTooLow");
    const { gameId } = await challenge(p, jobId, ch, hiIndex, toHex(world.roots[6]!), verifier, bond);
    assert.equal((await getJob(p.market, jobId)).openGames, 1n);

    const d = new Dispute(p, world, gameId, { wallet: p.solver, history: lie }, { wallet: verifier, history: world });
    const out = await d.play();
    assert.equal(out.solverWon, false);
    assert.equal(out.reason, Reason.Settled);
    assert.equal(out.settledAt!.entry, 20, "settled on the changed entry");
    const j = await getJob(p.market, jobId);
    assert.equal(j.status, JobStatus.Failed);
    assert.equal(j.openGames, 0n);
    assert.equal((await getGame(p.market, gameId)).status, GameStatus.Resolved);
    await sendReverts(p, p.market.write.finalize([jobId], { account: p.anyone.account }), "WrongJobStatus");

    const toChallenger = winnerShare(p, jp.requiredBond);
    await withdrawAll(p, p.client, ESCROW);
    await withdrawAll(p, verifier, bond + toChallenger);
    await withdrawAll(p, p.treasury, jp.requiredBond - toChallenger);
    await withdrawAll(p, p.solver, 0n);
    await assertEmpty(p);
  });

  // ============================================================== (c)

  it("(c) an honest solver challenged at once by 3 lying challengers (op lie, post-state lie, garbage that times out) wins all three, then finalizes", async () => {
    const p = await deployProtocolFixture(viem);
    const { jobId, jp, ch } = await committedJob(p, world);
    const [c1, c2, c3] = p.others as [Wallet, Wallet, Wallet];
    const liars: { wallet: Wallet; history: History; hiIndex: number; bond: bigint }[] = [
      { wallet: c1, history: deviate(world, { kind: "op", step: 2, entry: 5, element: 7 }), hiIndex: 1, bond: jp.challengeBond },
      { wallet: c2, history: deviate(world, { kind: "post", step: 5 }), hiIndex: 2, bond: 2n * jp.challengeBond + 1n },
      { wallet: c3, history: garbageHistory(world, 6, "c3", false), hiIndex: 3, bond: jp.challengeBond + 999n },
    ];
    const disputes: Dispute[] = [];
    for (const l of liars) {
      const { gameId } = await challenge(p, jobId, ch, l.hiIndex, toHex(l.history.roots[l.hiIndex * INTERVAL]!), l.wallet, l.bond);
      disputes.push(new Dispute(p, world, gameId, { wallet: p.solver, history: world }, { wallet: l.wallet, history: l.history }));
    }
    assert.equal((await getJob(p.market, jobId)).openGames, 3n);
    const outs = await playAll(disputes);
    assert.deepEqual(outs.map((o) => o.solverWon), [true, true, true]);
    assert.deepEqual(outs.map((o) => o.reason), [Reason.Settled, Reason.Settled, Reason.Timeout]);
    assert.equal(outs[0]!.settledAt!.entry, 5);
    assert.equal(outs[1]!.settledAt!.entry, world.entries - 1, "the post-state lie is settled on the post-state anchor");
    const j = await getJob(p.market, jobId);
    assert.equal(j.status, JobStatus.Committed);
    assert.equal(j.openGames, 0n);

    await toWindowEnd(p, jobId);
    await send(p, p.market.write.finalize([jobId], { account: p.anyone.account }));
    const won = liars.reduce((a, l) => a + winnerShare(p, l.bond), 0n);
    const fees = liars.reduce((a, l) => a + l.bond, 0n) - won;
    await withdrawAll(p, p.solver, jp.requiredBond + ESCROW + won);
    await withdrawAll(p, p.treasury, fees);
    await withdrawAll(p, p.client, 0n);
    for (const l of liars) await withdrawAll(p, l.wallet, 0n);
    await assertEmpty(p);
  });

  // ============================================================== (d)

  it("(d) three honest challengers against a dishonest solver: the first to win fails the job, the second game is voided, the third resolves void", async () => {
    const p = await deployProtocolFixture(viem);
    const lie = deviate(world, { kind: "op", step: 7, entry: 22, element: 3 });
    const { jobId, jp, ch } = await committedJob(p, lie);
    const hiIndex = firstDisagreement(ch, world, STEPS, INTERVAL)!;
    assert.equal(hiIndex, 3);
    const [c1, c2, c3] = p.others as [Wallet, Wallet, Wallet];
    const bonds = [jp.challengeBond, jp.challengeBond + 1n, jp.challengeBond + 2n];
    const ds: Dispute[] = [];
    for (const [i, c] of [c1, c2, c3].entries()) {
      const { gameId } = await challenge(p, jobId, ch, hiIndex, toHex(world.roots[STEPS]!), c, bonds[i]!);
      ds.push(new Dispute(p, world, gameId, { wallet: p.solver, history: lie }, { wallet: c, history: world }));
    }
    const [d1, d2, d3] = ds as [Dispute, Dispute, Dispute];
    // Games 2 and 3 get under way; game 1 is played to the end first.
    for (let i = 0; i < 3; i++) {
      assert.equal(await d2.step(false), "moved");
      assert.equal(await d3.step(false), "moved");
    }
    const o1 = await d1.play();
    assert.equal(o1.solverWon, false);
    assert.equal((await getJob(p.market, jobId)).status, JobStatus.Failed);
    assert.equal((await getJob(p.market, jobId)).openGames, 2n);

    // Game 2: voided by anyone; the game contract aborts it, its challenger gets its bond back.
    await sendReverts(p, p.market.write.voidGame([d1.gameId], { account: p.anyone.account }), "GameNotOpen");
    const r = await send(p, p.market.write.voidGame([d2.gameId], { account: p.anyone.account }));
    const [voided] = await eventsOf(p, p.market, r, "GameVoided");
    assert.equal(voided.bondRefunded, bonds[1]);
    assert.equal((await getGame(p.market, d2.gameId)).status, GameStatus.Voided);
    assert.equal((await d2.state()).phase, Phase.Aborted);
    assert.equal(await d2.solver.act(d2.gameId), "waiting", "nobody's turn in an aborted game");
    await expectRevert(p.game.write.bisectStep([d2.gameId, [7, 8].map((t) => toHex(lie.roots[t]!))], { account: p.solver.account }), "GameClosed");
    await expectRevert(p.game.write.timeout([d2.gameId], { account: p.anyone.account }), "GameClosed");
    await sendReverts(p, p.market.write.voidGame([d2.gameId], { account: p.anyone.account }), "GameNotOpen");

    // Game 3: played to its end anyway; the market treats the outcome as void (bond back only).
    const o3 = await d3.play();
    assert.equal(o3.solverWon, false);
    const logs = (await p.pc.getContractEvents({ address: p.market.address, abi: p.market.abi, eventName: "GameResolved", args: { gameId: d3.gameId }, fromBlock: 0n })) as unknown as { args: { jobFailed: boolean; voidOutcome: boolean } }[];
    assert.deepEqual([logs[0]!.args.jobFailed, logs[0]!.args.voidOutcome], [false, true]);
    assert.equal((await getJob(p.market, jobId)).openGames, 0n);

    const toWinner = winnerShare(p, jp.requiredBond);
    await withdrawAll(p, p.client, ESCROW);
    await withdrawAll(p, c1, bonds[0]! + toWinner);
    await withdrawAll(p, c2, bonds[1]!);
    await withdrawAll(p, c3, bonds[2]!);
    await withdrawAll(p, p.treasury, jp.requiredBond - toWinner);
    await withdrawAll(p, p.solver, 0n);
    await assertEmpty(p);
  });

  // ============================================================== (e)

  describe("(e) a solver that challenges itself loses money (the treasury share)", () => {
    /** The solver's net result: what it gets back minus what it paid in (bonds), gas aside. */
    async function selfChallenge(solverView: History, claimView: History, expectSolverWon: boolean) {
      const p = await deployProtocolFixture(viem);
      const { jobId, jp, ch } = await committedJob(p, solverView);
      const hiIndex = firstDisagreement(ch, claimView, STEPS, INTERVAL)!;
      const bond = jp.challengeBond;
      const { gameId } = await challenge(p, jobId, ch, hiIndex, toHex(claimView.roots[Math.min(hiIndex * INTERVAL, STEPS)]!), p.solver, bond);
      const out = await new Dispute(p, world, gameId, { wallet: p.solver, history: solverView }, { wallet: p.solver, history: claimView }).play();
      assert.equal(out.solverWon, expectSolverWon);
      let back: bigint, treasury: bigint, client: bigint;
      if (expectSolverWon) {
        await toWindowEnd(p, jobId);
        await send(p, p.market.write.finalize([jobId], { account: p.anyone.account }));
        back = ESCROW + jp.requiredBond + winnerShare(p, bond);
        treasury = bond - winnerShare(p, bond);
        client = 0n;
      } else {
        assert.equal((await getJob(p.market, jobId)).status, JobStatus.Failed);
        back = bond + winnerShare(p, jp.requiredBond);
        treasury = jp.requiredBond - winnerShare(p, jp.requiredBond);
        client = ESCROW;
      }
      await withdrawAll(p, p.solver, back);
      await withdrawAll(p, p.treasury, treasury);
      await withdrawAll(p, p.client, client);
      await assertEmpty(p);
      // Paid in: its solver bond and its challenge bond; the job's pay (if any) is not a gain of the dispute.
      const paidIn = jp.requiredBond + bond;
      const fromDispute = back - (expectSolverWon ? ESCROW : 0n);
      assert.ok(fromDispute < paidIn, "self-challenge loses money");
      assert.equal(paidIn - fromDispute, treasury, "exactly the treasury share");
      assert.ok(treasury > 0n);
    }

    it("an honest solver challenging its own result with a lie loses the challenge bond's treasury share", async () => {
      await selfChallenge(world, deviate(world, { kind: "op", step: 4, entry: 13, element: 2 }), true);
    });

    it("a dishonest solver failing its own job on purpose loses the solver bond's treasury share", async () => {
      await selfChallenge(deviate(world, { kind: "op", step: 1, entry: 24, element: 5 }), world, false);
    });
  });

  // ============================================================== guards across the two contracts

  it("only the market opens and aborts games; setMarket is done once; market and game are wired both ways", async () => {
    const p = await deployProtocolFixture(viem);
    assert.equal((await p.game.read.market()).toLowerCase(), p.market.address.toLowerCase());
    assert.equal((await p.market.read.game()).toLowerCase(), p.game.address.toLowerCase());
    assert.equal((await p.game.read.kernelVerifier()).toLowerCase(), p.verifier.address.toLowerCase());
    await expectRevert(p.game.write.setMarket([p.anyone.account.address], { account: p.deployer.account }), "MarketAlreadySet");
    await expectRevert(p.game.write.abort([1n], { account: p.anyone.account }), "NotMarket");
    const gp = {
      jobId: 1n, solver: p.solver.account.address, challenger: p.anyone.account.address, loStep: 0n, hiStep: 3n,
      agreedRoot: toHex(world.roots[0]!), solverRoot: toHex(world.roots[3]!), challengerRoot: `0x${"11".repeat(32)}` as Hex,
      clockDuration: 100n, programRoot: toHex(world.program.root), datasetRoot: `0x${world.spec.data.root}` as Hex,
    };
    await expectRevert(p.game.write.create([gp], { account: p.anyone.account }), "NotMarket");
    await expectRevert(p.market.write.onGameResolved([1n, true], { account: p.anyone.account }), "NotGame");
    await assertEmpty(p);
  });
});
