// The client's checks before sending, and spec publishing: every bad job value is a JobParamsError naming
// the field; a dataset that is not the spec's, bad values, a wrong chain id and a market address without a
// JobMarket are refused before anything is signed (the nonce does not move); unknown job ids are
// JobNotFoundError; publishSpec is content-addressed, idempotent and never overwrites other bytes;
// fetchSpec returns a spec only if it hashes to the job's spec hash.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { mnistCnnSpec } from "../training/mnistJob.ts";
import { deployProtocol } from "../chain/deploy.ts";
import { ChainIdMismatchError } from "../chain/errors.ts";
import { canonicalSpecJson, makeSpec, specHash } from "../engine/spec.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import {
  checkChain, checkJobParams, checkMarket, checkSettleable, UnsettleableSpecError, DatasetRootMismatchError, fetchSpec, getJob, JobNotFoundError, JobParamsError, MAX_AMOUNT, NotAMarketError, postJob,
  publishSpec, SpecFetchError, SpecPublishError,
} from "./index.ts";

const dataset = syntheticDataset(64, 12, 4);
const spec = tinySpec(dataset);
const good = {
  steps: 9, checkpointInterval: 3, escrow: 1_000n, requiredBond: 100n, challengeBond: 50n, commitDuration: 3_600n, challengeWindow: 100n, clockDuration: 600n,
} as const;

