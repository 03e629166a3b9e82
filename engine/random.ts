import { createHash } from "node:crypto";
import { isqrt } from "./isqrt.ts";

/**
 * Deterministic randomness of a job, all derived from its 32-byte seed with SHA-256 (so a contract can
 * recompute any of it): weight initialization, and the RNG state that selects each step's batch.
 * Domain tags keep the streams independent.
 */
const TAG_INIT = Buffer.from("veritrain.init.v1\0");
const TAG_RNG_INIT = Buffer.from("veritrain.rng.init.v1\0");
const TAG_RNG_NEXT = Buffer.from("veritrain.rng.next.v1\0");
const TAG_BATCH = Buffer.from("veritrain.batch.v1\0");

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

function u32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function hexToBytes32(hex: string): Buffer {
  const b = Buffer.from(hex, "hex");
  if (b.length !== 32 || b.toString("hex") !== hex.toLowerCase()) throw new TypeError(`not a 32-byte hex value: ${hex}`);
  return b;
}

/** The RNG state of step 0. */
export function initialRng(seed: Uint8Array): Buffer {
  return sha256(TAG_RNG_INIT, seed);
}

/** The RNG state after one step: rng' = sha256(tag || rng). */
export function nextRng(rng: Uint8Array): Buffer {
  return sha256(TAG_RNG_NEXT, rng);
}

/** uint256(digest) mod n, computed exactly with 16-bit Horner steps (n < 2^37 keeps every value exact). */
function digestMod(d: Uint8Array, n: number): number {
  let r = 0;
  for (let i = 0; i < 32; i += 2) r = (r * 65536 + ((d[i]! << 8) | d[i + 1]!)) % n;
  return r;
}

/**
 * Example indices of the batch drawn from RNG state `rng`: index i = uint256(sha256(tag || rng || u32 i)) mod n.
 * Sampling with replacement, so one example's index can be checked on chain with a single hash.
 */
export function batchIndices(rng: Uint8Array, batchSize: number, n: number): number[] {
  const out = new Array<number>(batchSize);
  for (let i = 0; i < batchSize; i++) out[i] = digestMod(sha256(TAG_BATCH, rng, u32be(i)), n);
  return out;
}

/**
 * Uniform integers in [-limit, limit] from the stream sha256(tag || seed || u32 stream || u32 block),
 * eight big-endian u32 words per block, by rejection sampling (no modulo bias).
 */
export function uniformInts(seed: Uint8Array, stream: number, count: number, limit: number): Float64Array {
  const out = new Float64Array(count);
  const span = 2 * limit + 1;
  if (span > 2 ** 32) throw new RangeError(`limit ${limit} too large`);
  const accept = Math.floor(2 ** 32 / span) * span;
  let block = 0, filled = 0;
  while (filled < count) {
    const d = sha256(TAG_INIT, seed, u32be(stream), u32be(block++));
    for (let w = 0; w < 8 && filled < count; w++) {
      const u = d.readUInt32BE(w * 4);
      if (u < accept) out[filled++] = (u % span) - limit;
    }
  }
  return out;
}

/** He-uniform limit for a layer, in master units: floor(sqrt(6 / fanIn) * 2^frac), computed in integers. */
export function initLimit(fanIn: number, frac: number): number {
  return Number(isqrt((6n << BigInt(2 * frac)) / BigInt(fanIn)));
}
