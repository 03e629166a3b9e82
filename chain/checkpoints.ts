import type { Hex } from "viem";
import { type Checkpoint, historyTree } from "../commitment/history.ts";
import { fromHex, toHex } from "../commitment/hash.ts";
import { type MerkleTree, proofOf } from "../commitment/merkle.ts";

/**
 * The market's view of a checkpoint history (docs/protocol.md, 1): commitResult takes every checkpoint's
 * state root (the market rebuilds the history root from them on the job's schedule, INV-MKT-4), and a
 * challenge takes two consecutive checkpoints with their paths to that root, which anyone can build from the
 * roots of the ResultCommitted event alone.
 */

/** JobMarket.MAX_CHECKPOINTS: a job's commit carries every checkpoint root, so their number is bounded. */
export const MAX_CHECKPOINTS = 2048;

/** commitResult's arguments for a history: every root in order, and what the market will store. */
export interface CommitArgs {
  readonly roots: Hex[];
  readonly historyRoot: Hex;
  readonly finalRoot: Hex;
}

export function commitArgs(checkpoints: readonly Checkpoint[]): CommitArgs {
  if (checkpoints.length === 0) throw new RangeError("a history needs at least one checkpoint");
  const tree = historyTree(checkpoints);
  return { roots: checkpoints.map((c) => toHex(c.root)), historyRoot: toHex(tree.root), finalRoot: toHex(checkpoints.at(-1)!.root) };
}

/** Checkpoint i's step on a job's schedule: min(i * interval, steps). */
export function scheduledStep(i: number, steps: number, interval: number): number {
  return Math.min(i * interval, steps);
}

/** IJobMarket.Checkpoint, as viem takes it. */
export interface CheckpointArg {
  step: bigint;
  root: Hex;
  index: bigint;
  siblings: Hex[];
}

/** A committed history as the market holds it, rebuilt from its roots and the job's schedule. */
export interface CommittedHistory {
  readonly checkpoints: readonly Checkpoint[];
  readonly tree: MerkleTree;
  readonly historyRoot: Hex;
  /** Checkpoint `i` with its path, as challenge() takes it. */
  checkpoint(i: number): CheckpointArg;
}

export function committedHistory(roots: readonly Hex[], steps: number, interval: number): CommittedHistory {
  const checkpoints = roots.map((r, i) => ({ step: scheduledStep(i, steps, interval), root: fromHex(r) }));
  const tree = historyTree(checkpoints);
  return {
    checkpoints,
    tree,
    historyRoot: toHex(tree.root),
    checkpoint(i) {
      const c = checkpoints[i];
      if (!c) throw new RangeError(`checkpoint ${i} is outside the history (0 .. ${checkpoints.length - 1})`);
      return { step: BigInt(c.step), root: toHex(c.root), index: BigInt(i), siblings: proofOf(tree, i).map(toHex) };
    },
  };
}
