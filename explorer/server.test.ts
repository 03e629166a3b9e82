import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { parseId } from "./routes.ts";
import { ExplorerServerError, startExplorerServer } from "./server.ts";

/** A stand-in for the explorer's read side: job 1 and game 1 exist; job 13 throws. */
function fakeExplorer() {
  const listeners = new Set<(b: bigint) => void>();
  return {
    listeners,
    network: () => ({ jobs: [], market: "0xmarket" }) as never,
    job: (id: bigint) => {
      if (id === 13n) throw new Error("boom");
      return (id === 1n ? { row: { id: "1" } } : undefined) as never;
    },
    game: (id: bigint) => (id === 1n ? { gameId: "1" } : undefined) as never,
    lastError: undefined,
    onBlock: (f: (b: bigint) => void) => {
      listeners.add(f);
      return () => listeners.delete(f);
    },
  };
}

describe("explorer HTTP server", () => {
  it("ids: positive integers below 2^64, anything else named", () => {
    assert.equal(parseId("job", "42"), 42n);
    assert.equal(parseId("job", "abc"), 'job id must be a positive integer, got "abc"');
    assert.equal(parseId("game", "0"), 'game id must be in [1, 2^64), got "0"');
    assert.equal(parseId("job", "18446744073709551616"), 'job id must be in [1, 2^64), got "18446744073709551616"');
    assert.match(parseId("job", "%E0%A4%A") as string, /job id must be a positive integer/);
  });

  it("serves the page, uPlot, the API and block events; bad requests get JSON errors and never stop it", async () => {
    const x = fakeExplorer();
    const s = await startExplorerServer({ explorer: x });
    try {
      const get = async (p: string, init?: RequestInit) => {
        const r = await fetch(s.url + p, init);
        const text = await r.text();
        return { status: r.status, type: r.headers.get("content-type") ?? "", text, allow: r.headers.get("allow") };
      };
      const page = await get("/");
      assert.equal(page.status, 200);
      assert.match(page.text, /<script src="\/vendor\/uPlot\.iife\.min\.js">/);
      for (const p of ["/app.js", "/style.css", "/vendor/uPlot.iife.min.js", "/vendor/uPlot.min.css"]) assert.equal((await get(p)).status, 200, p);
      assert.match((await get("/vendor/uPlot.iife.min.js")).type, /javascript/);
      assert.deepEqual(JSON.parse((await get("/api/network")).text), { jobs: [], market: "0xmarket" });
      assert.deepEqual(JSON.parse((await get("/api/jobs/1")).text), { row: { id: "1" } });
      const cases: [string, number, RegExp][] = [
        ["/api/jobs/abc", 400, /job id must be a positive integer, got \\"abc\\"/],
        ["/api/games/-1", 400, /game id must be a positive integer/],
        ["/api/jobs/2", 404, /job 2 is not on this market/],
        ["/api/games/9", 404, /game 9 is not on this market/],
        ["/api/nothing", 404, /no such API route: \/api\/nothing/],
        ["/../../etc/passwd", 404, /not found/],
        ["/api/jobs/13", 500, /internal error: boom/],
      ];
      for (const [p, status, body] of cases) {
        const r = await get(p);
        assert.equal(r.status, status, p);
        assert.match(r.type, /application\/json/, p);
        assert.match(r.text, body, p);
      }
      const post = await get("/api/network", { method: "POST" });
      assert.deepEqual([post.status, post.allow], [405, "GET, HEAD"]);
      assert.equal((await get("/api/jobs/1")).status, 200, "still serving after the errors");
      // Server-sent events: every indexed block is announced.
      const ac = new AbortController();
      const r = await fetch(`${s.url}/api/events`, { signal: ac.signal });
      assert.match(r.headers.get("content-type") ?? "", /text\/event-stream/);
      const reader = r.body!.getReader();
      let seen = "";
      while (x.listeners.size === 0) await new Promise((res) => setTimeout(res, 5));
      for (const f of x.listeners) f(77n);
      while (!seen.includes("data: 77")) seen += new TextDecoder().decode((await reader.read()).value);
      assert.match(seen, /event: block\ndata: 77\n\n/);
      ac.abort();
    } finally {
      await s.close();
    }
  });

  it("a port in use is one clear error", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await assert.rejects(startExplorerServer({ explorer: fakeExplorer(), port }), (e: unknown) => e instanceof ExplorerServerError && e.message === `port ${port} on 127.0.0.1 is in use: choose another with --port`);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
