// The paged log reader against an endpoint (a viem custom transport here) that refuses ranges above a limit
// it does not name: the range is halved until a page passes, the blocks are covered exactly once, in order;
// the refusal texts of public endpoints are recognised and a named maximum is used. The transport's 429 wait
// (rateLimitedFetch) against a node:http server: Retry-After honoured, a doubling pause otherwise, the last
// 429 returned once the retries are spent.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createPublicClient, custom } from "viem";
import { jobMarketAbi } from "./generated/contracts.ts";
import { getLogsPaged, isRangeRefusal, LogRangeError, refusedRangeLimit } from "./getLogsPaged.ts";
import { retryAfterMs } from "../core/retryAfter.ts";
import { rateLimitedFetch } from "./rateLimitedFetch.ts";

const MARKET = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

function cappedEndpoint(limit: number, latest: number, message: string) {
  const served: [number, number][] = [];
  let refused = 0;
  const client = createPublicClient({
    transport: custom({
      async request({ method, params }: { method: string; params?: unknown }) {
        if (method === "eth_blockNumber") return `0x${latest.toString(16)}`;
        if (method === "eth_getLogs") {
          const [f] = params as [{ fromBlock: string; toBlock: string }];
          const from = Number(BigInt(f.fromBlock)), to = Number(BigInt(f.toBlock));
          if (to - from + 1 > limit) {
            refused++;
            throw Object.assign(new Error(message), { code: -32000 });
          }
          served.push([from, to]);
          return [];
        }
        throw new Error(`unexpected ${method}`);
      },
    }, { retryCount: 0 }),
  });
  return { client, served, refused: () => refused };
}

describe("getLogsPaged", () => {
  it("halves a refused range until pages pass, and covers every block once, in order", async () => {
    const e = cappedEndpoint(300, 5_000, "block range is too large");
    assert.deepEqual(await getLogsPaged(e.client, { address: MARKET, abi: jobMarketAbi, fromBlock: 10n }), []);
    assert.equal(e.refused(), 3, "2000 -> 1000 -> 500 -> 250");
    assert.ok(e.served.every(([f, t]) => t - f + 1 <= 250));
    let next = 10;
    for (const [f, t] of e.served) {
      assert.equal(f, next);
      next = t + 1;
    }
    assert.equal(next, 5_001);
  });

  it("jumps to the maximum a refusal names; a refusal of one block is an error", async () => {
    const e = cappedEndpoint(100, 1_000, "query exceeds max block range 100");
    await getLogsPaged(e.client, { address: MARKET, abi: jobMarketAbi, fromBlock: 0n, range: 2_000 });
    assert.equal(e.refused(), 1);
    assert.equal(e.served.length, 11);
    const none = cappedEndpoint(0, 10, "query exceeds max block range 0");
    await assert.rejects(getLogsPaged(none.client, { address: MARKET, abi: jobMarketAbi, fromBlock: 3n, toBlock: 9n }), LogRangeError);
    // Another failure is not a range refusal: thrown as is, not retried smaller.
    const broken = cappedEndpoint(1, 10, "execution reverted");
    await assert.rejects(getLogsPaged(broken.client, { address: MARKET, abi: jobMarketAbi, fromBlock: 0n }), (x: unknown) => !(x instanceof LogRangeError) && /execution reverted/.test(String(x)));
    assert.equal(broken.refused(), 1);
  });

  it("recognises public endpoints' refusals and the limits they name", () => {
    for (const m of [
      "query exceeds max block range 100000", "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range", "block range too large",
      "exceed maximum block range: 5000", "query returned more than 10000 results", "eth_getLogs is limited to a 10,000 range", "Block range is too wide",
    ]) assert.ok(isRangeRefusal(new Error(m)), m);
    for (const m of ["execution reverted", "header not found", "rate limit exceeded"]) assert.ok(!isRangeRefusal(new Error(m)), m);
    assert.equal(refusedRangeLimit(new Error("query exceeds max block range 100000")), 100_000);
    assert.equal(refusedRangeLimit(new Error("You can make eth_getLogs requests with up to a 2K block range")), 2_000);
    assert.equal(refusedRangeLimit(new Error("eth_getLogs is limited to a 10,000 range")), 10_000);
    assert.equal(refusedRangeLimit(new Error("exceed maximum block range: 5000")), 5_000);
    assert.equal(refusedRangeLimit(new Error("block range too large")), undefined);
  });
});

describe("rateLimitedFetch", () => {
  let server: Server, url = "";
  let tooMany = 0, hits = 0, retryAfter: string | undefined;
  before(async () => {
    server = createServer((_req, res) => {
      hits++;
      if (tooMany-- > 0) return res.writeHead(429, retryAfter === undefined ? {} : { "retry-after": retryAfter }).end();
      res.end("ok");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));

  it("waits out 429s (Retry-After or a doubling pause) and sends again; returns the last 429 when the retries are spent", async () => {
    const waits: number[] = [];
    const f = rateLimitedFetch({ retries: 3, baseDelayMs: 10, maxDelayMs: 1_000, onRateLimited: (i) => waits.push(i.delayMs) });
    tooMany = 2, hits = 0, retryAfter = undefined;
    assert.equal((await f(url)).status, 200);
    assert.equal(hits, 3);
    assert.deepEqual(waits, [10, 20]);
    waits.length = 0;
    tooMany = 1, hits = 0, retryAfter = "0";
    assert.equal((await f(url)).status, 200);
    assert.deepEqual(waits, [0]);
    tooMany = 10, hits = 0, retryAfter = undefined;
    assert.equal((await f(url)).status, 429);
    assert.equal(hits, 4, "three retries");
    tooMany = 0;
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    assert.equal(retryAfterMs("3"), 3_000);
    assert.equal(retryAfterMs(new Date(10_000 + 5_000).toUTCString(), 10_000), 5_000);
    assert.equal(retryAfterMs("soon"), undefined);
    assert.equal(retryAfterMs(null), undefined);
  });
});
