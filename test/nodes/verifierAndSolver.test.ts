// The verifier node in-process against the solver node in-process, on an in-process Hardhat network with the
// real protocol (chain/deploy.ts) and a tiny spec: an honest job is sampled, re-executed and attested on
// chain; a solver that corrupted one weight update is challenged on exactly that interval, defends its lie
// and loses (the job fails, the client is refunded, the verifier is paid); a solver that also withholds
// every state is caught the same way from a rebuild. Nodes are real (modules, database, game player); the
// test only moves the chain's clock.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { pino } from "pino";
import { getAddress } from "viem";
import { getContractEvents } from "viem/actions";
import { deployProtocol } from "../../chain/deploy.ts";
import { jobMarketAbi } from "../../chain/generated/contracts.ts";
import { getJob } from "../../chain/jobs.ts";
import { postJob } from "../../client/postJob.ts";
import type { SolverAdversary } from "../../solver/adversary.ts";
import { publishForSolver, startInProcessSolver } from "../helpers/inProcessSolver.ts";
import { startInProcessVerifier } from "../helpers/inProcessVerifier.ts";
import { syntheticDataset, tinySpec } from "../vectors/generate.ts";

const STEPS = 9, INTERVAL = 3, WINDOW = 3_600n, CLOCK = 600n, ESCROW = 1_000_000n, BOND = 100_000n, CHALLENGE_BOND = 50_000n, FORFEIT_BPS = 1_000n;

describe("verifier node (in-process, with the solver node)", async () => {
  const { viem } = await network.create();
  const pc = await viem.getPublicClient();
  const tc = await viem.getTestClient();
  const [deployer, treasury, client, solverW, verifierW] = await viem.getWalletClients();
  const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: Number(FORFEIT_BPS) });
  const market = d.jobMarket;
  const dataset = syntheticDataset(64, 12, 4);
  const spec = tinySpec(dataset);
  const balance = (a: { account: { address: `0x${string}` } }) => pc.readContract({ address: market, abi: jobMarketAbi, functionName: "balanceOf", args: [a.account.address] });

  /** One job end to end with a solver (honest, or cheating as told) and a verifier that checks every interval. */
  async function run(adversary?: SolverAdversary) {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-verifier-"));
    const pub = await publishForSolver(dir, spec, dataset);
    const solver = await startInProcessSolver({ client: solverW!, market, dataDir: path.join(dir, "solver"), datasets: [pub.datasetFile], ...(adversary ? { adversary } : {}) });
    const verifier = await startInProcessVerifier({ client: verifierW!, market, dataDir: path.join(dir, "verifier"), datasets: [pub.datasetFile], sampleBps: 10_000, ...(process.env.VERIFIER_TEST_LOG ? { log: pino({ level: "info" }, pino.destination(process.env.VERIFIER_TEST_LOG)) } : {}) });
    // A chain with no other traffic: the verifier samples from the block after the commit, so blocks must come.
    const miner = setInterval(() => void tc.mine({ blocks: 1 }).catch(() => {}), 150);
    const { jobId } = await postJob(client!, {
      market, spec, dataset, specURI: pub.specURI, steps: STEPS, checkpointInterval: INTERVAL, escrow: ESCROW, requiredBond: BOND, challengeBond: CHALLENGE_BOND,
      commitDuration: 3_600n, challengeWindow: WINDOW, clockDuration: CLOCK, sampleBps: 500,
    });
    return { dir, solver, verifier, jobId, miner };
  }

  it("an honest job: every interval re-executed, they all match, attested on chain; nothing challenged", async () => {
    const { dir, solver, verifier, jobId, miner } = await run();
    try {
      await verifier.until("attested", (v) => v.db.job(jobId)?.status === "attested");
      const job = verifier.node.db.job(jobId)!;
      assert.deepEqual(job.intervals, [0, 1, 2]);
      assert.equal(job.detection, 1);
      assert.deepEqual(verifier.node.db.checks(jobId).map((c) => [c.interval, c.status]), [[0, "match"], [1, "match"], [2, "match"]]);
      // The states were fetched from the solver's server (checked against the committed roots).
      assert.ok(verifier.node.db.checks(jobId).some((c) => c.source === "fetched"));
      const [ev] = await getContractEvents(pc, { address: market, abi: jobMarketAbi, eventName: "Attested", args: { jobId }, fromBlock: 0n });
      assert.deepEqual([ev?.args.verifier, ev?.args.intervals], [getAddress(verifierW!.account.address), [0n, 1n, 2n]]);
      assert.deepEqual(verifier.node.db.games(), []);
      await tc.increaseTime({ seconds: Number(WINDOW) });
      await tc.mine({ blocks: 1 });
      const r = await solver.nextReport();
      assert.equal(r.status, "withdrawn");
      await verifier.until("done", (v) => v.db.job(jobId)?.status === "done");
    } finally {
      clearInterval(miner);
      await verifier.stop();
      await solver.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const [what, adversary] of [
    ["a corrupted weight update at step 5", { cheat: "corrupt-update", step: 5, withhold: false }],
    ["the same lie with every state withheld (the verifier rebuilds from the initial state)", { cheat: "corrupt-update", step: 5, withhold: true }],
  ] as const) {
    it(`a cheating solver (${what}) is challenged on that interval, defends its lie and loses: job failed, client refunded, verifier paid`, async () => {
      const { dir, solver, verifier, jobId, miner } = await run(adversary);
      const before = { client: await balance(client!), verifier: await balance(verifierW!), treasury: await balance(treasury!) };
      try {
        await verifier.until("the dispute's end", (v) => v.db.job(jobId)?.status === "done", 120_000);
        const checks = verifier.node.db.checks(jobId);
        assert.deepEqual(checks.find((c) => c.status === "mismatch")?.interval, 1, checks.map((c) => `${c.interval}:${c.status}`).join(" ")); // steps 3..6 hold step 5
        const [g] = verifier.node.db.games(jobId);
        assert.deepEqual([g?.side, g?.loStep, g?.hiStep, g?.status, g?.outcome], ["challenger", 3, 6, "won", "settled"]);
        assert.equal((await getJob(pc, { market, jobId })).status, "Failed");
        // Exact money: the client's escrow back; the verifier its bond and 90% of the solver's bond (withdrawn);
        // the treasury 10% of the solver's bond.
        assert.equal((await balance(client!)) - before.client, ESCROW);
        assert.equal((await balance(treasury!)) - before.treasury, BOND * FORFEIT_BPS / 10_000n);
        assert.equal(await balance(verifierW!), 0n);
        assert.equal(verifier.node.db.job(jobId)!.withdrawnWei, CHALLENGE_BOND + BOND - BOND * FORFEIT_BPS / 10_000n);
        let r = await solver.nextReport();
        while (r.jobId !== String(jobId)) r = await solver.nextReport(); // the earlier tests' jobs: lost
        assert.equal(r.status, "failed");
      } finally {
        clearInterval(miner);
        await verifier.stop();
        await solver.stop();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});

