// The solver node defends itself (multi-process, real local Hardhat node): an honest solver process trains
// and commits a small default-MNIST job; a LYING challenger in the test process (dispute/ with a view whose
// step 4 has one element of the first matmul's output changed, everything after recomputed from it)
// challenges checkpoint 1; the solver process plays every move automatically through levels 1-4 (the lie is
// on a matmul entry, so level 4 narrows its accumulation to one term slice) and settles; it wins, finalizes
// after the window and withdraws. Exact balances for client, solver, challenger and treasury; the market
// holds nothing at the end. Run once with the recomputing kernel verifier and once with Groth16 (the solver
// proves the slice). In the Groth16 run the solver process is also SIGKILLed mid-game and restarted: it
// resumes from the chain's state and still wins.
import { describe, it } from "node:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { type Address, createTestClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { connect } from "../../chain/connect.ts";
import { deployProtocol } from "../../chain/deploy.ts";
import { jobMarketAbi } from "../../chain/generated/contracts.ts";
import { freePort, type LocalNode, startLocalNode } from "../../chain/localNode.ts";
import { transactionsBySender } from "../../chain/transactionsBySender.ts";
import { getJob } from "../../chain/jobs.ts";
import { postJob } from "../../client/postJob.ts";
import { toHex } from "../../commitment/hash.ts";
import { buildProgram } from "../../commitment/program.ts";
import { mnistSpec } from "../../training/mnistJob.ts";
import { buildStepGraph } from "../../engine/graph.ts";
import { canonicalSpecJson, makeSpec } from "../../engine/spec.ts";
import { SolverDb } from "../../solver/db.ts";
import { initialState } from "../../engine/state.ts";
import { Phase, Reason } from "../../dispute/gameState.ts";
import { playGame, type PlayProgress, readGame } from "../../dispute/playGame.ts";
import { engineStepper, ReplayView, type Stepper } from "../../dispute/replayView.ts";
import { createRunner, train } from "../../training/train.ts";
import { type Deviation, deviatingStepper } from "../../dispute/deviation.ts";
import { makeHistory } from "../contracts/helpers/market.ts";
import { startSolverProcess, type SolverProcess } from "./helpers/nodeProcess.ts";
import type { KernelKind } from "../../chain/kernelKind.ts";

const STEPS = 20, INTERVAL = 10, LIE_STEP = 4;
const ESCROW = 10n ** 18n, BOND = 10n ** 17n, CHALLENGE_BOND = 3n * 10n ** 16n, WINDOW = 3_600n, FORFEIT_BPS = 1_000n;

