import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { toHex } from "../../commitment/hash.ts";
import { stateRoot } from "../../commitment/stateRoot.ts";
import { charlmJob } from "../../training/charlmJob.ts";
import { mnistCnnSpec, mnistSpec } from "../../training/mnistJob.ts";
import { applyStep, train } from "../../training/train.ts";
import { type Dataset, sampleBatch } from "../batch.ts";
import { buildStepGraph, type GraphOp, type StepGraph } from "../graph.ts";
import { onnxRunner } from "../onnx/runner.ts";
import { makeSpec, type TrainingSpec } from "../spec.ts";
import { initialState } from "../state.ts";
import { findBatchCut, shardProgram, shardRows } from "./batchCut.ts";
import { WorkersError } from "./errors.ts";
import { LocalGradientWorker } from "./localWorker.ts";
import { parallelRunner, type ParallelOptions } from "./parallelRunner.ts";
import type { GradientWorker } from "./protocol.ts";
import { applyUpdate, onnxUpdate } from "./update.ts";

/**
 * Data-parallel workers: the same committed roots for any worker count (uneven shards, momentum, both ways of
 * syncing the workers' state), a clear error and no hang when a worker fails or dies, no thread left after
 * close(), and a refusal for graphs whose batch cut is not a plain sum.
 */
const { spec: defaultSpec, data } = mnistSpec();

function variant(over: { layers?: number[]; batchSize?: number; momentumNum?: number }): TrainingSpec {
  return makeSpec({
    seed: defaultSpec.training.seed, data: defaultSpec.data,
    ...(over.layers ? { layers: over.layers } : {}),
    ...(over.batchSize ? { batchSize: over.batchSize } : {}),
    ...(over.momentumNum ? { optimizer: { momentumNum: over.momentumNum, momentumShift: 3 } } : {}),
  });
}

/** Every checkpoint root (hex) of a short run with the given runner options (undefined: one in-process runner). */
async function roots(spec: TrainingSpec, steps: number, o?: Omit<ParallelOptions, "workers"> & { workers: number }, dataset: Dataset = data.train): Promise<string[]> {
  const graph = buildStepGraph(spec);
  const runner = o ? await parallelRunner(graph, o) : await onnxRunner(graph);
  try {
    const r = await train({ spec, dataset, steps, checkpointInterval: 2, runner });
    return [...r.checkpoints.map((c) => toHex(c.root)), toHex(r.historyRoot)];
  } finally {
    await runner.close();
  }
}

