import type { Command } from "commander";
import type { Logger } from "../../log/logger.ts";

/**
 * `veritrain verifier start --config <file.json>`: the verifier node (verifier/node.ts) until SIGINT/SIGTERM;
 * pino logs on stderr (every key-like field redacted).
 * `veritrain verifier status --config <file.json> [--json]`: what the node's database says about every job.
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
    .description("every job the verifier saw: its phase, sampled intervals and checks, games, gas (from its database; no chain access)")
    .requiredOption("--config <file>", "the node's JSON config (for its dataDir)")
    .option("--json", "one JSON object")
    .action(async (f: { config: string; json?: boolean }) => {
      const { loadVerifierConfig } = await import("../../verifier/config.ts");
      const { openVerifierDb } = await import("../../verifier/db.ts");
      const { verifierStatus, formatVerifierStatus } = await import("../../verifier/status.ts");
      const cfg = await loadVerifierConfig(f.config);
      const db = openVerifierDb(cfg.dataDir);
      try {
        const s = verifierStatus(db);
        process.stdout.write(f.json ? JSON.stringify(s) + "\n" : formatVerifierStatus(s));
      } finally {
        db.close();
      }
    });
}