describe("client checks", () => {
  it("checkJobParams: every bad value names its field", () => {
    checkJobParams(good);
    checkJobParams({ ...good, firstCome: false, bidDuration: 60n });
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ steps: 0 }, "steps", /positive integer/],
      [{ steps: 1.5 }, "steps", /positive integer/],
      [{ checkpointInterval: 10 }, "checkpointInterval", /10 exceeds steps 9/],
      [{ steps: 2048, checkpointInterval: 1 }, "checkpointInterval", /2049 checkpoints, above the market's 2048.*interval of at least 2/],
      [{ escrow: 0n }, "escrow", /more than 0 wei/],
      [{ escrow: MAX_AMOUNT + 1n }, "escrow", /uint96/],
      [{ requiredBond: 0n }, "requiredBond", /more than 0 wei/],
      [{ challengeBond: -1n }, "challengeBond", /more than 0 wei/],
      [{ challengeBond: 1_001n }, "challengeBond", /exceeds the escrow/],
      [{ commitDuration: 0n }, "commitDuration", /more than 0 seconds/],
      [{ challengeWindow: 2n ** 64n }, "challengeWindow", /uint64/],
      [{ clockDuration: 0n }, "clockDuration", /more than 0 seconds/],
      [{ bidDuration: 5n }, "bidDuration", /first-come job has no auction/],
      [{ firstCome: false }, "bidDuration", /more than 0 seconds/],
      [{ sampleBps: 10_001 }, "sampleBps", /\[0, 10000\]/],
    ];
    for (const [over, field, msg] of cases) {
      assert.throws(() => checkJobParams({ ...good, ...over }), (e: unknown) => e instanceof JobParamsError && e.field === field && msg.test(e.message), JSON.stringify(over, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)));
    }
  });

  it("publishSpec writes <specHash>.json once, keeps identical bytes, refuses other bytes; fetchSpec checks the hash", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-publish-"));
    try {
      const p = await publishSpec({ spec, dir: path.join(dir, "specs") });
      assert.equal(p.specHash, `0x${specHash(spec)}`);
      assert.equal(path.basename(p.path), `${specHash(spec)}.json`);
      assert.equal(fileURLToPath(p.uri), p.path);
      assert.equal((await readFile(p.path, "utf8")).trim(), canonicalSpecJson(spec));
      assert.deepEqual(await publishSpec({ spec, dir: path.join(dir, "specs") }), p);
      assert.deepEqual(await fetchSpec({ uri: p.uri, specHash: p.specHash }), JSON.parse(canonicalSpecJson(spec)));
      await assert.rejects(fetchSpec({ uri: p.uri, specHash: `0x${"00".repeat(32)}` }), (e: unknown) => e instanceof SpecFetchError && /hashes to 0x[0-9a-f]{64}, the job committed to 0x0{64}/.test(e.message));
      await writeFile(p.path, canonicalSpecJson({ ...spec, training: { ...spec.training, batchSize: 5 } }));
      await assert.rejects(publishSpec({ spec, dir: path.join(dir, "specs") }), (e: unknown) => e instanceof SpecPublishError && /exists with other content/.test(e.message));
      await assert.rejects(fetchSpec({ uri: p.uri, specHash: p.specHash }), SpecFetchError);
      await writeFile(p.path, "{");
      await assert.rejects(fetchSpec({ uri: p.uri, specHash: p.specHash }), /is not JSON/);
      await writeFile(p.path, JSON.stringify({ version: 3 }));
      await assert.rejects(fetchSpec({ uri: p.uri, specHash: p.specHash }), /is invalid: invalid spec field "version"/);
      await assert.rejects(fetchSpec({ uri: "ftp://x/spec.json", specHash: p.specHash }), /scheme ftp: is not supported/);
      await assert.rejects(fetchSpec({ uri: `file://${dir}/missing.json`, specHash: p.specHash }), /cannot read the spec/);
      // A file where the directory should be: a typed error naming the directory.
      await writeFile(path.join(dir, "file"), "");
      await assert.rejects(publishSpec({ spec, dir: path.join(dir, "file", "specs") }), SpecPublishError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("fetchSpec over HTTP: the spec when it hashes right; a 404 or an oversized body is a SpecFetchError", async () => {
    const json = canonicalSpecJson(spec);
    const server = createServer((req, res) => {
      if (req.url === "/spec.json") return void res.end(json);
      if (req.url === "/big.json") return void res.writeHead(200, { "Content-Length": 2 << 20 }).end(Buffer.alloc(2 << 20));
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const hash = `0x${specHash(spec)}`;
      assert.equal(canonicalSpecJson(await fetchSpec({ uri: `${base}/spec.json`, specHash: hash })), json);
      await assert.rejects(fetchSpec({ uri: `${base}/nope.json`, specHash: hash }), (e: unknown) => e instanceof SpecFetchError && /HTTP 404/.test(e.message));
      await assert.rejects(fetchSpec({ uri: `${base}/big.json`, specHash: hash }), (e: unknown) => e instanceof SpecFetchError && /over the limit/.test(e.message));
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("on chain: wrong chain id, no market at the address, a foreign dataset, bad values, unknown job ids: refused, nothing sent", async () => {
    const { viem } = await network.create();
    const pc = await viem.getPublicClient();
    const [deployer, treasury, client] = await viem.getWalletClients();
    const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000 });
    const chainId = await checkChain(pc);
    assert.equal(await checkChain(pc, { expectedChainId: chainId }), chainId);
    await assert.rejects(checkChain(pc, { expectedChainId: 5 }), (e: unknown) => e instanceof ChainIdMismatchError && e.expected === 5 && e.actual === chainId);
    assert.deepEqual(await checkMarket(pc, { market: d.jobMarket }), { jobCount: 0n, game: d.disputeGame });
    await assert.rejects(checkMarket(pc, { market: client!.account.address }), (e: unknown) => e instanceof NotAMarketError && /no contract at/.test(e.message));
    await assert.rejects(checkMarket(pc, { market: d.disputeGame }), (e: unknown) => e instanceof NotAMarketError && /does not answer as a JobMarket/.test(e.message));

    const nonce = await pc.getTransactionCount({ address: client!.account.address });
    const base = { market: d.jobMarket, spec, dataset, specURI: "file:///spec.json", ...good };
    const labels = Uint8Array.from(dataset.labels);
    labels[0] = (labels[0]! + 1) % dataset.classes; // one label changed: another dataset, another root
    const other = { ...dataset, labels };
    await assert.rejects(postJob(client!, { ...base, dataset: other }), (e: unknown) => e instanceof DatasetRootMismatchError && e.expected === spec.data.root);
    await assert.rejects(postJob(client!, { ...base, escrow: 0n }), JobParamsError);
    await assert.rejects(postJob(client!, { ...base, checkpointInterval: 10 }), JobParamsError);
    assert.equal(await pc.getTransactionCount({ address: client!.account.address }), nonce);

    await assert.rejects(getJob(pc, { market: d.jobMarket, jobId: 1n }), (e: unknown) => e instanceof JobNotFoundError && e.message === "job 1 does not exist on this market");
    const { jobId } = await postJob(client!, base);
    assert.equal(jobId, 1n);
    assert.equal((await getJob(pc, { market: d.jobMarket, jobId })).status, "Open");
    await assert.rejects(getJob(pc, { market: d.jobMarket, jobId: 2n }), JobNotFoundError);
  });

  it("checkSettleable: a Groth16 market without a circuit for one of the spec's ops refuses the spec, naming the op", async () => {
    const { viem } = await network.create();
    const pc = await viem.getPublicClient();
    const [deployer, treasury] = await viem.getWalletClients();
    const g = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000, kernel: "groth16" });
    const threeClasses = tinySpec(syntheticDataset(16, 6, 3));
    assert.equal((await checkSettleable(pc, { market: g.jobMarket, spec: threeClasses })).kernel, "groth16");
    // This file's 4-class spec: mse_grad's circuit depends on the class count; circuits exist for 3 and 10.
    await assert.rejects(checkSettleable(pc, { market: g.jobMarket, spec }), (e: unknown) =>
      e instanceof UnsettleableSpecError && /op code 6 attrs \[4096\] classes 4/.test(e.message));
    const shifted = makeSpec({ layers: [6, 8, 3], batchSize: 4, seed: "01".repeat(32), data: threeClasses.data, quant: { actShift: 7 } });
    await assert.rejects(checkSettleable(pc, { market: g.jobMarket, spec: shifted }), (e: unknown) =>
      e instanceof UnsettleableSpecError && /no settlement circuit for op code 3 attrs \[7, -127, 127\]/.test(e.message));
    const r = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000 });
    assert.equal((await checkSettleable(pc, { market: r.jobMarket, spec: shifted })).kernel, "recompute");
    // The default CNN spec: the recomputing verifier settles its ops (ModelOps); the Groth16 registry too: its
    // model ops with the generic circuits, its softmax_ce_grad with the term-slice circuit, its learning rates.
    const { spec: cnn } = mnistCnnSpec();
    assert.equal((await checkSettleable(pc, { market: r.jobMarket, spec: cnn })).kernel, "recompute");
    assert.equal((await checkSettleable(pc, { market: g.jobMarket, spec: cnn })).kernel, "groth16");
  });
});
