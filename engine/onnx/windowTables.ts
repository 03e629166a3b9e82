import { convOutput, type ConvGeometry } from "../ops/windowGeometry.ts";

/**
 * Index tables of the ONNX lowerings of im2col and col2im, per image (the batch is Gather's leading axis).
 * An image is flattened HWC to N = H*W*C elements plus one appended zero at index N, which every padding
 * tap (im2col) or unused term slot (col2im) points to.
 */

/** im2col: column entry (oy, ox, ky, kx, c) of one image -> the flat image index it copies (N: padding). */
export function im2colIndices(g: ConvGeometry): number[] {
  const { OH, OW } = convOutput("im2col", g);
  const { H, W, C, k, stride, pad } = g;
  const N = H * W * C;
  const idx: number[] = [];
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          const iy = oy * stride + ky - pad, ix = ox * stride + kx - pad;
          const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
          for (let c = 0; c < C; c++) idx.push(inside ? (iy * W + ix) * C + c : N);
        }
      }
    }
  }
  return idx;
}

/**
 * col2im: for each image element, the flat column indices (of one image's OH*OW*k*k*C column entries)
 * that im2col copied it to, padded with the zero slot to the largest count T: [N, T] row-major, and the
 * number of column entries per image.
 */
export function col2imIndices(g: ConvGeometry): { indices: number[]; terms: number; perImage: number } {
  const forward = im2colIndices(g);
  const N = g.H * g.W * g.C;
  const lists: number[][] = Array.from({ length: N }, () => []);
  forward.forEach((src, col) => {
    if (src < N) lists[src]!.push(col);
  });
  const T = Math.max(1, ...lists.map((l) => l.length));
  const zero = forward.length;
  const indices: number[] = [];
  for (const l of lists) for (let t = 0; t < T; t++) indices.push(t < l.length ? l[t]! : zero);
  return { indices, terms: T, perImage: forward.length };
}
