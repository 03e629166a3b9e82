import { parentPort, workerData } from "node:worker_threads";
import type { GradientRequest, GradientResult, WorkerSetup } from "./protocol.ts";
import { ShardServer } from "./shardServer.ts";

/**
 * A gradient worker thread (localWorker.ts starts it): opens a ShardServer on the setup in workerData, says
 * "ready" (or why it could not), then answers each { id, req } with { id, result } or { id, error }.
 */
export type ToWorker = { readonly id: number; readonly req: GradientRequest };
export type FromWorker =
  | { readonly kind: "ready" }
  | { readonly kind: "failed"; readonly error: string }
  | { readonly kind: "result"; readonly id: number; readonly result: GradientResult }
  | { readonly kind: "error"; readonly id: number; readonly error: string };

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);

/** Moves the result's buffers instead of copying them; copies when a buffer cannot be moved. */
function postResult(id: number, result: GradientResult): void {
  const buffers = [...new Set([...result.cut, result.logits].map((t) => t.data.buffer))];
  try {
    port.postMessage({ kind: "result", id, result } satisfies FromWorker, buffers as ArrayBuffer[]);
  } catch {
    post({ kind: "result", id, result });
  }
}
let server: ShardServer | undefined;
try {
  server = await ShardServer.open(workerData as WorkerSetup);
} catch (e) {
  // The starting side terminates the thread on this answer.
  post({ kind: "failed", error: (e as Error).message });
}
if (server) {
  const s = server;
  // Requests are sequential per worker (the coordinator awaits each step), so no queue is needed here.
  port.on("message", (m: ToWorker) => {
    s.gradients(m.req).then(
      (result) => postResult(m.id, result),
      (e: unknown) => post({ kind: "error", id: m.id, error: (e as Error).message }),
    );
  });
  post({ kind: "ready" });
}
