// The solver config: defaults, environment overrides, relative paths, and one clear error per bad field
// (each naming the field).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyEnvOverrides, loadSolverConfig, parseSolverConfig } from "./config.ts";
import { SolverConfigError } from "./errors.ts";

const MARKET = "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0";
const base = () => ({ rpcUrl: "http://127.0.0.1:8545", market: MARKET, dataDir: "data", pricing: { minWeiPerStep: "1000" } });

const bad = (patch: (c: Record<string, any>) => void, field: string, re: RegExp) => {
  const c: Record<string, any> = base();
  patch(c);
  assert.throws(() => parseSolverConfig(c, "/base"), (e: unknown) => {
    assert.ok(e instanceof SolverConfigError, String(e));
    assert.equal(e.field, field);
    assert.match(e.message, new RegExp(`config field "${field.replace(/\./g, "\\.")}"`));
    assert.match(e.message, re);
    return true;
  });
};

describe("solver config", () => {
  it("fills defaults, checksums the market and resolves dataDir against the config's directory", () => {
    const c = parseSolverConfig(base(), "/base");
    assert.equal(c.market, "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0");
    assert.equal(c.dataDir, path.resolve("/base", "data"));
    assert.equal(c.backend, "onnx");
    assert.deepEqual(c.serve, { host: "127.0.0.1", port: 0 });
    assert.deepEqual(c.pricing, { minWeiPerStep: 1000n, openingBidBps: 10_000, undercutBps: 100 });
    assert.deepEqual(c.accept.datasets, ["mnist"]);
    assert.equal(c.maxConcurrentJobs, 1);
    assert.equal(c.workers, 1);
    assert.equal(parseSolverConfig({ ...base(), workers: 4 }, "/base").workers, 4);
    assert.equal(c.chainId, undefined);
  });

  it("names the field of every invalid value", () => {
    bad((c) => delete c.rpcUrl, "rpcUrl", /is required/);
    bad((c) => (c.rpcUrl = "ws://x:1"), "rpcUrl", /unsupported scheme/);
    bad((c) => (c.market = "0x1234"), "market", /20-byte hex address/);
    bad((c) => (c.chainId = 0), "chainId", /integer in \[1,/);
    bad((c) => (c.dataDir = ""), "dataDir", /non-empty string/);
    bad((c) => (c.backend = "gpu"), "backend", /"onnx" or "reference"/);
    bad((c) => delete c.pricing, "pricing", /is required/);
    bad((c) => (c.pricing.minWeiPerStep = 1000), "pricing.minWeiPerStep", /decimal string of wei/);
    bad((c) => (c.pricing.minWeiPerStep = "-1"), "pricing.minWeiPerStep", /decimal string of wei/);
    bad((c) => (c.pricing.undercutBps = 10_001), "pricing.undercutBps", /\[0, 10000\]/);
    bad((c) => (c.pricing.openingBidBps = 0), "pricing.openingBidBps", /\[1, 10000\]/);
    bad((c) => (c.pricing.extra = 1), "pricing.extra", /unknown field/);
    bad((c) => (c.accept = { datasets: [] }), "accept.datasets", /non-empty array/);
    bad((c) => (c.accept = { maxSteps: 1.5 }), "accept.maxSteps", /integer/);
    bad((c) => (c.serve = { port: 70_000 }), "serve.port", /\[0, 65535\]/);
    bad((c) => (c.serve = { publicUrl: "ftp://x" }), "serve.publicUrl", /http\(s\) URL/);
    bad((c) => (c.pollIntervalMs = 0), "pollIntervalMs", /\[50,/);
    bad((c) => (c.maxConcurrentJobs = 0), "maxConcurrentJobs", /\[1, 64\]/);
    bad((c) => (c.workers = 0), "workers", /\[1, 64\]/);
    bad((c) => (c.workers = 2.5), "workers", /\[1, 64\]/);
    bad((c) => ((c.workers = 2), (c.backend = "reference")), "workers", /onnx backend/);
    bad((c) => (c.privateKey = "0x00"), "privateKey", /unknown field/);
    assert.throws(() => parseSolverConfig([], "/"), /must be a JSON object/);
  });

  it("applies environment overrides, numeric ones checked", () => {
    const o = applyEnvOverrides(base(), {
      VERITRAIN_RPC_URL: "https://rpc.example:8545", VERITRAIN_CHAIN_ID: "11155111", VERITRAIN_SERVE_PORT: "9000", VERITRAIN_DATA_DIR: "/var/solver",
      VERITRAIN_MIN_WEI_PER_STEP: "7", VERITRAIN_WORKERS: "2",
    });
    const c = parseSolverConfig(o, "/base");
    assert.equal(c.rpcUrl, "https://rpc.example:8545");
    assert.equal(c.chainId, 11155111);
    assert.equal(c.serve.port, 9000);
    assert.equal(c.dataDir, "/var/solver");
    assert.equal(c.pricing.minWeiPerStep, 7n);
    assert.equal(c.workers, 2);
    assert.throws(() => applyEnvOverrides(base(), { VERITRAIN_SERVE_PORT: "80a" }), (e: unknown) => e instanceof SolverConfigError && e.field === "serve.port");
  });

  it("reads a file: unreadable and non-JSON files are clear errors", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "solver-config-"));
    const file = path.join(dir, "c.json");
    await writeFile(file, JSON.stringify(base()));
    assert.equal((await loadSolverConfig(file, {})).dataDir, path.join(dir, "data"));
    await writeFile(file, "{ nope");
    await assert.rejects(loadSolverConfig(file, {}), /is not JSON/);
    await assert.rejects(loadSolverConfig(path.join(dir, "missing.json"), {}), /cannot read/);
  });
});
