import type { Hex } from "viem";
import { type Checkpoint, historyTree } from "../commitment/history.ts";
import { toHex } from "../commitment/hash.ts";
import { proofOf } from "../commitment/merkle.ts";

/**
 * What commitResult takes for a checkpoint history: the history root, the count, and checkpoints 0 and n - 1
 * with their Merkle paths (the market checks both against the root).
 */
export interface CommitArgs {
  readonly historyRoot: Hex;
  readonly finalRoot: Hex;
  readonly count: bigint;
  readonly first: { step: bigint; root: Hex; index: bigint; siblings: Hex[] };
  readonly last: { step: bigint; root: Hex; index: bigint; siblings: Hex[] };
}

export function commitArgs(checkpoints: readonly Checkpoint[]): CommitArgs {
  if (checkpoints.length === 0) throw new RangeError("a history needs at least one checkpoint");
  const tree = historyTree(checkpoints);
  const at = (i: number) => {
    const c = checkpoints[i]!;
    return { step: BigInt(c.step), root: toHex(c.root), index: BigInt(i), siblings: proofOf(tree, i).map(toHex) };
  };
  const n = checkpoints.length;
  return { historyRoot: toHex(tree.root), finalRoot: toHex(checkpoints[n - 1]!.root), count: BigInt(n), first: at(0), last: at(n - 1) };
}
