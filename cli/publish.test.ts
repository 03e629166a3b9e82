// `veritrain client publish` end to end (the CLI as a process): --out writes <hash>.json / <root>.vtds for any
// static host and prints <base-url>/<name>; a static server of that directory then serves exactly what
// fetchSpec / fetchDataset accept. --serve serves them itself (GET/HEAD by content name, 404, 405) until
// interrupted, and its printed URIs round-trip into fetchSpec. `client submit --spec-uri/--dataset-uri` (local
// Hardhat node) posts the served URI as the job's spec URI, and refuses, sending nothing, a URI that serves
// another spec than --spec.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { toRoot } from "../core/root.ts";
import { encodeDataset } from "../engine/datasetFile.ts";
import { canonicalSpecJson, specHash } from "../engine/spec.ts";
import { fetchDataset } from "../content/fetchDataset.ts";
import { fetchSpec } from "../content/fetchSpec.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { datasetRoot } from "../commitment/dataset.ts";
import { privateKeyToAccount } from "viem/accounts";
import { getContractEvents } from "viem/actions";
import { connect } from "../chain/connect.ts";
import { deployProtocol } from "../chain/deploy.ts";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { startLocalNode } from "../chain/localNode.ts";
import { runCli } from "../node/nodeProcess.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "cli", "veritrain.ts");

function start(...args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, VERITRAIN_LOG_JSON: "1", VERITRAIN_LOG_LEVEL: "info" } });
}

