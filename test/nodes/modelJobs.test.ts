// The whole protocol for each spec-v2 model (a tiny CNN: conv, maxpool, MSE, momentum; a tiny character LM:
// embedding, softmax cross-entropy, Adam), with the real nodes in-process on an in-process Hardhat network
// and the recomputing kernel verifier (whose ModelOps settles ops 10-19): the client posts (its settleability
// check passes), the solver node bids, trains and commits, the verifier node re-executes every interval and
// attests; a solver that corrupts one weight update is challenged on that interval, defends its lie through
// the game and loses by settlement (job failed, client refunded).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { deployProtocol } from "../../chain/deploy.ts";
import { getContractEvents } from "viem/actions";
import { disputeGameAbi, jobMarketAbi } from "../../chain/generated/contracts.ts";
import { getJob } from "../../chain/jobs.ts";
import { checkSettleable } from "../../client/checkSettleable.ts";
import { postJob } from "../../client/postJob.ts";
import { stateUpdateEntry } from "../../dispute/deviation.ts";
import { buildStepGraph } from "../../engine/graph.ts";
import type { SolverAdversary } from "../../solver/adversary.ts";
import { publishForSolver, startInProcessSolver } from "../helpers/inProcessSolver.ts";
import { startInProcessVerifier } from "../helpers/inProcessVerifier.ts";
import { type ModelJob, tinyCharlmJob, tinyCnnJob } from "../helpers/modelWorlds.ts";

const STEPS = 9, INTERVAL = 3, WINDOW = 3_600n, CLOCK = 600n, ESCROW = 1_000_000n, BOND = 100_000n, CHALLENGE_BOND = 50_000n;

describe("the whole protocol for each spec-v2 model (in-process nodes, recomputing kernel verifier)", async () => {
  const { viem } = await network.create();
  const pc = await viem.getPublicClient();
  const tc = await viem.getTestClient();
  const [deployer, treasury, client, solverW, verifierW] = await viem.getWalletClients();
  const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000 });
  const market = d.jobMarket;
  const balance = (a: { account: { address: `0x${string}` } }) => pc.readContract({ address: market, abi: jobMarketAbi, functionName: "balanceOf", args: [a.account.address] });

  async function run(job: ModelJob, adversary?: SolverAdversary) {
    const { spec, dataset } = job;
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-models-"));
    const pub = await publishForSolver(dir, spec, dataset);
    const solver = await startInProcessSolver({ client: solverW!, market, dataDir: path.join(dir, "solver"), datasets: [pub.datasetFile], ...(adversary ? { adversary } : {}) });
    const verifier = await startInProcessVerifier({ client: verifierW!, market, dataDir: path.join(dir, "verifier"), datasets: [pub.datasetFile], sampleBps: 10_000 });
    const miner = setInterval(() => void tc.mine({ blocks: 1 }).catch(() => {}), 150);
    assert.equal((await checkSettleable(pc, { market, spec })).kernel, "recompute");
    const { jobId } = await postJob(client!, {
      market, spec, dataset, specURI: pub.specURI, steps: STEPS, checkpointInterval: INTERVAL, escrow: ESCROW, requiredBond: BOND, challengeBond: CHALLENGE_BOND,
      commitDuration: 3_600n, challengeWindow: WINDOW, clockDuration: CLOCK, sampleBps: 500,
    });
    const stop = async () => {
      clearInterval(miner);
      await verifier.stop();
      await solver.stop();
      await rm(dir, { recursive: true, force: true });
    };
    return { solver, verifier, jobId, stop };
  }

  for (const [name, make] of [["CNN", tinyCnnJob], ["char LM", tinyCharlmJob]] as const) {
    it(`${name}: an honest job is trained, committed, re-executed interval by interval and attested; the solver withdraws`, async () => {
      const { solver, verifier, jobId, stop } = await run(make());
      try {
        await verifier.until("attested", (v) => v.db.job(jobId)?.status === "attested", 120_000);
        assert.deepEqual(verifier.node.db.checks(jobId).map((c) => [c.interval, c.status]), [[0, "match"], [1, "match"], [2, "match"]]);
        assert.deepEqual(verifier.node.db.games(), []);
        await tc.increaseTime({ seconds: Number(WINDOW) });
        await tc.mine({ blocks: 1 });
        let r = await solver.nextReport();
        while (r.jobId !== String(jobId)) r = await solver.nextReport();
        assert.equal(r.status, "withdrawn");
      } finally {
        await stop();
      }
    });

    it(`${name}: a solver that corrupts a weight update is challenged, defends its lie and loses by settlement on that op`, async () => {
      const job = make();
      // The lie: one element of the first parameter's update (sgd_update for the CNN, adam_update for the LM).
      const graph = buildStepGraph(job.spec);
      const entry = stateUpdateEntry(graph, 0);
      const kind = graph.ops[entry - 3]!.kind;
      const { solver, verifier, jobId, stop } = await run(job, { cheat: "corrupt-update", step: 5, withhold: false });
      const before = await balance(client!);
      try {
        await verifier.until("the dispute's end", (v) => v.db.job(jobId)?.status === "done", 180_000);
        const [g] = verifier.node.db.games(jobId);
        assert.deepEqual([g?.side, g?.loStep, g?.hiStep, g?.status, g?.outcome], ["challenger", 3, 6, "won", "settled"]);
        // The game came down to that entry and the challenger settled it (ModelOps recomputes adam_update).
        const [reached] = await getContractEvents(pc, { address: d.disputeGame, abi: disputeGameAbi, eventName: "ReachedSettlement", fromBlock: 0n, args: { gameId: g!.gameId } });
        assert.equal(reached?.args.entry, entry, `the game ended on entry ${reached?.args.entry}, the lie is at entry ${entry} (${kind})`);
        assert.equal(kind, name === "CNN" ? "sgd_update" : "adam_update");
        assert.equal((await getJob(pc, { market, jobId })).status, "Failed");
        assert.equal((await balance(client!)) - before, ESCROW);
        let r = await solver.nextReport();
        while (r.jobId !== String(jobId)) r = await solver.nextReport();
        assert.equal(r.status, "failed");
      } finally {
        await stop();
      }
    });
  }
});
