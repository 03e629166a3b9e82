// Why an auction got no bid (explainNoBid, from the jobs solvers took before), and what a followed job waits
// for against the chain's time (describeJobWait; watchJob's onWait and the JobWaitError of a timeout). The
// reasons are tested on made-up market histories; the chain test runs a real auction that closes without a
// bid on an in-process Hardhat network, where the chain's clock moves only when the test mines.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { writeContract } from "viem/actions";
import { deployProtocol } from "../chain/deploy.ts";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import type { Job } from "../chain/jobs.ts";
import { toRoot } from "../core/root.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { describeJobWait, JobWaitError, type JobWait, noBidReasons, postJob, waitForJob, watchJob } from "./index.ts";

const MNIST = toRoot(`0x${"11".repeat(32)}`), OTHER = toRoot(`0x${"22".repeat(32)}`);

/** A job as getJob returns it, with the fields these tests vary. */
function job(o: Partial<Job>): Job {
  return {
    client: "0x0000000000000000000000000000000000000001", escrow: 1_000n, solver: "0x0000000000000000000000000000000000000002", price: 1_000n, requiredBond: 100n, challengeBond: 50n,
    steps: 100n, checkpointInterval: 10n, bidDuration: 300n, commitDuration: 3_600n, challengeWindow: 3_600n, clockDuration: 600n, postedAt: 1_000n, assignedAt: 0n, committedAt: 0n,
    checkpointCount: 0n, openGames: 0n, sampleBps: 500, status: "Finalized", firstCome: false, hasBid: false,
    specHash: MNIST, programRoot: MNIST, initialRoot: MNIST, datasetRoot: MNIST, historyRoot: MNIST, finalRoot: MNIST, ...o,
  } as Job;
}

describe("noBidReasons (why no solver bid, from the jobs solvers took)", () => {
  it("no job ever taken on the market: says no solver seems active", () => {
    const first = noBidReasons(1n, job({ status: "Cancelled" }), []);
    assert.deepEqual(first.reasons.map((r) => r.kind), ["noSolvers"]);
    assert.match(first.message, /^job 1 got no bid; likely because it is the first job on this market/);
    const none = noBidReasons(3n, job({ status: "Cancelled" }), [{ jobId: 1n, job: job({ status: "Cancelled" }) }, { jobId: 2n, job: job({ status: "Cancelled" }) }]);
    assert.match(none.reasons[0]!.message, /none of the 2 jobs before it was taken by a solver/);
  });

  it("names each way the job differs from every job taken: escrow per step, steps, dataset, bidding window, commit window", () => {
    const taken = [
      { jobId: 1n, job: job({ price: 2_000n, steps: 100n, bidDuration: 300n }) }, // 20 wei per step
      { jobId: 2n, job: job({ price: 1_500n, steps: 100n, bidDuration: 120n, status: "Committed" }) }, // 15 wei per step: the lowest
    ];
    const mine = job({ status: "Cancelled", escrow: 1_000n, steps: 200n, datasetRoot: OTHER, bidDuration: 30n, commitDuration: 60n });
    const e = noBidReasons(3n, mine, taken);
    assert.deepEqual(e.reasons.map((r) => r.kind), ["escrow", "steps", "dataset", "bidWindow", "commitWindow"]);
    assert.equal(e.reasons[0]!.message, "its escrow pays 5 wei per step, below the lowest any solver accepted recently (15 wei per step, job 2)");
    assert.equal(e.reasons[1]!.message, "its 200 steps are more than any solver took before (at most 100, job 1): solvers cap the steps they accept");
    assert.match(e.reasons[3]!.message, /bidding window of 30 s is shorter than any auction a solver bid on \(120 s\)/);
    assert.equal(e.taken, 2);
  });

  it("a job like the ones taken: no reason invented, it says so", () => {
    const e = noBidReasons(2n, job({ status: "Cancelled" }), [{ jobId: 1n, job: job({}) }]);
    assert.deepEqual(e.reasons, []);
    assert.match(e.message, /looks like the 1 recent job\(s\) solvers took .*: the solvers may have been busy or offline$/);
  });
});

