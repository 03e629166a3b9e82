import { chmod, readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { accountFromEnv, KEYSTORE_PASSWORD_ENV, loadAccount, privateKeyFromEnv } from "../../chain/keys.ts";
import type { Logger } from "../../log/logger.ts";
import { KeystoreError } from "../../chain/errors.ts";

/**
 * `veritrain solver start --config <file.json>`: the solver node (solver/node.ts) until SIGINT/SIGTERM; one
 * JSON line per finished job on stdout, pino logs on stderr (with every key-like field redacted).
 * `veritrain solver status --config <file.json> [--json] [--chain]`: what the node's database says about every job.
 * `veritrain solver keystore --out <file>`: encrypts VERITRAIN_PRIVATE_KEY into a Web3 Secret Storage v3 file.
 */
export function registerSolver(program: Command, log: () => Logger, signal: AbortSignal): void {
  const solver = program.command("solver").description("run a solver node: watch the market, bid, train, commit, get paid");
  solver
    .command("start")
    .description("start the solver node with a JSON config (environment overrides: see docs/solver.md); the key comes from VERITRAIN_PRIVATE_KEY or the config's keystore")
    .requiredOption("--config <file>", "the node's JSON config")
    .action(async (f: { config: string }) => {
      // Loaded on use: the node imports the generated contract artifacts.
      const { loadSolverConfig } = await import("../../solver/config.ts");
      const { startSolverNode } = await import("../../solver/node.ts");
      const cfg = await loadSolverConfig(f.config);
      const account = await loadAccount(cfg, process.env, "solver");
      const { nodeLogger } = await import("../../node/logRedact.ts");
      const l = nodeLogger(log(), "solver");
      const node = await startSolverNode({
        config: cfg, account, log: l, signal,
        onJobDone: (r) => process.stdout.write(JSON.stringify(r) + "\n"),
      });
      try {
        await node.run();
      } finally {
        await node.close();
        l.info("solver node stopped");
      }
    });
  solver
    .command("status")
    .description("every job the solver saw: its phase, what it waits for, the price and bond at stake and where they sit, its last error (from its database; --chain adds the pull balance)")
    .requiredOption("--config <file>", "the node's JSON config (for its dataDir)")
    .option("--json", "one JSON object")
    .option("--chain", "also read the node's pull balance on the market from the config's rpcUrl")
    .action(async (f: { config: string; json?: boolean; chain?: boolean }) => {
      const { loadSolverConfig } = await import("../../solver/config.ts");
      const { openSolverDb } = await import("../../solver/db.ts");
      const { solverStatus, formatSolverStatus } = await import("../../solver/status.ts");
      const { printNodeStatus } = await import("./nodeStatus.ts");
      const cfg = await loadSolverConfig(f.config);
      await printNodeStatus(cfg, openSolverDb(cfg.dataDir), f, solverStatus, formatSolverStatus);
    });
  solver
    .command("keystore")
    .description("encrypt VERITRAIN_PRIVATE_KEY into a Web3 Secret Storage v3 keystore (password from VERITRAIN_KEYSTORE_PASSWORD or --password-file)")
    .requiredOption("--out <file>", "where to write the keystore (mode 0600; an existing file is refused)")
    .option("--password-file <file>", "read the password from this file (its trailing newline is dropped)")
    .option("--kdf <name>", "scrypt (default) or pbkdf2", "scrypt")
    .action(async (f: { out: string; passwordFile?: string; kdf: string }) => {
      const { encryptKeystore } = await import("../../chain/keystore.ts");
      if (f.kdf !== "scrypt" && f.kdf !== "pbkdf2") throw new KeystoreError(`--kdf must be scrypt or pbkdf2, got ${JSON.stringify(f.kdf)}`);
      // The key to encrypt: the solver's (a verifier's keystore is made the same way).
      const key = privateKeyFromEnv(process.env, { role: "solver" });
      const account = accountFromEnv(process.env, { role: "solver" });
      let password = process.env[KEYSTORE_PASSWORD_ENV];
      if (f.passwordFile) password = (await readFile(f.passwordFile, "utf8")).replace(/\r?\n$/, "");
      if (!password) throw new KeystoreError(`no password: set ${KEYSTORE_PASSWORD_ENV} or pass --password-file`);
      const ks = encryptKeystore(key, password, { kdf: f.kdf });
      try {
        await writeFile(f.out, JSON.stringify(ks, null, 2) + "\n", { flag: "wx", mode: 0o600 });
      } catch (e) {
        throw new KeystoreError(`cannot write ${f.out}: ${(e as NodeJS.ErrnoException).code === "EEXIST" ? "the file exists (refusing to overwrite a keystore)" : (e as Error).message}`);
      }
      await chmod(f.out, 0o600);
      process.stdout.write(JSON.stringify({ address: account.address, keystore: f.out }) + "\n");
    });
}
