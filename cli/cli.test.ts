import { describe, it, before, after } from "node:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { type CliRun, ROOT, runVeritrain } from "../test/helpers/runCli.ts";


type Run = CliRun;

function veritrain(...args: string[]): Promise<Run> {
  return veritrainWith({}, ...args);
}

const veritrainWith = (extra: NodeJS.ProcessEnv, ...args: string[]) => runVeritrain(args, extra);

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

/**
 * A rejected flag (commander): exit 1, ONE line on stderr (no help text after it) naming the flag and where
 * the help is, no stack trace.
 */
function expectFlagError(r: Run, flag: string, mention: RegExp, command = /veritrain [a-z ]+/): void {
  expect(r.code, r.stderr).to.equal(1);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^error: /);
  expect(lines[0]).to.include(flag);
  expect(lines[0]).to.match(mention);
  expect(lines[0]).to.match(new RegExp(`\\(see \`${command.source} --help\`\\)$`));
  expect(r.stderr).to.not.match(STACK);
  expect(r.stdout).to.equal("");
}

/**
 * The command tree, walked through each command's --help (help itself excepted): every command's words
 * ([], ["client"], ["client", "submit"]...) with its --help run.
 */
async function commandTree(words: string[] = []): Promise<{ words: string[]; help: Run }[]> {
  const help = await veritrain(...words, "--help");
  const commands = help.stdout.split("Commands:\n")[1] ?? "";
  const names = [...commands.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((n) => n !== "help");
  const below = await Promise.all(names.map((n) => commandTree([...words, n])));
  return [{ words, help }, ...below.flat()];
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

  let tree: { words: string[]; help: Run }[] = [];
  it("--help works for every command and subcommand (exit 0, a usage line, no error)", async () => {
    tree = await commandTree();
    for (const { words, help: r } of tree) {
      expect(r.code, `veritrain ${words.join(" ")} --help: ${r.stderr}`).to.equal(0);
      expect(r.stdout).to.match(/^Usage: veritrain/);
      expect(r.stderr).to.equal("");
    }
    expect(tree.map((c) => c.words.join(" "))).to.include.members(["client submit", "client result", "solver start", "solver keystore", "verifier start", "verifier status", "deploy", "demo"]);
  });

  it("a bad flag on any command, subcommand included: exit 1 and one line naming it and where the help is", async () => {
    if (tree.length === 0) tree = await commandTree(); // run alone (--test-name-pattern)
    expect(tree.map((c) => c.words.join(" "))).to.include.members(["", "deploy", "train", "demo", "state", "spec", "spec default", "client result", "solver start", "verifier status"]);
    const runs = await Promise.all(tree.map(({ words }) => veritrain(...words, "--no-such-flag")));
    tree.forEach(({ words }, i) => {
      const r = runs[i]!;
      const where = `veritrain ${words.join(" ")}`;
      expect(r.code, `${where}: ${r.stderr}`).to.equal(1);
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines, `${where}: ${r.stderr}`).to.have.length(1);
      // commander checks required options and arguments before unknown ones: either is one line, named.
      expect(lines[0], where).to.match(/^error: (unknown option '--no-such-flag'|required option '--[a-z-]+ <[a-z]+>' not specified|missing required argument '[a-z]+')/);
      expect(lines[0], where).to.include(`(see \`${["veritrain", ...words].join(" ")} --help\`)`);
      expect(r.stdout, where).to.equal("");
    });
    // With its required options and arguments given, each of the commands that printed their whole help
    // before names the bad flag itself.
    const named = await Promise.all([
      veritrain("deploy", "--rpc-url", "http://127.0.0.1:9", "--no-such-flag"),
      veritrain("train", "--no-such-flag"),
      veritrain("demo", "--no-such-flag"),
      veritrain("state", "x.bin", "--spec", "x.json", "--no-such-flag"),
      veritrain("spec", "--no-such-flag"),
      veritrain("spec", "check", "x.json", "--no-such-flag"),
    ]);
    for (const r of named) expectFlagError(r, "--no-such-flag", /^error: unknown option '--no-such-flag'/);
    expectFlagError(await veritrain("demo", "--backend", "gpu"), "--backend", /"onnx" or "reference", got "gpu"/, /veritrain demo/);
    expectFlagError(await veritrain("deploy", "--rpc-url", "http://127.0.0.1:9", "--forfeit-bps", "x"), "--forfeit-bps", /basis points/, /veritrain deploy/);
    expectFlagError(await veritrain("spec", "check", "a.json", "b.json"), "b.json", /too many arguments/, /veritrain spec check/);
  });

  it("--version prints the package's version and Node's", async () => {
    const { version } = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8"));
    for (const flag of ["--version", "-V"]) {
      const r = await veritrain(flag);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(`veritrain ${version} (node ${process.versions.node})\n`);
      expect(r.stderr).to.equal("");
    }
  });

  it("an address flag with a wrong EIP-55 checksum is refused with the checksummed form; lowercase and uppercase are not", async () => {
    const good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", wrong = "0x5AaEb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    const deploy = (...extra: string[]) => veritrain("deploy", "--rpc-url", "http://127.0.0.1:9", ...extra);
    const [treasury, kernel, market, lower, upper] = await Promise.all([
      deploy("--treasury", wrong),
      deploy("--kernel-verifier", wrong),
      veritrain("client", "status", "--rpc-url", "http://127.0.0.1:9", "--job", "1", "--market", wrong),
      deploy("--treasury", good.toLowerCase()),
      deploy("--treasury", `0x${good.slice(2).toUpperCase()}`),
    ]);
    const checksum = new RegExp(`${wrong} fails its EIP-55 checksum .*checksum as ${good}`);
    expectFlagError(treasury, "--treasury", checksum, /veritrain deploy/);
    expectFlagError(kernel, "--kernel-verifier", checksum, /veritrain deploy/);
    expectFlagError(market, "--market", checksum, /veritrain client status/);
    // Accepted: the command goes on to the key, which this test does not give.
    for (const r of [lower, upper]) expectCleanError(r, /MissingPrivateKeyError: VERITRAIN_PRIVATE_KEY is not set: export the deployer's private key/);
  });

  it("an --out that cannot be written: one FileWriteError line naming the path and the cause, before any training", async () => {
    const [missingDir, isDir, deploy] = await Promise.all([
      veritrain("train", "--steps", "1", "--out", path.join(dir, "no-such-dir", "s.bin")),
      veritrain("train", "--steps", "1", "--out", dir),
      // A deployment costs gas: its --out is checked before the endpoint is even reached.
      veritrainWith({ VERITRAIN_PRIVATE_KEY: `0x${"11".repeat(32)}` }, "deploy", "--rpc-url", "http://127.0.0.1:9", "--out", path.join(dir, "no-such-dir", "d.json")),
    ]);
    expectCleanError(deploy, /^veritrain: FileWriteError: --out .*no-such-dir\/d\.json cannot be written: its directory .* does not exist/);
    expectCleanError(missingDir, new RegExp(`^veritrain: FileWriteError: --out ${dir}/no-such-dir/s\\.bin cannot be written: its directory ${dir}/no-such-dir does not exist \\(ENOENT: no such file or directory\\)$`));
    expectCleanError(isDir, new RegExp(`^veritrain: FileWriteError: --out ${dir} cannot be written: it is a directory$`));
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
