/**
 * The pair encoding of a fold's partial value (ModelOps.PAIR_SHIFT): a signed 64-bit `low` and an integer
 * `high` as high * 2^64 + low; softmax_ce_grad's (row max, row sum) and maxpool_grad's (running max, its
 * first position). Any integer decodes: low = the signed low 64 bits, high = the rest (exact).
 */

const TWO64 = 1n << 64n;

/** high * 2^64 + low; low must fit an int64. */
export function pairValue(low: bigint, high: bigint): bigint {
  return high * TWO64 + low;
}

/** (low, high) of a partial value: low the signed low 64 bits, high = (p - low) / 2^64. */
export function unpairValue(p: bigint): { low: bigint; high: bigint } {
  const low = BigInt.asIntN(64, p);
  return { low, high: (p - low) / TWO64 };
}
