import { describe, it } from "node:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ROOT, runVeritrain } from "../test/helpers/runCli.ts";

/** `veritrain charlm spec` and `veritrain charlm train`, run as a user runs them. */

const veritrain = (...args: string[]) => runVeritrain(args);

describe("veritrain charlm", () => {
  it("charlm spec prints docs/specs/charlm.json", async () => {
    const r = await veritrain("charlm", "spec");
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal(JSON.parse(await readFile(path.join(ROOT, "docs/specs/charlm.json"), "utf8")));
  });

  it("charlm train: held-out nats below uniform, sampled words, the same roots on both backends", async () => {
    const args = ["charlm", "train", "--steps", "20", "--checkpoint-interval", "10", "--batch-size", "32", "--samples", "3", "--json"];
    const [onnx, ref] = await Promise.all([veritrain(...args), veritrain(...args, "--backend", "reference")]);
    expect(onnx.code, onnx.stderr).to.equal(0);
    expect(ref.code, ref.stderr).to.equal(0);
    const a = JSON.parse(onnx.stdout), b = JSON.parse(ref.stdout);
    expect(a.heldoutNatsPerChar).to.be.below(Math.log(30));
    expect(a.heldoutExamples).to.equal(5902);
    expect(a.samples).to.have.length(3);
    expect(b.finalStateRoot).to.equal(a.finalStateRoot);
    expect(b.historyRoot).to.equal(a.historyRoot);
    expect(b.heldoutNatsPerChar).to.equal(a.heldoutNatsPerChar);
    expect(b.samples).to.deep.equal(a.samples);
  });

  it("refuses a spec over another dataset with one clear line", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "vt-charlm-"));
    try {
      const mlp = await veritrain("spec", "default");
      await writeFile(path.join(dir, "mlp.json"), mlp.stdout);
      const r = await veritrain("charlm", "train", "--spec", path.join(dir, "mlp.json"), "--steps", "2");
      expect(r.code).to.equal(1);
      expect(r.stderr.trim().split("\n")).to.have.length(1);
      expect(r.stderr).to.match(/^veritrain: DatasetError: the spec's dataset root [0-9a-f]{64} is not the char-LM training split's/);
      expect(r.stdout).to.equal("");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
