import type { Hash, Hex, PublicClient } from "viem";

/**
 * EIP-7623 (Prague): a transaction pays at least 21,000 + 10 per calldata token, a token being a zero byte
 * and four tokens a non-zero byte, whatever its execution cost. A receipt's gasUsed is already
 * max(standard, floor); these helpers show where the floor stands against it and check that it is billed.
 */
export const TX_BASE_GAS = 21_000n;
export const FLOOR_GAS_PER_TOKEN = 10n;

/** Calldata tokens of `input` (hex, 0x-prefixed): zero bytes + 4 x non-zero bytes. */
export function calldataTokens(input: Hex): bigint {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(input)) throw new TypeError(`calldata must be 0x-prefixed hex of whole bytes, got ${input.slice(0, 20)}...`);
  let tokens = 0n;
  for (let i = 2; i < input.length; i += 2) tokens += input.slice(i, i + 2) === "00" ? 1n : 4n;
  return tokens;
}

/** The EIP-7623 floor of a transaction carrying `input`. */
export function calldataFloor(input: Hex): bigint {
  return TX_BASE_GAS + FLOOR_GAS_PER_TOKEN * calldataTokens(input);
}

export interface TxFloor {
  readonly hash: Hash;
  readonly block: bigint;
  readonly gasUsed: bigint;
  readonly floor: bigint;
  readonly calldataBytes: number;
  readonly input: Hex;
}

/** True when the floor is what the transaction paid (its execution would have cost less). */
export const floorBinds = (t: TxFloor): boolean => t.floor >= t.gasUsed;

/**
 * Every transaction of blocks from .. to with its receipt's gasUsed and its EIP-7623 floor. Throws when a
 * receipt charged less than the floor: the chain would not be billing calldata at the floor, and every
 * figure computed from its receipts would understate what a Prague chain charges.
 */
export async function floorsOfBlocks(pc: PublicClient, from: bigint, to: bigint): Promise<TxFloor[]> {
  const out: TxFloor[] = [];
  for (let b = from; b <= to; b++) {
    const block = await pc.getBlock({ blockNumber: b, includeTransactions: true });
    for (const tx of block.transactions) {
      const r = await pc.getTransactionReceipt({ hash: tx.hash });
      const t = { hash: tx.hash, block: b, gasUsed: r.gasUsed, floor: calldataFloor(tx.input), calldataBytes: (tx.input.length - 2) / 2, input: tx.input };
      if (t.gasUsed < t.floor) throw new Error(`transaction ${tx.hash} (block ${b}) used ${t.gasUsed} gas, below its EIP-7623 floor ${t.floor}: the chain does not bill the calldata floor`);
      out.push(t);
    }
  }
  return out;
}

/** The floor-priced total: every transaction at max(gasUsed, floor). */
export function gasAtFloor(txs: readonly TxFloor[]): bigint {
  return txs.reduce((s, t) => s + (t.floor > t.gasUsed ? t.floor : t.gasUsed), 0n);
}

/**
 * A transfer to an account without code carrying `bytes` non-zero calldata bytes: its standard cost is
 * 21,000 + 16 per byte, its floor 21,000 + 40 per byte, so the floor binds. Throws unless the receipt
 * charged exactly the floor: the check that the chain's receipts include EIP-7623 where it binds.
 */
export async function floorProbe(pc: PublicClient, sendData: (data: Hex) => Promise<Hash>, bytes = 4_096): Promise<{ gasUsed: bigint; floor: bigint; standard: bigint }> {
  const data: Hex = `0x${"a5".repeat(bytes)}`;
  const r = await pc.waitForTransactionReceipt({ hash: await sendData(data) });
  const floor = calldataFloor(data), standard = TX_BASE_GAS + 16n * BigInt(bytes);
  if (r.gasUsed !== floor) throw new Error(`a ${bytes}-byte calldata transfer used ${r.gasUsed} gas: EIP-7623 bills ${floor} (its standard cost is ${standard})`);
  return { gasUsed: r.gasUsed, floor, standard };
}
