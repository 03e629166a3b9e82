import { Worker } from "node:worker_threads";
import { WorkersError } from "./errors.ts";
import type { GradientRequest, GradientResult, GradientWorker, WorkerSetup } from "./protocol.ts";
import type { FromWorker, ToWorker } from "./workerMain.ts";

/**
 * A gradient worker on a node:worker_threads thread of this process, with its own onnxruntime session and
 * intra-op thread budget. A thread that throws outside a request, exits or is terminated fails every pending
 * request with a WorkersError naming it (never a hang), and every later one.
 */
export class LocalGradientWorker implements GradientWorker {
  readonly rows: number;
  readonly name: string;
  /** The thread (tests end it to check that a dying worker fails its requests). */
  readonly thread: Worker;
  /** Settles when the thread has exited. */
  readonly exited: Promise<number>;
  readonly #pending = new Map<number, { resolve: (r: GradientResult) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  #dead: string | undefined;

  private constructor(name: string, setup: WorkerSetup) {
    this.name = name;
    this.rows = setup.rows;
    this.thread = new Worker(new URL("./workerMain.ts", import.meta.url), { workerData: setup, name });
    this.exited = new Promise((resolve) => this.thread.once("exit", resolve));
    this.thread.on("message", (m: FromWorker) => {
      if (m.kind !== "result" && m.kind !== "error") return;
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.kind === "result") p.resolve(m.result);
      else p.reject(new WorkersError(`${this.name} failed: ${m.error}`, { worker: this.name }));
    });
    this.thread.on("error", (e) => this.#die(`crashed: ${e.message}`));
    this.thread.on("exit", (code) => this.#die(`exited (code ${code})`));
  }

  /** Starts the thread and waits until its session is open; rejects with the worker's reason if it cannot. */
  static async start(name: string, setup: WorkerSetup): Promise<LocalGradientWorker> {
    const w = new LocalGradientWorker(name, setup);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m.kind === "ready") done(), resolve();
        else if (m.kind === "failed") done(), reject(new WorkersError(`${name} could not start: ${m.error}`, { worker: name }));
      };
      const onExit = (code: number) => (done(), reject(new WorkersError(`${name} exited while starting (code ${code})`, { worker: name })));
      const onError = (e: Error) => (done(), reject(new WorkersError(`${name} crashed while starting: ${e.message}`, { worker: name })));
      const done = () => {
        w.thread.off("message", onMessage).off("exit", onExit).off("error", onError);
      };
      w.thread.on("message", onMessage).once("exit", onExit).once("error", onError);
    }).catch(async (e: unknown) => {
      await w.close();
      throw e;
    });
    return w;
  }

  gradients(req: GradientRequest): Promise<GradientResult> {
    if (this.#dead) return Promise.reject(new WorkersError(`${this.name} ${this.#dead}`, { worker: this.name }));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.thread.postMessage({ kind: "gradients", id, req } satisfies ToWorker);
    });
  }

  #die(reason: string): void {
    this.#dead ??= reason;
    for (const p of this.#pending.values()) p.reject(new WorkersError(`${this.name} ${reason} with a request in flight`, { worker: this.name }));
    this.#pending.clear();
  }

  /**
   * Asks the thread to finish its request in flight and end (terminating it while onnxruntime runs would abort
   * the process); terminates it only if it has not ended after `graceMs`.
   */
  async close(graceMs = 30_000): Promise<void> {
    const alive = !this.#dead;
    this.#die("was closed");
    if (alive) {
      this.thread.postMessage({ kind: "close" } satisfies ToWorker);
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([this.exited.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(resolve, graceMs, true)))]);
      clearTimeout(timer);
      if (!late) return;
    }
    await this.thread.terminate();
    await this.exited;
  }
}
