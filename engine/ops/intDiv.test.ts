import { describe, it } from "node:test";
import { expect } from "chai";
import { isqrt } from "../isqrt.ts";
import { correctQuotient, correctRoot, floorDiv, isqrtNumber, roundDiv } from "./intDiv.ts";
import { rng } from "../../test/helpers/seededRng.ts";

/** The doubles-based exact division and square root against bigint arithmetic, up to their stated limits. */
const bigFloorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
/** A random integer with a random magnitude up to 2^bits (uniform in log scale, so small values occur too). */
const randInt = (rand: () => number, bits: number) => Math.floor(2 ** (rand() * bits)) * (rand() < 0.5 ? -1 : 1);

describe("exact integer division and square root on doubles", () => {
  it("floorDiv and roundDiv equal bigint floor division for |a| + b up to 2^52", () => {
    const rand = rng(1);
    for (let i = 0; i < 200_000; i++) {
      const b = Math.max(1, Math.abs(randInt(rand, 26)));
      const a = randInt(rand, 51);
      expect(floorDiv(a, b)).to.equal(Number(bigFloorDiv(BigInt(a), BigInt(b))));
      const r = roundDiv(a, b);
      expect(r).to.equal(Number(bigFloorDiv(2n * BigInt(a) + BigInt(b), 2n * BigInt(b))));
    }
    // Exact quotients, and exact halves (ties round up, for negative values too).
    expect([roundDiv(5, 2), roundDiv(-5, 2), roundDiv(-3, 2), roundDiv(3, 2), roundDiv(7, 7), roundDiv(-7, 7)]).to.deep.equal([3, -2, -1, 2, 1, -1]);
    // Near the limit: a = q b - 1 with a large quotient, where a double quotient rounds up to q.
    for (const b of [3, 7, 2 ** 20 + 1, 99_999_989]) {
      const q = Math.floor((2 ** 52 - b) / b);
      const a = q * b - 1;
      expect(floorDiv(a, b)).to.equal(q - 1);
      expect(floorDiv(-a, b)).to.equal(-q);
    }
  });

  it("isqrtNumber equals engine/isqrt.ts on random values, perfect squares and their neighbours below 2^53", () => {
    const rand = rng(2);
    const check = (v: number) => expect(isqrtNumber(v), `isqrt(${v})`).to.equal(Number(isqrt(BigInt(v))));
    for (let i = 0; i < 100_000; i++) check(Math.abs(randInt(rand, 52)));
    for (let i = 0; i < 50_000; i++) {
      const k = Math.floor(2 ** (rand() * 26.4));
      for (const d of [-1, 0, 1]) if (k * k + d >= 0) check(k * k + d);
    }
    for (const v of [0, 1, 2, 3, 4, 2 ** 52 - 1, 2 ** 52, 2 ** 53 - 2 ** 27 - 2]) check(v);
  });

  it("the correction steps fix a first guess that is one off either way (what a non-correctly rounded division or root can give)", () => {
    const rand = rng(3);
    for (let i = 0; i < 20_000; i++) {
      const b = Math.max(1, Math.abs(randInt(rand, 20)));
      const a = randInt(rand, 40);
      const q = floorDiv(a, b);
      for (const off of [-1, 0, 1]) expect(correctQuotient(a, b, q + off)).to.equal(q);
      const v = Math.abs(randInt(rand, 50));
      const r = isqrtNumber(v);
      for (const off of [-1, 0, 1]) if (r + off >= 0) expect(correctRoot(v, r + off)).to.equal(r);
    }
  });
});
