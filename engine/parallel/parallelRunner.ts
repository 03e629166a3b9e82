import { availableParallelism } from "node:os";
import type { Batch } from "../batch.ts";
import type { StepGraph } from "../graph.ts";
import { onnxRunner } from "../onnx/runner.ts";
import type { StepResult, StepRunner } from "../runner.ts";
import { assertInRange, type Tensor } from "../tensor.ts";
import { findBatchCut, shardRows } from "./batchCut.ts";
import { WorkersError } from "./errors.ts";
import { LocalGradientWorker } from "./localWorker.ts";
import type { GradientRequest, GradientResult, GradientWorker, WorkerSetup } from "./protocol.ts";
import { narrow, onnxUpdate } from "./update.ts";

/**
 * A StepRunner that splits each batch into contiguous shards, one per gradient worker, sums the shards'
 * exact integer partial sums (the batch cut, batchCut.ts) and applies the update once: the next state is
 * bit-identical to a single runner's for any number of workers (the sums are of integers below 2^53, so
 * their order does not matter). Logits come back concatenated in row order. Traces (disputes) are a replay
 * and stay single-process: a traced run goes to an in-process ONNX runner.
 */
export interface ParallelOptions {
  readonly workers: number;
  /** onnxruntime intra-op threads of each worker; default max(1, floor(cores / workers)). */
  readonly threads?: number;
  /**
   * How the workers reach the next state: "state" (default) sends the whole new state every step (a memory
   * copy between threads); "advance" sends only the step's summed cut and each worker applies the same update
   * itself (less data: what a worker across a network would use; bench/workers.ts measures both).
   */
  readonly sync?: "advance" | "state";
  /** Starts a worker (default: a thread of this process); where a remote transport plugs in. */
  readonly connect?: (setup: WorkerSetup, index: number) => Promise<GradientWorker>;
}

export const MAX_WORKERS = 64;

export function defaultThreads(workers: number): number {
  return Math.max(1, Math.floor(availableParallelism() / workers));
}

