import { describe, it } from "node:test";
import { createHash } from "node:crypto";
import { expect } from "chai";
import fc from "fast-check";
import { encodeElements } from "../engine/encoding.ts";
import { ValueRangeError } from "../engine/errors.ts";
import type { Tensor } from "../engine/tensor.ts";
import { buildTree } from "./merkle.ts";
import {
  commitTensor, decodeElements, elementsPerLeaf, encodeTensor, LEAF_BYTES, leafHash, proveElement, tensorRoot, verifyElement, widthFor, type Width,
} from "./tensorCommit.ts";

const I32: readonly [number, number] = [-(2 ** 31), 2 ** 31 - 1];
const I53: readonly [number, number] = [-(2 ** 53) + 1, 2 ** 53 - 1];

const t = (shape: number[], values: ArrayLike<number>): Tensor => ({ shape, data: Float64Array.from(values) });

/** Independent little-endian two's complement encoding. */
function referenceBytes(values: readonly number[], width: Width): Buffer {
  const b = Buffer.alloc(values.length * width);
  values.forEach((v, i) => (width === 4 ? b.writeInt32LE(v, 4 * i) : b.writeBigInt64LE(BigInt(v), 8 * i)));
  return b;
}

/** A tensor of `n` elements with varied signs and magnitudes inside `range`. */
function sample(n: number, width: Width): Tensor {
  const scale = width === 4 ? 2 ** 31 - 1 : 2 ** 53 - 1;
  return t([n], Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1 : 1) * Math.floor(scale / (i + 1)) + (i % 7)));
}

function expectThrows(f: () => unknown, type: new (...a: never[]) => Error, message?: RegExp): void {
  expect(f).to.throw(type, message);
}

