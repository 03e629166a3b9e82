// End to end: `veritrain demo --json` as a subprocess (a Hardhat node child, the solver as its own
// process), with a short job. Checks the exit code, the model's root against the committed root and an
// in-process re-training, exact balance changes from the receipts' fees, and that no child is left behind.
import { describe, it } from "node:test";
import { spawn } from "node:child_process";
import { connect } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { toHex } from "../../commitment/hash.ts";
import { mnistSpec } from "../../training/mnistJob.ts";
import { train } from "../../training/train.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = path.join(ROOT, "cli", "veritrain.ts");
const STEPS = 60, INTERVAL = 20;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT, env: { ...process.env, VERITRAIN_LOG_JSON: "1", VERITRAIN_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("veritrain demo (local node, auction, solver node process)", { timeout: 120_000 }, () => {
  it("runs the honest job end to end: verified model, exact payments, no stray processes", async () => {
    const r = await run(["demo", "--json", "--steps", String(STEPS), "--checkpoint-interval", String(INTERVAL)]);
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);

    // Roots: the fetched model is the committed final state, and both are what the engine computes.
    const { spec, data } = mnistSpec();
    const expected = await train({ spec, dataset: data.train, steps: STEPS, checkpointInterval: INTERVAL });
    expect(out.rootsMatch).to.equal(true);
    // The model came over HTTP from the solver's content-addressed store server, addressed by its root.
    expect(out.modelURI).to.match(/^http:\/\/127\.0\.0\.1:\d+\/state\/[0-9a-f]{64}$/);
    expect(out.modelURI.endsWith(out.committedFinalRoot.slice(2))).to.equal(true);
    expect(out.modelRoot).to.equal(out.committedFinalRoot);
    expect(out.solverReportedFinalRoot).to.equal(out.committedFinalRoot);
    expect(out.committedFinalRoot).to.equal(toHex(expected.checkpoints.at(-1)!.root));
    expect(out.historyRoot).to.equal(toHex(expected.historyRoot));
    expect(out.checkpoints).to.equal(STEPS / INTERVAL + 1);
    expect(out.heldoutAccuracy).to.be.a("number").within(0.5, 1);

    // Money: an auction won at the solver's opening bid (90% of the escrow, its pricing rule); the client paid
    // exactly the price plus its gas (it withdrew its refund); the solver got the price and its bond back minus
    // its gas; the treasury is untouched.
    const price = BigInt(out.price);
    expect(price).to.equal((BigInt(out.escrow) * 9_000n) / 10_000n);
    expect(out.solverReportedStatus).to.equal("withdrawn");
    expect(BigInt(out.solverWithdrawn)).to.equal(price + BigInt(out.requiredBond));
    const delta = (k: string) => BigInt(out.balances[k].delta);
    const fees = (k: string) => BigInt(out.gas[k].feesWei);
    expect(fees("client") > 0n && fees("solver") > 0n && fees("deployer") > 0n).to.equal(true);
    expect(delta("client")).to.equal(-price - fees("client"));
    expect(delta("solver")).to.equal(price - fees("solver"));
    expect(delta("treasury")).to.equal(0n);
    expect(out.gas.client.transactions).to.equal(2); // postJob, withdraw (the refund escrow - price)
    expect(out.gas.solver.transactions).to.equal(5); // bid, closeBidding, commitResult, finalize, withdraw
    for (const k of ["node", "deploy", "post", "bid", "solve", "finalize", "fetchEvaluate", "total"]) expect(out.phases[k], k).to.be.a("number");

    // Clean shutdown: the node's port is closed, the node and the solver are gone.
    expect(await portOpen(out.nodePort)).to.equal(false);
    expect(alive(out.nodePid)).to.equal(false);
    expect(alive(out.solverPid)).to.equal(false);
  });
});
