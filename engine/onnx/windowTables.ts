import { imageTaps, type ConvGeometry } from "../ops/windowGeometry.ts";

/**
 * Index tables of the ONNX lowerings of im2col and col2im, per image and per pixel: an image is viewed as
 * [H*W, C] (its pixels, each a block of C channel values), and the column entries of one output position
 * come in blocks of C too (im2col's columns run over (ky, kx, c), c innermost). Gather then moves whole
 * C-blocks along axis 1 of a [B, pixels, C] view, C values per index instead of one.
 */

/**
 * im2col: for each tap (oy, ox, ky, kx) of one image, the pixel it copies, or H*W (a zero pixel appended to
 * the image) for a tap in the padding.
 */
export function im2colBlocks(g: ConvGeometry): number[] {
  const taps = imageTaps("im2col", g);
  const P = g.H * g.W;
  const out: number[] = [];
  // Every channel of a tap reads the same pixel: its first channel's index names it.
  for (let j = 0; j < taps.length; j += g.C) out.push(taps[j]! < 0 ? P : taps[j]! / g.C);
  return out;
}

/**
 * col2im: for each pixel of one image, the column blocks (of one image's OH*OW*k*k tap blocks) that im2col
 * copied it to, padded with the block `zero` to the largest count T: [H*W, T] row-major. The block of tap
 * (oy, ox, ky, kx) is `(oy*OW + ox) * perPosition + ky*k + kx`: perPosition is k*k for a plain column
 * matrix, more where each position carries zero blocks after its taps (lower.ts's padded gradient Gemm).
 */
export function col2imBlocks(g: ConvGeometry, perPosition: number, zero: number): { indices: number[]; terms: number } {
  const kk = g.k * g.k;
  const lists: number[][] = Array.from({ length: g.H * g.W }, () => []);
  im2colBlocks(g).forEach((pixel, tap) => {
    if (pixel < g.H * g.W) lists[pixel]!.push(Math.floor(tap / kk) * perPosition + (tap % kk));
  });
  const T = Math.max(1, ...lists.map((l) => l.length));
  const indices: number[] = [];
  for (const l of lists) for (let t = 0; t < T; t++) indices.push(t < l.length ? l[t]! : zero);
  return { indices, terms: T };
}
