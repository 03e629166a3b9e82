// No honest solver is slashed by any number of lying verifiers (multi-process, real local Hardhat node): one
// honest solver process and, on three jobs, 1, 2 and 5 lying verifier processes (the test-only adversary
// switch: each challenges an interval that is correct, claiming the root of a computation that changed one
// weight update, and plays that lie; some also stall mid-dispute or submit a settlement valid for another
// dispute), plus one honest verifier that checks every job and attests. The solver wins every game, keeps
// its pay, and collects the liars' forfeited bonds; the honest verifier never challenges. Exact balances;
// the market holds nothing once everyone withdrew.
import { after, before, describe, it } from "node:test";
import { expect } from "chai";
import { getContractEvents } from "viem/actions";
import { jobMarketAbi } from "../../chain/generated/contracts.ts";
import { getJob } from "../../chain/jobs.ts";
import { transactionsBySender } from "../../chain/transactionsBySender.ts";
import { BOND, CHALLENGE_BOND, type E2EWorld, ESCROW, FORFEIT_BPS, startE2EWorld, WINDOW } from "./helpers/e2eWorld.ts";
import type { NodeProcess } from "./helpers/nodeProcess.ts";

const TREASURY = 1, CLIENT = 2, SOLVER = 3, HONEST = 4, FIRST_LIAR = 5;
/** Per job (lane): its liars' adversary configs. */
const LIARS: readonly (readonly Record<string, unknown>[])[] = [
  [{ challengeCorrect: true }],
  [{ challengeCorrect: true, stallAfterMoves: 3 }, { challengeCorrect: true, replaySettlement: true }],
  [{ challengeCorrect: true }, { challengeCorrect: true, stallAfterMoves: 1 }, { challengeCorrect: true, replaySettlement: true }, { challengeCorrect: true, stallAfterMoves: 6 }, { challengeCorrect: true }],
];

describe("an honest solver against 1, 2 and 5 lying verifiers (local node, node processes)", { timeout: 600_000 }, () => {
  let w: E2EWorld;
  before(async () => {
    w = await startE2EWorld({ accounts: FIRST_LIAR + LIARS.flat().length });
  });
  after(async () => {
    await w?.close();
  });

  it("the solver wins every game and is paid; each liar loses its bond; the honest verifier attests and never challenges; exact balances", async () => {
    const pc = w.local.publicClient;
    const lanes = await Promise.all(LIARS.map((_, i) => w.lane(20 + i)));
    const liarIds = LIARS.flatMap((ls, lane) => ls.map((adversary, j) => ({ lane, adversary, account: FIRST_LIAR + LIARS.slice(0, lane).flat().length + j })));
    const everyone = [TREASURY, CLIENT, SOLVER, HONEST, ...liarIds.map((l) => l.account)];
    const before = new Map(await Promise.all(everyone.map(async (i) => [i, await pc.getBalance({ address: w.address(i) })] as const)));
    const startBlock = await pc.getBlockNumber();

    const solver = await w.solver("solver", SOLVER, lanes);
    const honest = await w.verifier("honest", HONEST, lanes);
    const liars: NodeProcess[] = [];
    for (const l of liarIds) liars.push(await w.verifier(`liar-${l.account}`, l.account, [lanes[l.lane]!], { adversary: l.adversary }));
    const jobs: bigint[] = [];
    for (const lane of lanes) jobs.push(await w.post(lane));
    const driver = w.drive(new Map(jobs.map((j) => [j, "challenger" as const])));
    try {
      for (const [k, p] of liars.entries()) await p.waitFor(`liar ${k}: its dispute's end`, () => p.logs.some((l) => l.msg === "disputes over"), 300_000);
      for (const j of jobs) await honest.waitFor(`job ${j} attested`, () => honest.logs.some((l) => l.msg === "attested: intervals re-executed, roots match" && l.jobId === j.toString()), 120_000);
    } finally {
      await driver.stop();
    }
    if (process.env.E2E_DUMP) (await import("node:fs")).writeFileSync(process.env.E2E_DUMP, [solver, honest, ...liars].map((p) => p.raw()).join("\n=====\n"));
    expect(honest.logs.filter((l) => l.msg === "challenge opened")).to.deep.equal([]);
    for (const [k, p] of liars.entries()) {
      const lost = p.logs.find((l) => l.msg === "dispute lost");
      expect(lost, `liar ${k} (${JSON.stringify(liarIds[k]!.adversary)}) lost its game`).to.not.equal(undefined);
      expect(p.logs.some((l) => l.msg === "ADVERSARY: claiming a wrong root for a correct interval"), `liar ${k} lied`).to.equal(true);
      // A replayed settlement is refused whenever the liar gets to send it before the solver settles (the
      // in-process test test/nodes/lyingSettlement.test.ts makes it send first, every time).
      expect(p.logs.some((l) => /ADVERSARY: .* was accepted/.test(String(l.msg))), `liar ${k}: no lie accepted`).to.equal(false);
    }
    // The window passes; the solver finalizes every job and withdraws.
    await w.drive(new Map()).stop();
    const tc = (await import("viem")).createTestClient({ chain: w.local.chain, transport: w.local.transport, mode: "hardhat" });
    await tc.increaseTime({ seconds: Number(WINDOW) + 1 });
    await tc.mine({ blocks: 1 });
    for (const j of jobs) await solver.waitFor(`job ${j}'s report`, () => solver.reports.some((r) => r.jobId === j.toString() && r.status === "withdrawn"), 120_000);
    for (const j of jobs) expect((await getJob(pc, { market: w.market, jobId: j })).status).to.equal("Finalized");

    // Credits: per liar game, 90% of its bond to the solver and 10% to the treasury; the job pays price + bond.
    const share = (CHALLENGE_BOND * (10_000n - FORFEIT_BPS)) / 10_000n;
    const credited = await getContractEvents(pc, { address: w.market, abi: jobMarketAbi, eventName: "Credited", fromBlock: startBlock });
    for (const [i, j] of jobs.entries()) {
      const n = LIARS[i]!.length;
      const c = credited.filter((e) => e.args.jobId === j).map((e) => [e.args.account, e.args.amount]);
      const expected = [...Array.from({ length: n }, () => [w.address(SOLVER), share]), ...Array.from({ length: n }, () => [w.address(TREASURY), CHALLENGE_BOND - share]), [w.address(SOLVER), ESCROW + BOND]];
      expect(c, `credits of job ${j} (${n} liars)`).to.have.deep.members(expected);
    }
    await w.withdraw(TREASURY);
    expect(await w.marketEther()).to.equal(0n);
    expect(await w.liabilities()).to.equal(0n);
    const txs = await transactionsBySender(pc, startBlock);
    const fees = (i: number) => txs.get(w.address(i).toLowerCase())?.feesWei ?? 0n;
    const delta = async (i: number) => (await pc.getBalance({ address: w.address(i) })) - before.get(i)! + fees(i);
    const liarCount = BigInt(liarIds.length);
    expect(await delta(SOLVER), "solver: every escrow as its price, plus 90% of every liar's bond").to.equal(BigInt(jobs.length) * ESCROW + liarCount * share);
    expect(await delta(CLIENT), "client: paid every escrow").to.equal(-BigInt(jobs.length) * ESCROW);
    expect(await delta(TREASURY)).to.equal(liarCount * (CHALLENGE_BOND - share));
    expect(await delta(HONEST), "the honest verifier: only its attestations' gas").to.equal(0n);
    for (const l of liarIds) expect(await delta(l.account), `liar ${l.account}: its bond lost`).to.equal(-CHALLENGE_BOND);
  });
});