export async function parallelRunner(graph: StepGraph, o: ParallelOptions): Promise<StepRunner> {
  if (!Number.isSafeInteger(o.workers) || o.workers < 1 || o.workers > MAX_WORKERS) {
    throw new WorkersError(`workers must be an integer in [1, ${MAX_WORKERS}], got ${o.workers}`);
  }
  const threads = o.threads ?? defaultThreads(o.workers);
  if (!Number.isSafeInteger(threads) || threads < 1) throw new WorkersError(`threads per worker must be a positive integer, got ${threads}`);
  const sync = o.sync ?? "state";
  const bc = findBatchCut(graph);
  const shards = shardRows(bc.batchSize, o.workers);
  const connect = o.connect ?? ((setup: WorkerSetup, i: number) => LocalGradientWorker.start(`gradient worker ${i}`, setup));
  const started = await Promise.allSettled(shards.map((s, i) => connect({ graph, rows: s.rows, threads }, i)));
  const workers = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = started.find((r) => r.status === "rejected");
  if (failed) {
    await Promise.allSettled(workers.map((w) => w.close()));
    throw failed.reason;
  }

  let update;
  try {
    update = await onnxUpdate(graph, bc);
  } catch (e) {
    await Promise.allSettled(workers.map((w) => w.close()));
    throw e;
  }

  const cutTensors = bc.cut.map((id) => graph.tensors[id]!);
  const logitsShape = graph.tensors[graph.logits]!.shape;
  const rowSize = (t: Tensor) => t.data.length / bc.batchSize;
  // Which state version each worker holds (-1: unknown), the coordinator's current one, and the summed cut
  // that led to it from the one before (what "advance" sends).
  const known = workers.map(() => -1);
  let versions = 0;
  let version = -1;
  let current: readonly Tensor[] | undefined;
  let last: { from: number; cut: readonly Tensor[] } | undefined;
  let busy = false, closed = false;
  let single: StepRunner | undefined;

  const request = (i: number, state: readonly Tensor[], batch: Batch): GradientRequest => {
    const { start, rows } = shards[i]!;
    const fx = rowSize(batch.x), fl = rowSize(batch.labels);
    // slice, not subarray: a view would carry the whole batch buffer to the worker.
    const x = { shape: [rows, ...batch.x.shape.slice(1)], data: batch.x.data.slice(start * fx, (start + rows) * fx) };
    const labels = { shape: [rows, ...batch.labels.shape.slice(1)], data: batch.labels.data.slice(start * fl, (start + rows) * fl) };
    if (known[i] === version) return { version, x, labels };
    if (sync === "advance" && last && known[i] === last.from) return { version, advance: last, x, labels };
    return { version, state, x, labels };
  };

  const check = (i: number, r: GradientResult): void => {
    const who = `gradient worker ${i}`;
    if (r.version !== version) throw new WorkersError(`${who} answered for state version ${r.version}, not ${version}`);
    if (r.cut.length !== cutTensors.length) throw new WorkersError(`${who} returned ${r.cut.length} partial sums, expected ${cutTensors.length}`);
    r.cut.forEach((t, j) => {
      const want = cutTensors[j]!;
      if (t.data.length !== t.shape.reduce((a, b) => a * b, 1) || t.shape.length !== want.shape.length || t.shape.some((d, k) => d !== want.shape[k])) {
        throw new WorkersError(`${who} returned ${want.name} of shape [${t.shape.join(",")}], expected [${want.shape.join(",")}]`);
      }
    });
    const rows = shards[i]!.rows;
    if (r.logits.shape[0] !== rows || r.logits.data.length !== rows * (logitsShape[1] ?? 1)) {
      throw new WorkersError(`${who} returned logits of shape [${r.logits.shape.join(",")}] for ${rows} rows`);
    }
  };

  const sum = (results: readonly GradientResult[]): Tensor[] =>
    cutTensors.map((t, j) => {
      const out = new Float64Array(results[0]!.cut[j]!.data.length);
      for (const r of results) {
        const d = r.cut[j]!.data;
        for (let k = 0; k < out.length; k++) out[k]! += d[k]!;
      }
      const s = { shape: t.shape, data: out };
      // Exact: every partial sum is an integer and the total is bounded by the full batch's range (< 2^53).
      assertInRange(s, t.range, `batch sum ${t.name} from the workers`);
      return narrow(t, s);
    });

  const concatLogits = (results: readonly GradientResult[]): Tensor => {
    const f32 = results.every((r) => r.logits.data instanceof Float32Array);
    const data = f32 ? new Float32Array(bc.batchSize * (logitsShape[1] ?? 1)) : new Float64Array(bc.batchSize * (logitsShape[1] ?? 1));
    let at = 0;
    for (const r of results) {
      data.set(r.logits.data, at);
      at += r.logits.data.length;
    }
    return { shape: logitsShape, data };
  };

  return {
    backend: "onnx",
    graph,
    async run(state, batch, opts): Promise<StepResult> {
      if (closed) throw new WorkersError("the parallel runner is closed");
      if (opts?.trace) return (single ??= await onnxRunner(graph)).run(state, batch, opts);
      if (busy) throw new WorkersError("run() called while a step is in flight: a parallel runner's steps are sequential");
      if (state.length !== graph.stateIn.length) throw new WorkersError(`the state has ${state.length} tensors, the graph ${graph.stateIn.length}`);
      if (batch.x.shape[0] !== bc.batchSize || batch.labels.shape[0] !== bc.batchSize) {
        throw new WorkersError(`the batch has ${batch.x.shape[0]} rows (labels ${batch.labels.shape[0]}), the graph takes ${bc.batchSize}`);
      }
      busy = true;
      try {
        if (state !== current) {
          // A state this runner did not produce: a new version, sent whole.
          version = versions++;
          current = state;
          last = undefined;
        }
        let results: GradientResult[];
        try {
          results = await Promise.all(workers.map((w, i) => w.gradients(request(i, state, batch))));
          results.forEach((r, i) => check(i, r));
        } catch (e) {
          known.fill(-1);
          throw e;
        }
        known.fill(version);
        const cut = sum(results);
        const next = await update.apply(state, cut);
        last = { from: version, cut };
        version = versions++;
        current = next;
        return { state: next, logits: concatLogits(results) };
      } finally {
        busy = false;
      }
    },
    async close() {
      closed = true;
      await Promise.allSettled([...workers.map((w) => w.close()), update.close(), ...(single ? [single.close()] : [])]);
    },
  };
}
