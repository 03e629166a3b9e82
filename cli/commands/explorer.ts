import { type Command, InvalidArgumentError } from "commander";
import { connect } from "../../chain/connect.ts";
import type { Logger } from "../../log/logger.ts";
import { addressArg, positiveInt } from "../options.ts";
import { blockArg } from "./client.ts";

/**
 * `veritrain explorer --rpc-url URL --market ADDR [--port P] [--host H]`: a read-only web page of the market
 * (explorer/), served locally until Ctrl-C: the network, each job (spec, auction, checkpoints, attestations,
 * disputes, payments, the verified training curve) and each dispute game, live. The URL goes to stdout.
 */
interface ExplorerFlags {
  rpcUrl: string;
  market: `0x${string}`;
  chainId?: number;
  port: number;
  host: string;
  fromBlock?: bigint;
  heldout?: string[];
  pollMs: number;
}

function hostArg(v: string): string {
  if (!/^[A-Za-z0-9.:[\]-]{1,253}$/.test(v)) throw new InvalidArgumentError(`--host must be a host name or IP address like 127.0.0.1 or 0.0.0.0, got "${v}"`);
  return v.replace(/^\[(.*)\]$/, "$1");
}

export function registerExplorer(program: Command, log: () => Logger, signal: AbortSignal): void {
  program
    .command("explorer")
    .description("serve a read-only web page of a market: jobs, solvers, verifiers, disputes (live), verified training curves")
    .requiredOption("--rpc-url <url>", "JSON-RPC endpoint (http or https)")
    .requiredOption("--market <address>", "the JobMarket's address", addressArg("--market"))
    .option("--chain-id <n>", "refuse to run unless the endpoint serves this chain", positiveInt("--chain-id"))
    .option("--port <n>", "the page's port", positiveInt("--port", 65_535), 8700)
    .option("--host <host>", "the address to listen on (0.0.0.0 to reach it from other machines)", hostArg, "127.0.0.1")
    .option("--from-block <n>", "read events from this block (the market's deployment block on a long chain)", blockArg)
    .option("--heldout <file...>", "dataset files (.vtds) to score training curves on, besides the shipped MNIST held-out split")
    .option("--poll-ms <n>", "how often to read the chain", positiveInt("--poll-ms", 3_600_000), 1_000)
    .showHelpAfterError(false)
    .action(async (f: ExplorerFlags) => {
      // Loaded on use: the explorer imports the generated contract artifacts.
      const { startExplorer, mnistHeldout, heldoutFromFile } = await import("../../explorer/start.ts");
      const heldout = [mnistHeldout(), ...(await Promise.all((f.heldout ?? []).map(heldoutFromFile)))];
      const { publicClient } = await connect({ rpcUrl: f.rpcUrl, chainId: f.chainId, pollingIntervalMs: 500 });
      const l = log();
      const x = await startExplorer({ client: publicClient, market: f.market, host: f.host, port: f.port, heldout, pollMs: f.pollMs, log: l, ...(f.fromBlock !== undefined ? { fromBlock: f.fromBlock } : {}) }, signal);
      l.info({ url: x.url, market: f.market, block: x.explorer.index.head?.block.toString() }, "explorer serving");
      process.stdout.write(`explorer at ${x.url}\n`);
      await x.running;
      l.info({}, "explorer stopped");
    });
}
