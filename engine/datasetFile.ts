import type { Dataset } from "./batch.ts";
import { DatasetError } from "./errors.ts";

/**
 * Binary dataset file, version 1: how a client publishes a training set content-addressed (named by its
 * dataset root, commitment/dataset.ts) and a solver loads it. All integers big-endian:
 *
 *   "VTDS" | u16 version | u32 count | u32 features | u16 classes | pixels (count * features u8, row-major)
 *   | labels (count u8)
 *
 * There is no checksum: the file is only ever trusted through its dataset root, which a reader recomputes
 * and compares with the root it expects (the spec's data root). Decoding rejects a truncated or over-long
 * file, a foreign magic or version, empty dimensions and labels outside [0, classes).
 */
export const DATASET_MAGIC = "VTDS";
export const DATASET_FILE_VERSION = 1;
const HEAD = 16;

export function encodeDataset(d: Dataset): Buffer {
  check(d.count, d.features, d.classes);
  if (d.pixels.length !== d.count * d.features) throw new DatasetError(`pixels hold ${d.pixels.length} bytes, count * features is ${d.count * d.features}`);
  if (d.labels.length !== d.count) throw new DatasetError(`labels hold ${d.labels.length} bytes, count is ${d.count}`);
  const bad = d.labels.findIndex((l) => l >= d.classes);
  if (bad >= 0) throw new DatasetError(`label ${d.labels[bad]} of example ${bad} is not below the class count ${d.classes}`);
  const head = Buffer.alloc(HEAD);
  head.write(DATASET_MAGIC, 0, "ascii");
  head.writeUInt16BE(DATASET_FILE_VERSION, 4);
  head.writeUInt32BE(d.count, 6);
  head.writeUInt32BE(d.features, 10);
  head.writeUInt16BE(d.classes, 14);
  return Buffer.concat([head, Buffer.from(d.pixels.buffer, d.pixels.byteOffset, d.pixels.length), Buffer.from(d.labels.buffer, d.labels.byteOffset, d.labels.length)]);
}

export function decodeDataset(bytes: Uint8Array): Dataset {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.length < HEAD) throw new DatasetError(`a dataset file has at least ${HEAD} bytes, got ${b.length}`);
  if (b.toString("ascii", 0, 4) !== DATASET_MAGIC) throw new DatasetError(`not a dataset file (magic ${JSON.stringify(b.toString("latin1", 0, 4))}, expected "${DATASET_MAGIC}")`);
  const version = b.readUInt16BE(4);
  if (version !== DATASET_FILE_VERSION) throw new DatasetError(`dataset file version ${version} is not supported (expected ${DATASET_FILE_VERSION})`);
  const count = b.readUInt32BE(6), features = b.readUInt32BE(10), classes = b.readUInt16BE(14);
  check(count, features, classes);
  const expected = HEAD + count * features + count;
  if (b.length !== expected) throw new DatasetError(`a dataset of ${count} x ${features} takes ${expected} bytes, the file has ${b.length}`);
  const pixels = new Uint8Array(b.subarray(HEAD, HEAD + count * features));
  const labels = new Uint8Array(b.subarray(HEAD + count * features));
  const bad = labels.findIndex((l) => l >= classes);
  if (bad >= 0) throw new DatasetError(`label ${labels[bad]} of example ${bad} is not below the class count ${classes}`);
  return { count, features, classes, pixels, labels };
}

function check(count: number, features: number, classes: number): void {
  if (!Number.isInteger(count) || count < 1 || count > 0xffffffff) throw new DatasetError(`example count must be in [1, 2^32), got ${count}`);
  if (!Number.isInteger(features) || features < 1 || features > 0xffffffff) throw new DatasetError(`feature count must be in [1, 2^32), got ${features}`);
  // Labels are bytes: at most 256 classes; at least 2 for a classification job.
  if (!Number.isInteger(classes) || classes < 2 || classes > 256) throw new DatasetError(`class count must be in [2, 256], got ${classes}`);
}
