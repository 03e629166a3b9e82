// The solver logger censors key-like fields even when a caller passes them (top level or nested).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import { generatePrivateKey } from "viem/accounts";
import { nodeLogger } from "./logRedact.ts";

describe("solver logger redaction", () => {
  it("never writes a private key or password field", () => {
    let out = "";
    const sink = new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } });
    const log = nodeLogger(pino({ level: "info" }, sink), "solver");
    const key = generatePrivateKey();
    log.info({ privateKey: key, account: { privateKey: key, password: "hunter2" }, env: { VERITRAIN_PRIVATE_KEY: key } }, "starting");
    log.info({ key }, "another");
    assert.ok(out.includes("[redacted]"));
    assert.ok(out.includes('"role":"solver"'));
    assert.ok(!out.includes(key.slice(2)), out);
    assert.ok(!out.includes("hunter2"), out);
  });
});
