import { endianness } from "node:os";
import { ValueRangeError } from "./errors.ts";
import type { Range } from "./int.ts";
import type { Tensor } from "./tensor.ts";

/**
 * The canonical byte encoding of tensor elements, shared by state files and commitments: row-major,
 * little-endian two's complement, 4 bytes per element when the tensor's declared range fits int32, else 8.
 */
if (endianness() !== "LE") throw new Error("veritrain's tensor encoding fast path assumes a little-endian host");

export type Width = 4 | 8;

export function widthFor(range: Range): Width {
  return range[0] >= -(2 ** 31) && range[1] <= 2 ** 31 - 1 ? 4 : 8;
}

/** The encoded bytes of a tensor, zero-padded to a whole number of `padTo`-byte blocks (at least one). */
export function encodeElements(t: Tensor, width: Width, padTo = 8): Buffer {
  const n = t.data.length;
  const bytes = n * width;
  const padded = Math.max(1, Math.ceil(bytes / padTo)) * padTo;
  const buf = Buffer.alloc(padded);
  const d = t.data;
  if (width === 4) {
    const view = new Int32Array(buf.buffer, buf.byteOffset, padded / 4);
    view.set(d); // native conversion (wraps modulo 2^32: the check below catches values that do not fit)
    for (let i = 0; i < n; i++) {
      if (view[i] !== d[i]) throw new ValueRangeError(`element ${i} = ${d[i]} does not fit a 4-byte encoding`, { index: i });
    }
  } else {
    const view = new Int32Array(buf.buffer, buf.byteOffset, padded / 4);
    for (let i = 0; i < n; i++) {
      const v = d[i]!;
      if (!Number.isSafeInteger(v)) throw new ValueRangeError(`element ${i} = ${v} is not a safe integer`, { index: i });
      const hi = Math.floor(v / 4294967296);
      view[2 * i] = v - hi * 4294967296; // low 32 bits (wraps into int32 storage)
      view[2 * i + 1] = hi;
    }
  }
  return buf;
}

/** Decodes `count` elements of the given width from encoded bytes. */
export function decodeElements(bytes: Uint8Array, width: Width, count: number, offset = 0): Float64Array {
  const out = new Float64Array(count);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    const o = offset + i * width;
    out[i] = width === 4 ? dv.getInt32(o, true) : dv.getUint32(o, true) + dv.getInt32(o + 4, true) * 4294967296;
  }
  return out;
}

