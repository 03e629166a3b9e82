import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { publicUrlProblem } from "./publicUrl.ts";

describe("publicUrlProblem (the model URL a solver commits on chain)", () => {
  it("warns for reserved example hosts, listening-only addresses, and loopback while the chain is remote", () => {
    assert.match(publicUrlProblem("https://solver.example.com", "http://127.0.0.1:8545", true)!, /^solver\.example\.com is a reserved example name: nobody can fetch the model from it; set serve\.publicUrl/);
    assert.match(publicUrlProblem("http://models.invalid:8080", undefined, true)!, /reserved example name/);
    assert.match(publicUrlProblem("http://0.0.0.0:7000", "http://127.0.0.1:8545", false)!, /^0\.0\.0\.0 is a listening address/);
    assert.match(publicUrlProblem("http://127.0.0.1:7000", "https://sepolia.example.org/v1/KEY", false)!, /^127\.0\.0\.1 is this machine only, but the chain \(sepolia\.example\.org\) is remote/);
    assert.match(publicUrlProblem("http://localhost:7000", "https://rpc.ankr.com/eth", true)!, /this machine only/);
  });

  it("stays quiet for a public host, and for loopback on a local chain (all on one machine)", () => {
    assert.equal(publicUrlProblem("https://models.veritrain.org", "https://rpc.ankr.com/eth", true), undefined);
    assert.equal(publicUrlProblem("http://127.0.0.1:7000", "http://127.0.0.1:8545", false), undefined);
    assert.equal(publicUrlProblem("http://[::1]:7000", "http://localhost:8545", false), undefined);
    assert.equal(publicUrlProblem("http://127.0.0.1:7000", undefined, false), undefined);
  });
});
