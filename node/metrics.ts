import { BaseError, RpcRequestError } from "viem";
import { Counter, Gauge, Registry } from "prom-client";
import { isTransportError } from "../chain/errors.ts";
import type { GameRow } from "./db.ts";

/**
 * A node's Prometheus metrics (prom-client), the same names for both roles (a `role` label tells them apart):
 * jobs by phase, disputes by status, gas and fees spent, wei withdrawn and earned, the last block seen and how
 * long ago, the waits in progress, and RPC errors by kind. Everything but the RPC error counter is read from
 * the node's database at scrape time, so the numbers survive a restart and never drift from what status
 * prints. Wei amounts are floats here (Prometheus has no integers): exact figures are in `status --json`.
 */
export interface MetricsSource {
  readonly role: "solver" | "verifier";
  /** Every phase of the role (zero included, so a phase that empties reads 0, not stale). */
  readonly phases: readonly string[];
  jobs(): readonly { readonly status: string }[];
  games(): readonly GameRow[];
  spent(): { gasUsed: bigint; feesWei: bigint };
  /** Everything the node withdrew from the market (bonds returned included). */
  withdrawnWei(): bigint;
  /** What the node earned: the solver's price of the jobs it was paid for, the verifier's rewards. */
  earnedWei(): bigint;
  waits(): number;
}

/** The latest block a node has seen and when (ms since the epoch; 0 before the first): its market watcher. */
export interface ChainHead {
  readonly lastBlock: bigint | undefined;
  readonly lastBlockAt: number;
}

export class NodeMetrics {
  readonly registry = new Registry();
  readonly #rpcErrors: Counter<"role" | "kind">;
  readonly #role: string;
  #head: ChainHead = { lastBlock: undefined, lastBlockAt: 0 };

  constructor(src: MetricsSource) {
    const registers = [this.registry];
    const role = (this.#role = src.role);
    const head = () => this.#head;
    new Gauge({
      name: "veritrain_jobs", help: "Jobs in the node's database by phase", labelNames: ["role", "phase"], registers,
      collect() {
        const n = new Map(src.phases.map((p) => [p, 0]));
        for (const j of src.jobs()) n.set(j.status, (n.get(j.status) ?? 0) + 1);
        for (const [phase, v] of n) this.set({ role, phase }, v);
      },
    });
    new Gauge({
      name: "veritrain_disputes", help: "Dispute games the node plays or played, by status (open, won, lost, aborted)", labelNames: ["role", "status"], registers,
      collect() {
        const n = new Map(["open", "won", "lost", "aborted"].map((s) => [s, 0]));
        for (const g of src.games()) n.set(g.status, (n.get(g.status) ?? 0) + 1);
        for (const [status, v] of n) this.set({ role, status }, v);
      },
    });
    new Gauge({ name: "veritrain_gas_used", help: "Gas used by every transaction the node sent (disputes included)", labelNames: ["role"], registers, collect() { this.set({ role }, Number(src.spent().gasUsed)); } });
    new Gauge({ name: "veritrain_fees_wei", help: "Fees paid for the node's transactions (wei)", labelNames: ["role"], registers, collect() { this.set({ role }, Number(src.spent().feesWei)); } });
    new Gauge({ name: "veritrain_withdrawn_wei", help: "Wei withdrawn from the market (bonds returned included)", labelNames: ["role"], registers, collect() { this.set({ role }, Number(src.withdrawnWei())); } });
    new Gauge({ name: "veritrain_earned_wei", help: "Wei earned: the solver's prices paid, the verifier's dispute rewards", labelNames: ["role"], registers, collect() { this.set({ role }, Number(src.earnedWei())); } });
    new Gauge({
      name: "veritrain_last_block", help: "The latest block number the node has seen", labelNames: ["role"], registers,
      collect() {
        const b = head().lastBlock;
        if (b !== undefined) this.set({ role }, Number(b));
      },
    });
    new Gauge({
      name: "veritrain_last_block_age_seconds", help: "Seconds since the node last saw a new block (a chain without traffic mines none)", labelNames: ["role"], registers,
      collect() {
        const at = head().lastBlockAt;
        if (at > 0) this.set({ role }, (Date.now() - at) / 1000);
      },
    });
    new Gauge({ name: "veritrain_waits", help: "Waits in progress (each logged with what ends it; see status)", labelNames: ["role"], registers, collect() { this.set({ role }, src.waits()); } });
    this.#rpcErrors = new Counter({ name: "veritrain_rpc_errors_total", help: "RPC requests that failed: transport (no answer, timeout, HTTP error) or rpc (a JSON-RPC error other than a revert)", labelNames: ["role", "kind"], registers });
    for (const kind of ["transport", "rpc"]) this.#rpcErrors.inc({ role, kind }, 0);
  }

  /** Reads the last block from `h` (the market watcher, wired after the metrics). */
  follow(h: ChainHead): void {
    this.#head = h;
  }

  /** Counts a failed RPC request (a revert is the contract's answer, not an RPC error: not counted). */
  rpcError(e: unknown): void {
    const kind = rpcErrorKind(e);
    if (kind) this.#rpcErrors.inc({ role: this.#role, kind });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** transport (the endpoint did not answer properly), rpc (it answered a JSON-RPC error that is not a revert), or undefined. */
export function rpcErrorKind(e: unknown): "transport" | "rpc" | undefined {
  if (isTransportError(e)) return "transport";
  const r = e instanceof BaseError ? (e.walk((x) => x instanceof RpcRequestError) as RpcRequestError | null) : null;
  if (!r) return undefined;
  return r.code === 3 || /revert/i.test(r.details) ? undefined : "rpc";
}
