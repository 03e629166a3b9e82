// The explorer in a real headless browser (Debian's chromium driven by playwright-core), on an in-process
// Hardhat network with the real protocol and real nodes (test/helpers): two jobs are posted; one is taken by
// a solver that corrupts one weight update, trained and committed, a verifier challenges it, the dispute is
// played to its settlement and the challenger wins; the other is trained by an honest solver, attested by
// the verifier and finalized. At each stage the test reads what the page shows (network counts, job state,
// checkpoint roots, the dispute's levels while live and its winner, the verified curves) and checks it
// against the chain (read here through the SDK, not through the explorer) and the engine.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { pino } from "pino";
import { parseEther } from "viem";
import { getContractEvents } from "viem/actions";
import { deployProtocol } from "../chain/deploy.ts";
import { disputeGameAbi } from "../chain/generated/contracts.ts";
import { getJobEvents } from "../client/getJobEvents.ts";
import { postJob } from "../client/postJob.ts";
import { datasetRoot } from "../commitment/dataset.ts";
import type { Dataset } from "../engine/batch.ts";
import { accuracy } from "../engine/evaluate.ts";
import { isParameter, stateLayout } from "../engine/graph.ts";
import { loadMnist } from "../engine/mnist.ts";
import { makeSpec } from "../engine/spec.ts";
import { initialState } from "../engine/state.ts";
import { publishForSolver, startInProcessSolver } from "../test/helpers/inProcessSolver.ts";
import { startInProcessVerifier } from "../test/helpers/inProcessVerifier.ts";
import { VERIFIED_CURVE_RULE } from "./curve.ts";
import { capture, MAX_SCREENSHOT_BYTES } from "./screenshots.ts";
import { mnistHeldout, startExplorer } from "./start.ts";

const CHROMIUM = "/usr/bin/chromium";
const STEPS = 20, INTERVAL = 5, CHEAT_STEP = 8, HONEST_STEPS = 120, HONEST_INTERVAL = 20, WINDOW = 3_600n;

/** Every `stride`-th digit of the MNIST training split from `offset`: a small training set with every class in it. */
function strided(d: Dataset, n: number, offset: number): Dataset {
  const stride = Math.floor(d.count / n);
  const idx = Array.from({ length: n }, (_, i) => offset + i * stride);
  const pixels = new Uint8Array(n * d.features);
  idx.forEach((e, i) => pixels.set(d.pixels.subarray(e * d.features, (e + 1) * d.features), i * d.features));
  return { count: n, features: d.features, classes: d.classes, pixels, labels: Uint8Array.from(idx.map((e) => d.labels[e]!)) };
}

