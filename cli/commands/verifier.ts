import type { Command } from "commander";
import type { Logger } from "../../log/logger.ts";

/**
 * `veritrain verifier start --config <file.json>`: the verifier node (verifier/node.ts) until SIGINT/SIGTERM;
 * pino logs on stderr (every key-like field redacted).
 * `veritrain verifier status --config <file.json> [--json] [--chain]`: what the node's database says about every job.
 */
export function registerVerifier(program: Command, log: () => Logger, signal: AbortSignal): void {
  const verifier = program.command("verifier").description("run a verifier node: watch committed jobs, re-execute sampled intervals, challenge wrong ones");
  verifier
    .command("start")
    .description("start the verifier node with a JSON config (environment overrides: see docs/verifier.md); the key comes from VERITRAIN_PRIVATE_KEY or the config's keystore")
    .requiredOption("--config <file>", "the node's JSON config")
    .action(async (f: { config: string }) => {
      // Loaded on use: the node imports the generated contract artifacts.
      const { loadVerifierConfig } = await import("../../verifier/config.ts");
      const { loadAccount } = await import("../../chain/keys.ts");
      const { startVerifierNode } = await import("../../verifier/node.ts");
      const { nodeLogger } = await import("../../node/logRedact.ts");
      const cfg = await loadVerifierConfig(f.config);
      const account = await loadAccount(cfg, process.env, "verifier");
      const l = nodeLogger(log(), "verifier");
      const node = await startVerifierNode({ config: cfg, account, log: l, signal });
      try {
        await node.run();
      } finally {
        await node.close();
        l.info("verifier node stopped");
      }
    });
  verifier
    .command("status")
    .description("every job the verifier saw: its phase, what it waits for, its checks and games, the bonds at stake and where they sit, its last error (from its database; --chain adds the pull balance)")
    .requiredOption("--config <file>", "the node's JSON config (for its dataDir)")
    .option("--json", "one JSON object")
    .option("--chain", "also read the node's pull balance on the market from the config's rpcUrl")
    .action(async (f: { config: string; json?: boolean; chain?: boolean }) => {
      const { loadVerifierConfig } = await import("../../verifier/config.ts");
      const { openVerifierDb } = await import("../../verifier/db.ts");
      const { verifierStatus, formatVerifierStatus } = await import("../../verifier/status.ts");
      const { printNodeStatus } = await import("./nodeStatus.ts");
      const cfg = await loadVerifierConfig(f.config);
      await printNodeStatus(cfg, openVerifierDb(cfg.dataDir), f, verifierStatus, formatVerifierStatus);
    });
}