describe("data-parallel workers commit the single runner's roots", () => {
  const lm = charlmJob({ batchSize: 9 });
  const cases: { name: string; spec: TrainingSpec; steps: number; dataset?: Dataset }[] = [
    { name: "default MLP (784-128-10, batch 64), plain SGD", spec: defaultSpec, steps: 6 },
    { name: "default MLP with momentum", spec: variant({ momentumNum: 7 }), steps: 6 },
    { name: "tiny 784-12-8-10 spec, batch 7 (uneven shards: 4+3, 2+2+2+1), momentum", spec: variant({ layers: [784, 12, 8, 10], batchSize: 7, momentumNum: 7 }), steps: 8 },
    // Image rows (H*W and OH*OW per example), im2col/col2im, pooling, the batch-sized reshape attributes.
    { name: "the MNIST CNN (spec v2), batch 10 (shards 5+5, 3+3+2+2)", spec: mnistCnnSpec({ batchSize: 10 }).spec, steps: 4 },
    // Token rows (T per example), one_hot, softmax_ce_grad, Adam's moments updated once on the summed cut.
    { name: "the char LM (spec v2: embedding, softmax CE, Adam), batch 9", spec: lm.spec, steps: 4, dataset: lm.corpus.train },
  ];
  for (const c of cases) {
    it(`${c.name}: N = 1, 2, 4 root for root`, async () => {
      const want = await roots(c.spec, c.steps, undefined, c.dataset);
      assert.equal(new Set(want).size, want.length, "every checkpoint changes the state");
      for (const workers of [1, 2, 4]) assert.deepEqual(await roots(c.spec, c.steps, { workers, threads: 1 }, c.dataset), want, `workers = ${workers}`);
    });
  }

  it("syncing workers by the summed cut (advance) gives the same roots as resending the state", async () => {
    const spec = variant({ layers: [784, 12, 8, 10], batchSize: 7, momentumNum: 7 });
    const want = await roots(spec, 8);
    assert.deepEqual(await roots(spec, 8, { workers: 2, threads: 1, sync: "advance" }), want);
    assert.deepEqual(await roots(spec, 8, { workers: 3, threads: 1, sync: "state" }), want);
  });

  it("a state the runner did not produce is sent whole (a new start, a resumed state)", async () => {
    const spec = variant({ layers: [784, 12, 10], batchSize: 9, momentumNum: 7 });
    const graph = buildStepGraph(spec);
    const single = await onnxRunner(graph);
    const par = await parallelRunner(graph, { workers: 2, threads: 1, sync: "advance" });
    try {
      const s0 = initialState(spec);
      const a1 = (await applyStep(par, spec, data.train, s0)).state;
      await applyStep(par, spec, data.train, a1);
      // Back to s0 (not the runner's last output), then a copy of a1 (equal values, another array).
      const again = (await applyStep(par, spec, data.train, s0)).state;
      const copy = { ...a1, tensors: a1.tensors.map((t) => ({ shape: t.shape, data: t.data.slice() })) };
      const a2 = (await applyStep(par, spec, data.train, copy)).state;
      const b1 = (await applyStep(single, spec, data.train, s0)).state;
      const b2 = (await applyStep(single, spec, data.train, b1)).state;
      assert.equal(toHex(stateRoot(spec, again)), toHex(stateRoot(spec, b1)));
      assert.equal(toHex(stateRoot(spec, a2)), toHex(stateRoot(spec, b2)));
    } finally {
      await par.close();
      await single.close();
    }
  });

  it("logits come back in row order; a traced run is a single-process replay with every tensor", async () => {
    const spec = variant({ layers: [784, 12, 10], batchSize: 9 });
    const graph = buildStepGraph(spec);
    const s = initialState(spec);
    const batch = sampleBatch(data.train, s.rng, spec);
    const single = await onnxRunner(graph);
    const par = await parallelRunner(graph, { workers: 4, threads: 1 });
    try {
      const a = await single.run(s.tensors, batch, { trace: true });
      const b = await par.run(s.tensors, batch);
      assert.deepEqual([...b.logits.data], [...a.logits.data]);
      assert.deepEqual(b.logits.shape, [9, 10]);
      const t = await par.run(s.tensors, batch, { trace: true });
      assert.equal(t.all!.length, graph.tensors.length);
      t.all!.forEach((x, i) => assert.deepEqual([...x.data], [...a.all![i]!.data], graph.tensors[i]!.name));
    } finally {
      await par.close();
      await single.close();
    }
  });

  it("train({ workers }) uses the parallel runner; bad worker counts and the reference backend are refused", async () => {
    const spec = variant({ layers: [784, 12, 10], batchSize: 5 });
    const a = await train({ spec, dataset: data.train, steps: 4, checkpointInterval: 2 });
    const b = await train({ spec, dataset: data.train, steps: 4, checkpointInterval: 2, workers: 3 });
    assert.equal(toHex(b.historyRoot), toHex(a.historyRoot));
    await assert.rejects(train({ spec, dataset: data.train, steps: 1, checkpointInterval: 1, workers: 2, backend: "reference" }), /workers > 1 runs the onnx backend/);
    await assert.rejects(train({ spec, dataset: data.train, steps: 1, checkpointInterval: 1, workers: 0 }), WorkersError);
    await assert.rejects(parallelRunner(buildStepGraph(spec), { workers: 65 }), /workers must be an integer in \[1, 64\]/);
    // More workers than rows: one shard per row, the others are never started.
    assert.deepEqual(shardRows(3, 8), [{ start: 0, rows: 1 }, { start: 1, rows: 1 }, { start: 2, rows: 1 }]);
    assert.deepEqual(shardRows(7, 4).map((s) => s.rows), [2, 2, 2, 1]);
  });
});

