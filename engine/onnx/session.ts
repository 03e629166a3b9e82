import * as ort from "onnxruntime-node";
import type { IntArray, Tensor } from "../tensor.ts";
import type { FloatType, LoweredGraph } from "./lower.ts";

/** onnxruntime sessions for lowered graphs, and feeding/reading the engine's tensors without copies. */
export interface SessionOptions {
  /** Threads for one op (onnxruntime's intra-op pool); results do not depend on it. */
  readonly threads?: number;
}

export function openSession(lowered: Pick<LoweredGraph, "bytes">, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(lowered.bytes, {
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    intraOpNumThreads: options.threads ?? 0,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  });
}

/** Wraps a tensor for onnxruntime; copies only when the element type differs. */
export function toOrt(t: Tensor, type: FloatType): ort.Tensor {
  const want = type === "float32" ? Float32Array : Float64Array;
  const data: IntArray = t.data instanceof want ? t.data : want.from(t.data);
  return new ort.Tensor(type, data, t.shape as number[]);
}

/** Runs a lowered graph on the given input tensors (by graph tensor id); returns its outputs by id. */
export async function runLowered(session: ort.InferenceSession, lowered: LoweredGraph, shapes: readonly (readonly number[])[], inputs: ReadonlyMap<number, Tensor>): Promise<Map<number, Tensor>> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [id, t] of inputs) feeds[lowered.names[id]!] = toOrt(t, lowered.types[id]!);
  const out = await session.run(feeds);
  const byId = new Map<number, Tensor>();
  for (const id of lowered.outputIds) byId.set(id, { shape: shapes[id]!, data: out[lowered.names[id]!]!.data as IntArray });
  return byId;
}
