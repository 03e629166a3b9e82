import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runVeritrain } from "../../test/helpers/runCli.ts";

const MARKET = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";

const veritrain = (...args: string[]) => runVeritrain(args);

describe("veritrain explorer (flags and an unreachable endpoint)", () => {
  for (const [args, line] of [
    [["--rpc-url", "http://127.0.0.1:1", "--market", "0x12"], /--market must be a 20-byte hex address \(0x \+ 40 hex characters\), got "0x12"/],
    [["--market", MARKET], /required option '--rpc-url <url>' not specified/],
    [["--rpc-url", "http://127.0.0.1:1", "--market", MARKET, "--port", "70000"], /--port must be in \[1, 65535\], got 70000/],
    [["--rpc-url", "http://127.0.0.1:1", "--market", MARKET, "--host", "a b"], /--host must be a host name or IP address/],
    [["--rpc-url", "http://127.0.0.1:1", "--market", MARKET], /^veritrain: RpcUnreachableError: cannot reach the RPC endpoint http:\/\/127\.0\.0\.1:1/],
  ] as const) {
    it(`${args.join(" ")}: one line, exit 1`, async () => {
      const r = await veritrain("explorer", ...args);
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, line);
      assert.equal(r.stdout, "");
    });
  }
});
