// Sampling: deterministic, uniform, independent across verifiers; the printed detection probability holds
// against what many simulated verifiers actually catch.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Address, keccak256, toHex } from "viem";
import { detectionOfBad, detectionProbability, pickIntervals, sampleIntervals, sampleSeed, sampleSize } from "./sampling.ts";

const beacon = (n: number) => ({ number: BigInt(n), hash: keccak256(toHex(`block ${n}`)), mixHash: keccak256(toHex(`randao ${n}`)) });
const addr = (i: number): Address => `0x${(i + 1).toString(16).padStart(40, "0")}`;

describe("verifier sampling", () => {
  it("sampleSize: ceil(n * rate), at least one for a non-zero rate, never more than n; bad rates are refused", () => {
    assert.equal(sampleSize(20, 500), 1);
    assert.equal(sampleSize(20, 501), 2);
    assert.equal(sampleSize(21, 500), 2);
    assert.equal(sampleSize(3, 1), 1);
    assert.equal(sampleSize(3, 0), 0);
    assert.equal(sampleSize(3, 10_000), 3);
    assert.equal(sampleSize(0, 500), 0);
    assert.throws(() => sampleSize(3, 10_001), /\[0, 10000\]/);
    assert.throws(() => sampleSize(-1, 5), /non-negative/);
  });

  it("the same beacon, verifier and job give the same intervals; another verifier, job or beacon another sample", () => {
    const base = { beacon: beacon(7), verifier: addr(1), jobId: 3n, intervals: 100, rateBps: 1_000 };
    const a = sampleIntervals(base);
    assert.deepEqual(sampleIntervals(base), a);
    assert.equal(a.intervals.length, 10);
    assert.deepEqual([...a.intervals].sort((x, y) => x - y), a.intervals);
    assert.equal(new Set(a.intervals).size, 10);
    assert.ok(a.intervals.every((i) => i >= 0 && i < 100));
    for (const other of [{ ...base, verifier: addr(2) }, { ...base, jobId: 4n }, { ...base, beacon: beacon(8) }]) {
      assert.notDeepEqual(sampleIntervals(other).intervals, a.intervals);
      assert.notEqual(sampleIntervals(other).seed, a.seed);
    }
    assert.equal(a.detection, 0.1);
  });

  it("the seed binds the beacon's hash and its prevrandao", () => {
    const b = beacon(1);
    const s = sampleSeed(b, addr(0), 1n);
    assert.notEqual(sampleSeed({ ...b, hash: keccak256(b.hash) }, addr(0), 1n), s);
    assert.notEqual(sampleSeed({ ...b, mixHash: keccak256(b.mixHash) }, addr(0), 1n), s);
  });

  it("every interval is sampled about equally often (uniform k-subsets)", () => {
    const n = 20, k = 3, runs = 4_000;
    const hits = new Array<number>(n).fill(0);
    for (let r = 0; r < runs; r++) for (const i of pickIntervals(keccak256(toHex(`seed ${r}`)), n, k)) hits[i]!++;
    const expected = (runs * k) / n; // 600
    // 5 standard deviations of a binomial(runs, k/n): sqrt(4000 * 0.15 * 0.85) = 22.6
    for (const [i, h] of hits.entries()) assert.ok(Math.abs(h - expected) < 5 * 22.6, `interval ${i} sampled ${h} times, expected about ${expected}`);
  });

  it("the printed detection probability matches the detection observed over many runs, alone and with N verifiers", () => {
    // One bad interval among n; each run draws a fresh beacon (a new commit), N verifiers sample independently.
    const n = 20, rateBps = 500, runs = 3_000;
    const k = sampleSize(n, rateBps);
    for (const N of [1, 3, 5]) {
      let caught = 0;
      for (let r = 0; r < runs; r++) {
        const bad = r % n;
        const b = beacon(10_000 * N + r);
        if (Array.from({ length: N }, (_, v) => sampleIntervals({ beacon: b, verifier: addr(v), jobId: 1n, intervals: n, rateBps })).some((s) => s.intervals.includes(bad))) caught++;
      }
      const p = detectionProbability(n, k, N);
      const sd = Math.sqrt((p * (1 - p)) / runs);
      const observed = caught / runs;
      assert.ok(Math.abs(observed - p) < 5 * sd, `N = ${N}: printed ${p.toFixed(4)}, observed ${observed.toFixed(4)} over ${runs} runs`);
    }
  });

  it("detectionOfBad: several bad intervals are caught more often than one, as observed", () => {
    const n = 20, k = 2, b = 4, runs = 3_000;
    let caught = 0;
    for (let r = 0; r < runs; r++) {
      const s = new Set(pickIntervals(keccak256(toHex(`bad ${r}`)), n, k));
      if ([0, 5, 10, 15].some((i) => s.has(i))) caught++;
    }
    const p = detectionOfBad(n, k, b);
    assert.ok(p > detectionProbability(n, k));
    assert.ok(Math.abs(caught / runs - p) < 5 * Math.sqrt((p * (1 - p)) / runs), `printed ${p}, observed ${caught / runs}`);
    assert.equal(detectionOfBad(n, 17, 4), 1);
    assert.equal(detectionOfBad(n, 0, 4), 0);
  });
});

