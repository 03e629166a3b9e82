// The solver node killed and restarted (multi-process, real local Hardhat node): SIGKILL mid-training after
// some checkpoints, restart: it resumes from the last stored checkpoint (never retrains what is stored) and
// commits the same history root as an uninterrupted run; SIGKILL right after the commit landed, restart: it
// does not commit again, finalizes and withdraws; exact balances. On the same chain a job whose spec does not
// match its committed dataset root is rejected with nothing sent. The key never appears in any output.
import { after, before, describe, it } from "node:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { type Address, createTestClient, decodeFunctionData } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { connect } from "../../chain/connect.ts";
import { deployProtocol } from "../../chain/deploy.ts";
import { jobMarketAbi } from "../../chain/generated/contracts.ts";
import { freePort, type LocalNode, startLocalNode } from "../../chain/localNode.ts";
import { transactionsBySender } from "../../chain/transactionsBySender.ts";
import { getJob } from "../../chain/jobs.ts";
import { postJob } from "../../client/postJob.ts";
import { toHex } from "../../commitment/hash.ts";
import { mnistSpec } from "../../training/mnistJob.ts";
import { canonicalSpecJson, makeSpec, specHash } from "../../engine/spec.ts";
import { SolverDb } from "../../solver/db.ts";
import { train } from "../../training/train.ts";
import { startSolverProcess, type SolverProcess } from "./helpers/nodeProcess.ts";
import { specCommitments } from "../../commitment/specCommitments.ts";

const STEPS = 200, INTERVAL = 20;
const ESCROW = 10n ** 18n, BOND = 10n ** 17n, WINDOW = 60n;

