// chain/connect.ts against a minimal JSON-RPC endpoint (node:http): one chain-id probe, one Chain and
// transport for every client; a wrong chain, an endpoint that does not answer and a bad URL are each one named
// error that shows the URL redacted.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { privateKeyToAccount } from "viem/accounts";
import { chainOf, connect } from "./connect.ts";
import { ChainIdMismatchError, InvalidRpcUrlError, RpcUnreachableError } from "./errors.ts";

const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcab7dfd4f6c5c8d8f" as const;

describe("connect", () => {
  let server: Server, url = "";
  const methods: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8").on("data", (s: string) => (body += s)).on("end", () => {
        const r = JSON.parse(body) as { id: number; method: string };
        methods.push(r.method);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(r.method === "eth_chainId" ? { jsonrpc: "2.0", id: r.id, result: "0x7a69" } : { jsonrpc: "2.0", id: r.id, error: { code: -32601, message: "no" } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/secret-token`;
  });
  after(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));

  it("reads the chain id once and builds the public and wallet clients on one Chain", async () => {
    methods.length = 0;
    const account = privateKeyToAccount(KEY);
    const c = await connect({ rpcUrl: url, chainId: 31337, account, pollingIntervalMs: 50 });
    assert.deepEqual(methods, ["eth_chainId"]);
    assert.equal(c.chainId, 31337);
    assert.equal(c.chain.id, 31337);
    assert.equal(c.publicClient.chain, c.chain);
    assert.equal(c.walletClient.chain, c.chain);
    assert.equal(c.walletClient.account.address, account.address);
    assert.equal(c.publicClient.pollingInterval, 50);
    assert.equal(c.wallet(account).chain, c.chain);
    assert.deepEqual(chainOf(5, url).rpcUrls.default.http, [url]);
  });

  it("refuses another chain, an endpoint that does not answer and a URL that is not http(s), naming the URL redacted", async () => {
    await assert.rejects(connect({ rpcUrl: url, chainId: 1 }), (e: unknown) =>
      e instanceof ChainIdMismatchError && e.expected === 1 && e.actual === 31337 && /the RPC endpoint http:\/\/127\.0\.0\.1:\d+\/… serves chain 31337/.test(e.message) && !e.message.includes("secret"));
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await assert.rejects(connect({ rpcUrl: `http://127.0.0.1:${port}/secret` }), (e: unknown) =>
      e instanceof RpcUnreachableError && /cannot reach the RPC endpoint http:\/\/127\.0\.0\.1:\d+\/…: connection refused/.test(e.message) && !e.message.includes("secret"));
    await assert.rejects(connect({ rpcUrl: "ftp://example.org" }), InvalidRpcUrlError);
  });
});
