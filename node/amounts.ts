import { formatEther } from "viem";

/**
 * The one rule for amounts in node logs: each amount is a field holding wei as a decimal string (exact, what
 * tools parse) and a twin field `<name>Eth` holding it for people ("1.1 ETH"). `amounts({ price: p })` gives
 * `{ price: "1000…", priceEth: "1 ETH" }`.
 */
export function amounts(o: Readonly<Record<string, bigint>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    out[k] = v.toString();
    out[`${k}Eth`] = eth(v);
  }
  return out;
}

/** Wei for people: "0.1 ETH". */
export const eth = (wei: bigint): string => `${formatEther(wei)} ETH`;
