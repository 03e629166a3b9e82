// End to end: `veritrain demo --json [--model cnn|charlm]` as a subprocess (a Hardhat node child; a solver, a
// verifier and a cheating solver as their own processes), with a short honest job, for each model. Checks the
// exit code, the model's root against the committed root and an in-process re-training, the held-out figure
// (and the char LM's sampled words) against the same figure of the re-trained state, the verifier's sample and
// attestation, the cheating job caught and failed by a dispute that settles on chain by a Groth16 proof (for
// every model: the CNN's and the char LM's ops have circuits too), exact balance changes from the
// receipts' fees, and that no child is left.
import { describe, it } from "node:test";
import { spawn } from "node:child_process";
import { connect } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { toHex } from "../../commitment/hash.ts";
import { stateAccuracy } from "../../engine/evaluate.ts";
import type { TrainingSpecV2 } from "../../engine/spec.ts";
import { CHARLM_DEMO_SAMPLES, charlmJob, heldOutNats, parameters, sampleWords } from "../../training/charlmJob.ts";
import { mnistCnnSpec, mnistSpec } from "../../training/mnistJob.ts";
import { train } from "../../training/train.ts";
import { alive } from "../helpers/alive.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = path.join(ROOT, "cli", "veritrain.ts");

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

/** The demo's honest job, re-trained here: the roots and the held-out figure it must report. */
async function expectedRun(model: string, steps: number, interval: number) {
  if (model === "charlm") {
    const { spec, corpus } = charlmJob();
    const r = await train({ spec, dataset: corpus.train, steps, checkpointInterval: interval });
    const params = parameters(spec as TrainingSpecV2, r.state);
    return {
      r, heldout: { heldoutNatsPerChar: await heldOutNats(spec as TrainingSpecV2, params, corpus.heldOut), heldoutExamples: corpus.heldOut.count },
      samples: sampleWords(spec as TrainingSpecV2, params, corpus.vocab, CHARLM_DEMO_SAMPLES, spec.training.seed), uniform: Math.log(corpus.vocab.length), vocab: corpus.vocab,
    };
  }
  const { spec, data } = model === "cnn" ? mnistCnnSpec() : mnistSpec();
  const r = await train({ spec, dataset: data.train, steps, checkpointInterval: interval });
  return { r, heldout: { heldoutAccuracy: await stateAccuracy(spec, r.state, data.heldout), heldoutExamples: data.heldout.count } };
}

/**
 * Each model's short run (its steps and interval). The held-out figure must equal the re-trained state's; the
 * sanity floors beside that: the MLP's accuracy 0.5 as before, the CNN's 0.2 (31.69% measured after 40 steps;
 * chance is 10%), the char LM's nats below uniform (2.4081 measured after 100 steps, uniform 3.4012).
 */
const RUNS = [
  { model: "mlp", steps: 60, interval: 20, timeout: 180_000 },
  { model: "cnn", steps: 40, interval: 20, timeout: 240_000 },
  { model: "charlm", steps: 100, interval: 50, timeout: 240_000 },
] as const;