describe("describeJobWait (what a job waits for, against the chain's time)", () => {
  it("before the deadline it says how long is left and that a local chain's clock moves only with blocks; after, that it passed", () => {
    const committed = job({ status: "Committed", committedAt: 1_000n, challengeWindow: 100n });
    const w = describeJobWait(committed, 4n, 1_040n);
    assert.equal(w.deadline, 1_100n);
    assert.equal(w.message, "job 4 is Committed: waiting for its challenge window to end at chain time 1100; the chain's time is 1040 (60 s to go; then anyone may finalize it (the solver node does)). A local chain's clock moves only when blocks are mined");
    assert.match(describeJobWait(committed, 4n, 1_200n).message, /its deadline, chain time 1100, has passed \(the chain's time is 1200\)/);
    assert.match(describeJobWait(job({ status: "Assigned", assignedAt: 10n, commitDuration: 5n }), 5n, 12n).message, /waiting for solver 0x0+2's commit at chain time 15/);
  });
});

describe("an auction that closes without a bid, followed on a chain (in-process)", async () => {
  const { viem } = await network.create();
  const pc = await viem.getPublicClient();
  const tc = await viem.getTestClient();
  const [deployer, treasury, client] = await viem.getWalletClients();
  const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000 });
  const dataset = syntheticDataset(64, 12, 4);
  const spec = tinySpec(dataset);
  const market = d.jobMarket;

  it("waitForJob's timeout and watchJob's waits say the chain's time against the auction's end; the cancelled job comes with why", async () => {
    const { jobId } = await postJob(client!, {
      market, spec, dataset, specURI: "file:///nowhere/spec.json", steps: 9, checkpointInterval: 3, escrow: 1_000n, requiredBond: 100n, challengeBond: 50n,
      firstCome: false, bidDuration: 120n, commitDuration: 3_600n, challengeWindow: 100n, clockDuration: 600n,
    });
    await assert.rejects(waitForJob(pc, { market, jobId, status: "Assigned", timeoutMs: 100, pollingIntervalMs: 20 }), (e: unknown) =>
      e instanceof JobWaitError && new RegExp(`^job ${jobId} is still Open after 0.1 s \\(waiting for Assigned\\): job ${jobId} is Open: waiting for a solver's bid before its auction ends at chain time \\d+; the chain's time is \\d+ \\(\\d+ s to go; without a bid it can then be cancelled and the escrow refunded\\)\\. A local chain's clock moves only when blocks are mined$`).test(e.message));
    const waits: JobWait[] = [];
    const watching = watchJob(pc, { market, jobId, pollingIntervalMs: 20, waitNoticeMs: 0, onWait: (w) => waits.push(w) });
    while (waits.length === 0) await new Promise((r) => setTimeout(r, 20));
    assert.equal(waits[0]!.status, "Open");
    assert.ok(waits[0]!.deadline! > waits[0]!.chainTime);
    await tc.increaseTime({ seconds: 121 });
    await tc.mine({ blocks: 1 });
    await writeContract(client!, { address: market, abi: jobMarketAbi, functionName: "closeBidding", args: [jobId], account: client!.account, chain: client!.chain });
    const r = await watching;
    assert.equal(r.job.status, "Cancelled");
    assert.deepEqual(r.noBid?.reasons.map((x) => x.kind), ["noSolvers"]);
    assert.match(r.noBid!.message, new RegExp(`^job ${jobId} got no bid; likely because it is the first job on this market`));
    // waitForJob on a cancelled job: the JobWaitError carries the same explanation.
    await assert.rejects(waitForJob(pc, { market, jobId, status: "Finalized" }), (e: unknown) =>
      e instanceof JobWaitError && e.message.startsWith(`job ${jobId} is Cancelled and will never be Finalized: job ${jobId} got no bid; likely because`));
  });
});
