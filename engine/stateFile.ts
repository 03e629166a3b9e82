import { createHash } from "node:crypto";
import { StateFormatError } from "./errors.ts";
import { stateLayout } from "./graph.ts";
import { specHash, type TrainingSpec } from "./spec.ts";
import type { TrainingState } from "./state.ts";
import { assertInRange, sizeOf, type Tensor } from "./tensor.ts";
import { decodeElements, encodeElements, widthFor, type Width } from "./encoding.ts";

/**
 * Binary state file, version 1 (docs/engine.md#state-file). All integers big-endian except tensor elements,
 * which use the commitment encoding (little-endian two's complement of the tensor's width):
 *
 *   "VTST" | u16 version | u16 tensor count | spec hash (32) | u64 step | u64 data cursor | rng (32)
 *   per tensor: u8 name length | name (utf-8) | u8 width | u8 rank | u32 dims... | elements
 *   sha256 of all preceding bytes (32)
 *
 * Decoding checks every field against the spec and rejects a file that is truncated, corrupt, for another
 * spec, or holds a value outside its tensor's declared range.
 */
export const STATE_MAGIC = "VTST";
export const STATE_FILE_VERSION = 1;

/** Encodes a state; refuses one that does not fit the spec (so that no unreadable file is ever written). */
export function encodeState(spec: TrainingSpec, s: TrainingState): Buffer {
  const layout = stateLayout(spec);
  const expected = specHash(spec);
  if (s.specHash !== expected) throw new StateFormatError(`state belongs to spec ${s.specHash}, not to ${expected}`);
  if (s.tensors.length !== layout.length) throw new StateFormatError(`state has ${s.tensors.length} tensors, the spec defines ${layout.length}`);
  if (s.rng.length !== 32) throw new StateFormatError(`rng state must be 32 bytes, got ${s.rng.length}`);
  if (!Number.isSafeInteger(s.step) || s.step < 0 || s.dataCursor !== s.step * spec.training.batchSize) {
    throw new StateFormatError(`step ${s.step} and data cursor ${s.dataCursor} are inconsistent with batch ${spec.training.batchSize}`);
  }
  layout.forEach((slot, i) => {
    const t = s.tensors[i]!;
    if (t.shape.length !== slot.shape.length || t.shape.some((d, k) => d !== slot.shape[k]) || t.data.length !== sizeOf(slot.shape)) {
      throw new StateFormatError(`${slot.name}: shape [${t.shape}] with ${t.data.length} elements differs from the spec's [${slot.shape}]`);
    }
    assertInRange(t, slot.range, slot.name);
  });
  const parts: Buffer[] = [];
  const head = Buffer.alloc(88);
  head.write(STATE_MAGIC, 0, "ascii");
  head.writeUInt16BE(STATE_FILE_VERSION, 4);
  head.writeUInt16BE(layout.length, 6);
  Buffer.from(s.specHash, "hex").copy(head, 8);
  head.writeBigUInt64BE(BigInt(s.step), 40);
  head.writeBigUInt64BE(BigInt(s.dataCursor), 48);
  Buffer.from(s.rng).copy(head, 56);
  parts.push(head);
  layout.forEach((slot, i) => {
    const t = s.tensors[i]!;
    const width = widthFor(slot.range);
    const name = Buffer.from(slot.name, "utf8");
    const meta = Buffer.alloc(3 + name.length + 4 * slot.shape.length);
    meta[0] = name.length;
    name.copy(meta, 1);
    meta[1 + name.length] = width;
    meta[2 + name.length] = slot.shape.length;
    slot.shape.forEach((d, k) => meta.writeUInt32BE(d, 3 + name.length + 4 * k));
    parts.push(meta, encodeElements(t, width, 1));
  });
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash("sha256").update(body).digest()]);
}

