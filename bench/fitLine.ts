/** Least-squares line y = intercept + slope x, with its coefficient of determination. */
export function fitLine(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number; r2: number } {
  if (xs.length !== ys.length || xs.length < 2) throw new RangeError(`a line needs at least two points of x and y, got ${xs.length} and ${ys.length}`);
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  if (sxx === 0) throw new RangeError("a line needs at least two distinct x");
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}