describe("solver node: kill and restart (local node, solver processes)", { timeout: 240_000 }, () => {
  let node: LocalNode;
  let dir: string;
  const procs: SolverProcess[] = [];
  before(async () => {
    node = await startLocalNode({ accounts: 4 });
    dir = await mkdtemp(path.join(tmpdir(), "veritrain-restart-"));
  });
  after(async () => {
    for (const p of procs) await p.kill("SIGKILL");
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("resumes training from its last checkpoint, never commits twice, gets paid exactly; rejects a mismatched job", async () => {
    const [deployerKey, treasuryKey, clientKey, solverKey] = node.accounts;
    const local = await connect({ rpcUrl: node.url, chainId: node.chainId, pollingIntervalMs: 100 });
    const pc = local.publicClient;
    const tc = createTestClient({ chain: local.chain, transport: local.transport, mode: "hardhat" });
    const deployer = local.wallet(privateKeyToAccount(deployerKey!.privateKey));
    const client = local.wallet(privateKeyToAccount(clientKey!.privateKey));
    const d = await deployProtocol({ walletClient: deployer, publicClient: pc, treasury: treasuryKey!.address, forfeitBps: 1_000 });
    const market = d.jobMarket;
    const solverAddr = solverKey!.address;
    const solverBefore = await pc.getBalance({ address: solverAddr });
    const clientBefore = await pc.getBalance({ address: client.account.address });

    // Job 1: its spec (at the spec URI) names another dataset than the job's committed dataset root.
    const { spec, data } = mnistSpec();
    const specFile = path.join(dir, "spec.json");
    await writeFile(specFile, canonicalSpecJson(spec) + "\n");
    const other = makeSpec({ seed: spec.training.seed, data: { ...spec.data, root: "ab".repeat(32) } });
    const otherFile = path.join(dir, "other-spec.json");
    await writeFile(otherFile, canonicalSpecJson(other) + "\n");
    const good = specCommitments(spec, data.train);
    const badHash = await client.writeContract({
      address: market, abi: jobMarketAbi, functionName: "postJob", value: ESCROW, args: [{
        ...good, specHash: `0x${specHash(other)}`, specURI: pathToFileURL(otherFile).href,
        steps: BigInt(STEPS), checkpointInterval: BigInt(INTERVAL), requiredBond: BOND, challengeBond: BOND, bidDuration: 0n, firstCome: true,
        commitDuration: 3_600n, challengeWindow: WINDOW, clockDuration: 600n, sampleBps: 500,
      }],
    });
    await pc.waitForTransactionReceipt({ hash: badHash });
    // Job 2: the honest first-come job.
    const posted = await postJob(client, {
      market, spec, dataset: data.train, specURI: pathToFileURL(specFile).href, steps: STEPS, checkpointInterval: INTERVAL,
      escrow: ESCROW, requiredBond: BOND, challengeBond: BOND, firstCome: true, commitDuration: 3_600n, challengeWindow: WINDOW, clockDuration: 600n,
    });
    expect(posted.jobId).to.equal(2n);

    const dataDir = path.join(dir, "solver");
    const configFile = path.join(dir, "solver.json");
    await writeFile(configFile, JSON.stringify({
      rpcUrl: node.url, chainId: node.chainId, market, dataDir, backend: "onnx",
      pricing: { minWeiPerStep: "1000" }, serve: { port: await freePort() }, pollIntervalMs: 100, fromBlock: Number(d.deploymentBlock),
    }));
    const env = { VERITRAIN_PRIVATE_KEY: solverKey!.privateKey };
    const start = () => {
      const p = startSolverProcess(["solver", "start", "--config", configFile], env);
      procs.push(p);
      return p;
    };
    const checkpointsLogged = (p: SolverProcess) => p.logs.filter((l) => l.msg === "checkpoint stored" && l.jobId === "2");

    // Run 1: killed after three checkpoints were stored (steps 0, 20, 40), long before step 200.
    const p1 = start();
    await p1.waitFor("three checkpoints", () => checkpointsLogged(p1).length >= 3);
    const killed1 = await p1.kill("SIGKILL");
    expect(killed1.signal).to.equal("SIGKILL");
    let db = new SolverDb(path.join(dataDir, "solver.db"));
    const storedBefore = db.checkpoints(2n);
    expect(db.job(1n)!.status).to.equal("rejected");
    expect(db.job(1n)!.reason).to.match(/job 1: the dataset's root [0-9a-f]{64} is not the spec's data root (ab){32}/);
    expect(db.txs(1n)).to.deep.equal([]); // nothing sent for the mismatched job
    expect(db.job(2n)!.status).to.equal("training");
    expect(db.txs(2n).map((t) => t.action)).to.deep.equal(["take"]);
    expect(storedBefore.length).to.be.within(3, STEPS / INTERVAL); // not finished
    const resumeStep = storedBefore.at(-1)!.step;
    expect(resumeStep).to.be.greaterThan(0);
    db.close();
    expect((await getJob(pc, { market, jobId: 2n })).status).to.equal("Assigned");

    // Run 2: resumes at the last stored checkpoint; killed as soon as the commit is on chain.
    const p2 = start();
    await p2.waitFor("the commit on chain", () => p2.logs.some((l) => l.msg === "result committed"), 120_000);
    await p2.kill("SIGKILL");
    const resumed = p2.logs.find((l) => l.msg === "resuming training from the latest stored checkpoint");
    expect(resumed?.fromStep).to.equal(resumeStep);
    // No checkpoint at or before the resume point was recomputed and stored again.
    expect(checkpointsLogged(p2).every((l) => (l.step as number) > resumeStep)).to.equal(true);
    expect(checkpointsLogged(p2)[0]!.step).to.equal(resumeStep + INTERVAL);
    expect((await getJob(pc, { market, jobId: 2n })).status).to.equal("Committed");

    db = new SolverDb(path.join(dataDir, "solver.db"));
    const runs = db.trainRuns(2n);
    expect(runs.map((r) => r.startStep)).to.deep.equal([0, resumeStep]);
    expect(runs[1]!.endStep).to.equal(STEPS);
    // Rewind the job to "trained", as a kill between the commit's receipt and its database write leaves it:
    // the next run must find the commit on chain and not send it again.
    expect(db.job(2n)!.status).to.equal("committed");
    db.updateJob(2n, { status: "trained" });
    const stored = db.checkpoints(2n);
    expect(stored.map((c) => c.step)).to.deep.equal(Array.from({ length: STEPS / INTERVAL + 1 }, (_, i) => i * INTERVAL));
    expect(stored.slice(0, storedBefore.length)).to.deep.equal(storedBefore);
    db.close();

    // The committed history is the uninterrupted run's.
    const expected = await train({ spec, dataset: data.train, steps: STEPS, checkpointInterval: INTERVAL });
    const onChain = await getJob(pc, { market, jobId: 2n });
    expect(onChain.historyRoot).to.equal(toHex(expected.historyRoot));
    expect(onChain.finalRoot).to.equal(toHex(expected.checkpoints.at(-1)!.root));

    // Run 3: sees the commit landed, does not commit again; finalizes after the window and withdraws.
    const p3 = start();
    await p3.waitFor("the node to be up", () => p3.logs.some((l) => l.msg === "solver node started"));
    await tc.increaseTime({ seconds: Number(WINDOW) + 1 });
    await tc.mine({ blocks: 1 });
    await p3.waitFor("the job report", () => p3.reports.some((r) => r.jobId === "2"), 120_000);
    const report = p3.reports.find((r) => r.jobId === "2")!;
    expect(report.status).to.equal("withdrawn");
    expect(report.historyRoot).to.equal(toHex(expected.historyRoot));
    expect(BigInt(report.withdrawn as string)).to.equal(ESCROW + BOND);
    expect(p3.logs.some((l) => l.msg === "result committed")).to.equal(false);
    expect(p3.logs.some((l) => l.msg === "commit already landed" && l.jobId === "2")).to.equal(true);
    await p3.kill("SIGTERM");
    expect((await p3.exited).code).to.equal(0);

    // Every transaction the solver account ever sent, from the chain: exactly one take, commit, finalize, withdraw.
    const sent = await transactionsBySender(pc, d.deploymentBlock);
    const solverSent = sent.get(solverAddr.toLowerCase())!;
    const actions = solverSent.transactions.map((t) => decodeFunctionData({ abi: jobMarketAbi, data: t.input }).functionName);
    const solverFees = solverSent.feesWei;
    const clientFees = sent.get(client.account.address.toLowerCase())?.feesWei ?? 0n;
    expect(actions).to.deep.equal(["take", "commitResult", "finalize", "withdraw"]);
    expect((await pc.getBalance({ address: solverAddr })) - solverBefore).to.equal(ESCROW - solverFees);
    // The client paid two escrows; job 1 is still open (nobody took it), so that escrow is held by the market.
    expect((await pc.getBalance({ address: client.account.address })) - clientBefore).to.equal(-2n * ESCROW - clientFees);
    expect((await getJob(pc, { market, jobId: 1n })).status).to.equal("Open");

    // The key never reached any output of any of the three processes.
    const hex = solverKey!.privateKey.slice(2).toLowerCase();
    for (const p of procs) expect(p.raw().toLowerCase().includes(hex)).to.equal(false);
    void (market as Address);
  });
});
