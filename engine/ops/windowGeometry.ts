import { ShapeError, SpecError } from "../errors.ts";

/**
 * Geometry shared by the spatial ops (im2col, col2im, maxpool, maxpool_grad): images are stored channels
 * last (HWC), a batch of B images as the rows of a [B*H*W, C] tensor (or the same bytes as [B, H*W*C]).
 */
export interface ConvGeometry {
  readonly H: number;
  readonly W: number;
  readonly C: number;
  readonly k: number;
  readonly stride: number;
  readonly pad: number;
}

const MAX_DIM = 4096;

function dimAttr(op: string, name: string, v: number, min: number, max: number): void {
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new SpecError(`${op}.${name}`, `must be an integer in [${min}, ${max}], got ${v}`);
}

/** Output height and width of a k x k window sliding with `stride` over the zero-padded image. */
export function convOutput(op: string, g: ConvGeometry): { OH: number; OW: number } {
  dimAttr(op, "H", g.H, 1, MAX_DIM);
  dimAttr(op, "W", g.W, 1, MAX_DIM);
  dimAttr(op, "C", g.C, 1, MAX_DIM);
  dimAttr(op, "k", g.k, 1, 64);
  dimAttr(op, "stride", g.stride, 1, 64);
  dimAttr(op, "pad", g.pad, 0, g.k - 1);
  if (g.H + 2 * g.pad < g.k || g.W + 2 * g.pad < g.k) {
    throw new SpecError(`${op}.k`, `kernel ${g.k} is larger than the padded ${g.H + 2 * g.pad}x${g.W + 2 * g.pad} image`);
  }
  return { OH: Math.floor((g.H + 2 * g.pad - g.k) / g.stride) + 1, OW: Math.floor((g.W + 2 * g.pad - g.k) / g.stride) + 1 };
}

/** The batch size of a 2-D tensor holding whole images of `perImage` elements each. */
export function batchOf(op: string, shape: readonly number[], perImage: number, what: string): number {
  if (shape.length !== 2) throw new ShapeError(`${op} needs a 2-D ${what}, got [${shape}]`);
  const n = shape[0]! * shape[1]!;
  if (n === 0 || n % perImage !== 0) throw new ShapeError(`${op}: ${what} [${shape}] does not hold whole images of ${perImage} elements`);
  return n / perImage;
}

/** The number of column entries im2col copies from each image element: col2im sums that many terms. */
export function tapCounts(g: ConvGeometry): Int32Array {
  const { OH, OW } = convOutput("col2im", g);
  const counts = new Int32Array(g.H * g.W);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      for (let ky = 0; ky < g.k; ky++) {
        const iy = oy * g.stride + ky - g.pad;
        if (iy < 0 || iy >= g.H) continue;
        for (let kx = 0; kx < g.k; kx++) {
          const ix = ox * g.stride + kx - g.pad;
          if (ix >= 0 && ix < g.W) counts[iy * g.W + ix]!++;
        }
      }
    }
  }
  return counts;
}

export interface PoolGeometry {
  readonly H: number;
  readonly W: number;
  readonly C: number;
  readonly size: number;
}

export function poolOutput(op: string, g: PoolGeometry): { OH: number; OW: number } {
  dimAttr(op, "H", g.H, 1, MAX_DIM);
  dimAttr(op, "W", g.W, 1, MAX_DIM);
  dimAttr(op, "C", g.C, 1, MAX_DIM);
  dimAttr(op, "size", g.size, 1, 64);
  if (g.H % g.size !== 0 || g.W % g.size !== 0) {
    throw new SpecError(`${op}.size`, `${g.H}x${g.W} is not divisible into ${g.size}x${g.size} windows`);
  }
  return { OH: g.H / g.size, OW: g.W / g.size };
}
