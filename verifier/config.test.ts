// The verifier config: defaults, environment overrides, the test-only adversary switch, and one clear error
// per bad field (each naming the field).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ADVERSARY_ENV } from "./adversary.ts";
import { loadVerifierConfig, parseVerifierConfig } from "./config.ts";
import { VerifierConfigError } from "./errors.ts";

const MARKET = "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0";
const base = () => ({ rpcUrl: "http://127.0.0.1:8545", market: MARKET, dataDir: "data" });

const bad = (patch: (c: Record<string, any>) => void, field: string, re: RegExp, env: NodeJS.ProcessEnv = {}) => {
  const c: Record<string, any> = base();
  patch(c);
  assert.throws(() => parseVerifierConfig(c, "/base", env), (e: unknown) => {
    assert.ok(e instanceof VerifierConfigError, String(e));
    assert.equal(e.field, field);
    assert.match(e.message, re);
    return true;
  });
};

describe("verifier config", () => {
  it("fills defaults (the job's sampling rate, no bond cap, no adversary) and resolves dataDir", () => {
    const c = parseVerifierConfig(base(), "/base", {});
    assert.equal(c.market, "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0");
    assert.equal(c.dataDir, path.resolve("/base", "data"));
    assert.equal(c.sampleBps, undefined);
    assert.equal(c.maxChallengeBondWei, undefined);
    assert.equal(c.adversary, undefined);
    assert.equal(c.maxStateBytes, 512 * 2 ** 20);
    assert.deepEqual(c.accept.datasets, ["mnist"]);
    const d = parseVerifierConfig({ ...base(), sampleBps: 1_000, maxChallengeBondWei: "5000" }, "/base", {});
    assert.equal(d.sampleBps, 1_000);
    assert.equal(d.maxChallengeBondWei, 5000n);
  });

  it("names the field of every invalid value", () => {
    bad((c) => delete c.market, "market", /is required/);
    bad((c) => (c.rpcUrl = "ftp://x"), "rpcUrl", /unsupported scheme/);
    bad((c) => (c.sampleBps = 10_001), "sampleBps", /\[0, 10000\]/);
    bad((c) => (c.sampleBps = "500"), "sampleBps", /integer/);
    bad((c) => (c.maxChallengeBondWei = 5), "maxChallengeBondWei", /decimal string of wei/);
    bad((c) => (c.maxStateBytes = 10), "maxStateBytes", /\[1024,/);
    bad((c) => (c.pricing = {}), "pricing", /unknown field/);
    bad((c) => (c.accept = { datasets: "mnist" }), "accept.datasets", /non-empty array/);
    assert.throws(() => parseVerifierConfig("x", "/", {}), /must be a JSON object/);
  });

  it("the adversary switch is refused unless the test-only environment variable is set, and checked field by field", () => {
    bad((c) => (c.adversary = { challengeCorrect: true }), "adversary", new RegExp(`test-only: refused unless ${ADVERSARY_ENV}=1`));
    const env = { [ADVERSARY_ENV]: "1" };
    bad((c) => (c.adversary = { challengeCorrect: "yes" }), "adversary.challengeCorrect", /true or false/, env);
    bad((c) => (c.adversary = { stallAfterMoves: -1 }), "adversary.stallAfterMoves", /non-negative integer/, env);
    bad((c) => (c.adversary = { lie: true }), "adversary.lie", /unknown field/, env);
    const a = parseVerifierConfig({ ...base(), adversary: { challengeCorrect: true, stallAfterMoves: 2 } }, "/base", env).adversary!;
    assert.equal(a.challengeCorrect, true);
    assert.equal(a.stallAfterMoves, 2);
    assert.equal(a.replaySettlement, false);
    assert.ok(a.lie);
  });

  it("environment overrides apply before validation; a config file that is missing or not JSON is named", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "verifier-config-"));
    const file = path.join(dir, "verifier.json");
    await writeFile(file, JSON.stringify(base()));
    const c = await loadVerifierConfig(file, { VERITRAIN_SAMPLE_BPS: "2500", VERITRAIN_DATA_DIR: "/elsewhere" });
    assert.equal(c.sampleBps, 2_500);
    assert.equal(c.dataDir, "/elsewhere");
    await assert.rejects(loadVerifierConfig(file, { VERITRAIN_SAMPLE_BPS: "x" }), (e: unknown) => e instanceof VerifierConfigError && e.field === "sampleBps");
    await writeFile(file, "{");
    await assert.rejects(loadVerifierConfig(file, {}), /is not JSON/);
    await assert.rejects(loadVerifierConfig(path.join(dir, "missing.json"), {}), /cannot read/);
  });
});
