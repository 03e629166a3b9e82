import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { expect } from "chai";
import { fileURLToPath } from "node:url";

/** The circuit toolchain (circom2 in WASM, snarkjs) runs offline from npm scripts. */
describe("circuit toolchain", () => {
  it("circom2 compiles a circuit, snarkjs reads it, and its witness computes a*b", () => {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const r = spawnSync(process.execPath, ["scripts/circuits-check.ts"], { cwd: root, encoding: "utf8" });
    expect(r.status, r.stderr + r.stdout).to.equal(0);
    expect(r.stdout).to.match(/witness c = a\*b = 33 ok/);
  });
});