for (const { model, steps: STEPS, interval: INTERVAL, timeout } of RUNS) {
  describe(`veritrain demo --model ${model} (local node, auction, solver, verifier and cheating solver processes)`, { timeout }, () => {
    it("runs the honest job (verified, attested, paid) and catches the cheating one (challenged, slashed): exact payments, no stray processes", async () => {
      const r = await run(["demo", "--json", ...(model === "mlp" ? [] : ["--model", model]), "--steps", String(STEPS), "--checkpoint-interval", String(INTERVAL)]);
      expect(r.code, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
      expect(out.model).to.equal(model);
      expect(out.kernel).to.equal("groth16");

      // Roots: the fetched model is the committed final state, and both are what the engine computes.
      const { r: expected, heldout, samples, uniform, vocab } = await expectedRun(model, STEPS, INTERVAL);
      expect(out.rootsMatch).to.equal(true);
      // The model came over HTTP from the solver's content-addressed store server, addressed by its root.
      expect(out.modelURI).to.match(/^http:\/\/127\.0\.0\.1:\d+\/state\/[0-9a-f]{64}$/);
      expect(out.modelURI.endsWith(out.committedFinalRoot.slice(2))).to.equal(true);
      expect(out.modelRoot).to.equal(out.committedFinalRoot);
      expect(out.solverReportedFinalRoot).to.equal(out.committedFinalRoot);
      expect(out.committedFinalRoot).to.equal(toHex(expected.checkpoints.at(-1)!.root));
      expect(out.historyRoot).to.equal(toHex(expected.historyRoot));
      expect(out.checkpoints).to.equal(STEPS / INTERVAL + 1);
      // The held-out figure is the re-trained state's, exactly (the fetched state is that state).
      if (model === "charlm") {
        expect({ heldoutNatsPerChar: out.heldoutNatsPerChar, heldoutExamples: out.heldoutExamples }).to.deep.equal(heldout);
        expect(out.heldoutNatsPerChar).to.be.below(uniform!); // it learnt something in 100 steps
        expect(out.uniformNatsPerChar).to.equal(uniform);
        // Words sampled from the fetched, verified model: the same words as from the re-trained state.
        expect(out.samples).to.have.length(CHARLM_DEMO_SAMPLES).and.deep.equal(samples);
        for (const w of out.samples as string[]) expect(w.length > 0 && [...w].every((c) => c !== "." && vocab!.includes(c)), w).to.equal(true);
      } else {
        expect({ heldoutAccuracy: out.heldoutAccuracy, heldoutExamples: out.heldoutExamples }).to.deep.equal(heldout);
        expect(out.heldoutAccuracy).to.be.within(model === "mlp" ? 0.5 : 0.2, 1);
      }

      // The verifier sampled one of the honest job's intervals (its 5%), re-executed it and attested.
      expect(out.verification.intervals).to.have.length(1);
      expect(out.verification.of).to.equal(STEPS / INTERVAL);
      expect(out.verification.attested).to.equal(true);
      expect(out.verification.detectionOneBadInterval["1"]).to.be.closeTo(1 / (STEPS / INTERVAL), 1e-4); // printed to 4 places
      // The cheating job: every interval re-executed, the corrupted one challenged, the dispute won by the
      // verifier through settlement by a Groth16 proof, the job failed.
      expect(out.cheat.sampled).to.have.length(10);
      expect(out.cheat.steps / out.cheat.checkpointInterval).to.equal(10);
      expect(out.cheat.jobStatus).to.equal("Failed");
      expect(out.cheat.outcome).to.deep.equal({ verifier: "won", reason: "settled" });
      expect(out.cheat.lie.cheat).to.equal("corrupt-update");
      expect(out.cheat.challengedInterval).to.equal(Math.floor((out.cheat.lie.deviations[0].step - 1) / out.cheat.checkpointInterval));
      expect(out.cheat.proofMs).to.be.a("number");
      expect(BigInt(out.cheat.settleGas) > 0n).to.equal(true);

      // Money: an auction won at the solver's opening bid (90% of the escrow, its pricing rule); the client paid
      // exactly the price plus its gas (it withdrew its refund, and the cheating job's whole escrow); the solver
      // got the price and its bond back minus its gas; the cheater lost its bond: 90% to the verifier, 10% to the
      // treasury.
      const price = BigInt(out.price);
      expect(price).to.equal((BigInt(out.escrow) * 9_000n) / 10_000n);
      expect(out.solverReportedStatus).to.equal("withdrawn");
      expect(BigInt(out.solverWithdrawn)).to.equal(price + BigInt(out.requiredBond));
      const delta = (k: string) => BigInt(out.balances[k].delta);
      const fees = (k: string) => BigInt(out.gas[k].feesWei);
      expect(fees("client") > 0n && fees("solver") > 0n && fees("deployer") > 0n).to.equal(true);
      const bond = BigInt(out.requiredBond), share = (bond * 9_000n) / 10_000n;
      expect(delta("client")).to.equal(-price - fees("client"));
      expect(delta("solver")).to.equal(price - fees("solver"));
      expect(delta("verifier")).to.equal(share - fees("verifier"));
      expect(delta("cheater")).to.equal(-bond - fees("cheater"));
      expect(delta("treasury")).to.equal(bond - share - fees("treasury"));
      expect(out.gas.client.transactions).to.equal(4); // postJob twice, withdraw twice (the refund escrow - price, the failed job's escrow)
      expect(out.gas.solver.transactions).to.equal(5); // bid, closeBidding, commitResult, finalize, withdraw
      for (const k of ["node", "deploy", "nodes", "post", "bid", "solve", "verify", "finalize", "fetchEvaluate", "cheat", "total"]) expect(out.phases[k], k).to.be.a("number");

      // Clean shutdown: the node's port is closed, the node and every node process are gone.
      expect(await portOpen(out.nodePort)).to.equal(false);
      expect(alive(out.nodePid)).to.equal(false);
      expect(out.processPids).to.have.length(3);
      for (const pid of out.processPids) expect(alive(pid), `process ${pid}`).to.equal(false);
    });
  });
}

describe("veritrain demo: bad input", () => {
  it("an unknown --model, or a checkpoint interval past the model's default steps: exit 1, one line naming what is wrong", async () => {
    const [model, interval] = await Promise.all([run(["demo", "--model", "gpt"]), run(["demo", "--model", "cnn", "--checkpoint-interval", "601"])]);
    for (const r of [model, interval]) {
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr.trimEnd().split("\n"), r.stderr).to.have.length(1);
      expect(r.stdout).to.equal("");
    }
    expect(model.stderr).to.match(/^error: option '--model <name>' argument 'gpt' is invalid\. must be one of mlp, cnn, charlm, got "gpt"/);
    expect(interval.stderr).to.match(/--checkpoint-interval 601 exceeds --steps 600/);
  });
});