class Reader {
  private o = 0;
  private readonly b: Buffer;
  constructor(b: Buffer) {
    this.b = b;
  }
  take(n: number, what: string): Buffer {
    if (this.o + n > this.b.length) throw new StateFormatError(`state file truncated: ${what} needs ${n} bytes at offset ${this.o}, only ${this.b.length - this.o} left`, { what, offset: this.o });
    const out = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return out;
  }
  get offset() {
    return this.o;
  }
}

export function decodeState(spec: TrainingSpec, bytes: Uint8Array): TrainingState {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 88 + 32) throw new StateFormatError(`state file too short: ${buf.length} bytes, a header and checksum need 120`);
  if (buf.toString("ascii", 0, 4) !== STATE_MAGIC) throw new StateFormatError(`not a veritrain state file: magic is ${JSON.stringify(buf.toString("latin1", 0, 4))}, expected "VTST"`);
  const version = buf.readUInt16BE(4);
  if (version !== STATE_FILE_VERSION) throw new StateFormatError(`unsupported state file version ${version} (this engine reads ${STATE_FILE_VERSION})`);
  const body = buf.subarray(0, buf.length - 32);
  const sum = createHash("sha256").update(body).digest();
  if (!sum.equals(buf.subarray(buf.length - 32))) throw new StateFormatError("state file checksum mismatch: the file is corrupt or truncated");
  const r = new Reader(body);
  r.take(6, "magic and version");
  const count = r.take(2, "tensor count").readUInt16BE();
  const hash = r.take(32, "spec hash").toString("hex");
  const expected = specHash(spec);
  if (hash !== expected) throw new StateFormatError(`state belongs to spec ${hash}, not to this job's spec ${expected}`);
  const step = Number(r.take(8, "step").readBigUInt64BE());
  const dataCursor = Number(r.take(8, "data cursor").readBigUInt64BE());
  if (!Number.isSafeInteger(step) || !Number.isSafeInteger(dataCursor)) throw new StateFormatError("step or data cursor exceeds 2^53");
  if (dataCursor !== step * spec.training.batchSize) throw new StateFormatError(`data cursor ${dataCursor} disagrees with step ${step} x batch ${spec.training.batchSize}`);
  const rng = new Uint8Array(r.take(32, "rng state"));
  const layout = stateLayout(spec);
  if (count !== layout.length) throw new StateFormatError(`state file holds ${count} tensors, the spec defines ${layout.length}`);
  const tensors: Tensor[] = layout.map((slot) => {
    const nameLen = r.take(1, `${slot.name} name length`)[0]!;
    const name = r.take(nameLen, "tensor name").toString("utf8");
    if (name !== slot.name) throw new StateFormatError(`tensor ${JSON.stringify(name)} found where ${JSON.stringify(slot.name)} was expected`);
    const width = r.take(1, `${name} width`)[0]! as Width;
    if (width !== widthFor(slot.range)) throw new StateFormatError(`${name}: element width ${width}, expected ${widthFor(slot.range)}`);
    const rank = r.take(1, `${name} rank`)[0]!;
    const dims = Array.from({ length: rank }, () => r.take(4, `${name} dims`).readUInt32BE());
    if (dims.length !== slot.shape.length || dims.some((d, k) => d !== slot.shape[k])) {
      throw new StateFormatError(`${name}: shape [${dims}] differs from the spec's [${slot.shape}]`);
    }
    const n = sizeOf(dims);
    const data = decodeElements(r.take(n * width, `${name} elements`), width, n);
    for (let i = 0; i < n; i++) {
      const v = data[i]!;
      if (v < slot.range[0] || v > slot.range[1]) {
        throw new StateFormatError(`${name}: element ${i} = ${v} is outside the declared range [${slot.range[0]}, ${slot.range[1]}]`, { tensor: name, index: i, value: v });
      }
    }
    return { shape: dims, data };
  });
  if (r.offset !== body.length) throw new StateFormatError(`${body.length - r.offset} unexpected bytes after the last tensor`);
  return { specHash: hash, step, dataCursor, rng, tensors };
}

