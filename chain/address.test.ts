import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { addressProblem } from "./address.ts";

describe("addressProblem (an address a user typed)", () => {
  const CHECKSUMMED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"; // EIP-55's own test vector

  it("accepts the checksummed form, all lowercase and all uppercase (no checksum)", () => {
    assert.equal(addressProblem(CHECKSUMMED), undefined);
    assert.equal(addressProblem(CHECKSUMMED.toLowerCase()), undefined);
    assert.equal(addressProblem(`0x${CHECKSUMMED.slice(2).toUpperCase()}`), undefined);
    assert.equal(addressProblem("0x000000000000000000000000000000000000dEaD"), undefined);
  });

  it("refuses a mixed-case address whose checksum is wrong, giving the checksummed form", () => {
    const wrong = CHECKSUMMED.replace("aA", "Aa"); // two letters' case swapped
    assert.notEqual(wrong, CHECKSUMMED);
    const p = addressProblem(wrong);
    assert.ok(p, "a wrong checksum must be refused");
    assert.match(p, /fails its EIP-55 checksum/);
    assert.ok(p.includes(`checksum as ${CHECKSUMMED}`), p);
    assert.match(addressProblem("0x000000000000000000000000000000000000DeaD")!, /checksum as 0x000000000000000000000000000000000000dEaD/);
  });

  it("refuses what is not 0x + 40 hex digits, quoting it", () => {
    for (const v of ["0x1234", "", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", `${CHECKSUMMED}00`, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", `0X${CHECKSUMMED.slice(2)}`]) {
      assert.match(addressProblem(v)!, /^must be a 20-byte hex address \(0x \+ 40 hex characters\), got ".*"$/, v);
    }
  });
});