describe("worker failures", () => {
  const spec = variant({ layers: [784, 12, 10], batchSize: 6 });
  const graph = buildStepGraph(spec);
  const s0 = initialState(spec);
  const batch = sampleBatch(data.train, s0.rng, spec);

  /** A parallel runner whose workers the test can reach (and break). */
  async function tapped(workers: number, wrap?: (w: LocalGradientWorker, i: number) => GradientWorker) {
    const started: LocalGradientWorker[] = [];
    const runner = await parallelRunner(graph, {
      workers, threads: 1,
      connect: async (setup, i) => {
        const w = await LocalGradientWorker.start(`gradient worker ${i}`, setup);
        started[i] = w;
        return wrap ? wrap(w, i) : w;
      },
    });
    return { runner, started };
  }

  it("a worker that throws fails the step with its name and reason; the next step resyncs and is right", async () => {
    let corrupt = true;
    const { runner } = await tapped(2, (w, i) => ({
      rows: w.rows,
      close: () => w.close(),
      // Worker 1 is sent a malformed shard once: the worker itself rejects it.
      gradients: (req) => w.gradients(i === 1 && corrupt ? ((corrupt = false), { ...req, x: { shape: [1, 5], data: new Float32Array(5) } }) : req),
    }));
    const single = await onnxRunner(graph);
    try {
      await assert.rejects(runner.run(s0.tensors, batch), (e: unknown) => {
        assert.ok(e instanceof WorkersError, String(e));
        assert.match(e.message, /gradient worker 1 failed: shard x has shape \[1,5\]/);
        return true;
      });
      const a = await runner.run(s0.tensors, batch);
      const b = await single.run(s0.tensors, batch);
      a.state.forEach((t, k) => assert.deepEqual([...t.data], [...b.state[k]!.data]));
    } finally {
      await runner.close();
      await single.close();
    }
  });

  it("a worker asked for a state it does not hold says so", async () => {
    const w = await LocalGradientWorker.start("gradient worker 0", { graph, rows: 6, threads: 1 });
    try {
      await assert.rejects(w.gradients({ version: 3, x: batch.x, labels: batch.labels }), /gradient worker 0 failed: asked for gradients at state version 3, but this worker holds none/);
      await assert.rejects(w.gradients({ version: 3, advance: { from: 2, cut: [] }, x: batch.x, labels: batch.labels }), /asked to advance from state version 2/);
    } finally {
      await w.close();
    }
  });

  it("a worker that dies mid-step fails the step (no hang), and every later one", async () => {
    // The thread is ended as the request goes out (not while onnxruntime runs in it: that aborts the process,
    // which is why close() asks a worker to end instead of terminating it).
    const { runner, started } = await tapped(2, (w, i) => ({
      rows: w.rows,
      close: () => w.close(),
      gradients: (req) => {
        if (i === 1) void w.thread.terminate();
        return w.gradients(req);
      },
    }));
    try {
      await assert.rejects(runner.run(s0.tensors, batch), /gradient worker 1 exited \(code 1\) with a request in flight/);
      await started[1]!.exited;
      await assert.rejects(runner.run(s0.tensors, batch), /gradient worker 1 exited \(code 1\)/);
    } finally {
      await runner.close();
    }
  });

  it("a worker that died between steps fails the next step at once", async () => {
    const { runner, started } = await tapped(2);
    try {
      await runner.run(s0.tensors, batch);
      await started[0]!.thread.terminate();
      await assert.rejects(runner.run(s0.tensors, batch), /gradient worker 0 exited \(code 1\)/);
    } finally {
      await runner.close();
    }
  });

  it("a worker that cannot start is a clear error, and the ones started are closed", async () => {
    const started: LocalGradientWorker[] = [];
    await assert.rejects(parallelRunner(graph, {
      workers: 2, threads: 1,
      connect: async (setup, i) => {
        const w = await LocalGradientWorker.start(`gradient worker ${i}`, i === 1 ? { ...setup, rows: 0 } : setup);
        started.push(w);
        return w;
      },
    }), /gradient worker 1 could not start: a shard must have 1 to 6 rows, got 0/);
    assert.equal(started.length, 1);
    await started[0]!.exited;
  });

  it("close() ends every thread: a process that used workers exits by itself", async () => {
    const { runner, started } = await tapped(3);
    await runner.run(s0.tensors, batch);
    await runner.close();
    await Promise.all(started.map((w) => w.exited));
    await assert.rejects(runner.run(s0.tensors, batch), /the parallel runner is closed/);
    // A live worker thread keeps node running: the child exits on its own only if close() ended them all.
    const root = new URL("../../", import.meta.url).href;
    const script = `
      import { buildStepGraph } from "${root}engine/graph.ts";
      import { parallelRunner } from "${root}engine/parallel/parallelRunner.ts";
      import { train } from "${root}training/train.ts";
      import { mnistSpec } from "${root}training/mnistJob.ts";
      const { spec, data } = mnistSpec({ batchSize: 8, layers: [784, 12, 10] });
      const runner = await parallelRunner(buildStepGraph(spec), { workers: 2, threads: 1 });
      await train({ spec, dataset: data.train, steps: 2, checkpointInterval: 1, runner });
      await runner.close();
      console.log("closed");`;
    const dir = await mkdtemp(path.join(tmpdir(), "workers-close-"));
    await writeFile(path.join(dir, "child.mjs"), script);
    const child = spawn(process.execPath, [path.join(dir, "child.mjs")], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once("exit", (c, s) => resolve([c, s])));
    clearTimeout(timer);
    await rm(dir, { recursive: true, force: true });
    assert.equal(signal, null, `the child did not exit by itself within 60 s (a thread left running?): ${out}`);
    assert.equal(code, 0, out);
    assert.match(out, /closed/);
  });
});

