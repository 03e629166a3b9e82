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

/**
 * The taps of one image, the single definition im2col, col2im and their ONNX index tables share: for column
 * entry j of the image's [OH*OW, k*k*C] columns (row-major over oy, ox, ky, kx, c), the flat HWC index of the
 * image element it copies, or -1 for a tap in the zero padding.
 */
export function imageTaps(op: string, g: ConvGeometry): Int32Array {
  const { OH, OW } = convOutput(op, g);
  const { H, W, C, k, stride, pad } = g;
  const taps = new Int32Array(OH * OW * k * k * C);
  let j = 0;
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      for (let ky = 0; ky < k; ky++) {
        const iy = oy * stride + ky - pad;
        for (let kx = 0; kx < k; kx++) {
          const ix = ox * stride + kx - pad;
          const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
          for (let c = 0; c < C; c++) taps[j++] = inside ? (iy * W + ix) * C + c : -1;
        }
      }
    }
  }
  return taps;
}

/** The number of column entries im2col copies from each image element (per element of one image): col2im sums that many terms. */
export function tapCounts(g: ConvGeometry): Int32Array {
  const counts = new Int32Array(g.H * g.W * g.C);
  for (const t of imageTaps("col2im", g)) if (t >= 0) counts[t]!++;
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
