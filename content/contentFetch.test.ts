// Content over real transports (a node:http host and a fake IPFS gateway in the test, the local cache on
// disk): what a host serves is used only when it hashes to the protocol's own hash (spec hash, dataset root),
// a 404 and an oversized body are final, a 503 is retried with a doubling pause, an ipfs:// URI is read
// through the gateway only when its CID parses, and a cached entry spares the fetch unless it is corrupt.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { bareHex, toRoot } from "../core/root.ts";
import { specHash as rawSpecHash, type TrainingSpec } from "../engine/spec.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { DatasetFetchError, SpecFetchError } from "./errors.ts";
import { fetchDataset } from "./fetchDataset.ts";
import { fetchSpec } from "./fetchSpec.ts";
import { cidProblem } from "./ipfs.ts";
import { datasetDocument } from "./publishDataset.ts";
import { specDocument } from "./publishSpec.ts";

const dataset = syntheticDataset(24, 5, 3);
const spec = tinySpec(dataset);
const other = tinySpec(syntheticDataset(25, 5, 3));
const specDoc = specDocument(spec), otherDoc = specDocument(other), dataDoc = datasetDocument(dataset);
const specHash = (s: TrainingSpec) => toRoot(rawSpecHash(s));
const hash = specHash(spec);

/** A CIDv1 (raw codec, sha2-256) of `bytes` in base32, as `ipfs add --cid-version 1 --raw-leaves` names a small file. */
function cidOf(bytes: Uint8Array): string {
  const bin = Buffer.concat([Buffer.from([0x01, 0x55, 0x12, 0x20]), createHash("sha256").update(bytes).digest()]);
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let out = "", bits = 0, value = 0;
  for (const b of bin) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return `b${out}`;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; base: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

describe("content by hash over HTTP and IPFS, with a local cache", () => {
  let dir: string, host: Server, base: string, gateway: Server, gatewayBase: string;
  const hits: Record<string, number> = {};
  let busy = 0;
  // The gateway: /ipfs/<cid> answers the bytes whose CID that is; one CID is mapped to other bytes (a lying gateway).
  const pinned = new Map<string, Uint8Array>();
  const specCid = cidOf(specDoc.bytes), dataCid = cidOf(dataDoc.bytes), lyingCid = cidOf(Buffer.from("the bytes this CID names"));
  pinned.set(specCid, specDoc.bytes).set(dataCid, dataDoc.bytes).set(lyingCid, otherDoc.bytes);
  const gatewayPaths: string[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "veritrain-content-"));
    ({ server: host, base } = await listen((req, res) => {
      const url = (req.url ?? "").split("?")[0]!;
      hits[url] = (hits[url] ?? 0) + 1;
      if (url === `/${specDoc.name}`) return res.end(specDoc.bytes);
      if (url === `/${dataDoc.name}`) return res.end(dataDoc.bytes);
      if (url === "/wrong.json") return res.end(otherDoc.bytes);
      if (url === "/busy.json") {
        if (busy-- > 0) return res.writeHead(503).end();
        return res.end(specDoc.bytes);
      }
      if (url === "/big.json") return res.end(Buffer.alloc(64 * 1024 + 1, 0x20));
      res.writeHead(404).end();
    }));
    ({ server: gateway, base: gatewayBase } = await listen((req, res) => {
      gatewayPaths.push(req.url ?? "");
      // A gateway moving path-style requests elsewhere (as public gateways redirect to their subdomain form).
      if (req.url === `/ipfs/${dataCid}`) return res.writeHead(301, { Location: `/moved/${dataCid}` }).end();
      if (req.url === `/moved/${dataCid}`) return res.end(dataDoc.bytes);
      const m = /^\/ipfs\/([^/?]+)$/.exec(req.url ?? "");
      const bytes = m ? pinned.get(m[1]!) : undefined;
      if (!bytes) return res.writeHead(404).end();
      res.end(bytes);
    }));
  });
  after(async () => {
    await close(host);
    await close(gateway);
    await rm(dir, { recursive: true, force: true });
  });

  it("http: the spec whose hash the job committed to; other bytes, a 404 and an oversized body refused", async () => {
    assert.equal(specHash(await fetchSpec({ uri: `${base}/${specDoc.name}`, specHash: hash })), hash);
    await assert.rejects(fetchSpec({ uri: `${base}/wrong.json?token=secret`, specHash: hash }), (e: unknown) =>
      e instanceof SpecFetchError && !e.transient && e.message.includes(`hashes to ${specHash(other)}, the job committed to ${hash}`) && !e.message.includes("secret"));
    await assert.rejects(fetchSpec({ uri: `${base}/missing.json`, specHash: hash }), (e: unknown) => e instanceof SpecFetchError && !e.transient && /HTTP 404/.test(e.message));
    assert.equal(hits["/missing.json"], 1, "a 404 is final: fetched once");
    await assert.rejects(fetchSpec({ uri: `${base}/big.json`, specHash: hash, maxBytes: 64 * 1024 }), (e: unknown) => e instanceof SpecFetchError && /over the limit of 65536/.test(e.message));
    // A dataset by URI: its root checked; the spec's bytes under a dataset's name refused.
    const got = await fetchDataset({ uri: `${base}/${dataDoc.name}`, root: dataDoc.hash });
    assert.equal(got.dataset.count, 24);
    await assert.rejects(fetchDataset({ uri: `${base}/${specDoc.name}`, root: dataDoc.hash }), (e: unknown) => e instanceof DatasetFetchError && /not a dataset file/.test(e.message));
  });

  it("http: a 503 is retried with a doubling pause, then the spec is served", async () => {
    busy = 2;
    hits["/busy.json"] = 0;
    assert.equal(specHash(await fetchSpec({ uri: `${base}/busy.json`, specHash: hash, retryDelayMs: 20 })), hash);
    assert.equal(hits["/busy.json"], 3, "two 503s, then the spec");
    busy = 5;
    hits["/busy.json"] = 0;
    await assert.rejects(fetchSpec({ uri: `${base}/busy.json`, specHash: hash, retries: 1, retryDelayMs: 20 }), (e: unknown) => e instanceof SpecFetchError && e.transient && /HTTP 503/.test(e.message));
    assert.equal(hits["/busy.json"], 2, "retries: 1 is two attempts");
  });

  it("ipfs://CID through a gateway: the CID parsed first, the bytes checked against the protocol's hash", async () => {
    assert.equal(cidProblem(specCid), undefined);
    const opts = { ipfsGateway: `${gatewayBase}/` };
    assert.equal(specHash(await fetchSpec({ uri: `ipfs://${specCid}`, specHash: hash, ...opts })), hash);
    assert.ok(gatewayPaths.includes(`/ipfs/${specCid}`), "read as <gateway>/ipfs/<cid>");
    // The gateway's redirect is followed (the bytes are checked anyway); the same redirect from a plain http host is refused.
    const ds = await fetchDataset({ uri: `ipfs://${dataCid}#${bareHex(dataDoc.hash)}`, root: dataDoc.hash, ...opts });
    assert.equal(ds.dataset.count, 24);
    assert.ok(gatewayPaths.includes(`/moved/${dataCid}`));
    await assert.rejects(fetchDataset({ uri: `${gatewayBase}/ipfs/${dataCid}`, root: dataDoc.hash }), (e: unknown) => e instanceof DatasetFetchError && /HTTP 301 redirect to \/moved\/\S+ refused \(redirects are refused\)/.test(e.message));
    // A gateway that serves other bytes under a CID: refused, expected vs got.
    await assert.rejects(fetchSpec({ uri: `ipfs://${lyingCid}`, specHash: hash, ...opts }), (e: unknown) =>
      e instanceof SpecFetchError && e.message.includes(`hashes to ${specHash(other)}, the job committed to ${hash}`));
    // Malformed CIDs never reach the gateway; no gateway configured is said.
    const before = gatewayPaths.length;
    for (const bad of ["ipfs://QmNotACid", `ipfs://${specCid.slice(0, -3)}`, "ipfs://bafyHELLO", "ipfs://zzz"]) {
      await assert.rejects(fetchSpec({ uri: bad, specHash: hash, ...opts }), (e: unknown) => e instanceof SpecFetchError && /the CID is not a/.test(e.message), bad);
    }
    assert.equal(gatewayPaths.length, before, "no request for a malformed CID");
    await assert.rejects(fetchSpec({ uri: `ipfs://${specCid}`, specHash: hash }), (e: unknown) => e instanceof SpecFetchError && /needs an IPFS gateway/.test(e.message));
    // A CID the gateway does not have: its 404.
    await assert.rejects(fetchSpec({ uri: `ipfs://${cidOf(Buffer.from("unpinned"))}`, specHash: hash, ...opts }), /HTTP 404/);
  });

  it("the cache: a second fetch is a hit (no request); a corrupt entry is detected by its hash and fetched again", async () => {
    const cacheDir = path.join(dir, "cache");
    const uri = `${base}/${specDoc.name}`;
    hits[`/${specDoc.name}`] = 0;
    await fetchSpec({ uri, specHash: hash, cacheDir });
    assert.equal(hits[`/${specDoc.name}`], 1);
    const entry = path.join(cacheDir, specDoc.name);
    assert.deepEqual(await readFile(entry), Buffer.from(specDoc.bytes));
    assert.equal(specHash(await fetchSpec({ uri, specHash: hash, cacheDir })), hash);
    assert.equal(hits[`/${specDoc.name}`], 1, "served from the cache");
    // Corrupt (another valid spec, then garbage): refetched, and the entry repaired.
    for (const junk of [otherDoc.bytes, Buffer.from("{ not json")]) {
      await writeFile(entry, junk);
      assert.equal(specHash(await fetchSpec({ uri, specHash: hash, cacheDir })), hash);
      assert.deepEqual(await readFile(entry), Buffer.from(specDoc.bytes));
    }
    assert.equal(hits[`/${specDoc.name}`], 3);
    // A cached entry never stands in for other content: another hash, another name, a fetch.
    await assert.rejects(fetchSpec({ uri: `${base}/wrong.json`, specHash: hash, cacheDir: path.join(dir, "cache2") }), SpecFetchError);
  });
});
