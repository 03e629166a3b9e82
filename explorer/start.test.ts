import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { pino } from "pino";
import { deployProtocol } from "../chain/deploy.ts";
import { NotAMarketError } from "../chain/errors.ts";
import { postJob } from "../client/postJob.ts";
import { publishSpec } from "../content/publishSpec.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { Explorer } from "./explorer.ts";
import { encodeDataset } from "../engine/datasetFile.ts";
import { DatasetError, FileReadError } from "../engine/errors.ts";
import { heldoutFromFile, isLoopback, startExplorer } from "./start.ts";

describe("startExplorer", async () => {
  const { viem } = await network.create();
  const pc = await viem.getPublicClient();
  const [deployer] = await viem.getWalletClients();
  const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: deployer!.account.address, forfeitBps: 1_000 });
  const log = pino({ level: "silent" });

  it("reads file:// spec URIs only when served on loopback", () => {
    assert.deepEqual(["127.0.0.1", "127.1.2.3", "localhost", "::1", "0.0.0.0", "::", "192.168.1.5"].map(isLoopback), [true, true, true, true, false, false, false]);
  });

  it("a job's spec: fetched and checked against its hash; a file:// URI read only by a loopback explorer", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-explorer-spec-"));
    try {
      const dataset = syntheticDataset(32, 12, 4), spec = tinySpec(dataset);
      const { uri } = await publishSpec({ spec, dir });
      const { jobId } = await postJob(deployer!, {
        market: d.jobMarket, spec, dataset, specURI: uri, steps: 4, checkpointInterval: 2, escrow: 1_000n, requiredBond: 10n, challengeBond: 5n,
        commitDuration: 600n, challengeWindow: 600n, clockDuration: 60n,
      });
      const make = (readLocalFiles: boolean) => new Explorer({ client: pc, market: d.jobMarket, game: d.disputeGame, heldout: [], readLocalFiles, log });
      const local = make(true), remote = make(false);
      await Promise.all([local.poll(), remote.poll()]);
      assert.deepEqual([local.job(jobId)?.spec.checked, local.job(jobId)?.spec.layers], [true, [12, 8, 4]]);
      assert.deepEqual(remote.job(jobId)?.spec, { checked: false, uri, error: "a file:// spec URI is read only by an explorer served on loopback (--host 127.0.0.1)" });
      assert.equal(local.network().jobsByState.Open, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("--heldout: a dataset file, or an error naming the file", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-explorer-heldout-"));
    try {
      const data = syntheticDataset(20, 12, 4);
      await writeFile(path.join(dir, "h.vtds"), encodeDataset(data));
      await writeFile(path.join(dir, "bad.vtds"), "not a dataset");
      const h = await heldoutFromFile(path.join(dir, "h.vtds"));
      assert.deepEqual([h.name, h.data.count, h.data.features, h.data.classes], [`the held-out set ${path.join(dir, "h.vtds")}`, 20, 12, 4]);
      await assert.rejects(heldoutFromFile(path.join(dir, "missing.vtds")), (e: unknown) => e instanceof FileReadError && e.message.includes("missing.vtds"));
      await assert.rejects(heldoutFromFile(path.join(dir, "bad.vtds")), (e: unknown) => e instanceof DatasetError && e.message.startsWith(`${path.join(dir, "bad.vtds")} is not a dataset file`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses an address that is not a JobMarket before it listens (no contract; another contract)", async () => {
    for (const [market, says] of [[deployer!.account.address, /^no contract at 0x[0-9a-fA-F]{40} on this chain/], [d.disputeGame, /^the contract at 0x[0-9a-fA-F]{40} does not answer as a JobMarket \(.+\): is --market the JobMarket address of this deployment\?$/]] as const) {
      await assert.rejects(startExplorer({ client: pc, market, log }, AbortSignal.timeout(10_000)), (e: unknown) => e instanceof NotAMarketError && says.test(e.message) && !e.message.includes("\n"));
    }
  });

  it("serves the market's view once started, and stops with its signal", async () => {
    const ac = new AbortController();
    const x = await startExplorer({ client: pc, market: d.jobMarket, log, pollMs: 50 }, ac.signal);
    try {
      const n = (await (await fetch(`${x.url}/api/network`)).json()) as { market: string; game: string; jobs: { id: string }[] };
      assert.deepEqual([n.market, n.game, n.jobs.map((j) => j.id)], [d.jobMarket, d.disputeGame, ["1"]]);
    } finally {
      ac.abort();
      await x.running;
    }
    await assert.rejects(fetch(`${x.url}/api/network`), "the server is closed with the poll loop");
  });
});
