// The one spec fetcher (client SDK and nodes): file:// and http(s) with a size limit, a timeout and no
// redirects; the job's spec hash checked when given; every failure a SpecFetchError naming what went wrong,
// transient only when the same fetch may succeed later.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { canonicalSpecJson, specHash } from "../engine/spec.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { SpecFetchError } from "./errors.ts";
import { fetchSpec } from "./fetchSpec.ts";

const spec = tinySpec(syntheticDataset(16, 4, 2));
const text = canonicalSpecJson(spec);
const limits = { maxBytes: 64 * 1024, timeoutMs: 500 };

describe("spec fetcher", () => {
  let dir: string, server: Server, base: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "veritrain-spec-"));
    server = createServer((req, res) => {
      if (req.url === "/spec.json") return res.end(text);
      if (req.url === "/big.json") return res.end("x".repeat(limits.maxBytes + 1));
      if (req.url === "/chunked-big.json") {
        res.write("[");
        for (let i = 0; i < 100; i++) res.write(" ".repeat(1024));
        return res.end("]");
      }
      if (req.url === "/slow.json") return void setTimeout(() => res.end(text), 2_000);
      if (req.url === "/redirect") return res.writeHead(302, { Location: "/spec.json" }).end();
      if (req.url === "/bad.json") return res.end('{"version": 99}');
      if (req.url === "/busy.json") return res.writeHead(503).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it("reads a spec from a file and over http", async () => {
    const file = path.join(dir, "spec.json");
    await writeFile(file, text);
    assert.equal(specHash(await fetchSpec({ uri: pathToFileURL(file).href, ...limits })), specHash(spec));
    assert.equal(specHash(await fetchSpec({ uri: `${base}/spec.json`, ...limits })), specHash(spec));
    // With the job's spec hash (either case, with or without 0x): returned only when it hashes to it.
    assert.equal(specHash(await fetchSpec({ uri: `${base}/spec.json`, specHash: specHash(spec).toUpperCase(), ...limits })), specHash(spec));
    await assert.rejects(fetchSpec({ uri: `${base}/spec.json`, specHash: `0x${"00".repeat(32)}`, ...limits }),
      (e: unknown) => e instanceof SpecFetchError && !e.transient && /hashes to 0x[0-9a-f]{64}, the job committed to 0x0{64}: not the job's spec/.test(e.message));
  });

  it("refuses oversized, slow, redirected, missing, invalid and unsupported sources", async () => {
    const fails = async (uri: string, re: RegExp) => assert.rejects(fetchSpec({ uri, ...limits, retries: 0 }), (e: unknown) => e instanceof SpecFetchError && re.test(e.message));
    await fails(`${base}/big.json`, /declares 65537 bytes, over the limit/);
    await fails(`${base}/chunked-big.json`, /over the limit of 65536 bytes/);
    await fails(`${base}/slow.json`, /cannot fetch the spec/);
    await fails(`${base}/redirect`, /cannot fetch the spec/);
    await fails(`${base}/missing.json`, /HTTP 404/);
    await fails(`${base}/bad.json`, /is invalid/);
    await fails("ftp://example.org/spec.json", /scheme ftp: is not supported/);
    await fails("not a url", /is not a URL/);
    await fails(pathToFileURL(path.join(dir, "none.json")).href, /cannot read the spec/);
    const big = path.join(dir, "big.json");
    await writeFile(big, "x".repeat(limits.maxBytes + 1));
    await fails(pathToFileURL(big).href, /has 65537 bytes, over the limit/);
  });

  it("marks as transient only what may pass (no answer, a timeout, 408/429/5xx), so the node retries those alone", async () => {
    const transient = async (uri: string) => {
      try {
        await fetchSpec({ uri, ...limits, retries: 0 });
      } catch (e) {
        assert.ok(e instanceof SpecFetchError);
        return e.transient;
      }
      assert.fail(`${uri} was fetched`);
    };
    assert.equal(await transient(`${base}/busy.json`), true);
    assert.equal(await transient(`${base}/slow.json`), true);
    assert.equal(await transient("http://127.0.0.1:9/spec.json"), true);
    assert.equal(await transient(`${base}/missing.json`), false);
    assert.equal(await transient(`${base}/redirect`), false);
    assert.equal(await transient(`${base}/big.json`), false);
    assert.equal(await transient(`${base}/bad.json`), false);
  });
});
