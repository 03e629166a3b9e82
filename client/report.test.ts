// The client's follow/report actions on an in-process Hardhat network with the real protocol
// (chain/deploy.ts): watchJob/getJobEvents on an honest job solved by solver/runJob (events in order,
// verdict finalized-unchallenged, model verified); a job whose solver wins a dispute by the challenger's
// timeout (finalized after disputes; its model URI serves nothing, so the model does not verify); a job
// failed by a challenger's win with a second game voided. The histories of the disputed jobs are made up
// (test/contracts/helpers/market.ts makeHistory): the report reads only what the chain says.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { getAddress, type Hash } from "viem";
import { deployProtocol } from "../chain/deploy.ts";
import { disputeGameAbi, jobMarketAbi } from "../chain/generated/contracts.ts";
import { publishForSolver, startInProcessSolver } from "../test/helpers/inProcessSolver.ts";
import { makeHistory } from "../test/contracts/helpers/market.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { getJobEvents, getMarketEvents, getVerificationReport, type JobEvent, postJob, watchJob } from "./index.ts";

const STEPS = 9, INTERVAL = 3, WINDOW = 1_000n, CLOCK = 600n, BOND = 100n, CHALLENGE_BOND = 50n;
const kinds = (es: readonly JobEvent[]) => es.map((e) => e.kind);

