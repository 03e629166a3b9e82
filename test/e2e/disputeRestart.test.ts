// Nodes killed and restarted mid-dispute (multi-process, real local Hardhat node). A verifier process is
// SIGKILLed while it plays the game against a cheating solver and started again on the same data dir: it picks
// the game up from the chain and still wins (the job fails, its bond and reward withdrawn). A solver process
// is SIGKILLed while it defends a correct result against a lying verifier and started again: it still wins,
// finalizes after the window and is paid. Exact pull credits; the market holds nothing at the end.
import { after, before, describe, it } from "node:test";
import { expect } from "chai";
import { createTestClient } from "viem";
import { getContractEvents } from "viem/actions";
import { jobMarketAbi } from "../../chain/generated/contracts.ts";
import { getJob } from "../../chain/jobs.ts";
import { BOND, CHALLENGE_BOND, type E2EWorld, ESCROW, FORFEIT_BPS, startE2EWorld, WINDOW } from "./helpers/e2eWorld.ts";

const TREASURY = 1, CLIENT = 2, CHEAT = 3, VERIFIER = 4, HONEST_SOLVER = 5, LIAR = 6;

describe("nodes killed and restarted mid-dispute (local node, node processes)", { timeout: 600_000 }, () => {
  let w: E2EWorld;
  before(async () => {
    w = await startE2EWorld({ accounts: LIAR + 1 });
  });
  after(async () => {
    await w?.close();
  });

  it("a verifier killed mid-dispute resumes and wins; a solver killed mid-dispute resumes, wins and is paid", async () => {
    const pc = w.local.publicClient;
    const tc = createTestClient({ chain: w.local.chain, transport: w.local.transport, mode: "hardhat" });
    const [cheatLane, honestLane] = await Promise.all([w.lane(40), w.lane(41)]);
    const startBlock = await pc.getBlockNumber();
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

    await tc.increaseTime({ seconds: Number(WINDOW) + 1 });
    await tc.mine({ blocks: 1 });
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
  });
});
