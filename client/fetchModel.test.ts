// fetchModel over HTTP: a solver's store server on an in-process chain (the model URI committed as
// http://127.0.0.1:<port>/state/<root>), a stub server that serves other bytes (refused: root mismatch), an
// unreachable port, non-200 answers, oversized bodies and timeouts (typed errors, nothing returned).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { deployProtocol } from "../chain/deploy.ts";
import { toHex } from "../commitment/hash.ts";
import { stateRoot } from "../commitment/stateRoot.ts";
import { initialState } from "../engine/state.ts";
import { encodeState } from "../engine/stateFile.ts";
import { publishForSolver, startInProcessSolver } from "../test/helpers/inProcessSolver.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { ModelFetchError, ModelRootMismatchError } from "./errors.ts";
import { fetchModel, fetchVerifiedState, stateFileSize } from "./fetchModel.ts";
import { postJob, waitForJob } from "./index.ts";

const STEPS = 6, INTERVAL = 3, WINDOW = 100n;
const dataset = syntheticDataset(64, 12, 4);
const spec = tinySpec(dataset);

/** A stub HTTP server answering every request with `handler`. */
async function stub(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; close(): Promise<void> }> {
  const s: Server = createServer(handler);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((r) => (s.close(() => r()), s.closeAllConnections())) };
}

/** A port that nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("fetchModel over HTTP", () => {
  it("fetches the committed model from the solver's store server and verifies it; refuses other bytes", async () => {
    const { viem } = await network.create();
    const pc = await viem.getPublicClient();
    const tc = await viem.getTestClient();
    const [deployer, treasury, client, solver] = await viem.getWalletClients();
    const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000 });
    const market = d.jobMarket;
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-fetch-"));
    const pub = await publishForSolver(dir, spec, dataset);
    const s = await startInProcessSolver({ client: solver!, market, dataDir: path.join(dir, "solver"), datasets: [pub.datasetFile] });
    const server = s.node.server;
    try {
      const { jobId } = await postJob(client!, {
        market, spec, dataset, specURI: pub.specURI, steps: STEPS, checkpointInterval: INTERVAL, escrow: 1_000n, requiredBond: 100n, challengeBond: 50n,
        commitDuration: 3_600n, challengeWindow: WINDOW, clockDuration: 600n,
      });
      await waitForJob(pc, { market, jobId, status: "Committed", pollingIntervalMs: 20, timeoutMs: 30_000 });
      await tc.increaseTime({ seconds: Number(WINDOW) });
      await tc.mine({ blocks: 1 });
      const r = await s.nextReport();
      assert.equal(r.status, "withdrawn");
      const finalRoot = r.finalRoot as `0x${string}`;
      assert.equal(r.modelURI, `${server.url}/state/${finalRoot.slice(2)}`);
      const m = await fetchModel(pc, { market, jobId, spec });
      assert.equal(m.modelURI, r.modelURI);
      assert.equal(m.root, finalRoot);
      assert.equal(m.state.step, STEPS);

      // The same URI served by the server directly, through fetchVerifiedState: the same state.
      const direct = await fetchVerifiedState({ uri: r.modelURI!, spec, expectedRoot: finalRoot, jobId });
      assert.equal(direct.root, finalRoot);
      // Expecting another root: refused.
      const other = toHex(stateRoot(spec, initialState(spec)));
      await assert.rejects(fetchVerifiedState({ uri: r.modelURI!, spec, expectedRoot: other, jobId }), ModelRootMismatchError);
    } finally {
      await s.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a server serving a different valid state: ModelRootMismatchError, nothing returned", async () => {
    const wrong = encodeState(spec, initialState(spec));
    const s = await stub((_req, res) => res.writeHead(200, { "Content-Length": wrong.length }).end(wrong));
    try {
      const err = await fetchVerifiedState({ uri: `${s.url}/state/${"ab".repeat(32)}`, spec, expectedRoot: `0x${"ab".repeat(32)}`, jobId: 7n }).then(
        () => assert.fail("returned a model"), (e: unknown) => e);
      assert.ok(err instanceof ModelRootMismatchError);
      assert.equal(err.expected, `0x${"ab".repeat(32)}`);
      assert.equal(err.actual, toHex(stateRoot(spec, initialState(spec))));
    } finally {
      await s.close();
    }
  });

  it("garbage, non-200, oversized, slow and unreachable servers: typed ModelFetchErrors", async () => {
    const root = `0x${"cd".repeat(32)}` as const;
    const get = (url: string, extra: { maxBytes?: number; timeoutMs?: number } = {}) =>
      fetchVerifiedState({ uri: `${url}/state/${root.slice(2)}`, spec, expectedRoot: root, jobId: 1n, ...extra });
    const size = stateFileSize(spec);
    assert.equal(size, encodeState(spec, initialState(spec)).length);

    let mode = "garbage";
    const s = await stub((_req, res) => {
      if (mode === "garbage") return void res.end("not a state");
      if (mode === "404") return void res.writeHead(404).end("{}");
      if (mode === "big-declared") return void res.writeHead(200, { "Content-Length": size + 1 }).end(Buffer.alloc(size + 1));
      if (mode === "big-chunked") {
        res.writeHead(200); // no Content-Length: chunked, the limit is enforced while streaming
        for (let i = 0; i < 4; i++) res.write(Buffer.alloc(size));
        return void res.end();
      }
      if (mode === "slow") return void setTimeout(() => res.end(), 2_000);
    });
    const reason = async (p: Promise<unknown>) => {
      const e = await p.then(() => assert.fail("returned a model"), (x: unknown) => x);
      assert.ok(e instanceof ModelFetchError, String(e));
      assert.ok(!(e instanceof ModelRootMismatchError));
      return { reason: e.details.reason, message: e.message };
    };
    try {
      assert.match((await reason(get(s.url))).message, /not a valid state/);
      mode = "404";
      assert.deepEqual((await reason(get(s.url))).reason, "status");
      mode = "big-declared";
      assert.equal((await reason(get(s.url))).reason, "too-large");
      mode = "big-chunked";
      assert.equal((await reason(get(s.url))).reason, "too-large");
      assert.equal((await reason(get(s.url, { maxBytes: 10 }))).reason, "too-large");
      mode = "slow";
      assert.equal((await reason(get(s.url, { timeoutMs: 100 }))).reason, "timeout");
    } finally {
      await s.close();
    }
    const dead = await reason(get(`http://127.0.0.1:${await freePort()}`));
    assert.equal(dead.reason, "unreachable");
    assert.match(dead.message, /cannot fetch the model at .*: no answer \(ECONNREFUSED/);
    await assert.rejects(fetchVerifiedState({ uri: "ftp://x/y", spec, expectedRoot: root, jobId: 1n }), /scheme ftp: is not supported/);
  });
});
