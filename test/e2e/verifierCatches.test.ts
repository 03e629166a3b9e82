// Every cheating solver is caught and slashed (multi-process, real local Hardhat node): one honest verifier
// process (`veritrain verifier start`, re-executing every interval) and one cheating solver process per
// cheating mode (`veritrain solver start` with the test-only adversary switch), each on its own dataset so a
// job reaches exactly its solver. Each solver takes its job, trains it with its lie and commits; the
// verifier re-executes, finds the wrong interval, challenges it, plays the game to the end and withdraws; the
// job fails, the client's escrow is refunded. Exact balances for every account; the market holds nothing
// once everyone withdrew (INV-MKT-3).
import { after, before, describe, it } from "node:test";
import { expect } from "chai";
import { getContractEvents } from "viem/actions";
import { jobMarketAbi } from "../../chain/generated/contracts.ts";
import { getJob } from "../../chain/jobs.ts";
import { transactionsBySender } from "../../chain/transactionsBySender.ts";
import { BOND, CHALLENGE_BOND, type E2EWorld, ESCROW, FORFEIT_BPS, startE2EWorld } from "./helpers/e2eWorld.ts";
import type { NodeProcess } from "./helpers/nodeProcess.ts";

/** Each mode: its adversary config, the interval it corrupts (tiny job: 9 steps, interval 3), how the game ends. */
const MODES = [
  { name: "corrupted weight update", adversary: { cheat: "corrupt-update", step: 5 }, interval: 1, reason: "settled" },
  { name: "lazy (skipped steps)", adversary: { cheat: "lazy", step: 4, count: 2 }, interval: 1, reason: "settled" },
  { name: "wrong loss gradient", adversary: { cheat: "wrong-gradient", step: 2 }, interval: 0, reason: "settled" },
  { name: "root matching no computation", adversary: { cheat: "fake-root", checkpoint: 2 }, interval: 1, reason: "timeout" },
  { name: "one-LSB rounding error late", adversary: { cheat: "lsb", step: 8 }, interval: 2, reason: "settled" },
  { name: "withholding every state", adversary: { cheat: "corrupt-update", step: 5, withhold: true }, interval: 1, reason: "settled" },
  { name: "silent mid-dispute", adversary: { cheat: "corrupt-update", step: 5, dispute: "silent", afterMoves: 2 }, interval: 1, reason: "timeout" },
  { name: "wrong op-trace root", adversary: { cheat: "corrupt-update", step: 5, dispute: "wrong-trace" }, interval: 1, reason: "timeout" },
  { name: "false settlement", adversary: { cheat: "corrupt-update", step: 5, dispute: "false-settle" }, interval: 1, reason: "settled" },
] as const;

const DEPLOYER = 0, TREASURY = 1, CLIENT = 2, VERIFIER = 3, FIRST_SOLVER = 4;

