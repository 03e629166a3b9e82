// Two honest verifier nodes on one cheating job (in-process, with the solver node): both find the corrupted
// interval and challenge it; the first game that fails the job pays its verifier from the solver's bond; the
// other game is void and its verifier's bond comes back (it calls voidGame itself). Neither trips over the
// other, both withdraw, and the market holds nothing once the client withdrew.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { deployProtocol } from "../../chain/deploy.ts";
import { jobMarketAbi } from "../../chain/generated/contracts.ts";
import { getJob } from "../../chain/jobs.ts";
import { postJob } from "../../client/postJob.ts";
import { publishForSolver, startInProcessSolver } from "../helpers/inProcessSolver.ts";
import { startInProcessVerifier } from "../helpers/inProcessVerifier.ts";
import { syntheticDataset, tinySpec } from "../vectors/generate.ts";

const ESCROW = 1_000_000n, BOND = 100_000n, CHALLENGE_BOND = 50_000n, FORFEIT_BPS = 1_000n;

describe("two verifier nodes on one cheating job (in-process)", async () => {
  const { viem } = await network.create();
  const pc = await viem.getPublicClient();
  const tc = await viem.getTestClient();
  const [deployer, treasury, client, solverW, v1W, v2W] = await viem.getWalletClients();
  const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: Number(FORFEIT_BPS) });
  const market = d.jobMarket;
  const dataset = syntheticDataset(64, 12, 4);
  const spec = tinySpec(dataset);
  const balance = (a: `0x${string}`) => pc.readContract({ address: market, abi: jobMarketAbi, functionName: "balanceOf", args: [a] });

  it("one wins the slash, the other's game is voided and its bond returned; both withdraw; the market ends empty", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-two-verifiers-"));
    const pub = await publishForSolver(dir, spec, dataset);
    const solver = await startInProcessSolver({ client: solverW!, market, dataDir: path.join(dir, "solver"), datasets: [pub.datasetFile], adversary: { cheat: "corrupt-update", step: 5, withhold: false } });
    const verifiers = await Promise.all([v1W, v2W].map((w, i) => startInProcessVerifier({ client: w!, market, dataDir: path.join(dir, `verifier${i}`), datasets: [pub.datasetFile], sampleBps: 10_000 })));
    const miner = setInterval(() => void tc.mine({ blocks: 1 }).catch(() => {}), 150);
    try {
      const { jobId } = await postJob(client!, {
        market, spec, dataset, specURI: pub.specURI, steps: 9, checkpointInterval: 3, escrow: ESCROW, requiredBond: BOND, challengeBond: CHALLENGE_BOND,
        commitDuration: 3_600n, challengeWindow: 3_600n, clockDuration: 600n, sampleBps: 10_000,
      });
      for (const v of verifiers) await v.until("its disputes to end", (n) => n.db.job(jobId)?.status === "done", 120_000);
      assert.equal((await getJob(pc, { market, jobId })).status, "Failed");
      const games = verifiers.map((v) => v.node.db.games(jobId));
      assert.deepEqual(games.map((g) => g.length), [1, 1], "each verifier challenged once");
      const outcomes = games.map((g) => g[0]!.status).sort();
      // The winner's game resolved first; the other's was voided (aborted) or resolved after the job had failed.
      assert.ok(outcomes.includes("won"), outcomes.join(", "));
      const share = (BOND * (10_000n - FORFEIT_BPS)) / 10_000n;
      const withdrawn = verifiers.map((v) => v.node.db.job(jobId)!.withdrawnWei!).sort((a, b) => (a < b ? -1 : 1));
      assert.deepEqual(withdrawn, [CHALLENGE_BOND, CHALLENGE_BOND + share], "the loser of the race gets its bond back, the winner its bond and 90% of the solver's");
      for (const w of [v1W, v2W]) assert.equal(await balance(w!.account.address), 0n);
      // The client's escrow and the treasury's share remain in pull balances; once withdrawn, the market is empty.
      for (const w of [client, treasury]) {
        const hash = await w!.writeContract({ address: market, abi: jobMarketAbi, functionName: "withdraw", args: [] });
        await pc.waitForTransactionReceipt({ hash });
      }
      assert.equal(await pc.getBalance({ address: market }), 0n);
      assert.equal(await pc.readContract({ address: market, abi: jobMarketAbi, functionName: "totalLiabilities" }), 0n);
    } finally {
      clearInterval(miner);
      for (const v of verifiers) await v.stop();
      await solver.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
