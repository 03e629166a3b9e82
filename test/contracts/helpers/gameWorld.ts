// Training "worlds" for the DisputeGame tests: a spec, its dataset, step graph and program, the honest
// history (states, state roots and op traces of every step, computed with the engine), and dishonest
// histories derived from it: a dispute/deviation.ts Deviation (one tensor element changed at a chosen
// step/entry/element with everything after recomputed consistently, a wrong post-state assembly, a skipped
// step), or hand-crafted traces (padding garbage, records that break the program). historyView.ts presents a
// History to the production player as its ComputationView.
import { datasetRoot } from "../../../commitment/dataset.ts";
import { type Hash, sha256 } from "../../../commitment/hash.ts";
import { buildTree, type MerkleTree } from "../../../commitment/merkle.ts";
import { buildProgram, type Program } from "../../../commitment/program.ts";
import { commitState } from "../../../commitment/stateRoot.ts";
import { LEAF_BYTES, leafHash, tensorRootFromData, type TensorCommitment, type Width } from "../../../commitment/tensorCommit.ts";
import { buildTrace, type OpTrace, recordHash, type TraceEntry } from "../../../commitment/trace.ts";
import type { Dataset } from "../../../engine/batch.ts";
import { buildStepGraph, type StepGraph } from "../../../engine/graph.ts";
import { makeSpec, type TrainingSpec } from "../../../engine/spec.ts";
import { initialState, type TrainingState } from "../../../engine/state.ts";
import { type Deviation, deviatedStep, type DeviationWorld } from "../../../dispute/deviation.ts";
import { syntheticDataset, tinySpec } from "../../vectors/generate.ts";
import { tinyCharlmJob, tinyCnn3Job, tinyCnnJob } from "../../helpers/modelWorlds.ts";

// test/e2e/solverDispute.test.ts still imports the step and its type from here.
export type { Deviation } from "../../../dispute/deviation.ts";

/** The v1 MLP worlds, and two spec-v2 worlds holding every model op (test/helpers/modelWorlds.ts). */
export type WorldKind = "tiny" | "medium" | "wide" | "long" | "cnn" | "cnn3" | "charlm";

/** What a party knows: its state root at each step, and its op trace of each step (index = step). */
export interface History {
  readonly roots: readonly Hash[];
  trace(step: number): OpTrace | undefined;
}

export interface World extends History {
  readonly kind: WorldKind;
  readonly dataset: Dataset;
  readonly spec: TrainingSpec;
  readonly graph: StepGraph;
  readonly program: Program;
  readonly states: readonly TrainingState[];
  readonly traces: readonly OpTrace[];
  /** Trace entries E. */
  readonly entries: number;
}

function specFor(kind: WorldKind): { dataset: Dataset; spec: TrainingSpec } {
  if (kind === "cnn") return tinyCnnJob();
  if (kind === "cnn3") return tinyCnn3Job();
  if (kind === "charlm") return tinyCharlmJob();
  if (kind === "tiny") {
    const dataset = syntheticDataset(12, 6, 3);
    return { dataset, spec: tinySpec(dataset) };
  }
  const dataset = kind === "medium" ? syntheticDataset(16, 48, 4) : kind === "long" ? syntheticDataset(16, 72, 4) : syntheticDataset(12, 6, 3);
  const data = { root: datasetRoot(dataset).toString("hex"), count: dataset.count, features: dataset.features, classes: dataset.classes };
  const spec = kind === "medium"
    // [48, 16] tensors: 768 int32 elements = 3 leaves, a depth-2 data tree with one padding leaf.
    ? makeSpec({ layers: [48, 16, 4], batchSize: 4, seed: "03".repeat(32), data })
    : kind === "long"
    // x . W0 sums K = 72 products: level 4 takes two rounds (72 -> 9 -> 2).
    ? makeSpec({ layers: [72, 8, 4], batchSize: 4, seed: "04".repeat(32), data })
    // Unclamped weights: matmul outputs need 8-byte elements.
    : makeSpec({ layers: [6, 5, 4, 3], batchSize: 3, seed: "02".repeat(32), data, quant: { weightShift: 0, weightMax: 2 ** 31 - 1, masterMax: 2 ** 31 - 1 }, optimizer: { momentumNum: 7 } });
  return { dataset, spec };
}

/**
 * Steps first .. last from `start` (the state at first - 1, committed as `startRoot`), with the deviation (if
 * any) at its step: the states and roots from first - 1 on, the traces by step.
 */
