import { imageTaps, type ConvGeometry } from "../ops/windowGeometry.ts";

/**
 * Index tables of the ONNX lowerings of im2col and col2im, per image (the batch is Gather's leading axis).
 * An image is flattened HWC to N = H*W*C elements plus one appended zero at index N, which every padding
 * tap (im2col) or unused term slot (col2im) points to.
 */

/** im2col: column entry (oy, ox, ky, kx, c) of one image -> the flat image index it copies (N: padding). */
export function im2colIndices(g: ConvGeometry): number[] {
  const N = g.H * g.W * g.C;
  return Array.from(imageTaps("im2col", g), (t) => (t < 0 ? N : t));
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