describe("watchJob, getJobEvents, getVerificationReport (in-process chain)", async () => {
  const { viem } = await network.create();
  const pc = await viem.getPublicClient();
  const tc = await viem.getTestClient();
  const [deployer, treasury, client, solver, c1, c2, anyone] = await viem.getWalletClients();
  const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000 });
  const market = d.jobMarket, game = d.disputeGame;
  const dataset = syntheticDataset(64, 12, 4);
  const spec = tinySpec(dataset);
  const post = (specURI = "file:///spec.json") => postJob(client!, {
    market, spec, dataset, specURI, steps: STEPS, checkpointInterval: INTERVAL, escrow: 1_000n, requiredBond: BOND, challengeBond: CHALLENGE_BOND,
    commitDuration: 3_600n, challengeWindow: WINDOW, clockDuration: CLOCK,
  });
  const mined = async (hash: Promise<Hash>) => {
    const r = await pc.waitForTransactionReceipt({ hash: await hash });
    assert.equal(r.status, "success");
    return r;
  };
  const advance = async (seconds: bigint) => {
    await tc.increaseTime({ seconds: Number(seconds) });
    await tc.mine({ blocks: 1 });
  };
  /** A posted, taken job committed with a made-up history (roots 0x77.., model URI that serves nothing). */
  async function committedJob() {
    const { jobId, params } = await post();
    await mined(solver!.writeContract({ address: market, abi: jobMarketAbi, functionName: "take", args: [jobId], value: BOND }));
    const h = makeHistory(STEPS, INTERVAL, params.initialRoot);
    await mined(solver!.writeContract({
      address: market, abi: jobMarketAbi, functionName: "commitResult", args: [jobId, h.roots, "file:///nowhere/model.vtst"],
    }));
    const challenge = async (who: typeof c1, hiIndex: number) => {
      const r = await mined(who!.writeContract({
        address: market, abi: jobMarketAbi, functionName: "challenge", args: [jobId, h.cp(hiIndex - 1), h.cp(hiIndex), `0x${"c1".repeat(32)}`], value: CHALLENGE_BOND,
      }));
      const ev = (await getJobEvents(pc, { market, jobId, fromBlock: r.blockNumber, toBlock: r.blockNumber })).find((e) => e.kind === "challenged");
      assert.ok(ev?.kind === "challenged");
      return ev.gameId;
    };
    return { jobId, h, challenge };
  }

  it("an honest job: events in chain order, watchJob reports each once, verdict finalized-unchallenged, model verified", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-report-"));
    const pub = await publishForSolver(dir, spec, dataset);
    const s = await startInProcessSolver({ client: solver!, market, dataDir: path.join(dir, "solver"), datasets: [pub.datasetFile] });
    try {
      const { jobId, receipt } = await post(pub.specURI);
      const seen: JobEvent[] = [];
      const first = await watchJob(pc, { market, jobId, fromBlock: receipt.blockNumber, until: ["Committed"], pollingIntervalMs: 20, timeoutMs: 60_000, onEvent: (e) => seen.push(e) });
      assert.equal(first.job.status, "Committed");
      assert.deepEqual(kinds(first.events), ["posted", "assigned", "committed"]);
      assert.deepEqual(seen, first.events);
      // Not settled yet: pending, the committed roots are there, no model check without a spec.
      const pending = (await getVerificationReport(pc, { market, jobId })).report;
      assert.equal(pending.verdict, "pending");
      assert.equal(pending.model.checked, false);
      await advance(WINDOW);
      const r = await s.nextReport();
      assert.equal(r.status, "withdrawn");
      const all = await watchJob(pc, { market, jobId, pollingIntervalMs: 20, timeoutMs: 30_000 });
      assert.equal(all.job.status, "Finalized");
      assert.deepEqual(kinds(all.events).filter((k) => k !== "credited"), ["posted", "assigned", "committed", "finalized"]);
      const credited = all.events.filter((e) => e.kind === "credited");
      assert.deepEqual(credited.map((e) => e.kind === "credited" && [e.account, e.amount]), [[getAddress(solver!.account.address), 1_100n]]);
      for (let i = 1; i < all.events.length; i++) {
        const [a, b] = [all.events[i - 1]!, all.events[i]!];
        assert.ok(a.blockNumber < b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex < b.logIndex), "chain order");
      }
      const posted = all.events[0]!;
      assert.ok(posted.kind === "posted" && posted.escrow === 1_000n && posted.client === getAddress(client!.account.address) && posted.params.steps === BigInt(STEPS));
      const committed = all.events.find((e) => e.kind === "committed");
      assert.ok(committed?.kind === "committed" && committed.finalRoot === r.finalRoot && committed.modelURI === r.modelURI && committed.checkpointCount === 4n);

      const { report, state } = await getVerificationReport(pc, { market, jobId, spec });
      assert.equal(report.verdict, "finalized-unchallenged");
      assert.match(report.summary, /nobody challenged .* Unchallenged is not re-executed/);
      assert.deepEqual(report.model, { checked: true, verified: true, uri: r.modelURI, root: r.finalRoot });
      assert.equal(state?.step, STEPS);
      assert.deepEqual(report.intervals, { total: 3n, challenged: 0n, attested: 0n });
      assert.deepEqual(report.attestations, []);
      assert.deepEqual(report.disputes, []);
      assert.equal(report.roots.historyRoot, r.historyRoot);
      assert.equal(report.solver, getAddress(solver!.account.address));
      assert.equal(report.price, 1_000n);
    } finally {
      await s.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the solver wins a dispute (the challenger times out): finalized after disputes; its model URI serves nothing: not verified", async () => {
    const { jobId, challenge } = await committedJob();
    const gameId = await challenge(c1, 2); // checkpoints 1-2: steps 3..6
    await mined(solver!.writeContract({ address: game, abi: disputeGameAbi, functionName: "bisectStep", args: [gameId, [`0x${"a1".repeat(32)}`, `0x${"a2".repeat(32)}`]] }));
    await advance(CLOCK);
    await mined(anyone!.writeContract({ address: game, abi: disputeGameAbi, functionName: "timeout", args: [gameId] }));
    assert.equal((await getVerificationReport(pc, { market, jobId })).report.verdict, "pending");
    await advance(WINDOW);
    await mined(anyone!.writeContract({ address: market, abi: jobMarketAbi, functionName: "finalize", args: [jobId] }));

    const events = await getJobEvents(pc, { market, jobId });
    assert.deepEqual(kinds(events).filter((k) => k !== "credited"), ["posted", "assigned", "committed", "challenged", "gameResolved", "finalized"]);
    const resolved = events.find((e) => e.kind === "gameResolved");
    assert.ok(resolved?.kind === "gameResolved");
    assert.deepEqual([resolved.gameId, resolved.solverWon, resolved.jobFailed, resolved.voidOutcome, resolved.reason], [gameId, true, false, false, "Timeout"]);

    const { report, state } = await getVerificationReport(pc, { market, jobId, spec });
    assert.equal(report.verdict, "finalized-after-disputes");
    assert.match(report.summary, /Finalized after 1 dispute on chain, none of which the solver lost/);
    assert.deepEqual(report.disputes, [{
      gameId, challenger: getAddress(c1!.account.address), bond: CHALLENGE_BOND, loIndex: 1n, loStep: 3n, hiStep: 6n, claimedRoot: `0x${"c1".repeat(32)}`,
      outcome: "solver-won", reason: "Timeout", failedJob: false,
    }]);
    assert.deepEqual(report.intervals, { total: 3n, challenged: 1n, attested: 0n });
    assert.equal(report.model.checked, true);
    assert.equal(report.model.verified, false);
    assert.match(report.model.error!, /cannot read the model at file:\/\/\/nowhere\/model\.vtst/);
    assert.match(report.summary, /does NOT verify/);
    assert.equal(state, undefined);
  });

  it("a challenger wins (the solver times out): solver failed; the second game is voided", async () => {
    const { jobId, challenge } = await committedJob();
    const g1 = await challenge(c1, 1);
    const g2 = await challenge(c2, 3);
    await advance(CLOCK);
    await mined(anyone!.writeContract({ address: game, abi: disputeGameAbi, functionName: "timeout", args: [g1] }));
    await mined(anyone!.writeContract({ address: market, abi: jobMarketAbi, functionName: "voidGame", args: [g2] }));
    const { report } = await getVerificationReport(pc, { market, jobId, spec });
    assert.equal(report.status, "Failed");
    assert.equal(report.verdict, "solver-failed");
    assert.match(report.summary, /a challenger won a dispute/);
    assert.deepEqual(report.disputes.map((x) => [x.gameId, x.challenger, x.loIndex, x.outcome, x.reason, x.failedJob]), [
      [g1, getAddress(c1!.account.address), 0n, "challenger-won", "Timeout", true],
      [g2, getAddress(c2!.account.address), 2n, "voided", undefined, false],
    ]);
    assert.deepEqual([report.disputes[1]!.loStep, report.disputes[1]!.hiStep], [6n, 9n]);
    assert.deepEqual(report.intervals, { total: 3n, challenged: 2n, attested: 0n });
    assert.equal(report.model.checked, false); // a failed job has no model to fetch
    assert.deepEqual(kinds(report.events).filter((k) => k !== "credited"), ["posted", "assigned", "committed", "challenged", "challenged", "failed", "gameResolved", "gameVoided"]);
  });

  it("verifiers' attestations: the report says which intervals were re-executed by whom, and that it is their word", async () => {
    const { jobId } = await committedJob();
    await mined(c1!.writeContract({ address: market, abi: jobMarketAbi, functionName: "attest", args: [jobId, [0n, 2n]] }));
    await mined(c2!.writeContract({ address: market, abi: jobMarketAbi, functionName: "attest", args: [jobId, [2n]] }));
    await advance(WINDOW);
    await mined(anyone!.writeContract({ address: market, abi: jobMarketAbi, functionName: "finalize", args: [jobId] }));
    const { report } = await getVerificationReport(pc, { market, jobId });
    assert.equal(report.verdict, "finalized-unchallenged");
    assert.deepEqual(report.attestations.map((a) => [a.verifier, a.intervals]), [[getAddress(c1!.account.address), [0n, 2n]], [getAddress(c2!.account.address), [2n]]]);
    assert.deepEqual(report.intervals, { total: 3n, challenged: 0n, attested: 2n });
    assert.match(report.summary, new RegExp(`intervals 0, 2 re-executed by ${getAddress(c1!.account.address)}: match; interval 2 re-executed by ${getAddress(c2!.account.address)}: match \\(2 of 3 intervals; an attestation is a verifier's word, not a proof of checking\\)`));
    assert.doesNotMatch(report.summary, /Unchallenged is not re-executed/);
    const committed = report.events.find((e) => e.kind === "committed");
    assert.ok(committed?.kind === "committed" && committed.roots.length === 4 && committed.roots[0] === report.roots.initialRoot);
  });

  it("getMarketEvents: one pass over the market gives every job exactly the events getJobEvents gives it, over the whole chain and over a slice", async () => {
    const latest = await pc.getBlockNumber();
    const count = await pc.readContract({ address: market, abi: jobMarketAbi, functionName: "jobCount" });
    assert.ok(count >= 4n, `the jobs of the tests above (${count})`);
    const all = await getMarketEvents(pc, { market, fromBlock: 0n, toBlock: latest, logRange: 7 });
    assert.deepEqual([...all.keys()].sort((a, b) => (a < b ? -1 : 1)), Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1)));
    for (let id = 1n; id <= count; id++) assert.deepEqual(all.get(id), await getJobEvents(pc, { market, jobId: id, fromBlock: 0n, toBlock: latest }), `job ${id}`);
    // A slice (what a watcher reads after its cursor): the jobs with an event in it, only those events.
    const from = latest / 2n;
    const slice = await getMarketEvents(pc, { market, fromBlock: from, toBlock: latest });
    for (const [id, list] of all) {
      const inSlice = list.filter((e) => e.blockNumber >= from);
      assert.deepEqual(slice.get(id) ?? [], inSlice, `job ${id} in blocks ${from}..${latest}`);
    }
    assert.equal((await getMarketEvents(pc, { market, fromBlock: latest + 1n, toBlock: latest })).size, 0);
  });
});
