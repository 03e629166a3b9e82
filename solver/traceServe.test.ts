// The node's derived documents over HTTP: /trace/<root> and /batch/<root> of the step starting from a stored
// checkpoint. Each response is verified against the root it is addressed by (and the trace against an
// independent recomputation); a tampered document fails the same checks; ranges work; malformed or unknown
// roots get 4xx. Also: resumable training (trainJob) interrupted after some checkpoints resumes there and
// yields the uninterrupted history.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { datasetRoot } from "../commitment/dataset.ts";
import { fromHex, TAG, taggedHash, toHex, u32be } from "../commitment/hash.ts";
import { buildTree, verifyProof } from "../commitment/merkle.ts";
import { recordHash } from "../commitment/trace.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { batchIndices } from "../engine/random.ts";
import { canonicalSpecJson } from "../engine/spec.ts";
import { decodeState } from "../engine/stateFile.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { createRunner, train } from "../training/train.ts";
import { traceStep } from "../training/traceStep.ts";
import { openSolverDb, type SolverDb } from "./db.ts";
import { startStoreServer, type StoreServer } from "./server.ts";
import { openStore } from "../node/store.ts";
import { traceSource } from "./traceSource.ts";
import { trainJob } from "./trainStep.ts";
import { bareHex } from "../core/root.ts";

const dataset = syntheticDataset(64, 12, 4);
const spec = tinySpec(dataset);
const STEPS = 6, INTERVAL = 2;

type TraceDoc = { preStateRoot: string; postStateRoot: string; step: number; traceRoot: string; records: { entry: number; tensorId: number; code: number; inputs: number[]; attrs: number[]; outputRoot: string }[] };
type BatchDoc = { preStateRoot: string; datasetRoot: string; examplesRoot: string; count: number; features: number; classes: number; indices: number[]; examples: { index: number; label: number; pixels: string; siblings: string[] }[] };

/** The receiver's checks of a trace document fetched for `root`. */
function verifyTrace(doc: TraceDoc, root: string): void {
  assert.equal(doc.preStateRoot, root);
  const leaves = doc.records.map((r) => recordHash({ ...r, outputRoot: fromHex(r.outputRoot) }));
  assert.equal(toHex(buildTree(leaves).root), doc.traceRoot, "records do not hash to the trace root");
  assert.equal(doc.records[0]!.code, 254);
  assert.equal(doc.records[0]!.outputRoot, root, "record 0 is not the pre-state anchor of the requested root");
  assert.equal(doc.records.at(-1)!.code, 255);
  assert.equal(doc.records.at(-1)!.outputRoot, doc.postStateRoot);
}

/** The receiver's checks of a batch document against the committed dataset root. */
function verifyBatch(doc: BatchDoc, committedDatasetRoot: string): void {
  const root = taggedHash(TAG.DATASET, u32be(doc.count), u32be(doc.features), u32be(doc.classes), fromHex(doc.examplesRoot));
  assert.equal(toHex(root), committedDatasetRoot);
  assert.deepEqual(doc.examples.map((e) => e.index), doc.indices);
  for (const e of doc.examples) {
    const pixels = Buffer.from(e.pixels, "hex");
    assert.equal(pixels.length, doc.features);
    const leaf = taggedHash(TAG.EXAMPLE, pixels, Buffer.from([e.label]));
    assert.ok(verifyProof(fromHex(doc.examplesRoot), leaf, e.index, e.siblings.map((s) => fromHex(s))), `example ${e.index} does not open against the dataset`);
  }
}

