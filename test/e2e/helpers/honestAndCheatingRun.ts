// The full honest-and-cheating run, on either local node implementation (test/e2e/disputeRestart.test.ts on
// Hardhat's, test/e2e/anvil.test.ts on anvil): the same run, so that both EVMs pass the same checks.
//
// A cheating solver (one corrupted weight update) and an honest solver each take a job. A verifier catches
// the cheat and plays the dispute to settlement; a lying verifier challenges the honest job's correct
// result and loses. Each defender of the truth is SIGKILLed mid-dispute and started again on the same data
// dir: it picks its game up from the chain and still wins. The cheat's job fails (the solver slashed, the
// client refunded); the honest job is finalized after the window and paid. Exact pull credits per job,
// exact ether changes per account (less each account's own fees); the market holds nothing at the end.
import { after, before, describe, it } from "node:test";
import { expect } from "chai";
import { getContractEvents } from "viem/actions";
import { jobMarketAbi } from "../../../chain/generated/contracts.ts";
import { getJob } from "../../../chain/jobs.ts";
import type { LocalNodeImpl } from "../../../chain/localNode.ts";
import { transactionsBySender } from "../../../chain/transactionsBySender.ts";
import { BOND, CHALLENGE_BOND, type E2EWorld, ESCROW, FORFEIT_BPS, startE2EWorld, WINDOW } from "./e2eWorld.ts";

const TREASURY = 1, CLIENT = 2, CHEAT = 3, VERIFIER = 4, HONEST_SOLVER = 5, LIAR = 6;

