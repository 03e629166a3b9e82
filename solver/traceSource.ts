import { access, mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { datasetTree, exampleLeaf } from "../commitment/dataset.ts";
import { toHex } from "../commitment/hash.ts";
import { toRoot } from "../core/root.ts";
import type { MerkleTree } from "../commitment/merkle.ts";
import { proofOf } from "../commitment/merkle.ts";
import { sampleBatch } from "../engine/batch.ts";
import type { Dataset } from "../engine/batch.ts";
import { buildStepGraph } from "../engine/graph.ts";
import type { BackendName } from "../engine/runner.ts";
import { parseSpec } from "../engine/spec.ts";
import { createRunner } from "../training/train.ts";
import { traceStep } from "../training/traceStep.ts";
import type { LocalDataset } from "../node/datasets.ts";
import type { SolverDb } from "./db.ts";
import type { DerivedSource } from "./server.ts";
import type { StateStore } from "../node/store.ts";

/**
 * The documents the store server derives from a stored checkpoint state (the pre-state of the next step),
 * computed on first request and kept as files under `<cacheDir>` (named by kind and root, written
 * atomically), so ranges and ETags behave as for state files:
 *
 *   trace: { preStateRoot, postStateRoot, step, traceRoot, records[] } the step's op trace recomputed with
 *          training/traceStep.ts. A receiver rebuilds the record hashes (commitment/trace.ts recordHash) and
 *          their Merkle root, which must be traceRoot, and checks that record 0 is the pre-state anchor with
 *          the root it asked for.
 *   batch: { preStateRoot, step, datasetRoot, examplesRoot, count, features, classes, indices, examples[] }:
 *          for each example of the batch drawn from the pre-state's RNG, its pixels, label and Merkle path to
 *          examplesRoot; sha256(0x06 || count || features || classes || examplesRoot) is the dataset root the
 *          job committed.
 *
 * Only roots of checkpoints the node recorded (solver/db.ts) with a step after them are served.
 */
export interface TraceSourceOptions {
  readonly db: SolverDb;
  readonly store: StateStore;
  /** By dataset root (hex, no 0x). */
  readonly datasets: ReadonlyMap<string, LocalDataset>;
  readonly backend: BackendName;
  readonly cacheDir: string;
}

const trees = new WeakMap<Dataset, MerkleTree>();
const treeOf = (d: Dataset) => {
  let t = trees.get(d);
  if (!t) trees.set(d, (t = datasetTree(d)));
  return t;
};

export function traceSource(o: TraceSourceOptions): DerivedSource {
  return {
    async file(kind, hex) {
      const file = path.join(o.cacheDir, `${hex}.${kind}.json`);
      try {
        await access(file);
        return { path: file };
      } catch {
        // not derived yet
      }
      const root = toRoot(hex);
      const job = o.db.jobOfRoot(root);
      if (!job?.specJson) return { missing: `no checkpoint with root ${root} in this node` };
      const spec = parseSpec(JSON.parse(job.specJson));
      const local = o.datasets.get(spec.data.root);
      if (!local) return { missing: `the dataset of the state ${root} is not available here` };
      const pre = await o.store.get(spec, root);
      if (pre.step >= job.steps) return { missing: `the state ${root} is the job's final state (step ${pre.step}): no step starts from it` };
      let doc: unknown;
      if (kind === "trace") {
        const runner = await createRunner(buildStepGraph(spec), o.backend);
        try {
          const t = await traceStep(runner, spec, local.dataset, pre);
          doc = {
            preStateRoot: root, postStateRoot: toHex(t.postCommitment.root), step: pre.step, traceRoot: toHex(t.trace.root),
            records: t.trace.entries.map((e) => ({ entry: e.entry, tensorId: e.tensorId, name: e.name, code: e.code, inputs: e.inputs, attrs: e.attrs, outputRoot: toHex(e.outputRoot) })),
          };
        } finally {
          await runner.close();
        }
      } else {
        const d = local.dataset;
        const batch = sampleBatch(d, pre.rng, spec);
        const tree = treeOf(d);
        doc = {
          preStateRoot: root, step: pre.step, datasetRoot: toRoot(spec.data.root), examplesRoot: toHex(tree.root),
          count: d.count, features: d.features, classes: d.classes, inputShift: spec.quant.inputShift, inputMax: spec.quant.inputMax, indices: batch.indices,
          examples: batch.indices.map((i) => ({
            index: i, label: d.labels[i]!, pixels: Buffer.from(d.pixels.subarray(i * d.features, (i + 1) * d.features)).toString("hex"),
            leaf: toHex(exampleLeaf(d, i)), siblings: proofOf(tree, i).map(toHex),
          })),
        };
      }
      await mkdir(o.cacheDir, { recursive: true });
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(tmp, JSON.stringify(doc) + "\n");
      await rename(tmp, file);
      return { path: file };
    },
  };
}