describe("solver: resumable training and derived trace/batch documents over HTTP", () => {
  let dir: string, db: SolverDb, server: StoreServer;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "veritrain-trace-"));
    db = openSolverDb(dir);
    db.insertJob(1n);
    db.updateJob(1n, { specJson: canonicalSpecJson(spec), steps: STEPS, checkpointInterval: INTERVAL });
  });
  after(async () => {
    await server?.close();
    db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("resumes an interrupted run at its last stored checkpoint with the uninterrupted history", async () => {
    const store = await openStore(path.join(dir, "states"));
    const ac = new AbortController();
    await assert.rejects(trainJob({
      db, store, jobId: 1n, spec, dataset, steps: STEPS, checkpointInterval: INTERVAL, backend: "reference", signal: ac.signal,
      onCheckpoint: (c) => {
        if (c.step === 2) ac.abort(new Error("stop"));
      },
    }));
    assert.deepEqual(db.checkpoints(1n).map((c) => c.step), [0, 2]);
    let resumedAt = -1;
    const r = await trainJob({ db, store, jobId: 1n, spec, dataset, steps: STEPS, checkpointInterval: INTERVAL, backend: "reference", onResume: (s) => (resumedAt = s) });
    assert.equal(resumedAt, 2);
    assert.equal(r.stepsRun, STEPS - 2);
    const expected = await train({ spec, dataset, steps: STEPS, checkpointInterval: INTERVAL, backend: "reference" });
    assert.deepEqual(r.checkpoints.map((c) => [c.step, toHex(c.root)]), expected.checkpoints.map((c) => [c.step, toHex(c.root)]));
    assert.deepEqual(db.trainRuns(1n).map((x) => [x.startStep, x.endStep]), [[0, null], [2, STEPS]]);
    server = await startStoreServer({ store, derived: traceSource({ db, store, datasets: new Map([[spec.data.root, { name: "synthetic", root: spec.data.root, dataset }]]), backend: "reference", cacheDir: path.join(dir, "derived") }) });
  });

  it("serves each checkpoint's next-step trace, verifiable against the requested root and equal to a recomputation", async () => {
    const cps = db.checkpoints(1n);
    for (const [i, c] of cps.slice(0, -1).entries()) {
      const res = await fetch(`${server.url}/trace/${bareHex(c.root)}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("etag"), `"trace-${bareHex(c.root)}"`);
      const doc = (await res.json()) as TraceDoc;
      verifyTrace(doc, c.root);
      assert.equal(doc.step, c.step);
      const runner = await createRunner(buildStepGraph(spec), "reference");
      const pre = decodeState(spec, Buffer.from(await (await fetch(server.stateUrl(c.root))).arrayBuffer()));
      const own = await traceStep(runner, spec, dataset, pre);
      await runner.close();
      assert.equal(doc.traceRoot, toHex(own.trace.root), `checkpoint ${i}`);
    }
    // A tampered record fails the receiver's check.
    const doc = (await (await fetch(`${server.url}/trace/${bareHex(cps[0]!.root)}`)).json()) as TraceDoc;
    doc.records[3]!.outputRoot = "0x" + "00".repeat(32);
    assert.throws(() => verifyTrace(doc, cps[0]!.root), /trace root/);
  });

  it("serves the batch with a dataset opening per example, drawn from the pre-state's RNG", async () => {
    const c = db.checkpoints(1n)[1]!;
    const doc = (await (await fetch(`${server.url}/batch/${bareHex(c.root)}`)).json()) as BatchDoc;
    verifyBatch(doc, toHex(datasetRoot(dataset)));
    const pre = decodeState(spec, Buffer.from(await (await fetch(server.stateUrl(c.root))).arrayBuffer()));
    assert.deepEqual(doc.indices, batchIndices(pre.rng, spec.training.batchSize, dataset.count));
    const bad = structuredClone(doc);
    bad.examples[0]!.label = (bad.examples[0]!.label + 1) % doc.classes;
    assert.throws(() => verifyBatch(bad, toHex(datasetRoot(dataset))), /does not open/);
  });

  it("answers ranges, and 4xx for malformed, unknown and final roots and wrong methods", async () => {
    const c = db.checkpoints(1n)[0]!;
    const full = Buffer.from(await (await fetch(`${server.url}/trace/${bareHex(c.root)}`)).arrayBuffer());
    const part = await fetch(`${server.url}/trace/${bareHex(c.root)}`, { headers: { Range: "bytes=5-24" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 5-24/${full.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), full.subarray(5, 25));
    const status = async (p: string, init?: RequestInit) => {
      const r = await fetch(`${server.url}${p}`, init);
      return { status: r.status, error: ((await r.json()) as { error?: string }).error ?? "" };
    };
    assert.deepEqual(await status(`/trace/${"ab".repeat(31)}`), { status: 400, error: "malformed state root: the state root must be exactly 64 hex characters, got 62" });
    assert.equal((await status(`/batch/0x${"ab".repeat(31)}`)).status, 400);
    assert.equal((await status(`/batch/${"AB".repeat(32)}`)).status, 400);
    const unknown = await status(`/trace/${"ab".repeat(32)}`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.error, /no checkpoint with root/);
    const last = db.checkpoints(1n).at(-1)!;
    const final = await status(`/trace/${bareHex(last.root)}`);
    assert.equal(final.status, 404);
    assert.match(final.error, /final state \(step 6\)/);
    assert.equal((await status(`/trace/${bareHex(c.root)}`, { method: "POST" })).status, 405);
    assert.equal((await status("/traces/x")).status, 404);
  });
});
