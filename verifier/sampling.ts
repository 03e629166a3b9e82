import { concatHex, encodeAbiParameters, type Address, type Hex, keccak256 } from "viem";

/**
 * Which checkpoint intervals a verifier re-executes, from randomness fixed only after the solver's commit
 * (docs/verifier.md, "Sampling"). Pure: the same inputs give the same intervals on every machine, so anyone
 * can check after the fact what a verifier was bound to sample.
 *
 *   seed = keccak256(abi.encode(beacon.hash, beacon.mixHash, verifier, jobId)), beacon = the first block
 *   AFTER the block of ResultCommitted (its hash and its prevrandao did not exist when the solver committed);
 *   interval i gets the key keccak256(seed || u64 i); the k intervals with the smallest keys are checked,
 *   k = ceil(n * rateBps / 10,000) (at least 1 for a rate above 0), n = checkpointCount - 1.
 *
 * Mixing in the verifier's address makes verifiers independent: a solver cannot know which intervals any of
 * them checks, and N verifiers check N independent samples.
 */
export interface SampleBeacon {
  readonly number: bigint;
  readonly hash: Hex;
  /** prevrandao of the block (`mixHash` in its header); zero on chains without one. */
  readonly mixHash: Hex;
}

export interface SampleInput {
  readonly beacon: SampleBeacon;
  readonly verifier: Address;
  readonly jobId: bigint;
  /** Checkpoint intervals of the job: checkpointCount - 1. */
  readonly intervals: number;
  /** Sampling rate in basis points of the intervals (the job's sampleBps by default). */
  readonly rateBps: number;
}

export interface Sample {
  readonly seed: Hex;
  /** The sampled interval indices, ascending (interval i = checkpoints i to i + 1). */
  readonly intervals: readonly number[];
  /** k / n: the chance this sample contains one given bad interval. */
  readonly detection: number;
}

/** The number of intervals a rate samples out of n: ceil(n * rateBps / 10,000), at least 1 when the rate is not 0. */
export function sampleSize(n: number, rateBps: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`interval count must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(rateBps) || rateBps < 0 || rateBps > 10_000) throw new RangeError(`rate must be an integer in [0, 10000] basis points, got ${rateBps}`);
  if (rateBps === 0 || n === 0) return 0;
  return Math.min(n, Math.max(1, Math.ceil((n * rateBps) / 10_000)));
}

export function sampleSeed(beacon: SampleBeacon, verifier: Address, jobId: bigint): Hex {
  return keccak256(encodeAbiParameters(
    [{ type: "bytes32" }, { type: "bytes32" }, { type: "address" }, { type: "uint256" }],
    [beacon.hash, beacon.mixHash, verifier, jobId],
  ));
}

/** The k intervals of 0 .. n - 1 with the smallest keccak256(seed || u64 i), ascending: a uniform k-subset. */
export function pickIntervals(seed: Hex, n: number, k: number): number[] {
  const keyed: { i: number; key: bigint }[] = [];
  for (let i = 0; i < n; i++) {
    keyed.push({ i, key: BigInt(keccak256(concatHex([seed, `0x${i.toString(16).padStart(16, "0")}`]))) });
  }
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
  return keyed.slice(0, k).map((x) => x.i).sort((a, b) => a - b);
}

export function sampleIntervals(o: SampleInput): Sample {
  const k = sampleSize(o.intervals, o.rateBps);
  const seed = sampleSeed(o.beacon, o.verifier, o.jobId);
  return { seed, intervals: pickIntervals(seed, o.intervals, k), detection: o.intervals === 0 ? 0 : k / o.intervals };
}

/**
 * The probability that at least one of `verifiers` independent verifiers, each sampling k of n intervals,
 * re-executes one given bad interval: 1 - (1 - k/n)^verifiers. (A solver that cheats in b intervals is
 * caught by one verifier with probability 1 - C(n-b, k) / C(n, k), higher: see detectionOfBad.)
 */
export function detectionProbability(n: number, k: number, verifiers = 1): number {
  if (n === 0 || k === 0) return 0;
  return 1 - (1 - k / n) ** verifiers;
}

/** One verifier's chance to sample at least one of b bad intervals: 1 - C(n-b, k) / C(n, k). */
export function detectionOfBad(n: number, k: number, b: number): number {
  if (b <= 0 || k <= 0) return 0;
  if (b > n - k) return 1;
  let miss = 1;
  for (let i = 0; i < k; i++) miss *= (n - b - i) / (n - i);
  return 1 - miss;
}
