// core/root.ts: one form of a root whatever it came from, a named error for anything that is not one; job ids
// and step indexes checked likewise.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bareHex, InvalidValueError, isRoot, rootBytes, toJobId, toRoot, toStepIndex, ZERO_ROOT } from "./root.ts";

const HEX = "ab".repeat(16) + "0123456789abcdef".repeat(2);

describe("Root", () => {
  it("is 0x + 64 lowercase hex digits from bytes, bare or 0x hex of either case", () => {
    const want = `0x${HEX}`;
    for (const x of [HEX, HEX.toUpperCase(), `0x${HEX}`, `0X${HEX.toUpperCase()}`, `0x${HEX.toUpperCase()}`, Buffer.from(HEX, "hex"), new Uint8Array(Buffer.from(HEX, "hex"))]) {
      assert.equal(toRoot(x), want);
    }
    // A view into a larger buffer: only its own 32 bytes.
    const big = Buffer.concat([Buffer.from("ff", "hex"), Buffer.from(HEX, "hex"), Buffer.from("ee", "hex")]);
    assert.equal(toRoot(big.subarray(1, 33)), want);
    assert.ok(isRoot(want) && !isRoot(HEX) && !isRoot(want.toUpperCase()) && !isRoot(42));
    assert.equal(ZERO_ROOT, `0x${"00".repeat(32)}`);
  });

  it("round-trips through its bytes and its bare hex", () => {
    const r = toRoot(HEX);
    assert.equal(bareHex(r), HEX);
    assert.ok(rootBytes(r).equals(Buffer.from(HEX, "hex")));
    assert.equal(toRoot(rootBytes(r)), r);
  });

  it("refuses what is not 32 bytes, naming the value and the problem", () => {
    const bad = (x: unknown, re: RegExp) => assert.throws(() => toRoot(x as string, "the history root"), (e: unknown) => e instanceof InvalidValueError && re.test(e.message) && e.details.what === "the history root");
    bad(HEX.slice(2), /^the history root must be 32 bytes of hex \(64 hex digits, optional 0x\), got 62 hex digits$/);
    bad(`0x${HEX}00`, /got 66 hex digits/);
    bad(`${HEX.slice(1)}z`, /non-hex characters/);
    bad(`0x 0x${HEX}`, /non-hex characters/);
    bad(new Uint8Array(31), /must be 32 bytes, got 31/);
    bad(42, /must be 32 bytes or a hex string, got number/);
    bad(null, /got null/);
  });
});

describe("JobId and StepIndex", () => {
  it("job ids are positive integers below 2^256, from bigints, safe integers or decimal strings", () => {
    assert.equal(toJobId(7n), 7n);
    assert.equal(toJobId(7), 7n);
    assert.equal(toJobId(" 7 "), 7n);
    for (const x of [0n, -1n, 2n ** 256n, 1.5, "0x07", "", "seven", Number.MAX_SAFE_INTEGER + 2]) {
      assert.throws(() => toJobId(x as bigint), InvalidValueError, String(x));
    }
  });

  it("step indexes are non-negative safe integers", () => {
    assert.equal(toStepIndex(0), 0);
    assert.equal(toStepIndex(2_000n), 2_000);
    for (const x of [-1, 1.5, Number.NaN, 2n ** 60n, -1n]) assert.throws(() => toStepIndex(x), InvalidValueError, String(x));
  });
});