describe("verifier node catches every cheating solver (local node, node processes)", { timeout: 600_000 }, () => {
  let w: E2EWorld;
  const procs: NodeProcess[] = [];
  before(async () => {
    w = await startE2EWorld({ accounts: FIRST_SOLVER + MODES.length });
  });
  after(async () => {
    await w?.close();
  });

  it("each mode: challenged on the corrupted interval, the solver slashed, the client refunded, the verifier paid; exact balances; the market empty at the end", async () => {
    const lanes = await Promise.all(MODES.map((_, i) => w.lane(i + 1)));
    const pc = w.local.publicClient;
    const everyone = [TREASURY, CLIENT, VERIFIER, ...MODES.map((_, i) => FIRST_SOLVER + i)];
    const before = new Map(await Promise.all(everyone.map(async (i) => [i, await pc.getBalance({ address: w.address(i) })] as const)));
    const startBlock = await pc.getBlockNumber();

    const verifier = await w.verifier("verifier", VERIFIER, lanes);
    procs.push(verifier);
    for (const [i, m] of MODES.entries()) procs.push(await w.solver(`solver-${i}`, FIRST_SOLVER + i, [lanes[i]!], { withhold: false, ...m.adversary }));
    const jobs: bigint[] = [];
    for (const lane of lanes) jobs.push(await w.post(lane));
    const driver = w.drive(new Map(jobs.map((j) => [j, "solver" as const])));
    try {
      await verifier.waitFor("every dispute to end", () => jobs.every((j) => verifier.logs.some((l) => l.msg === "disputes over" && l.jobId === j.toString())), 400_000);
    } finally {
      await driver.stop();
    }

    if (process.env.E2E_DUMP) (await import("node:fs")).writeFileSync(process.env.E2E_DUMP, procs.map((p) => p.raw()).join("\n=====\n"));
    for (const [i, m] of MODES.entries()) {
      const jobId = jobs[i]!;
      const what = `${m.name} (job ${jobId})`;
      expect((await getJob(pc, { market: w.market, jobId })).status, what).to.equal("Failed");
      const challenge = verifier.logs.find((l) => l.msg === "challenge opened" && l.jobId === jobId.toString());
      expect(challenge?.interval, what).to.equal(m.interval);
      const won = verifier.logs.find((l) => l.msg === "dispute won" && l.jobId === jobId.toString());
      expect(won?.reason, what).to.equal(m.reason);
      const solver = procs[1 + i]!;
      await solver.waitFor(`${what}: the solver's report`, () => solver.reports.some((r) => r.jobId === jobId.toString()), 60_000);
      expect(solver.reports.find((r) => r.jobId === jobId.toString())?.status, what).to.equal("failed");
    }
    if (MODES.some((m) => "withhold" in m.adversary)) {
      expect(verifier.logs.some((l) => l.msg === "rebuilding a checkpoint state by re-execution"), "the withheld states were rebuilt").to.equal(true);
    }

    // Money. Credits of the jobs, exactly as the protocol says (docs/protocol.md section 2).
    const share = (BOND * (10_000n - FORFEIT_BPS)) / 10_000n;
    const credited = await getContractEvents(pc, { address: w.market, abi: jobMarketAbi, eventName: "Credited", fromBlock: startBlock });
    for (const jobId of jobs) {
      const c = credited.filter((e) => e.args.jobId === jobId).map((e) => [e.args.account, e.args.amount]);
      expect(c, `credits of job ${jobId}`).to.have.deep.members([[w.address(CLIENT), ESCROW], [w.address(VERIFIER), CHALLENGE_BOND], [w.address(VERIFIER), share], [w.address(TREASURY), BOND - share]]);
    }
    // Everyone withdraws what is left (the verifier node withdrew its own); the market then holds nothing.
    for (const i of [CLIENT, TREASURY]) await w.withdraw(i);
    expect(await w.marketEther()).to.equal(0n);
    expect(await w.liabilities()).to.equal(0n);
    // Ether: each account's change is exactly what the protocol moved, less its own fees.
    const txs = await transactionsBySender(pc, startBlock);
    const fees = (i: number) => txs.get(w.address(i).toLowerCase())?.feesWei ?? 0n;
    const delta = async (i: number) => (await pc.getBalance({ address: w.address(i) })) - before.get(i)! + fees(i);
    const n = BigInt(MODES.length);
    expect(await delta(CLIENT), "client: every escrow back").to.equal(0n);
    expect(await delta(VERIFIER), "verifier: its bonds back plus the winner's share of every solver bond").to.equal(n * share);
    expect(await delta(TREASURY), "treasury: the forfeited share of every solver bond").to.equal(n * (BOND - share));
    for (const [i] of MODES.entries()) expect(await delta(FIRST_SOLVER + i), `solver ${i}: its bond lost`).to.equal(-BOND);
    // The key of a node never appears in its output.
    for (const [i, p] of procs.entries()) expect(p.raw(), `process ${i}`).not.to.include(w.key(i === 0 ? VERIFIER : FIRST_SOLVER + i - 1).slice(2));
  });
});
