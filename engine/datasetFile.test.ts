import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { datasetRoot } from "../commitment/dataset.ts";
import { syntheticDataset } from "../test/vectors/generate.ts";
import { decodeDataset, encodeDataset } from "./datasetFile.ts";
import { DatasetError } from "./errors.ts";

describe("dataset file (VTDS v1)", () => {
  const d = syntheticDataset(37, 11, 5);

  it("round-trips bit for bit: same dataset root", () => {
    const bytes = encodeDataset(d);
    assert.equal(bytes.length, 16 + 37 * 11 + 37);
    const back = decodeDataset(bytes);
    assert.deepEqual([back.count, back.features, back.classes], [37, 11, 5]);
    assert.deepEqual(datasetRoot(back), datasetRoot(d));
    assert.deepEqual(encodeDataset(back), bytes);
  });

  it("rejects truncated, over-long, foreign and inconsistent files, naming the problem", () => {
    const good = encodeDataset(d);
    const edit = (f: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      f(b);
      return b;
    };
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 10), /at least 16 bytes, got 10/],
      [good.subarray(0, good.length - 1), /takes 460 bytes, the file has 459/],
      [Buffer.concat([good, Buffer.alloc(1)]), /takes 460 bytes, the file has 461/],
      [edit((b) => b.write("VTST", 0, "ascii")), /not a dataset file \(magic "VTST"/],
      [edit((b) => b.writeUInt16BE(2, 4)), /version 2 is not supported/],
      [edit((b) => b.writeUInt32BE(0, 6)), /example count must be in \[1, 2\^32\), got 0/],
      [edit((b) => b.writeUInt16BE(1, 14)), /class count must be in \[2, 256\], got 1/],
      [edit((b) => (b[good.length - 1] = 5)), /label 5 of example 36 is not below the class count 5/],
    ];
    for (const [bytes, msg] of cases) assert.throws(() => decodeDataset(bytes), (e: unknown) => e instanceof DatasetError && msg.test(e.message), String(msg));
  });

  it("refuses to encode a dataset that could not be decoded", () => {
    assert.throws(() => encodeDataset({ ...d, labels: d.labels.subarray(1) }), /labels hold 36 bytes, count is 37/);
    assert.throws(() => encodeDataset({ ...d, classes: 3 }), /label \d of example \d+ is not below the class count 3/);
  });
});