describe("the batch cut", () => {
  const graph = buildStepGraph(variant({ layers: [784, 12, 8, 10], batchSize: 7, momentumNum: 7 }));
  const name = (id: number) => graph.tensors[id]!.name;

  it("is the weight and bias gradients, found from the ops; the update reads nothing else of the batch", () => {
    const bc = findBatchCut(graph);
    assert.deepEqual(bc.cut.map(name), ["l2.gw", "l2.gb", "l1.gw", "l1.gb", "l0.gw", "l0.gb"]);
    assert.deepEqual(bc.updateOps.map((i) => graph.ops[i]!.kind), Array(6).fill(["momentum", "sgd_update"]).flat());
    for (const i of bc.shardOps) assert.ok(!["momentum", "sgd_update"].includes(graph.ops[i]!.kind));
    assert.equal(bc.classes[graph.logits], "rows");
    // A shard of 3 rows: rows tensors get 3 rows, sums keep their shape with a 3-row bound.
    const p = shardProgram(graph, bc, 3);
    assert.deepEqual(p.tensors[p.x]!.shape, [3, 784]);
    const gw = p.tensors[p.outputs[4]!]!;
    assert.equal(gw.name, "l0.gw");
    assert.deepEqual(gw.shape, [784, 12]);
    assert.ok(p.ops[gw.producer!]!.exactBound < graph.ops[graph.tensors[bc.cut[4]!]!.producer!]!.exactBound);
  });

  it("the update's onnxruntime session and the reference kernels agree bit for bit (real, extreme and tie sums)", async () => {
    const bc = findBatchCut(graph);
    const spec = variant({ layers: [784, 12, 8, 10], batchSize: 7, momentumNum: 7 });
    const s0 = initialState(spec);
    const real = (await (async () => {
      const r = await parallelRunner(graph, { workers: 1, threads: 1 });
      try {
        return (await r.run(s0.tensors, sampleBatch(data.train, s0.rng, spec), { trace: true })).all!;
      } finally {
        await r.close();
      }
    })());
    const cuts = [
      bc.cut.map((id) => real[id]!),
      bc.cut.map((id) => ({ shape: graph.tensors[id]!.shape, data: new Float64Array(real[id]!.data.length).map((_, k) => graph.tensors[id]!.range[k % 2]!) })),
      // Odd multiples of half a learning-rate step: roundShift ties.
      bc.cut.map((id) => ({ shape: graph.tensors[id]!.shape, data: new Float64Array(real[id]!.data.length).map((_, k) => (k % 3 - 1) * (2 * k + 1) * 2 ** 4) })),
    ];
    const states = [s0.tensors, s0.tensors.map((t, i) => ({ shape: t.shape, data: new Float64Array(t.data.length).map((_, k) => graph.state[i]!.range[(k + i) % 2]!) }))];
    const u = await onnxUpdate(graph, bc);
    try {
      for (const st of states) {
        for (const cut of cuts) {
          const a = applyUpdate(graph, bc, st, cut), b = await u.apply(st, cut);
          a.forEach((t, i) => assert.deepEqual([...b[i]!.data], [...t.data], graph.state[i]!.name));
        }
      }
    } finally {
      await u.close();
    }
  });

  /** The graph with one more op appended (its output added as a tensor). */
  function withOp(kind: GraphOp["kind"], inputs: number[], attrs: object, shape: number[], asState = false): StepGraph {
    const id = graph.tensors.length, index = graph.ops.length;
    const op = { index, kind, attrs, inputs, output: id, exactBound: 1 } as GraphOp;
    return {
      ...graph,
      tensors: [...graph.tensors, { id, name: "extra", shape, range: [-1, 1], role: "op", producer: index }],
      ops: [...graph.ops, op],
      ...(asState ? { stateOut: [id, ...graph.stateOut.slice(1)] } : {}),
    };
  }
  const byName = (n: string) => graph.tensors.find((t) => t.name === n)!.id;

  it("refuses a graph that mixes batch rows with a batch sum", () => {
    const g = withOp("bias_add", [byName("l2.d"), byName("l2.gb")], {}, [7, 10]);
    assert.throws(() => findBatchCut(g), /op \d+ \(bias_add -> extra\) combines batch rows with a batch sum/);
  });

  it("refuses an op over batch rows that is neither row-local nor a plain batch sum", () => {
    const g = withOp("matmul", [byName("l2.d"), byName("l2.d")], { transA: false, transB: true }, [7, 7]);
    assert.throws(() => findBatchCut(g), /op \d+ \(matmul -> extra\) on batch rows \(rows, rows\) is neither a row-local map nor a plain batch sum/);
  });

  it("a CNN's rows per example (image rows H*W, patch rows OH*OW), and a refusal for a sum over rows grouped differently", () => {
    const cnn = buildStepGraph(mnistCnnSpec({ batchSize: 4 }).spec);
    const bc = findBatchCut(cnn);
    const cols = cnn.ops.find((o) => o.kind === "im2col")!.output;
    const pooled = cnn.ops.find((o) => o.kind === "maxpool")!.output;
    assert.equal(bc.rowsPerExample[cols], 28 * 28); // conv 1: 5x5, pad 2, stride 1: 28x28 patch rows per image
    assert.equal(bc.rowsPerExample[pooled], 14 * 14);
    assert.equal(bc.rowsPerExample[cnn.logits], 1);
    // A^T . D over an image's 784 patch rows and the logits' 1 row per example: not a per-row pairing.
    const id = cnn.tensors.length, index = cnn.ops.length;
    const g: StepGraph = {
      ...cnn,
      tensors: [...cnn.tensors, { id, name: "extra", shape: [25, 10], range: [-1, 1], role: "op", producer: index }],
      ops: [...cnn.ops, { index, kind: "matmul", attrs: { transA: true, transB: false }, inputs: [cols, cnn.logits], output: id, exactBound: 1 } as GraphOp],
    };
    assert.throws(() => findBatchCut(g), /op \d+ \(matmul -> extra\) reads batch rows grouped differently per example \(784 vs 1 rows\)/);
  });

  it("refuses a next state made of batch rows", () => {
    const g = { ...graph, stateOut: [graph.logits, ...graph.stateOut.slice(1)] };
    assert.throws(() => findBatchCut(g), /the next state's l2.zb is batch rows/);
  });

  it("refuses a free operand shaped like the batch (caught when the shard is re-typed)", () => {
    // Batch 8 and a [8, 10] weight: relu_mask(logits [8, 10] rows, l2.wq [8, 10] free) types for the full
    // batch, not for a 4-row shard.
    const g8 = buildStepGraph(variant({ layers: [784, 12, 8, 10], batchSize: 8 }));
    const id = g8.tensors.length, index = g8.ops.length;
    const wq = g8.tensors.find((t) => t.name === "l2.wq")!.id;
    const g: StepGraph = {
      ...g8,
      tensors: [...g8.tensors, { id, name: "extra", shape: [8, 10], range: [-1, 1], role: "op", producer: index }],
      ops: [...g8.ops, { index, kind: "relu_mask", attrs: {}, inputs: [g8.logits, wq], output: id, exactBound: 1 } as GraphOp],
      logits: id,
    };
    const bc = findBatchCut(g);
    assert.equal(bc.classes[id], "rows");
    assert.throws(() => shardProgram(g, bc, 4), /op \d+ \(relu_mask -> extra\) does not type for a shard of 4 rows/);
  });
});
