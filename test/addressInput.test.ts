// Every address a user gives (a CLI flag, a node config's `market`) goes through chain/address.ts: a mixed-case
// address with a wrong EIP-55 checksum is refused naming the field and the checksummed form; all lowercase and
// all uppercase carry no checksum and are accepted. The CLI flags are tested with the CLI (cli/cli.test.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseSolverConfig } from "../solver/config.ts";
import { parseVerifierConfig } from "../verifier/config.ts";

const CHECKSUMMED = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const WRONG = "0x9Fe46736679d2D9a65F0992F2272dE9f3c7fa6e0"; // the first two letters' case swapped

const configs = {
  solver: (market: string) => parseSolverConfig({ rpcUrl: "http://127.0.0.1:8545", market, dataDir: "data", pricing: { minWeiPerStep: "1000" } }, "/base", {}),
  verifier: (market: string) => parseVerifierConfig({ rpcUrl: "http://127.0.0.1:8545", market, dataDir: "data" }, "/base", {}),
};

describe("addresses from a node config", () => {
  for (const [role, parse] of Object.entries(configs)) {
    it(`${role}: a wrong checksum is refused naming "market" and the checksummed form; lowercase, uppercase and checksummed are accepted`, () => {
      assert.throws(() => parse(WRONG), (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.equal((e as { field?: string }).field, "market");
        assert.match(e.message, /^config field "market": 0x9Fe4.* fails its EIP-55 checksum/);
        assert.ok(e.message.includes(`checksum as ${CHECKSUMMED}`), e.message);
        return true;
      });
      for (const ok of [CHECKSUMMED, CHECKSUMMED.toLowerCase(), `0x${CHECKSUMMED.slice(2).toUpperCase()}`]) assert.equal(parse(ok).market, CHECKSUMMED);
    });
  }
});