describe("widthFor", () => {
  it("picks 4 bytes for ranges inside int32 (boundaries included) and 8 otherwise", () => {
    expect(widthFor(I32)).to.equal(4);
    expect(widthFor([0, 0])).to.equal(4);
    expect(widthFor([-1024, 1024])).to.equal(4);
    expect(widthFor([-(2 ** 31) - 1, 0])).to.equal(8);
    expect(widthFor([0, 2 ** 31])).to.equal(8);
    expect(widthFor(I53)).to.equal(8);
  });

  it("agrees with an independent int32 test on random ranges (property)", () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.maxSafeInteger(), (a, b) => {
        const lo = Math.min(a, b), hi = Math.max(a, b);
        const fits = lo >= -2147483648 && hi <= 2147483647;
        expect(widthFor([lo, hi])).to.equal(fits ? 4 : 8);
      }),
      { seed: 42, numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (a, b) => {
        expect(widthFor([Math.min(a, b), Math.max(a, b)])).to.equal(4);
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});

describe("element encoding", () => {
  it("round-trips random int32 values as 4-byte little-endian two's complement (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: 1, maxLength: 300 }), (vals) => {
        const enc = encodeElements(t([vals.length], vals), 4);
        expect(enc.length).to.equal(Math.ceil((vals.length * 4) / 8) * 8);
        expect(enc.subarray(0, vals.length * 4).equals(referenceBytes(vals, 4))).to.equal(true);
        expect(enc.subarray(vals.length * 4).every((b) => b === 0)).to.equal(true);
        expect(Array.from(decodeElements(enc, 4, vals.length))).to.deep.equal(vals);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it("round-trips 8-byte values, including ±(2^53-1), -1, -2^31-1 and 2^31 (property + edge cases)", () => {
    const edges = [2 ** 53 - 1, -(2 ** 53 - 1), -1, 0, 1, -(2 ** 31) - 1, 2 ** 31, -(2 ** 31), 2 ** 32, -(2 ** 32), 2 ** 32 - 1, -(2 ** 32) - 1];
    const enc = encodeElements(t([edges.length], edges), 8);
    expect(enc.equals(referenceBytes(edges, 8))).to.equal(true);
    expect(Array.from(decodeElements(enc, 8, edges.length))).to.deep.equal(edges);
    fc.assert(
      fc.property(fc.array(fc.maxSafeInteger(), { minLength: 1, maxLength: 100 }), (vals) => {
        const e = encodeElements(t([vals.length], vals), 8);
        expect(e.equals(referenceBytes(vals, 8))).to.equal(true);
        expect(Array.from(decodeElements(e, 8, vals.length))).to.deep.equal(vals);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it("decodes at an offset", () => {
    const enc = encodeElements(t([4], [5, -6, 7, -8]), 4);
    expect(Array.from(decodeElements(enc, 4, 2, 8))).to.deep.equal([7, -8]);
  });

  it("pads to whole leaves (at least one) with zero bytes", () => {
    expect(encodeTensor(t([0], []), 4).length).to.equal(LEAF_BYTES);
    expect(encodeTensor(t([256], new Array(256).fill(1)), 4).length).to.equal(LEAF_BYTES);
    const e = encodeTensor(t([257], new Array(257).fill(-1)), 4);
    expect(e.length).to.equal(2 * LEAF_BYTES);
    expect(e.subarray(257 * 4).every((b) => b === 0)).to.equal(true);
  });

  it("rejects non-integers and values that do not fit the width with ValueRangeError", () => {
    expectThrows(() => encodeElements(t([3], [1, 1.5, 2]), 4), ValueRangeError, /element 1 = 1.5 does not fit a 4-byte encoding/);
    expectThrows(() => encodeElements(t([2], [0, 2 ** 31]), 4), ValueRangeError, /element 1 = 2147483648 does not fit/);
    expectThrows(() => encodeElements(t([1], [-(2 ** 31) - 1]), 4), ValueRangeError, /element 0/);
    expectThrows(() => encodeElements(t([1], [Number.NaN]), 4), ValueRangeError);
    expectThrows(() => encodeElements(t([1], [Infinity]), 4), ValueRangeError);
    expectThrows(() => encodeElements(t([2], [0, 0.25]), 8), ValueRangeError, /element 1 = 0.25 is not a safe integer/);
    expectThrows(() => encodeElements(t([1], [2 ** 53]), 8), ValueRangeError, /not a safe integer/);
    expectThrows(() => encodeElements(t([1], [-(2 ** 53)]), 8), ValueRangeError);
    expectThrows(() => commitTensor(t([2], [0, 2 ** 31]), I32), ValueRangeError);
  });
});

describe("tensor commitments and element openings", () => {
  for (const width of [4, 8] as const) {
    const per = elementsPerLeaf(width);
    const n = 2 * per + per / 2; // 3 leaves, the last one half padding
    const shape = [n / 4, 4];
    const tensor = { shape, data: sample(n, width).data };
    const range = width === 4 ? I32 : I53;
    const c = commitTensor(tensor, range);

    it(`width ${width}: a ${n}-element tensor spans 3 leaves and its root binds width, rank, dims and data root`, () => {
      expect(c.width).to.equal(width);
      expect(c.tree.count).to.equal(3);
      const leaves = [0, 1, 2].map((i) => createHash("sha256").update(Buffer.from([0x00])).update(c.bytes.subarray(i * LEAF_BYTES, (i + 1) * LEAF_BYTES)).digest());
      expect(leaves[0]!.equals(leafHash(c.bytes.subarray(0, LEAF_BYTES)))).to.equal(true);
      const dataRoot = buildTree(leaves).root;
      expect(c.tree.root.equals(dataRoot)).to.equal(true);
      const header = Buffer.alloc(2 + 8);
      header[0] = width;
      header[1] = 2;
      header.writeUInt32BE(shape[0]!, 2);
      header.writeUInt32BE(shape[1]!, 6);
      const root = createHash("sha256").update(Buffer.from([0x02])).update(header).update(dataRoot).digest();
      expect(c.root.equals(root)).to.equal(true);
      expect(tensorRoot(tensor, range).equals(root)).to.equal(true);
    });

    it(`width ${width}: every element's opening verifies and returns its value`, () => {
      const wrong: number[] = [];
      for (let i = 0; i < n; i++) {
        const p = proveElement(c, i);
        if (p.leafIndex !== Math.floor(i / per) || verifyElement(c.root, shape, width, p) !== tensor.data[i]) wrong.push(i);
      }
      expect(wrong).to.deep.equal([]);
      expect(() => proveElement(c, n)).to.throw(RangeError);
      expect(() => proveElement(c, -1)).to.throw(RangeError);
    });

    it(`width ${width}: an opening fails on a tampered leaf byte, a wrong root, a wrong shape, a wrong width or a mismatched leaf index`, () => {
      for (const i of [0, per - 1, per, n - 1]) {
        const p = proveElement(c, i);
        const leaf = Buffer.from(p.leaf);
        leaf[((i % per) * width + 3) % LEAF_BYTES]! ^= 0x10;
        expectThrows(() => verifyElement(c.root, shape, width, { ...p, leaf }), ValueRangeError, /does not match the tensor root/);
        const padLeaf = Buffer.from(p.leaf);
        padLeaf[LEAF_BYTES - 1]! ^= 1; // a byte of another element (or of padding) in the same leaf
        expectThrows(() => verifyElement(c.root, shape, width, { ...p, leaf: padLeaf }), ValueRangeError);
        const root = Buffer.from(c.root);
        root[0]! ^= 1;
        expectThrows(() => verifyElement(root, shape, width, p), ValueRangeError);
        expectThrows(() => verifyElement(c.root, [4, n / 4], width, p), ValueRangeError);
        expectThrows(() => verifyElement(c.root, [n], width, p), ValueRangeError);
        expectThrows(() => verifyElement(c.root, shape, width === 4 ? 8 : 4, p), Error);
        expectThrows(() => verifyElement(c.root, shape, width, { ...p, leafIndex: (p.leafIndex + 1) % 3 }), RangeError, /disagree/);
        const sib = p.siblings.map((s, k) => (k === 0 ? Buffer.from(s.map((b) => b ^ 0xff)) : s));
        expectThrows(() => verifyElement(c.root, shape, width, { ...p, siblings: sib }), ValueRangeError);
      }
    });
  }

  it("Float32Array and Float64Array data with the same values commit to the same root", () => {
    const vals = Array.from({ length: 700 }, (_, i) => (i % 2 ? -1 : 1) * ((i * 7919) % (2 ** 24)));
    const a = commitTensor({ shape: [7, 100], data: Float32Array.from(vals) }, I32);
    const b = commitTensor({ shape: [7, 100], data: Float64Array.from(vals) }, I32);
    expect(a.root.equals(b.root)).to.equal(true);
    const a8 = commitTensor({ shape: [700], data: Float32Array.from(vals) }, I53);
    const b8 = commitTensor({ shape: [700], data: Float64Array.from(vals) }, I53);
    expect(a8.root.equals(b8.root)).to.equal(true);
    expect(a8.root.equals(a.root)).to.equal(false); // the width is bound
  });

  it("the root changes when one element, the shape or the width changes", () => {
    const base = sample(300, 4);
    const r = tensorRoot(base, I32);
    const changed = t([300], base.data);
    (changed.data as Float64Array)[299]! += 1;
    expect(tensorRoot(changed, I32).equals(r)).to.equal(false);
    expect(tensorRoot(t([3, 100], base.data), I32).equals(r)).to.equal(false);
    expect(tensorRoot(base, [-(2 ** 40), 2 ** 40]).equals(r)).to.equal(false);
  });
});
