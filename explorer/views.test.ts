import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Address, Hash } from "viem";
import type { Job } from "../chain/jobs.ts";
import type { JobEvent } from "../client/getJobEvents.ts";
import { toRoot, ZERO_ROOT } from "../core/root.ts";
import { isUnsettled, type IndexedJob } from "./chainIndex.ts";
import { jobView, networkView } from "./views.ts";

const A = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as Address;
const CLIENT = A(1), SOLVER = A(2), OTHER = A(3), VERIFIER = A(4), TREASURY = A(5);
const TX = `0x${"ab".repeat(32)}` as Hash;
const root = (n: number) => toRoot(`0x${n.toString(16).padStart(64, "0")}`);

function job(over: Partial<Job> = {}): Job {
  return {
    client: CLIENT, escrow: 1_000n, solver: `0x${"0".repeat(40)}`, price: 0n, requiredBond: 100n, challengeBond: 50n, steps: 10n, checkpointInterval: 5n,
    bidDuration: 60n, commitDuration: 3_600n, challengeWindow: 3_600n, clockDuration: 600n, postedAt: 1n, assignedAt: 0n, committedAt: 0n, checkpointCount: 0n,
    openGames: 0n, sampleBps: 500, status: "Open", firstCome: false, hasBid: false,
    specHash: root(1), programRoot: root(2), initialRoot: root(3), datasetRoot: root(4), historyRoot: ZERO_ROOT, finalRoot: ZERO_ROOT, ...over,
  } as Job;
}

let log = 0;
const at = (block: number) => ({ blockNumber: BigInt(block), logIndex: log++, transactionHash: TX });
const posted = (b: number): JobEvent => ({ ...at(b), kind: "posted", client: CLIENT, escrow: 1_000n, params: { specURI: "file:///s.json" } as never });
const bid = (b: number, bidder: Address, price: bigint): JobEvent => ({ ...at(b), kind: "bid", bidder, price, bond: 100n });
const assigned = (b: number, price: bigint): JobEvent => ({ ...at(b), kind: "assigned", solver: SOLVER, price, bond: 100n });
const committed = (b: number): JobEvent => ({
  ...at(b), kind: "committed", solver: SOLVER, historyRoot: root(9), finalRoot: root(13), checkpointCount: 3n, challengeDeadline: 10_000n, modelURI: "http://s/state/x", roots: [root(11), root(12), root(13)],
});
const challenged = (b: number, gameId: bigint, loIndex: bigint): JobEvent => ({ ...at(b), kind: "challenged", gameId, challenger: VERIFIER, bond: 50n, loIndex, claimedRoot: root(99) });