function runHistory(w: DeviationWorld, start: TrainingState, startRoot: Hash, first: number, last: number, dev?: Deviation) {
  const states = [start];
  const roots = [startRoot];
  const traces: OpTrace[] = [];
  for (let t = first; t <= last; t++) {
    const { post, all } = deviatedStep(w, states.at(-1)!, dev?.step === t ? dev : undefined);
    const postRoot = commitState(w.spec, post).root;
    traces[t] = buildTrace(w.graph, all, roots.at(-1)!, postRoot);
    states.push(post);
    roots.push(postRoot);
  }
  return { states, roots, traces };
}

/** The honest world of a kind, `steps` steps long. */
export function makeWorld(kind: WorldKind, steps: number): World {
  const { dataset, spec } = specFor(kind);
  const graph = buildStepGraph(spec);
  const program = buildProgram(spec, graph);
  const init = initialState(spec);
  const { states, roots, traces } = runHistory({ graph, spec, dataset }, init, commitState(spec, init).root, 1, steps);
  return { kind, dataset, spec, graph, program, states, roots, traces, entries: program.header.entries, trace: (t) => traces[t] };
}

/**
 * The history of a party that deviates from the honest one as `dev` says (identical before dev.step), through
 * step `last` (default: the world's last; a game on [lo, hi] never asks a party about a step past hi). Only
 * steps dev.step .. last are computed: the world's roots and traces before dev.step are the party's.
 */
export function deviate(world: World, dev: Deviation, last = world.roots.length - 1): History {
  const from = runHistory(world, world.states[dev.step - 1]!, world.roots[dev.step - 1]!, dev.step, last, dev);
  const roots = [...world.roots.slice(0, dev.step - 1), ...from.roots];
  return { roots, trace: (t) => (t < dev.step ? world.trace(t) : from.traces[t]) };
}

/** A history equal to `base` except for the given roots and traces. */
export function withOverrides(base: History, roots: Readonly<Record<number, Hash>>, traces: Readonly<Record<number, OpTrace>>): History {
  return {
    roots: base.roots.map((r, i) => roots[i] ?? r),
    trace: (t) => traces[t] ?? base.trace(t),
  };
}

/**
 * A party that made its claims up: random roots after step `keep`; with `fabricate`, for each step the
 * honest trace with its own (random) post-state root in the post anchor (honest ops, wrong state), else no
 * trace at all.
 */
export function garbageHistory(world: World, keep: number, seed: string, fabricate: boolean): History {
  const roots = world.roots.map((r, i) => (i <= keep ? r : sha256(Buffer.from(`${seed}/${i}`))));
  const cache = new Map<number, OpTrace>();
  return {
    roots,
    trace: (t) => {
      if (!fabricate || !world.traces[t]) return undefined;
      if (!cache.has(t)) cache.set(t, craftTrace(world.traces[t]!, roots[t]!));
      return cache.get(t);
    },
  };
}

// ------------------------------------------------------------------ hand-crafted commitments

/** A tensor commitment over raw encoded bytes (whole leaves), with the given leaf hashes appended past them. */
export function commitBytes(bytes: Buffer, shape: readonly number[], width: Width, extraLeafHashes: readonly Hash[] = []): TensorCommitment {
  const n = bytes.length / LEAF_BYTES;
  const hashes: Hash[] = [];
  for (let i = 0; i < n; i++) hashes.push(leafHash(bytes.subarray(i * LEAF_BYTES, (i + 1) * LEAF_BYTES)));
  const tree: MerkleTree = buildTree([...hashes, ...extraLeafHashes]);
  return { root: tensorRootFromData(shape, width, tree.root), width, shape, bytes, tree };
}

/**
 * A trace equal to `base` except: the record at position `change.at` replaced by `change.entry` (with its
 * output commitment), and the post-state anchor set to `postRoot`. Record hashes and the tree are recomputed.
 */
export function craftTrace(base: OpTrace, postRoot: Hash, change?: { at: number; entry: Omit<TraceEntry, "name">; commitment?: TensorCommitment }): OpTrace {
  const entries: TraceEntry[] = base.entries.map((e) => ({ ...e }));
  const commitments = [...base.commitments];
  if (change) {
    const k = change.at;
    entries[k] = { ...change.entry, name: entries[k]!.name };
    if (change.commitment) commitments[k - 1] = change.commitment;
  }
  const last = entries.length - 1;
  entries[last] = { ...entries[last]!, outputRoot: Buffer.from(postRoot) };
  const tree = buildTree(entries.map(recordHash));
  return { entries, commitments, tree, root: tree.root };
}

/** Deterministic PRNG (mulberry32) for the randomized tests. */
export function rng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)]! };
}
