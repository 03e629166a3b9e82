import type { Logger } from "../log/logger.ts";
import { sleep } from "../core/sleep.ts";
import type { Waits } from "./waits.ts";

/**
 * The skeleton every long-running veritrain node is built on (the solver and the verifier), in the manner of
 * Lodestar's beacon node: the role's `init` creates its modules in dependency order and `add`s each one (each
 * with its own child logger); `run` calls every module's `tick` in that order once per poll until the shared
 * AbortSignal fires; `close` closes the modules in reverse order. A module's failed tick is logged with its
 * name and retried on the next poll: one module's trouble never stops the others.
 */
export interface NodeModule {
  readonly name: string;
  /** One round of work; called once per poll, in the order the modules were added. */
  tick?(): Promise<void>;
  /** Stops background work and releases what the module holds. Called once, in reverse order. */
  close?(): Promise<void>;
}

export interface NodeOptions {
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly pollIntervalMs: number;
  /** Where a module's failed ticks are logged as waits (once a minute while it keeps failing); else every failure is. */
  readonly waits?: Waits;
}

export class Node {
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly pollIntervalMs: number;
  readonly #waits: Waits | undefined;
  readonly #modules: NodeModule[] = [];
  #closed = false;

  constructor(o: NodeOptions) {
    this.log = o.log;
    this.signal = o.signal;
    this.pollIntervalMs = o.pollIntervalMs;
    this.#waits = o.waits;
  }

  /** A child logger for module `name` (every line carries `module: name`). */
  logger(name: string): Logger {
    return this.log.child({ module: name });
  }

  /** Adds a module (after the ones it depends on); returns it for wiring. */
  add<M extends NodeModule>(m: M): M {
    this.#modules.push(m);
    return m;
  }

  get modules(): readonly NodeModule[] {
    return this.#modules;
  }

  /** One poll: every module's tick, in order. */
  async tick(): Promise<void> {
    for (const m of this.#modules) {
      if (this.signal.aborted) return;
      if (!m.tick) continue;
      try {
        await m.tick();
        this.#waits?.done(`module:${m.name}`);
      } catch (e) {
        if (this.signal.aborted) return;
        const fields = { module: m.name, err: (e as Error).message };
        const message = `${m.name} failed; retrying on the next poll`;
        if (this.#waits) this.#waits.waiting(`module:${m.name}`, `${message} (${fields.err})`, fields, "warn");
        else this.log.warn(fields, message);
      }
    }
  }

  /** Polls until the signal aborts. */
  async run(): Promise<void> {
    while (!this.signal.aborted) {
      await this.tick();
      await sleep(this.pollIntervalMs, this.signal);
    }
  }

  /** Closes every module, last added first; errors are logged, never thrown (every module gets its close). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const m of [...this.#modules].reverse()) {
      try {
        await m.close?.();
      } catch (e) {
        this.log.error({ module: m.name, err: (e as Error).message }, `${m.name} did not close cleanly`);
      }
    }
  }
}

/**
 * One module's pass over the node's jobs, in order, until the signal aborts. A job whose step throws is
 * logged with its id and status and tried again on the next poll: one job's trouble (a transaction that
 * keeps reverting, an RPC error) never holds up the jobs after it, as a failure of the whole tick would,
 * poll after poll. With `waits`, the failure is recorded as the job's last error (status shows it, cleared once
 * the module's step on that job succeeds) and logged as a wait: at once, then once a minute while it repeats.
 */
export async function forEachJob<R extends { readonly jobId: bigint; readonly status: string }>(
  ctx: { readonly signal: AbortSignal; readonly log: Logger; readonly waits?: Waits },
  module: string,
  rows: readonly R[],
  step: (row: R) => Promise<void> | void,
): Promise<void> {
  for (const row of rows) {
    if (ctx.signal.aborted) return;
    try {
      await step(row);
      ctx.waits?.succeeded(row.jobId, module);
      ctx.waits?.done(`${module}-retry:${row.jobId}`);
    } catch (e) {
      if (ctx.signal.aborted) return;
      const fields = { module, jobId: row.jobId.toString(), status: row.status, err: (e as Error).message };
      const message = `${module} failed on job ${row.jobId}; retrying on the next poll`;
      if (!ctx.waits) {
        ctx.log.warn(fields, message);
        continue;
      }
      ctx.waits.failed(row.jobId, module, fields.err);
      // A step that keeps failing (an RPC down, a transaction that keeps reverting) is a wait: one line a minute.
      ctx.waits.waiting(`${module}-retry:${row.jobId}`, message, fields, "warn");
    }
  }
}
