#!/usr/bin/env node
/**
 * The solver node as its own process (this slice: one first-come job, happy path):
 *
 *   VERITRAIN_PRIVATE_KEY=0x... node solver/main.ts --rpc-url URL --market ADDR --job ID --data-dir DIR [--backend onnx|reference]
 *       [--serve [--serve-host 127.0.0.1] [--serve-port 0]]
 *
 * The spec comes from the job's spec URI (a file:// URL of a spec JSON for now), the dataset is the shipped
 * MNIST training split; both are checked against the job's commitments before the job is taken. The key is
 * read from the environment only and never logged. Logs: pino JSON lines on stderr; the result: one JSON line
 * on stdout. Exit code 0 on success, 1 on a typed error (one line), 130 when interrupted.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type Address, createWalletClient, defineChain, getAddress, http, isAddress, publicActions } from "viem";
import { getContractEvents } from "viem/actions";
import { fetchChainId } from "../chain/deploy.ts";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { accountFromEnv, parseRpcUrl } from "../cli/commands/deploy.ts";
import { VeritrainError } from "../engine/errors.ts";
import { loadMnist } from "../engine/mnist.ts";
import { parseSpec, type TrainingSpec } from "../engine/spec.ts";
import { createLogger } from "../log/logger.ts";
import { SolverError } from "./errors.ts";
import { runJob } from "./runJob.ts";
import { startStoreServer } from "./server.ts";
import { openStore } from "./store.ts";

const controller = new AbortController();
process.once("SIGINT", () => controller.abort(new Error("interrupted")));
process.once("SIGTERM", () => controller.abort(new Error("terminated")));
const log = createLogger("veritrain").child({ role: "solver" });

async function loadSpec(uri: string): Promise<TrainingSpec> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new SolverError(`spec URI ${JSON.stringify(uri)} is not a URL`);
  }
  if (url.protocol !== "file:") throw new SolverError(`spec URI scheme ${url.protocol} is not supported yet (only file://)`);
  let text: string;
  try {
    text = await readFile(fileURLToPath(url), "utf8");
  } catch (e) {
    throw new SolverError(`cannot read the spec at ${uri}: ${(e as Error).message}`);
  }
  try {
    return parseSpec(JSON.parse(text));
  } catch (e) {
    if (e instanceof SyntaxError) throw new SolverError(`the spec at ${uri} is not JSON: ${e.message}`);
    throw e;
  }
}

async function main(): Promise<void> {
  const { values: f } = parseArgs({
    options: {
      "rpc-url": { type: "string" }, market: { type: "string" }, job: { type: "string" }, "data-dir": { type: "string" },
      backend: { type: "string", default: "onnx" }, "poll-ms": { type: "string", default: "500" },
      serve: { type: "boolean", default: false }, "serve-host": { type: "string", default: "127.0.0.1" }, "serve-port": { type: "string", default: "0" },
    },
    strict: true,
  });
  for (const k of ["rpc-url", "market", "job", "data-dir"] as const) if (!f[k]) throw new SolverError(`--${k} is required`);
  if (!isAddress(f.market!, { strict: false })) throw new SolverError(`--market must be an address, got ${JSON.stringify(f.market)}`);
  if (!/^[0-9]+$/.test(f.job!)) throw new SolverError(`--job must be a job id (a positive integer), got ${JSON.stringify(f.job)}`);
  if (f.backend !== "onnx" && f.backend !== "reference") throw new SolverError(`--backend must be onnx or reference, got ${JSON.stringify(f.backend)}`);
  if (!/^[0-9]+$/.test(f["serve-port"]!) || Number(f["serve-port"]) > 65_535) throw new SolverError(`--serve-port must be a port (0-65535), got ${JSON.stringify(f["serve-port"])}`);
  const account = accountFromEnv();
  const url = parseRpcUrl(f["rpc-url"]!);
  const market = getAddress(f.market!) as Address;
  const jobId = BigInt(f.job!);
  const transport = http(url.href, { retryCount: 1, timeout: 30_000 });
  const chainId = await fetchChainId(createWalletClient({ transport }).extend(publicActions));
  const chain = defineChain({ id: chainId, name: `chain ${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [url.href] } } });
  const client = createWalletClient({ chain, transport, account, pollingInterval: 200 });
  log.info({ chainId, solver: account.address, market, jobId: jobId.toString() }, "solver starting");

  const [posted] = await getContractEvents(client, { address: market, abi: jobMarketAbi, eventName: "JobPosted", args: { jobId }, fromBlock: 0n, toBlock: "latest" });
  if (!posted) throw new SolverError(`no JobPosted event for job ${jobId} on ${market}`);
  const spec = await loadSpec(posted.args.params!.specURI);
  const data = loadMnist();
  // --serve: the checkpoint store over HTTP (solver/server.ts); the committed model URI is then an http:// URL,
  // and the process keeps serving after the job until SIGINT/SIGTERM (exit code 0).
  const server = f.serve
    ? await startStoreServer({ store: await openStore(f["data-dir"]!), host: f["serve-host"]!, port: Number(f["serve-port"]), log })
    : undefined;
  try {
    const result = await runJob({
      client, market, jobId, spec, dataset: data.train, dataDir: f["data-dir"]!, backend: f.backend, ...(server ? { modelBaseUrl: server.url } : {}), pollIntervalMs: Number(f["poll-ms"]), signal: controller.signal,
      onProgress: (e) => {
        switch (e.phase) {
          case "train": return log.info({ step: e.step, steps: e.steps, loss: Number(e.loss.toFixed(4)) }, "training");
          case "checkpoint": return log.debug({ step: e.step, root: e.root }, "checkpoint stored");
          case "waiting": return log.info({ deadline: e.deadline.toString() }, "committed; waiting for the challenge window to pass");
          case "withdraw": return log.info({ tx: e.hash, gasUsed: e.gasUsed.toString(), amount: e.amount.toString() }, "withdrawn");
          case "commit": return log.info({ tx: e.hash, gasUsed: e.gasUsed.toString(), historyRoot: e.historyRoot, finalRoot: e.finalRoot, modelURI: e.modelURI }, "result committed");
          default: return log.info({ tx: e.hash, gasUsed: e.gasUsed.toString() }, e.phase === "take" ? "job taken" : "job finalized");
        }
      },
    });
    log.info({ gasUsed: result.gasUsed.toString(), trainSeconds: Number(result.trainSeconds.toFixed(2)) }, "job done");
    process.stdout.write(JSON.stringify({
      jobId: jobId.toString(), historyRoot: result.historyRoot, finalRoot: result.finalRoot, checkpoints: result.checkpointCount, modelURI: result.modelURI,
      price: result.price.toString(), withdrawn: result.withdrawn.toString(), gasUsed: result.gasUsed.toString(), feesWei: result.feesWei.toString(),
      trainSeconds: result.trainSeconds, transactions: result.receipts.map((r) => r.transactionHash),
    }) + "\n");
    if (server) {
      log.info({ url: server.url }, "serving the checkpoint store until SIGINT/SIGTERM");
      const signal = controller.signal;
      if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      log.info("stopping the store server");
    }
  } finally {
    await server?.close();
  }
}

try {
  await main();
} catch (e) {
  if (controller.signal.aborted) {
    process.stderr.write("veritrain-solver: interrupted\n");
    process.exitCode = 130;
  } else if (e instanceof VeritrainError) {
    process.stderr.write(`veritrain-solver: ${e.name}: ${e.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`veritrain-solver: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
