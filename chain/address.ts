import { type Address, getAddress } from "viem";

/**
 * Why `v`, an address a user typed (a flag, a config field), cannot be used; undefined when it can. An
 * address is 0x + 40 hex digits. Mixed case carries an EIP-55 checksum, which must match: a wrong one means a
 * mistyped or altered address, and what is sent there is lost. All lowercase or all uppercase carries no
 * checksum (EIP-55) and is accepted as is. The caller names the field; use getAddress(v) once accepted.
 */
export function addressProblem(v: string): string | undefined {
  if (!/^0x[0-9a-fA-F]{40}$/.test(v)) return `must be a 20-byte hex address (0x + 40 hex characters), got ${JSON.stringify(v)}`;
  const digits = v.slice(2);
  if (digits === digits.toLowerCase() || digits === digits.toUpperCase()) return undefined;
  const checksummed = getAddress(v.toLowerCase());
  if (checksummed === v) return undefined;
  return `${v} fails its EIP-55 checksum (mixed case: a typo or an altered copy?); these 40 hex digits checksum as ${checksummed}: check the address at its source, then give it checksummed or all lowercase`;
}
