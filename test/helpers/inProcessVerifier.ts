// A verifier node (verifier/node.ts) running inside a test process on an in-process Hardhat network.
import path from "node:path";
import type { Account, Address, Chain, Client, Transport } from "viem";
import { pino, type Logger } from "pino";
import type { NodeClient } from "../../node/chain.ts";
import type { BackendName } from "../../engine/runner.ts";
import type { VerifierAdversary } from "../../verifier/adversary.ts";
import type { VerifierConfig } from "../../verifier/config.ts";
import { startVerifierNode, type VerifierNode } from "../../verifier/node.ts";

export interface InProcessVerifierOptions {
  readonly client: Client<Transport, Chain, Account>;
  readonly market: Address;
  readonly dataDir: string;
  readonly datasets: readonly string[];
  readonly sampleBps?: number;
  readonly backend?: BackendName;
  readonly pollIntervalMs?: number;
  readonly adversary?: VerifierAdversary;
  readonly log?: Logger;
  /** Serve /health and /metrics (port 0: an ephemeral one); default: off. */
  readonly serve?: { host: string; port: number };
}

export interface InProcessVerifier {
  readonly node: VerifierNode;
  /** Polls the verifier's database until `pred` holds (or throws after `timeoutMs`). */
  until(what: string, pred: (v: VerifierNode) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startInProcessVerifier(o: InProcessVerifierOptions): Promise<InProcessVerifier> {
  const config: VerifierConfig = {
    rpcUrl: "http://in-process.invalid", market: o.market, dataDir: path.resolve(o.dataDir), backend: o.backend ?? "reference",
    accept: { datasets: o.datasets, maxSteps: 100_000, maxSpecBytes: 1 << 20, specTimeoutMs: 10_000 },
    pollIntervalMs: o.pollIntervalMs ?? 20, fromBlock: 0n, logChunk: 2_000, maxStateBytes: 64 << 20, stateTimeoutMs: 5_000,
    ...(o.sampleBps !== undefined ? { sampleBps: o.sampleBps } : {}),
    ...(o.adversary ? { adversary: o.adversary } : {}),
    ...(o.serve ? { serve: o.serve } : {}),
  };
  const controller = new AbortController();
  const node = await startVerifierNode({ config, account: o.client.account, client: o.client as NodeClient, log: o.log ?? pino({ level: "silent" }), signal: controller.signal });
  const running = node.run();
  return {
    node,
    async until(what, pred, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      while (!pred(node)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(node.db.jobs(), (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      controller.abort();
      await running;
      await node.close();
    },
  };
}
