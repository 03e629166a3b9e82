import { describe, it, before, after } from "node:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import * as ort from "onnxruntime-node";
import { runVeritrain } from "../test/helpers/runCli.ts";

/** The CLI of the model workloads: `spec default --model`, `train --model`, `export --onnx`. */

const veritrain = (...args: string[]) => runVeritrain(args);

describe("veritrain model workloads CLI", () => {
  let dir = "";
  before(async () => { dir = await mkdtemp(path.join(tmpdir(), "veritrain-models-")); });
  after(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

  it("spec default --model cnn writes a version 2 spec that spec check accepts; mlp stays version 1", async () => {
    const [cnn, mlp] = await Promise.all([veritrain("spec", "default", "--model", "cnn"), veritrain("spec", "default", "--model", "mlp")]);
    expect(cnn.code, cnn.stderr).to.equal(0);
    const spec = JSON.parse(cnn.stdout);
    expect(spec.version).to.equal(2);
    expect(spec.model.input).to.deep.equal([28, 28, 1]);
    expect(spec.model.layers.map((l: { kind: string }) => l.kind)).to.include.members(["conv2d", "maxpool", "flatten", "dense"]);
    expect(JSON.parse(mlp.stdout).model.layers).to.deep.equal([784, 128, 10]);
    await writeFile(path.join(dir, "cnn.json"), cnn.stdout);
    const c = await veritrain("spec", "check", path.join(dir, "cnn.json"));
    expect(c.code, c.stderr).to.equal(0);
    spec.model.layers[6] = { kind: "relu" };
    await writeFile(path.join(dir, "bad.json"), JSON.stringify(spec));
    const bad = await veritrain("spec", "check", path.join(dir, "bad.json"));
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/^veritrain: SpecError: invalid spec field "model\.layers\[7\]": dense needs a flat input/);
  });

  it("rejects a bad --model and --layers with the CNN, naming the flag", async () => {
    const [model, layers] = await Promise.all([veritrain("train", "--model", "rnn"), veritrain("spec", "default", "--model", "cnn", "--layers", "784,10")]);
    expect(model.code).to.equal(1);
    expect(model.stderr).to.match(/--model.*must be one of mlp, cnn, charlm, got "rnn"/);
    expect(layers.code).to.equal(1);
    expect(layers.stderr).to.match(/^veritrain: InvalidValueError: --layers sets the MLP's widths/);
  });

  it("train --out then export --onnx: a float32 model onnxruntime runs on raw pixels", async () => {
    const state = path.join(dir, "mlp.vtst"), onnx = path.join(dir, "mlp.onnx");
    const t = await veritrain("train", "--steps", "20", "--checkpoint-interval", "10", "--out", state, "--json");
    expect(t.code, t.stderr).to.equal(0);
    const e = await veritrain("export", "--onnx", onnx, "--state", state);
    expect(e.code, e.stderr).to.equal(0);
    expect(e.stdout).to.match(/^wrote .*mlp\.onnx \(\d+ bytes\): the model at step 20\n$/);
    const session = await ort.InferenceSession.create(await readFile(onnx));
    try {
      const r = await session.run({ pixels: new ort.Tensor("float32", new Float32Array(2 * 784).fill(128), [2, 784]) });
      expect(r.logits!.dims).to.deep.equal([2, 10]);
    } finally {
      await session.release();
    }
    // A state of another spec is refused, naming the mismatch.
    const wrong = await veritrain("export", "--onnx", onnx, "--state", state, "--model", "cnn");
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.match(/^veritrain: StateFormatError: /);
  });

  it("spec default --model charlm and train --model charlm: the char LM from the shared commands", async () => {
    const [spec, trained, exported] = await Promise.all([
      veritrain("spec", "default", "--model", "charlm"),
      veritrain("train", "--model", "charlm", "--steps", "4", "--checkpoint-interval", "2", "--json"),
      veritrain("export", "--onnx", path.join(dir, "lm.onnx"), "--state", path.join(dir, "none.vtst"), "--model", "charlm"),
    ]);
    expect(spec.code, spec.stderr).to.equal(0);
    expect(JSON.parse(spec.stdout).model.layers[0].kind).to.equal("embedding");
    expect(trained.code, trained.stderr).to.equal(0);
    const r = JSON.parse(trained.stdout);
    expect(r.steps).to.equal(4);
    expect(r.heldoutNatsPerChar).to.be.a("number").and.be.above(0);
    expect(r.samples).to.have.length(10);
    expect(exported.code).to.equal(1);
    expect(exported.stderr).to.match(/^veritrain: InvalidValueError: --model charlm cannot be exported yet/);
  });
});