/** Registers the run's suite on a local node of implementation `impl`; `skip` (a reason) skips it. */
export function describeHonestAndCheatingRun(impl: LocalNodeImpl, skip?: string): void {
  describe(`honest and cheating nodes, killed and restarted mid-dispute (local ${impl} node, node processes)`, { timeout: 600_000, ...(skip ? { skip } : {}) }, () => {
    let w: E2EWorld;
    before(async () => {
      w = await startE2EWorld({ accounts: LIAR + 1, impl });
    });
    after(async () => {
      await w?.close();
    });

    it("a verifier killed mid-dispute resumes and wins; a solver killed mid-dispute resumes, wins and is paid; exact credits and balances", async () => {
      const pc = w.local.publicClient;
      const [cheatLane, honestLane] = await Promise.all([w.lane(40), w.lane(41)]);
      const everyone = [TREASURY, CLIENT, CHEAT, VERIFIER, HONEST_SOLVER, LIAR];
      const balances = new Map(await Promise.all(everyone.map(async (i) => [i, await pc.getBalance({ address: w.address(i) })] as const)));
      const startBlock = await pc.getBlockNumber({ cacheTime: 0 });
      await w.solver("cheat", CHEAT, [cheatLane], { cheat: "corrupt-update", step: 8 });
      let verifier = await w.verifier("verifier", VERIFIER, [cheatLane]);
      let solver = await w.solver("honest", HONEST_SOLVER, [honestLane]);
      const liar = await w.verifier("liar", LIAR, [honestLane], { adversary: { challengeCorrect: true } });
      const cheatJob = await w.post(cheatLane);
      const honestJob = await w.post(honestLane);
      const driver = w.drive(new Map([[cheatJob, "solver" as const], [honestJob, "challenger" as const]]));
      try {
        // Kill each defender of the truth after its first dispute moves, then start it again on the same data dir.
        await verifier.waitFor("the verifier's second move", () => verifier.logs.filter((l) => String(l.msg).startsWith("dispute move")).length >= 2, 120_000);
        await verifier.kill("SIGKILL");
        await solver.waitFor("the solver's second move", () => solver.logs.filter((l) => String(l.msg).startsWith("dispute move")).length >= 2, 120_000);
        await solver.kill("SIGKILL");
        verifier = await w.verifier("verifier", VERIFIER, [cheatLane]);
        solver = await w.solver("honest", HONEST_SOLVER, [honestLane]);
        await verifier.waitFor("the cheat's dispute to end", () => verifier.logs.some((l) => l.msg === "disputes over" && l.jobId === cheatJob.toString()), 240_000);
        await liar.waitFor("the liar's dispute to end", () => liar.logs.some((l) => l.msg === "disputes over"), 240_000);
      } finally {
        await driver.stop();
      }
      expect(verifier.logs.find((l) => l.msg === "dispute won")?.reason).to.equal("settled");
      expect(verifier.logs.some((l) => l.msg === "challenge opened"), "the restarted verifier does not challenge again").to.equal(false);
      expect((await getJob(pc, { market: w.market, jobId: cheatJob })).status).to.equal("Failed");
      expect(liar.logs.find((l) => l.msg === "dispute lost")).to.not.equal(undefined);
      expect(solver.logs.find((l) => l.msg === "dispute won")).to.not.equal(undefined);

      await w.passTime(WINDOW + 1n);
      await solver.waitFor("the honest job's report", () => solver.reports.some((r) => r.jobId === honestJob.toString() && r.status === "withdrawn"), 120_000);
      expect((await getJob(pc, { market: w.market, jobId: honestJob })).status).to.equal("Finalized");

      const share = (b: bigint) => (b * (10_000n - FORFEIT_BPS)) / 10_000n;
      const credited = await getContractEvents(pc, { address: w.market, abi: jobMarketAbi, eventName: "Credited", fromBlock: startBlock });
      const of = (j: bigint) => credited.filter((e) => e.args.jobId === j).map((e) => [e.args.account, e.args.amount]);
      expect(of(cheatJob)).to.have.deep.members([[w.address(CLIENT), ESCROW], [w.address(VERIFIER), CHALLENGE_BOND], [w.address(VERIFIER), share(BOND)], [w.address(TREASURY), BOND - share(BOND)]]);
      expect(of(honestJob)).to.have.deep.members([[w.address(HONEST_SOLVER), share(CHALLENGE_BOND)], [w.address(TREASURY), CHALLENGE_BOND - share(CHALLENGE_BOND)], [w.address(HONEST_SOLVER), ESCROW + BOND]]);
      expect(await w.balance(w.address(VERIFIER)), "the restarted verifier withdrew").to.equal(0n);
      expect(await w.balance(w.address(HONEST_SOLVER)), "the restarted solver withdrew").to.equal(0n);
      for (const i of [CLIENT, TREASURY]) await w.withdraw(i);
      expect(await w.marketEther()).to.equal(0n);
      expect(await w.liabilities()).to.equal(0n);

      // Ether: each account's change is exactly what the protocol moved, less its own fees.
      const txs = await transactionsBySender(pc, startBlock);
      const fees = (i: number) => txs.get(w.address(i).toLowerCase())?.feesWei ?? 0n;
      const delta = async (i: number) => (await pc.getBalance({ address: w.address(i) })) - balances.get(i)! + fees(i);
      expect(await delta(CLIENT), "client: the honest job's escrow paid, the cheat's refunded").to.equal(-ESCROW);
      expect(await delta(CHEAT), "cheating solver: its bond lost").to.equal(-BOND);
      expect(await delta(VERIFIER), "verifier: its bond back plus the winner's share of the cheat's bond").to.equal(share(BOND));
      expect(await delta(HONEST_SOLVER), "honest solver: the escrow as its price plus the winner's share of the liar's bond").to.equal(ESCROW + share(CHALLENGE_BOND));
      expect(await delta(LIAR), "liar: its bond lost").to.equal(-CHALLENGE_BOND);
      expect(await delta(TREASURY), "treasury: the forfeited shares of both lost bonds").to.equal(BOND - share(BOND) + CHALLENGE_BOND - share(CHALLENGE_BOND));
    });
  });
}