/** Fees paid by each account over the chain's whole history (every transaction's gasUsed * effectiveGasPrice). */
async function disputeRun(kernel: KernelKind, restartMidGame: boolean): Promise<void> {
  const node: LocalNode = await startLocalNode({ accounts: 5 });
  const dir = await mkdtemp(path.join(tmpdir(), `veritrain-dispute-${kernel}-`));
  const procs: SolverProcess[] = [];
  try {
    const [deployerKey, treasuryKey, clientKey, solverKey, challengerKey] = node.accounts;
    const local = await connect({ rpcUrl: node.url, chainId: node.chainId, pollingIntervalMs: 100 });
    const pc = local.publicClient;
    const tc = createTestClient({ chain: local.chain, transport: local.transport, mode: "hardhat" });
    const wallet = (key: `0x${string}`) => local.wallet(privateKeyToAccount(key));
    const deployer = wallet(deployerKey!.privateKey), client = wallet(clientKey!.privateKey), challenger = wallet(challengerKey!.privateKey), treasury = wallet(treasuryKey!.privateKey);
    const d = await deployProtocol({ walletClient: deployer, publicClient: pc, treasury: treasuryKey!.address, forfeitBps: Number(FORFEIT_BPS), kernel });
    const market: Address = d.jobMarket;
    const who = { client: clientKey!.address, solver: solverKey!.address, challenger: challengerKey!.address, treasury: treasuryKey!.address };
    const before = Object.fromEntries(await Promise.all(Object.entries(who).map(async ([k, a]) => [k, await pc.getBalance({ address: a })] as const)));

    const { spec, data } = mnistSpec();
    const specFile = path.join(dir, "spec.json");
    await writeFile(specFile, canonicalSpecJson(spec) + "\n");
    let unsettleable: bigint | undefined;
    if (kernel === "groth16") {
      // A job (posted by the deployer) whose spec has an op no registered circuit settles: the solver must
      // reject it with nothing sent, since a dispute there would fail it even when right.
      const shifted = makeSpec({ seed: spec.training.seed, data: spec.data, quant: { actShift: 7 } });
      const shiftedFile = path.join(dir, "shifted-spec.json");
      await writeFile(shiftedFile, canonicalSpecJson(shifted) + "\n");
      unsettleable = (await postJob(deployer, {
        market, spec: shifted, dataset: data.train, specURI: pathToFileURL(shiftedFile).href, steps: STEPS, checkpointInterval: INTERVAL,
        escrow: ESCROW, requiredBond: BOND, challengeBond: CHALLENGE_BOND, firstCome: true, commitDuration: 3_600n, challengeWindow: WINDOW, clockDuration: 600n,
      })).jobId;
    }
    const { jobId } = await postJob(client, {
      market, spec, dataset: data.train, specURI: pathToFileURL(specFile).href, steps: STEPS, checkpointInterval: INTERVAL,
      escrow: ESCROW, requiredBond: BOND, challengeBond: CHALLENGE_BOND, firstCome: true, commitDuration: 3_600n, challengeWindow: WINDOW, clockDuration: 600n,
    });

    const configFile = path.join(dir, "solver.json");
    await writeFile(configFile, JSON.stringify({
      rpcUrl: node.url, chainId: node.chainId, market, dataDir: path.join(dir, "solver"), backend: "onnx",
      pricing: { minWeiPerStep: "1000" }, serve: { port: await freePort() }, pollIntervalMs: 100, fromBlock: Number(d.deploymentBlock),
    }));
    const start = () => {
      const p = startSolverProcess(["solver", "start", "--config", configFile], { VERITRAIN_PRIVATE_KEY: solverKey!.privateKey });
      procs.push(p);
      return p;
    };
    let solver = start();
    await solver.waitFor("the commit", () => solver.logs.some((l) => l.msg === "result committed"), 120_000);

    // The challenger: the honest computation (it can check the committed checkpoints) except one element of
    // the first matmul's output at step LIE_STEP, propagated through every later step.
    const graph = buildStepGraph(spec);
    const program = buildProgram(spec, graph);
    const matmul = program.entries.findIndex((p) => p.code === 1);
    expect(matmul).to.be.greaterThan(2);
    const dev: Deviation = { kind: "op", step: LIE_STEP, entry: matmul, element: 77 };
    const runner = await createRunner(graph, "onnx");
    const honest = engineStepper(runner, spec, data.train);
    const lying: Stepper = deviatingStepper(honest, { graph, spec, dataset: data.train }, [dev]);
    const view = new ReplayView({ spec, dataset: data.train, start: initialState(spec), hiStep: INTERVAL, graph, program, stepper: lying });
    const trained = await train({ spec, dataset: data.train, steps: STEPS, checkpointInterval: INTERVAL });
    const committed = makeHistory(STEPS, INTERVAL, toHex(trained.checkpoints[0]!.root), (i) => toHex(trained.checkpoints[i]!.root));
    expect((await getJob(pc, { market, jobId })).historyRoot).to.equal(committed.root);
    const claimed = toHex(await view.stateRoot(INTERVAL));
    expect(claimed).to.not.equal(committed.cp(1).root); // the lie changed the checkpoint

    const hash = await challenger.writeContract({ address: market, abi: jobMarketAbi, functionName: "challenge", args: [jobId, committed.cp(0), committed.cp(1), claimed], value: CHALLENGE_BOND });
    const opened = await pc.waitForTransactionReceipt({ hash });
    expect(opened.status).to.equal("success");
    const gameId = 1n;

    const moves: PlayProgress[] = [];
    let killedAt: number | undefined;
    const problems = () => procs.flatMap((p) => p.logs.filter((l) => l.level !== undefined && (l.level as number) >= 40)).map((l) => JSON.stringify(l)).join("\n");
    const outcome = await playGame({
      signal: AbortSignal.timeout(150_000),
      client: challenger, game: d.disputeGame, gameId, side: "challenger", view, kernel, pollMs: 100, fromBlock: opened.blockNumber,
      onProgress: (e) => {
        moves.push(e);
        // Kill the solver once the game is in level 2 (after our first trace move): it must resume from the chain.
        if (restartMidGame && killedAt === undefined && e.kind === "move" && e.label.startsWith("postTrace")) {
          killedAt = e.phase;
          const p = solver;
          void p.kill("SIGKILL").then(() => (solver = start()));
        }
      },
    }).catch((e: Error) => {
      throw new Error(`${e.message}; the solver's warnings:\n${problems()}`);
    });
    await runner.close();
    expect(moves.filter((m) => m.kind === "error" || m.kind === "stuck")).to.deep.equal([]);
    expect(outcome).to.deep.equal({ resolved: true, solverWon: true, reason: Reason.Settled });
    const st = await readGame(pc, d.disputeGame, gameId);
    expect(st.phase).to.equal(Phase.Resolved);
    expect(st.entry).to.equal(matmul); // level 2 found the lying entry
    expect(st.termHi > 0n && st.termHi - st.termLo <= 8n).to.equal(true); // level 4 narrowed its accumulation
    expect(moves.some((m) => m.kind === "move" && m.label.startsWith("respondTerms"))).to.equal(true);
    if (restartMidGame) expect(killedAt).to.not.equal(undefined);

    await solver.waitFor("the dispute won", () => solver.logs.some((l) => l.msg === "dispute won" && l.gameId === "1"), 120_000);
    if (restartMidGame) {
      // The restarted process picked the game up from the chain and played the rest, settlement included.
      expect(procs.length).to.equal(2);
      expect(solver.logs.filter((l) => String(l.msg).startsWith("dispute move")).length).to.be.greaterThan(0);
    }
    const settled = solver.logs.find((l) => l.msg === "dispute settle")!;
    if (process.env.VERITRAIN_TEST_VERBOSE) console.log(JSON.stringify({ kernel, challengerMoves: moves.length, solverMoves: procs.flatMap((p) => p.logs).filter((l) => String(l.msg).startsWith("dispute move")).length, settle: settled }));
    expect(settled).to.not.equal(undefined);
    if (kernel === "groth16") expect(settled.proveMs as number).to.be.greaterThan(0);
    else expect(settled.proveMs).to.equal(undefined);

    // After the window: the solver finalizes and withdraws price + bond + its share of the challenger's bond.
    await tc.increaseTime({ seconds: Number(WINDOW) + 1 });
    await tc.mine({ blocks: 1 });
    await solver.waitFor("the job report", () => solver.reports.some((r) => r.jobId === jobId.toString()), 120_000);
    const report = solver.reports.find((r) => r.jobId === jobId.toString())!;
    expect(report.status).to.equal("withdrawn");
    const share = (CHALLENGE_BOND * (10_000n - FORFEIT_BPS)) / 10_000n;
    expect(BigInt(report.withdrawn as string)).to.equal(ESCROW + BOND + share);
    await solver.kill("SIGTERM");

    if (unsettleable !== undefined) {
      const db = new SolverDb(path.join(dir, "solver", "solver.db"));
      try {
        expect(db.job(unsettleable)!.status).to.equal("rejected");
        expect(db.job(unsettleable)!.reason).to.match(/cannot settle this spec: no settlement circuit for op code 3 attrs \[7, -127, 127\]/);
        expect(db.txs(unsettleable)).to.deep.equal([]);
      } finally {
        db.close();
      }
      expect((await getJob(pc, { market, jobId: unsettleable })).status).to.equal("Open");
      // Its client takes the escrow back, so that the market ends empty.
      await pc.waitForTransactionReceipt({ hash: await deployer.writeContract({ address: market, abi: jobMarketAbi, functionName: "cancelJob", args: [unsettleable] }) });
      await pc.waitForTransactionReceipt({ hash: await deployer.writeContract({ address: market, abi: jobMarketAbi, functionName: "withdraw", args: [] }) });
    }
    // The treasury withdraws its forfeit share; then the market holds nothing.
    expect(await pc.readContract({ address: market, abi: jobMarketAbi, functionName: "balanceOf", args: [who.treasury] })).to.equal(CHALLENGE_BOND - share);
    await pc.waitForTransactionReceipt({ hash: await treasury.writeContract({ address: market, abi: jobMarketAbi, functionName: "withdraw", args: [] }) });
    expect(await pc.readContract({ address: market, abi: jobMarketAbi, functionName: "totalLiabilities" })).to.equal(0n);
    expect(await pc.getBalance({ address: market })).to.equal(0n);

    const sent = await transactionsBySender(pc, d.deploymentBlock);
    const feesOf = (a: string) => sent.get(a.toLowerCase())?.feesWei ?? 0n;
    const delta = async (k: keyof typeof who) => (await pc.getBalance({ address: who[k] })) - before[k]! + feesOf(who[k]);
    expect(await delta("client")).to.equal(-ESCROW); // first-come at the whole escrow: no refund
    expect(await delta("solver")).to.equal(ESCROW + share);
    // The job report's fees include the dispute's moves and settlement (every solver transaction was this
    // job's). A kill between a move's receipt and its record can lose one record, hence <= after a restart.
    const solverFees = feesOf(who.solver);
    if (restartMidGame) expect(BigInt(report.feesWei as string) <= solverFees).to.equal(true);
    else expect(BigInt(report.feesWei as string)).to.equal(solverFees);
    const jobDb = new SolverDb(path.join(dir, "solver", "solver.db"));
    try {
      const actions = jobDb.txs(jobId).map((t) => t.action);
      expect(actions.filter((a) => a.startsWith("dispute ")).length).to.be.greaterThan(10);
      expect(actions).to.include("dispute settle");
    } finally {
      jobDb.close();
    }
    expect(await delta("challenger")).to.equal(-CHALLENGE_BOND);
    expect(await delta("treasury")).to.equal(CHALLENGE_BOND - share);
  } finally {
    for (const p of procs) await p.kill("SIGKILL");
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

describe("solver node: automatic dispute defence (local node, solver process)", { timeout: 300_000 }, () => {
  it("a lying challenger on a matmul element loses to the solver process (recompute kernel verifier)", async () => {
    await disputeRun("recompute", false);
  });
  it("the same with the Groth16 kernel verifier (the solver proves the slice), its process killed and restarted mid-game", async () => {
    await disputeRun("groth16", true);
  });
});
