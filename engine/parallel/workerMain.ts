import { parentPort, workerData } from "node:worker_threads";
import type { GradientRequest, GradientResult, WorkerSetup } from "./protocol.ts";
import { ShardServer } from "./shardServer.ts";

/**
 * A gradient worker thread (localWorker.ts starts it): opens a ShardServer on the setup in workerData, says
 * "ready" (or why it could not), then answers each { id, req } with { id, result } or { id, error }, one at a
 * time. On "close" it finishes the request in flight, releases its sessions and lets the thread end: a thread
 * must not be terminated while onnxruntime runs in it (the native binding aborts the whole process).
 */
export type ToWorker = { readonly kind: "gradients"; readonly id: number; readonly req: GradientRequest } | { readonly kind: "close" };
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
  // The starting side ends the thread on this answer.
  post({ kind: "failed", error: (e as Error).message });
}
if (server) {
  const s = server;
  let queue = Promise.resolve();
  port.on("message", (m: ToWorker) => {
    if (m.kind === "close") {
      queue = queue.then(() => s.close()).finally(() => port.close());
      return;
    }
    queue = queue.then(() => s.gradients(m.req).then(
      (result) => postResult(m.id, result),
      (e: unknown) => post({ kind: "error", id: m.id, error: (e as Error).message }),
    ));
  });
  post({ kind: "ready" });
}
