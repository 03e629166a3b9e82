// The client SDK and the solver node (the production lifecycle, in-process) together on an in-process
// Hardhat network, with a tiny spec: postJob computes the job's commitments from the engine, the node
// takes/trains/commits/finalizes/withdraws (the test, not the node, moves the clock), fetchModel returns the
// model only when its root is the committed final root.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { deployProtocol } from "../chain/deploy.ts";
import { toHex } from "../commitment/hash.ts";
import { stateRoot } from "../commitment/stateRoot.ts";
import { bareHex } from "../core/root.ts";
import { initialState } from "../engine/state.ts";
import { encodeState } from "../engine/stateFile.ts";
import { makeSpec } from "../engine/spec.ts";
import { train } from "../training/train.ts";
import { publishForSolver, startInProcessSolver } from "../test/helpers/inProcessSolver.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { fetchModel, getJob, JobWaitError, ModelFetchError, ModelRootMismatchError, postJob, waitForJob } from "./index.ts";

const STEPS = 9, INTERVAL = 3, WINDOW = 100n;

describe("client SDK + solver node (in-process chain)", async () => {
  const { viem } = await network.create();
  const pc = await viem.getPublicClient();
  const tc = await viem.getTestClient();
  const [deployer, treasury, client, solver] = await viem.getWalletClients();
  const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000 });
  const dataset = syntheticDataset(64, 12, 4);
  const spec = tinySpec(dataset);
  const market = d.jobMarket;
  const post = (specURI: string) => postJob(client!, {
    market, spec, dataset, specURI, steps: STEPS, checkpointInterval: INTERVAL, escrow: 1_000n, requiredBond: 100n, challengeBond: 50n,
    commitDuration: 3_600n, challengeWindow: WINDOW, clockDuration: 600n,
  });

  it("posts, solves, finalizes and fetches a model verified against the committed root", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-client-"));
    const pub = await publishForSolver(dir, spec, dataset);
    const s = await startInProcessSolver({ client: solver!, market, dataDir: path.join(dir, "solver"), datasets: [pub.datasetFile] });
    try {
      const { jobId, params } = await post(pub.specURI);
      assert.equal(params.initialRoot, toHex(stateRoot(spec, initialState(spec))));
      await waitForJob(pc, { market, jobId, status: "Committed", pollingIntervalMs: 20, timeoutMs: 30_000 });
      await tc.increaseTime({ seconds: Number(WINDOW) });
      await tc.mine({ blocks: 1 });
      const r = await s.nextReport();
      const job = await waitForJob(pc, { market, jobId, status: "Finalized", timeoutMs: 5_000 });
      const expected = await train({ spec, dataset, steps: STEPS, checkpointInterval: INTERVAL, backend: "reference" });
      assert.equal(r.status, "withdrawn");
      assert.equal(r.finalRoot, toHex(expected.checkpoints.at(-1)!.root));
      assert.equal(r.historyRoot, toHex(expected.historyRoot));
      assert.equal(job.finalRoot, r.finalRoot);
      assert.equal(r.withdrawn, "1100"); // price (= escrow) + bond
      assert.deepEqual(r.transactions.map((t) => t.action), ["take", "commitResult", "finalize", "withdraw"]);

      const m = await fetchModel(pc, { market, jobId, spec });
      assert.equal(m.root, r.finalRoot);
      assert.equal(m.state.step, STEPS);

      // A different valid state behind the model URI (the node's store file replaced): refused.
      const file = path.join(dir, "solver", "states", `${bareHex(m.root)}.state`);
      await writeFile(file, encodeState(spec, initialState(spec)));
      await assert.rejects(fetchModel(pc, { market, jobId, spec }), ModelRootMismatchError);
      // Garbage behind the model URI: refused.
      await writeFile(file, "not a state");
      await assert.rejects(fetchModel(pc, { market, jobId, spec }), ModelFetchError);
    } finally {
      await s.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("waitForJob times out with a typed error; the solver rejects a job whose commitments differ from its published spec, nothing sent", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-client-"));
    const pub = await publishForSolver(dir, spec, dataset);
    const other = makeSpec({ layers: [12, 8, 4], batchSize: 4, seed: "02".repeat(32), data: spec.data });
    const wrong = await publishForSolver(path.join(dir, "other"), other, dataset);
    const { jobId } = await post(wrong.specURI); // commitments of `spec`, URI of `other`
    await assert.rejects(waitForJob(pc, { market, jobId, status: "Committed", timeoutMs: 100, pollingIntervalMs: 20 }), JobWaitError);
    const s = await startInProcessSolver({ client: solver!, market, dataDir: path.join(dir, "solver"), datasets: [pub.datasetFile] });
    try {
      let r = await s.nextReport();
      while (r.jobId !== jobId.toString()) r = await s.nextReport(); // the first test's job is done (not Open)
      assert.equal(r.status, "rejected");
      assert.match(r.reason ?? "", /hashes to 0x[0-9a-f]{64}, the job committed to 0x[0-9a-f]{64}: not the job's spec/);
      assert.deepEqual(r.transactions, []);
      assert.equal((await getJob(pc, { market, jobId })).status, "Open");
    } finally {
      await s.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
