import { hash } from "node:crypto";

/**
 * SHA-256 with one-byte domain tags: every hashed object starts with a tag saying what it is, so that no
 * encoding of one kind can be read as another. The tags are part of the protocol (docs/commitments.md).
 *
 * Why SHA-256: it is hashed at every checkpoint over the whole training state, and node:crypto runs it at
 * about 1.7 GB/s on one core with the CPU's SHA extensions (keccak256 in JS: about 24 MB/s); on chain it is
 * a precompile costing 60 + 12 gas per word. The zk kernels bind to it through the contract, which opens
 * the leaves and passes the few final operands to the proof (see docs/commitments.md).
 */
export const TAG = {
  LEAF: 0x00,
  NODE: 0x01,
  TENSOR: 0x02,
  STATE_HEADER: 0x03,
  TRACE_RECORD: 0x04,
  CHECKPOINT: 0x05,
  DATASET: 0x06,
  EXAMPLE: 0x07,
} as const;

export type Hash = Buffer;

export function sha256(data: Uint8Array): Hash {
  return hash("sha256", data, "buffer");
}

/** sha256(tag || parts...). */
export function taggedHash(tag: number, ...parts: Uint8Array[]): Hash {
  let n = 1;
  for (const p of parts) n += p.length;
  const buf = Buffer.allocUnsafe(n);
  buf[0] = tag;
  let o = 1;
  for (const p of parts) {
    buf.set(p, o);
    o += p.length;
  }
  return sha256(buf);
}

export const ZERO_HASH: Hash = Buffer.alloc(32);

export function toHex(h: Uint8Array): `0x${string}` {
  return `0x${Buffer.from(h).toString("hex")}`;
}

export function fromHex(hex: string, what = "hash"): Hash {
  const s = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (!/^[0-9a-fA-F]{64}$/.test(s)) throw new TypeError(`${what} must be 32 bytes of hex, got ${JSON.stringify(hex)}`);
  return Buffer.from(s, "hex");
}

export function u16be(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
export function u32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
export function u64be(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a u64-safe integer: ${n}`);
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
export function i64be(n: number): Buffer {
  if (!Number.isSafeInteger(n)) throw new RangeError(`not a safe integer: ${n}`);
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
}
