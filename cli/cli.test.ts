import { describe, it, before, after } from "node:test";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "cli", "veritrain.ts");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function veritrain(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, VERITRAIN_LOG_JSON: "1", VERITRAIN_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const STACK = /\n\s+at\s|\bat .*\.ts:\d+:\d+/;

/** A failed command: exit 1, exactly one `veritrain: ...` line on stderr, no stack trace. */
function expectCleanError(r: Run, mention: RegExp): void {
  expect(r.code, r.stderr).to.equal(1);
  const lines = r.stderr.trim().split("\n");
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^veritrain: /);
  expect(lines[0]).to.match(mention);
  expect(r.stderr).to.not.match(STACK);
  expect(r.stdout).to.equal("");
}

/** A rejected flag (commander): non-zero exit, an error line naming the flag, no stack trace. */
function expectFlagError(r: Run, flag: string, mention: RegExp): void {
  expect(r.code).to.not.equal(0);
  expect(r.code).to.not.equal(null);
  const errorLine = r.stderr.split("\n").find((l) => l.startsWith("error:"));
  expect(errorLine, r.stderr).to.be.a("string");
  expect(errorLine).to.include(flag);
  expect(errorLine).to.match(mention);
  expect(r.stderr).to.not.match(STACK);
  expect(r.stdout).to.equal("");
}

describe("veritrain CLI", () => {
  let dir = "";
  let specFile = "";
  let specDefault: Run;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "veritrain-cli-"));
    specFile = path.join(dir, "spec.json");
    // Every later test needs the default spec as a file: produce it once, up front.
    specDefault = await veritrain("spec", "default");
    await writeFile(specFile, specDefault.stdout);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("--help works for every command and subcommand (exit 0, a usage line, no error)", async () => {
    const seen: string[] = [];
    const walk = async (words: string[]): Promise<void> => {
      const r = await veritrain(...words, "--help");
      expect(r.code, `veritrain ${words.join(" ")} --help: ${r.stderr}`).to.equal(0);
      expect(r.stdout).to.match(/^Usage: veritrain/);
      expect(r.stderr).to.equal("");
      seen.push(words.join(" "));
      const commands = r.stdout.split("Commands:\n")[1] ?? "";
      const names = [...commands.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((n) => n !== "help");
      await Promise.all(names.map((n) => walk([...words, n])));
    };
    await walk([]);
    expect(seen).to.include.members(["client submit", "client result", "solver start", "solver keystore", "verifier start", "verifier status", "deploy", "demo"]);
  });

  it("rejects bad train flags, naming the flag (no training starts)", async () => {
    const [steps, zero, seed, layers, backend] = await Promise.all([
      veritrain("train", "--steps", "abc"),
      veritrain("train", "--steps", "0"),
      veritrain("train", "--seed", "xyz"),
      veritrain("train", "--layers", "784"),
      veritrain("train", "--backend", "gpu"),
    ]);
    expectFlagError(steps, "--steps", /positive integer, got "abc"/);
    expectFlagError(zero, "--steps", /must be in \[1, /);
    expectFlagError(seed, "--seed", /32 bytes of hex/);
    expectFlagError(layers, "--layers", /comma-separated positive widths/);
    expectFlagError(backend, "--backend", /"onnx" or "reference", got "gpu"/);
  });

  it("spec default prints a JSON spec that spec check accepts", async () => {
    const r = specDefault;
    expect(r.code, r.stderr).to.equal(0);
    const spec = JSON.parse(r.stdout);
    expect(spec.version).to.equal(1);
    expect(spec.model.layers).to.deep.equal([784, 128, 10]);
    expect(spec.training.seed).to.match(/^[0-9a-f]{64}$/);
    const c = await veritrain("spec", "check", specFile);
    expect(c.code, c.stderr).to.equal(0);
    expect(c.stdout).to.match(/^valid spec, hash 0x[0-9a-f]{64} \(\d+ canonical bytes\)\n$/);
  });

  it("spec check fails with one clear line (exit 1, no stack) on a missing file, invalid JSON and a bad field", async () => {
    const spec = JSON.parse(await readFile(specFile, "utf8"));
    spec.training.batchSize = 0;
    await writeFile(path.join(dir, "bad-field.json"), JSON.stringify(spec));
    await writeFile(path.join(dir, "bad-json.json"), "{ \"version\": 1,");
    const [missing, badJson, badField] = await Promise.all([
      veritrain("spec", "check", path.join(dir, "nope.json")),
      veritrain("spec", "check", path.join(dir, "bad-json.json")),
      veritrain("spec", "check", path.join(dir, "bad-field.json")),
    ]);
    expectCleanError(missing, /cannot read spec file .*nope\.json/);
    expectCleanError(badJson, /is not valid JSON/);
    expectCleanError(badField, /"training\.batchSize".*must be in \[1, 65536\], got 0/);
  });

  it("train writes a state file whose root `state` recomputes; `state` rejects a corrupt copy naming the problem", async () => {
    const out = path.join(dir, "s.bin");
    const t = await veritrain("train", "--steps", "30", "--checkpoint-interval", "10", "--json", "--out", out);
    expect(t.code, t.stderr).to.equal(0);
    const summary = JSON.parse(t.stdout);
    expect(summary.heldoutAccuracy).to.be.a("number").within(0, 1);
    expect(summary.finalStateRoot).to.match(/^0x[0-9a-f]{64}$/);
    expect(summary.historyRoot).to.match(/^0x[0-9a-f]{64}$/);
    expect(summary.historyRoot).to.not.equal(summary.finalStateRoot);
    expect(summary.checkpoints).to.equal(4); // steps 0, 10, 20, 30
    expect(summary.steps).to.equal(30);

    const bytes = await readFile(out);
    const flipped = Buffer.from(bytes);
    flipped[200]! ^= 1;
    await writeFile(path.join(dir, "flipped.bin"), flipped);
    await writeFile(path.join(dir, "short.bin"), bytes.subarray(0, 50));
    const [s, bad, short, noFile] = await Promise.all([
      veritrain("state", out, "--spec", specFile, "--json"),
      veritrain("state", path.join(dir, "flipped.bin"), "--spec", specFile),
      veritrain("state", path.join(dir, "short.bin"), "--spec", specFile),
      veritrain("state", path.join(dir, "none.bin"), "--spec", specFile),
    ]);
    expect(s.code, s.stderr).to.equal(0);
    const st = JSON.parse(s.stdout);
    expect(st.step).to.equal(30);
    expect(st.dataCursor).to.equal(30 * 64);
    expect(st.stateRoot).to.equal(summary.finalStateRoot);
    expectCleanError(bad, /StateFormatError: .*checksum mismatch/);
    expectCleanError(short, /StateFormatError: .*too short: 50 bytes/);
    expectCleanError(noFile, /cannot read state file .*none\.bin/);
  });
});