function run(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = start(...args);
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("veritrain client publish", { timeout: 180_000 }, () => {
  const dataset = syntheticDataset(30, 6, 3);
  const spec = tinySpec(dataset);
  const hash = toRoot(specHash(spec)), root = toRoot(datasetRoot(dataset));
  let dir: string, specFile: string, dataFile: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "veritrain-publish-"));
    specFile = path.join(dir, "spec.json");
    dataFile = path.join(dir, "train.vtds");
    await writeFile(specFile, canonicalSpecJson(spec));
    await writeFile(dataFile, encodeDataset(dataset));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("--out writes the content-addressed files; served by any static host, they fetch and check", async () => {
    const out = path.join(dir, "site");
    let static_: Server | undefined;
    try {
      // A plain static host of the directory (what nginx or a bucket would be), on a port chosen first.
      static_ = createServer(async (req, res) => {
        try {
          res.end(await readFile(path.join(out, path.basename(req.url ?? ""))));
        } catch {
          res.writeHead(404).end();
        }
      });
      await new Promise<void>((r) => static_!.listen(0, "127.0.0.1", r));
      const baseUrl = `http://127.0.0.1:${(static_.address() as AddressInfo).port}/`;
      const r = await run("client", "publish", "--spec", specFile, "--dataset", dataFile, "--out", out, "--base-url", baseUrl, "--json");
      assert.equal(r.code, 0, r.stderr);
      const printed = JSON.parse(r.stdout) as { specHash: string; specURI: string; datasetRoot: string; datasetURI: string };
      assert.equal(printed.specHash, hash);
      assert.equal(printed.datasetRoot, root);
      assert.equal(printed.specURI, `${baseUrl}${hash.slice(2)}.json`);
      assert.equal(printed.datasetURI, `${baseUrl}${root.slice(2)}.vtds`);
      assert.deepEqual((await readdir(out)).sort(), [`${hash.slice(2)}.json`, `${root.slice(2)}.vtds`].sort());
      assert.equal(toRoot(specHash(await fetchSpec({ uri: printed.specURI, specHash: hash }))), hash);
      assert.equal((await fetchDataset({ uri: printed.datasetURI, root })).dataset.count, 30);
      // Without --base-url the URIs are file:// ones, and say so.
      const local = await run("client", "publish", "--spec", specFile, "--out", out);
      assert.equal(local.code, 0, local.stderr);
      assert.match(local.stdout, new RegExp(`spec +file://\\S+/${hash.slice(2)}\\.json`));
      assert.match(local.stdout, /file:\/\/ URIs serve this machine only/);
    } finally {
      static_?.closeAllConnections();
      await new Promise((r) => static_?.close(r));
    }
  });

  it("--serve serves them by content name until interrupted; the printed URIs round-trip into fetchSpec", async () => {
    const child = start("client", "publish", "--spec", specFile, "--dataset", dataFile, "--serve", "--port", "0", "--json");
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const exited = new Promise<number | null>((r) => child.on("close", r));
    try {
      while (!stdout.includes("\n")) {
        if (child.exitCode !== null) assert.fail(`publish --serve exited: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const printed = JSON.parse(stdout.split("\n")[0]!) as { specURI: string; datasetURI: string; serving: string };
      assert.equal(printed.specURI, `${printed.serving}/${hash.slice(2)}.json`);
      assert.equal(toRoot(specHash(await fetchSpec({ uri: printed.specURI, specHash: hash }))), hash);
      assert.equal((await fetchDataset({ uri: printed.datasetURI, root })).dataset.count, 30);
      const head = await fetch(printed.specURI, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(Number(head.headers.get("content-length")), canonicalSpecJson(spec).length + 1);
      assert.equal((await fetch(`${printed.serving}/${"00".repeat(32)}.json`)).status, 404);
      assert.equal((await fetch(`${printed.serving}/`)).status, 404);
      assert.equal((await fetch(printed.specURI, { method: "PUT", body: "x" })).status, 405);
    } finally {
      child.kill("SIGINT");
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /stopped serving/);
  });

  it("client submit --spec-uri/--dataset-uri posts the served URI as the job's spec URI; a URI serving another spec is refused before anything is sent", async () => {
    const node = await startLocalNode({ accounts: 3 });
    const child = start("client", "publish", "--spec", specFile, "--dataset", dataFile, "--serve", "--port", "0", "--json");
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (x: string) => (stdout += x));
    try {
      const [deployerKey, treasuryKey, clientKey] = node.accounts;
      const local = await connect({ rpcUrl: node.url, chainId: node.chainId });
      const d = await deployProtocol({ walletClient: local.wallet(privateKeyToAccount(deployerKey!.privateKey)), publicClient: local.publicClient, treasury: treasuryKey!.address, forfeitBps: 1_000 });
      while (!stdout.includes("\n")) {
        if (child.exitCode !== null) assert.fail("publish --serve exited");
        await new Promise((r) => setTimeout(r, 50));
      }
      const served = JSON.parse(stdout.split("\n")[0]!) as { specURI: string; datasetURI: string };
      const submit = (...flags: string[]) => runCli(["client", "submit", "--rpc-url", node.url, "--market", d.jobMarket, "--escrow", "1", "--steps", "20", "--checkpoint-interval", "10", "--json", ...flags],
        { VERITRAIN_PRIVATE_KEY: clientKey!.privateKey, VERITRAIN_LOG_LEVEL: "warn" });
      const posted = await submit("--spec-uri", served.specURI, "--dataset-uri", served.datasetURI);
      assert.equal(posted.code, 0, posted.stderr);
      const out = JSON.parse(posted.stdout) as { jobId: string; specURI: string; specHash: string };
      assert.equal(out.specURI, served.specURI);
      assert.equal(out.specHash, hash);
      const [ev] = await getContractEvents(local.publicClient, { address: d.jobMarket, abi: jobMarketAbi, eventName: "JobPosted", fromBlock: d.deploymentBlock, strict: true });
      assert.equal(ev!.args.params.specURI, served.specURI, "the job commits to the served URI");
      // Another spec (another dataset size) with the served URI: the URI does not serve it, nothing is sent.
      const otherSpec = path.join(dir, "other-spec.json");
      await writeFile(otherSpec, canonicalSpecJson(tinySpec(syntheticDataset(31, 6, 3))));
      const nonce = await local.publicClient.getTransactionCount({ address: clientKey!.address });
      const refused = await submit("--spec", otherSpec, "--spec-uri", served.specURI, "--dataset-uri", served.datasetURI);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /SpecFetchError: the spec at http:\/\/\S+ hashes to 0x[0-9a-f]{64}, the job committed to 0x[0-9a-f]{64}: not the job's spec/);
      assert.equal(await local.publicClient.getTransactionCount({ address: clientKey!.address }), nonce, "no transaction sent");
    } finally {
      child.kill("SIGINT");
      await node.stop();
    }
  });

  it("refuses a dataset that is not the spec's, and neither or both of --out / --serve", async () => {
    const otherData = path.join(dir, "other.vtds");
    await writeFile(otherData, encodeDataset(syntheticDataset(31, 6, 3)));
    const wrong = await run("client", "publish", "--spec", specFile, "--dataset", otherData, "--out", path.join(dir, "x"));
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^veritrain: JobParamsError: .*not the spec's training set\n$/);
    for (const flags of [[], ["--out", path.join(dir, "y"), "--serve"]]) {
      const r = await run("client", "publish", "--spec", specFile, ...flags);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /give either --out <dir> .* or --serve/);
    }
  });
});
