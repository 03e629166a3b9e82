// The solver's content-addressed HTTP store server: byte-exact serving, ranges, HEAD, and refusal of every
// malformed request (bad roots, traversal attempts, wrong methods) without ever going down.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { initialState } from "../engine/state.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { parseRange, startStoreServer, type StoreServer } from "./server.ts";
import { openStore, type StoredState } from "../node/store.ts";
import { bareHex } from "../core/root.ts";

interface Res { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

/** A raw request (no URL normalization, unlike fetch), so that traversal attempts reach the server as sent. */
function raw(base: string, method: string, rawPath: string, headers: Record<string, string> = {}): Promise<Res> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path: rawPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
const json = (r: Res) => JSON.parse(r.body.toString("utf8")) as { error?: string; ok?: boolean };

describe("solver store server", () => {
  let dir: string, server: StoreServer, stored: StoredState, bytes: Buffer, hex: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "veritrain-server-"));
    const store = await openStore(dir);
    const spec = tinySpec(syntheticDataset(64, 12, 4));
    stored = await store.put(spec, initialState(spec));
    bytes = await readFile(stored.path);
    hex = bareHex(stored.root);
    server = await startStoreServer({ store });
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });
  const alive = async () => {
    const r = await raw(server.url, "GET", "/health");
    assert.equal(r.status, 200);
    assert.deepEqual(json(r), { ok: true });
  };

  it("binds 127.0.0.1 on an ephemeral port by default", () => {
    assert.equal(server.host, "127.0.0.1");
    assert.ok(server.port > 0);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("serves a stored state byte-exactly with its root as ETag", async () => {
    const r = await raw(server.url, "GET", `/state/${hex}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "application/octet-stream");
    assert.equal(r.headers["content-length"], String(bytes.length));
    assert.equal(r.headers.etag, `"${hex}"`);
    assert.ok(r.body.equals(bytes));
    // Through fetch too, and via stateUrl.
    const f = await fetch(server.stateUrl(stored.root));
    assert.equal(f.status, 200);
    assert.ok(Buffer.from(await f.arrayBuffer()).equals(bytes));
    // A conditional request with the ETag: 304.
    assert.equal((await raw(server.url, "GET", `/state/${hex}`, { "If-None-Match": `"${hex}"` })).status, 304);
  });

  it("serves byte ranges: first bytes, open-ended, suffix, middle; 416 when unsatisfiable or multiple", async () => {
    const n = bytes.length;
    const check = async (range: string, start: number, end: number) => {
      const r = await raw(server.url, "GET", `/state/${hex}`, { Range: range });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers["content-range"], `bytes ${start}-${end}/${n}`);
      assert.equal(r.headers["content-length"], String(end - start + 1));
      assert.ok(r.body.equals(bytes.subarray(start, end + 1)), range);
    };
    await check("bytes=0-3", 0, 3);
    await check("bytes=10-", 10, n - 1);
    await check("bytes=-32", n - 32, n - 1);
    await check("bytes=5-20", 5, 20);
    await check(`bytes=0-${n + 100}`, 0, n - 1);
    await check(`bytes=-${n + 100}`, 0, n - 1);
    for (const range of [`bytes=${n}-`, `bytes=${n + 5}-${n + 9}`, "bytes=-0", "bytes=9-3", "bytes=0-1,4-5"]) {
      const r = await raw(server.url, "GET", `/state/${hex}`, { Range: range });
      assert.equal(r.status, 416, range);
      assert.equal(r.headers["content-range"], `bytes */${n}`);
      assert.match(json(r).error!, /not satisfiable/);
    }
    // Another unit or bad syntax: ignored, the whole file.
    const r = await raw(server.url, "GET", `/state/${hex}`, { Range: "items=0-3" });
    assert.equal(r.status, 200);
    assert.ok(r.body.equals(bytes));
    await alive();
  });

  it("answers HEAD with the headers only", async () => {
    const r = await raw(server.url, "HEAD", `/state/${hex}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-length"], String(bytes.length));
    assert.equal(r.headers.etag, `"${hex}"`);
    assert.equal(r.body.length, 0);
    const h = await raw(server.url, "HEAD", `/state/${hex}`, { Range: "bytes=0-9" });
    assert.equal(h.status, 206);
    assert.equal(h.headers["content-length"], "10");
  });

  it("refuses malformed roots with 400 naming the problem, and keeps serving", async () => {
    const cases: [string, RegExp][] = [
      [hex.slice(0, 63), /exactly 64 hex characters, got 63/],
      [hex + "0", /exactly 64 hex characters, got 65/],
      ["", /empty/],
      [hex.toUpperCase().replace(/^[0-9]/, "A"), /lowercase/],
      ["g" + hex.slice(1), /non-hex/],
      [`0x${hex}`, /0x prefix/],
      ["../../../../etc/passwd", /path separator/],
      [`../${hex}`, /path separator/],
      [`${hex}/../${hex}`, /path separator/],
      ["..%2f..%2fetc%2fpasswd", /path separator|percent/],
      [`%2e%2e%2f${hex}`, /path separator|percent/],
      [`${hex}%00`, /path separator|percent/],
      ["..\\..\\windows", /path separator/],
    ];
    for (const [root, problem] of cases) {
      const r = await raw(server.url, "GET", `/state/${root}`);
      assert.equal(r.status, 400, root);
      assert.equal(r.headers["content-type"], "application/json; charset=utf-8");
      const err = json(r).error!;
      assert.match(err, /malformed state root/, root);
      assert.match(err, problem, root);
      await alive();
    }
  });

  it("404 for an unknown root or path, 405 for other methods, 414 for an absurd URL; never goes down", async () => {
    const unknown = await raw(server.url, "GET", `/state/${"ab".repeat(32)}`);
    assert.equal(unknown.status, 404);
    assert.match(json(unknown).error!, /no state with root 0xabab/);
    const other = await raw(server.url, "GET", "/../../etc/passwd");
    assert.equal(other.status, 404);
    assert.equal((await raw(server.url, "GET", "/")).status, 404);
    await alive();
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const r = await raw(server.url, method, `/state/${hex}`);
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.allow, "GET, HEAD");
      assert.match(json(r).error!, new RegExp(`method ${method} is not allowed`));
      await alive();
    }
    const long = await raw(server.url, "GET", `/state/${"a".repeat(5000)}`);
    assert.equal(long.status, 414);
    await alive();
    const big = await raw(server.url, "GET", `/state/${hex}`, { "X-Big": "x".repeat(64 * 1024) });
    assert.equal(big.status, 431);
    await alive();
  });

  it("parseRange", () => {
    assert.equal(parseRange(undefined, 10), undefined);
    assert.deepEqual(parseRange("bytes=0-0", 10), { start: 0, end: 0 });
    assert.equal(parseRange("bytes=0-0", 0), "unsatisfiable");
    assert.equal(parseRange("bytes=-5", 0), "unsatisfiable");
    assert.equal(parseRange("bytes=abc", 10), undefined);
    assert.equal(parseRange("bytes=-", 10), undefined);
    assert.equal(parseRange(`bytes=${"9".repeat(30)}-`, 10), "unsatisfiable");
  });
});
