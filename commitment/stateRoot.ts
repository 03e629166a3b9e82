import { stateLayout } from "../engine/graph.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { TrainingState } from "../engine/state.ts";
import { fromHex, type Hash, TAG, taggedHash, u16be, u64be } from "./hash.ts";
import { buildTree, proofOf, type MerkleTree } from "./merkle.ts";
import { commitTensor, type TensorCommitment } from "./tensorCommit.ts";

/**
 * The state root: a Merkle tree whose leaf 0 is the header hash and whose leaf i+1 is the root of state
 * tensor i (in stateLayout order). Header hash = sha256(0x03 || u16 version || spec hash || u64 step ||
 * u64 data cursor || rng).
 */
export const STATE_VERSION = 1;

export function headerHash(s: Pick<TrainingState, "specHash" | "step" | "dataCursor" | "rng">): Hash {
  return taggedHash(TAG.STATE_HEADER, u16be(STATE_VERSION), fromHex(s.specHash, "spec hash"), u64be(s.step), u64be(s.dataCursor), s.rng);
}

export interface StateCommitment {
  readonly root: Hash;
  readonly header: Hash;
  readonly tensors: readonly TensorCommitment[];
  readonly tree: MerkleTree;
}

export function commitState(spec: TrainingSpec, s: TrainingState): StateCommitment {
  const layout = stateLayout(spec);
  if (layout.length !== s.tensors.length) throw new RangeError(`state has ${s.tensors.length} tensors, the spec defines ${layout.length}`);
  const tensors = s.tensors.map((t, i) => commitTensor(t, layout[i]!.range));
  const header = headerHash(s);
  const tree = buildTree([header, ...tensors.map((t) => t.root)]);
  return { root: tree.root, header, tensors, tree };
}

export function stateRoot(spec: TrainingSpec, s: TrainingState): Hash {
  return commitState(spec, s).root;
}

/** Proof that tensor `i` of the state has the given root: its path in the state tree (leaf index i + 1). */
export function proveStateTensor(c: StateCommitment, i: number): { root: Hash; leafIndex: number; siblings: Hash[] } {
  return { root: c.tensors[i]!.root, leafIndex: i + 1, siblings: proofOf(c.tree, i + 1) };
}
