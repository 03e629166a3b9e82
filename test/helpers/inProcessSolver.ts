// An honest solver node (solver/node.ts, the production lifecycle) running inside a test process on an
// in-process Hardhat network: the tests that need "a solver that takes, trains, commits, finalizes and
// withdraws" use the node itself, so there is one job lifecycle. The test moves the chain's clock.
import path from "node:path";
import type { Account, Address, Chain, Client, Transport } from "viem";
import { pino, type Logger } from "pino";
import { publishDataset } from "../../content/publishDataset.ts";
import { publishSpec } from "../../content/publishSpec.ts";
import type { Dataset } from "../../engine/batch.ts";
import type { BackendName } from "../../engine/runner.ts";
import type { TrainingSpec } from "../../engine/spec.ts";
import type { SolverAdversary } from "../../solver/adversary.ts";
import type { SolverConfig } from "../../solver/config.ts";
import { type JobReport, type SolverNode, startSolverNode } from "../../solver/node.ts";
import type { NodeClient } from "../../node/chain.ts";

/** Publishes a spec and a dataset under `dir` (content-addressed files): the spec URI to post, the dataset file to accept. */
export async function publishForSolver(dir: string, spec: TrainingSpec, dataset: Dataset): Promise<{ specURI: string; datasetFile: string }> {
  const s = await publishSpec({ spec, dir });
  const d = await publishDataset({ dataset, dir });
  return { specURI: s.uri, datasetFile: d.path };
}

export interface InProcessSolverOptions {
  /** A Hardhat wallet client (its account signs). */
  readonly client: Client<Transport, Chain, Account>;
  readonly market: Address;
  readonly dataDir: string;
  /** Dataset files or names it accepts (publishForSolver's datasetFile). */
  readonly datasets: readonly string[];
  readonly backend?: BackendName;
  readonly pollIntervalMs?: number;
  readonly publicUrl?: string;
  readonly fromBlock?: bigint;
  /** Test-only cheating (solver/adversary.ts). */
  readonly adversary?: SolverAdversary;
  /** Default: silent. */
  readonly log?: Logger;
}

export interface InProcessSolver {
  readonly node: SolverNode;
  /** Resolves with the report of the next job that reaches a terminal status. */
  nextReport(): Promise<JobReport>;
  stop(): Promise<void>;
}

export async function startInProcessSolver(o: InProcessSolverOptions): Promise<InProcessSolver> {
  const config: SolverConfig = {
    rpcUrl: "http://in-process.invalid", market: o.market, dataDir: path.resolve(o.dataDir), backend: o.backend ?? "reference",
    accept: { datasets: o.datasets, maxSteps: 100_000, maxSpecBytes: 1 << 20, specTimeoutMs: 10_000 },
    pollIntervalMs: o.pollIntervalMs ?? 20, fromBlock: o.fromBlock ?? 0n, logChunk: 2_000,
    pricing: { minWeiPerStep: 0n, openingBidBps: 10_000, undercutBps: 100 },
    serve: { host: "127.0.0.1", port: 0, ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}) }, maxConcurrentJobs: 1,
    ...(o.adversary ? { adversary: o.adversary } : {}),
  };
  const reports: JobReport[] = [];
  const waiters: ((r: JobReport) => void)[] = [];
  const controller = new AbortController();
  const node = await startSolverNode({
    config, account: o.client.account as never, client: o.client as NodeClient, log: o.log ?? pino({ level: "silent" }), signal: controller.signal,
    onJobDone: (r) => {
      const w = waiters.shift();
      if (w) w(r);
      else reports.push(r);
    },
  });
  const running = node.run();
  return {
    node,
    nextReport: () => new Promise<JobReport>((resolve) => {
      const r = reports.shift();
      if (r) resolve(r);
      else waiters.push(resolve);
    }),
    async stop() {
      controller.abort();
      await running;
      await node.close();
    },
  };
}