describe("explorer views", () => {
  it("network: jobs by state, escrow and bonds held, open disputes, prices, solvers and verifiers seen", () => {
    const open: IndexedJob = { id: 1n, job: job({ hasBid: true, solver: OTHER, price: 800n }), events: [posted(1), bid(2, SOLVER, 900n), { ...at(3), kind: "outbid", bidder: SOLVER, bondRefunded: 100n }, bid(3, OTHER, 800n)] };
    const disputed: IndexedJob = {
      id: 2n, job: job({ status: "Committed", solver: SOLVER, price: 600n, escrow: 2_000n, openGames: 1n }),
      events: [posted(4), assigned(5, 600n), committed(6), { ...at(7), kind: "attested", verifier: OTHER, intervals: [0n] }, challenged(8, 1n, 1n)],
    };
    const finalized: IndexedJob = {
      id: 3n, job: job({ status: "Finalized", solver: SOLVER, price: 700n }),
      events: [posted(9), assigned(10, 700n), committed(11), { ...at(12), kind: "finalized", solver: SOLVER, solverPaid: 700n, clientRefund: 300n }, { ...at(12), kind: "credited", account: SOLVER, amount: 800n }],
    };
    const n = networkView({ market: A(9), game: A(10), head: { block: 12n, timestamp: 1_000n }, marketBalance: 4_321n, jobs: [open, disputed, finalized] });
    assert.deepEqual(n.jobsByState, { Open: 1, Assigned: 0, Committed: 1, Finalized: 1, Cancelled: 0, Slashed: 0, Failed: 0 });
    assert.equal(n.escrowHeld, "3000", "the open and the committed job's escrow; not the finalized one's");
    assert.equal(n.solverBondsHeld, "200", "the committed job's bond and the open auction's best bid's");
    assert.equal(n.challengeBondsHeld, "50");
    assert.equal(n.marketBalance, "4321");
    assert.deepEqual([n.disputesOpen, n.disputesTotal], [1, 1]);
    assert.deepEqual(n.prices, { count: 2, min: "600", max: "700", median: "600", medianPerStep: "60" });
    assert.deepEqual(n.jobs.map((j) => j.id), ["3", "2", "1"], "newest first");
    assert.deepEqual(n.solvers.find((s) => s.address === SOLVER), { address: SOLVER, bids: 1, jobsWon: 2, finalized: 1, failed: 0, slashed: 0, credited: "800" });
    assert.deepEqual(n.solvers.find((s) => s.address === OTHER)?.bids, 1);
    assert.deepEqual(n.verifiers.map((v) => [v.address, v.attestations, v.intervalsAttested, v.challenges]).sort(), [[OTHER, 1, 1, 0], [VERIFIER, 0, 0, 1]]);
  });

  it("a job: bids (outbid marked), checkpoints with attestations and challenges, payments by role, the report's verdict and sentence", () => {
    const failed: IndexedJob = {
      id: 7n, job: job({ status: "Failed", solver: SOLVER, price: 600n }),
      events: [
        posted(1), bid(2, OTHER, 900n), { ...at(3), kind: "outbid", bidder: OTHER, bondRefunded: 100n }, bid(3, SOLVER, 600n), assigned(4, 600n), committed(5),
        { ...at(6), kind: "attested", verifier: OTHER, intervals: [0n] }, challenged(7, 3n, 1n),
        { ...at(9), kind: "gameResolved", gameId: 3n, solverWon: false, jobFailed: true, voidOutcome: false, reason: "Settled" },
        { ...at(9), kind: "failed", gameId: 3n, escrowRefunded: 1_000n, solverBondForfeited: 100n },
        { ...at(9), kind: "credited", account: CLIENT, amount: 1_000n }, { ...at(9), kind: "credited", account: VERIFIER, amount: 140n }, { ...at(9), kind: "credited", account: TREASURY, amount: 10n },
      ],
    };
    const v = jobView(failed, { games: [], treasury: TREASURY, spec: { checked: false, uri: "file:///s.json", error: "unreachable" } });
    assert.equal(v.verdict, "solver-failed");
    assert.match(v.summary, /a challenger won a dispute/);
    assert.deepEqual(v.bids.map((b) => [b.bidder, b.outbid]), [[OTHER, true], [SOLVER, false]]);
    assert.deepEqual(v.checkpoints.map((c) => [c.index, c.step, c.root, c.attestedBy, c.challengedIn]), [
      [0, 0, root(11), [], []], [1, 5, root(12), [OTHER], []], [2, 10, root(13), [], ["3"]],
    ]);
    assert.deepEqual(v.disputes.map((d) => [d.gameId, d.outcome, d.reason, d.loStep, d.hiStep]), [["3", "challenger-won", "Settled", "5", "10"]]);
    assert.deepEqual(v.payments.map((p) => [p.role, p.amount]), [["client", "1000"], ["challenger", "140"], ["treasury", "10"]]);
    assert.deepEqual(v.spec, { checked: false, uri: "file:///s.json", error: "unreachable" });
    assert.equal(v.events.length, failed.events.length);
    assert.equal(JSON.parse(JSON.stringify(v)).events[0].escrow, "1000", "JSON-ready: bigints as decimal strings");
  });

  it("a job stays unsettled (re-read each poll) until a terminal event and no open game", () => {
    const j = (events: JobEvent[]) => ({ job: job(), events });
    assert.equal(isUnsettled(j([posted(1), assigned(2, 5n)])), true);
    assert.equal(isUnsettled(j([posted(1), { ...at(2), kind: "cancelled", client: CLIENT, escrowRefunded: 1n }])), false);
    // Failed by one game while another is still being played: the second game's outcome is still to come.
    const twoGames = [posted(1), assigned(2, 5n), committed(3), challenged(4, 1n, 0n), challenged(4, 2n, 1n),
      { ...at(5), kind: "gameResolved", gameId: 1n, solverWon: false, jobFailed: true, voidOutcome: false, reason: "Settled" } as JobEvent,
      { ...at(5), kind: "failed", gameId: 1n, escrowRefunded: 1n, solverBondForfeited: 1n } as JobEvent];
    assert.equal(isUnsettled(j(twoGames)), true);
    assert.equal(isUnsettled(j([...twoGames, { ...at(6), kind: "gameVoided", gameId: 2n, challenger: VERIFIER, bondRefunded: 1n }])), false);
  });
});