describe("explorer in a headless browser", () => {
  it("shows a job posted, trained, challenged and settled, stage by stage, with a verified curve", { timeout: 240_000 }, async (t) => {
    if (!existsSync(CHROMIUM)) {
      t.skip(`${CHROMIUM} is absent: the explorer's browser test needs Debian's chromium (scripts/setup.sh installs it)`);
      return;
    }
    const { chromium } = await import("playwright-core");
    const { viem } = await network.create();
    const pc = await viem.getPublicClient();
    const tc = await viem.getTestClient();
    const [deployer, treasury, client, solverW, verifierW, honestW] = await viem.getWalletClients();
    const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000 });
    const market = d.jobMarket;
    // Two training sets (so each solver takes only its own job): the cheater's and the honest solver's.
    const specOf = (data: Dataset) => makeSpec({ seed: "e1".repeat(32), layers: [784, 16, 10], batchSize: 16, data: { root: datasetRoot(data).toString("hex"), count: data.count, features: data.features, classes: data.classes } });
    const dataset = strided(loadMnist().train, 256, 0), honestData = strided(loadMnist().train, 512, 1);
    const spec = specOf(dataset), honestSpec = specOf(honestData);
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-explorer-"));
    const shots = process.env.EXPLORER_SCREENSHOTS ?? path.join(dir, "img");
    const pub = await publishForSolver(dir, spec, dataset);
    const honestPub = await publishForSolver(path.join(dir, "honest"), honestSpec, honestData);
    const terms = { requiredBond: parseEther("0.1"), challengeBond: parseEther("0.05"), commitDuration: 3_600n, challengeWindow: WINDOW, clockDuration: 600n, sampleBps: 10_000 };
    const controller = new AbortController();
    const x = await startExplorer({ client: pc, market, pollMs: 150, log: pino({ level: "silent" }) }, controller.signal);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    const stops: (() => Promise<void>)[] = [];
    let miner: NodeJS.Timeout | undefined;
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const text = (sel: string) => page.locator(sel).first().innerText();
      const waitText = async (sel: string, pred: (s: string) => boolean, what: string, timeout = 90_000) => {
        const end = Date.now() + timeout;
        let last = "";
        while (Date.now() < end) {
          last = (await page.locator(sel).count()) > 0 ? await text(sel).catch(() => "") : "";
          if (pred(last)) return last;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`the page never showed ${what} (${sel}: ${JSON.stringify(last)})`);
      };

      // Stage 0: an empty market.
      await page.goto(x.url);
      assert.equal(await waitText('[data-testid="jobs-total"]', (s) => s === "0", "no jobs"), "0");
      assert.match(await text('[data-testid="head-block"]'), /^[0-9,]+$/);

      // Stage 1: posted. The nodes start after, so the page sees the job open first.
      const { jobId } = await postJob(client!, { market, spec, dataset, specURI: pub.specURI, steps: STEPS, checkpointInterval: INTERVAL, escrow: parseEther("1"), ...terms });
      const honest = await postJob(client!, { market, spec: honestSpec, dataset: honestData, specURI: honestPub.specURI, steps: HONEST_STEPS, checkpointInterval: HONEST_INTERVAL, escrow: parseEther("2"), ...terms });
      await waitText('[data-testid="jobs-total"]', (s) => s === "2", "two jobs");
      assert.equal(await text('[data-testid="state-Open"] b'), "2");
      assert.equal(await text('[data-testid="escrow-held"]'), "3 ETH");
      await page.goto(`${x.url}/#/job/${jobId}`);
      assert.equal(await waitText('[data-testid="job-status"]', (s) => s === "Open", "the job open"), "Open");
      await waitText('[data-testid="spec-checked"]', (s) => s.includes("hash matches"), "the spec checked against its hash");
      assert.equal(await page.locator('[data-testid="no-checkpoints"]').count(), 1);

      // Stage 2: a cheating solver takes, trains and commits; a verifier re-executes every interval.
      const solver = await startInProcessSolver({ client: solverW!, market, dataDir: path.join(dir, "solver"), datasets: [pub.datasetFile], pollIntervalMs: 400, adversary: { cheat: "corrupt-update", step: CHEAT_STEP, withhold: false } });
      stops.push(() => solver.stop());
      const honestSolver = await startInProcessSolver({ client: honestW!, market, dataDir: path.join(dir, "honest-solver"), datasets: [honestPub.datasetFile], pollIntervalMs: 400 });
      stops.push(() => honestSolver.stop());
      const verifier = await startInProcessVerifier({ client: verifierW!, market, dataDir: path.join(dir, "verifier"), datasets: [pub.datasetFile, honestPub.datasetFile], sampleBps: 10_000, pollIntervalMs: 400 });
      stops.push(() => verifier.stop());
      miner = setInterval(() => void tc.mine({ blocks: 1 }).catch(() => {}), 300);
      await waitText('[data-testid="checkpoint-row"]', (s) => s.length > 0, "the committed checkpoints");
      const committed = (await getJobEvents(pc, { market, jobId })).find((e) => e.kind === "committed");
      assert.ok(committed?.kind === "committed");
      assert.deepEqual(await page.locator('[data-testid="checkpoint-root"]').allInnerTexts(), committed.roots, "the page's checkpoint roots are the committed ones, in order");
      assert.equal(committed.roots.length, STEPS / INTERVAL + 1);

      // Stage 3: the challenge, watched live on the game's page.
      await waitText('[data-testid="dispute-row"]', (s) => s.includes("game"), "the dispute", 120_000);
      const opened = (await getJobEvents(pc, { market, jobId })).find((e) => e.kind === "challenged");
      assert.ok(opened?.kind === "challenged");
      assert.equal(opened.loIndex, BigInt(Math.floor(CHEAT_STEP / INTERVAL)), "the challenge is on the interval holding the corrupted step");
      await page.goto(`${x.url}/#/game/${opened.gameId}`);
      await waitText('[data-testid="level-1"]', (s) => s.includes("steps"), "level 1 of the narrowing", 60_000);
      assert.equal(await page.locator('[data-testid="game-live"]').count(), 1, "the page shows the dispute while it is being played");
      assert.equal(await page.locator(".clock.running").count(), 1, "one clock runs while the game is live");
      await capture(page, shots, "dispute");
      // The deepest live view the page shows before the settlement replaces the live one (the docs' screenshot).
      for (let deadline = Date.now() + 60_000; Date.now() < deadline && (await page.locator('[data-testid="winner"]').count()) === 0;) {
        if ((await page.locator('[data-testid="level-3"]').count()) > 0 && (await page.locator('[data-testid="game-live"]').count()) > 0) {
          const live = await capture(page, shots, "dispute");
          assert.ok(live.bytes < MAX_SCREENSHOT_BYTES, `live dispute screenshot ${live.bytes} bytes`);
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }

      // Stage 4: settled; the challenger wins, as the chain says.
      const winner = await waitText('[data-testid="winner"]', (s) => s.includes("won"), "the winner", 150_000);
      const [resolved] = await getContractEvents(pc, { address: d.disputeGame, abi: disputeGameAbi, eventName: "GameResolved", args: { gameId: opened.gameId }, fromBlock: 0n, strict: true });
      assert.equal(resolved?.args.solverWon, false);
      assert.match(winner, /the challenger won/);
      for (const level of [1, 2, 3, 5]) assert.equal(await page.locator(`[data-testid="level-${level}"]`).count(), 1, `level ${level} is drawn`);
      assert.match(await text('[data-testid="level-1"]'), new RegExp(`steps ${opened.loIndex * BigInt(INTERVAL)}\\.\\.`));
      assert.match(await text('[data-testid="level-5"]'), /challenger wins|ran out of time/);
      assert.equal(await page.locator('[data-testid="move-row"][data-by="anyone"]').count(), 0, "every move is named by its party (the settlement by its sender)");
      assert.ok(Number((await text('[data-testid="total-gas"]')).replace(/,/g, "")) > 100_000, "the moves' gas is shown");
      assert.equal(await page.locator("#gas-chart canvas").count() > 0, true, "uPlot drew the gas per move");
      const settled = await capture(page, shots, "settled", { from: '[data-testid="winner"]', maxHeight: 1300 });
      assert.ok(settled.bytes < MAX_SCREENSHOT_BYTES, `settled dispute screenshot ${settled.bytes} bytes`);

      // Stage 5: the job failed; its curve is verified point by point.
      await page.goto(`${x.url}/#/job/${jobId}`);
      await waitText('[data-testid="job-status"]', (s) => s === "Failed", "the job failed");
      assert.equal(await text('[data-testid="verdict"]'), "solver-failed");
      assert.ok((await text('[data-testid="curve-rule"]')).includes(VERIFIED_CURVE_RULE));
      const points = page.locator('[data-testid="curve-point"][data-verified="true"]');
      const end = Date.now() + 60_000;
      while ((await points.count()) < committed.roots.length && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await points.count(), committed.roots.length, "every committed checkpoint fetched, checked against its root and scored");
      // Checkpoint 0 scored by the explorer = the engine's own accuracy of the initial model on the held-out split.
      const nWeights = stateLayout(spec).filter((s) => isParameter(s.name)).length;
      const acc0 = await accuracy(spec, initialState(spec).tensors.slice(0, nWeights), mnistHeldout().data);
      const row0 = await points.first().locator("td").allInnerTexts();
      assert.equal(row0.at(-1), `${(acc0 * 100).toFixed(2)}%`);
      assert.equal(await page.locator("#curve-chart canvas").count() > 0, true, "uPlot drew the curve");

      // Stage 6: the honest job, attested by the verifier, finalized once the window has passed.
      await page.goto(`${x.url}/#/job/${honest.jobId}`);
      await verifier.until("the honest job attested", (v) => v.db.job(honest.jobId)?.status === "attested", 120_000);
      await tc.increaseTime({ seconds: Number(WINDOW) + 1 });
      await tc.mine({ blocks: 1 });
      await waitText('[data-testid="job-status"]', (s) => s === "Finalized", "the honest job finalized", 60_000);
      assert.equal(await text('[data-testid="verdict"]'), "finalized-unchallenged");
      assert.match(await text('[data-testid="job-summary"]'), /re-executed by/);
      const honestPoints = page.locator('[data-testid="curve-point"][data-verified="true"]');
      for (const end2 = Date.now() + 60_000; (await honestPoints.count()) < HONEST_STEPS / HONEST_INTERVAL + 1 && Date.now() < end2;) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await honestPoints.count(), HONEST_STEPS / HONEST_INTERVAL + 1);
      await page.waitForTimeout(300);
      const jobShot = await capture(page, shots, "job");
      assert.ok(jobShot.bytes < MAX_SCREENSHOT_BYTES, `job screenshot ${jobShot.bytes} bytes`);

      // Stage 7: the network view at the end.
      await page.goto(x.url);
      await waitText('[data-testid="state-Failed"] b', (s) => s === "1", "one failed job");
      assert.equal(await text('[data-testid="state-Finalized"] b'), "1");
      assert.equal(await text('[data-testid="disputes-open"]'), "0");
      assert.equal(await text('[data-testid="escrow-held"]'), "0 ETH");
      assert.equal(await text('[data-testid="solvers-seen"]'), "2");
      assert.equal(await text('[data-testid="verifiers-seen"]'), "1");
      const shot = await capture(page, shots, "network");
      assert.ok(shot.bytes > 10_000 && shot.bytes < MAX_SCREENSHOT_BYTES, `network screenshot ${shot.bytes} bytes`);
      // A job's spec URI is anyone's text: shown as text, never run as markup.
      const hostile = 'https://spec.invalid/<img src=x onerror="window.__injected=1">';
      const injected = await postJob(client!, { market, spec, dataset, specURI: hostile, steps: STEPS, checkpointInterval: INTERVAL, escrow: parseEther("0.1"), ...terms });
      await page.goto(`${x.url}/#/job/${injected.jobId}`);
      await waitText('[data-testid="spec-unchecked"]', (s) => s.includes("not checked"), "the hostile spec URI unchecked", 30_000);
      assert.ok((await page.locator("main").innerText()).includes(hostile), "the URI is shown as text");
      assert.equal(await page.evaluate("window.__injected"), undefined, "no markup from the chain ran");

      // A bad id in the address bar: the API's reason, on the page.
      await page.goto(`${x.url}/#/job/abc`);
      assert.equal(await waitText('[data-testid="error"]', (s) => s.length > 0, "the bad id's error"), 'job id must be a positive integer, got "abc"');
      assert.deepEqual(errors, [], "no script error on the page");
    } finally {
      if (miner) clearInterval(miner);
      await browser.close();
      for (const s of stops.reverse()) await s();
      controller.abort();
      await x.running;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
