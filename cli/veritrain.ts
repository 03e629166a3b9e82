#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { createLogger, type Logger } from "../log/logger.ts";
import { registerChain } from "./commands/chain.ts";
import { registerCharlm } from "./commands/charlm.ts";
import { registerClient } from "./commands/client.ts";
import { registerDemo } from "./commands/demo.ts";
import { registerDeploy } from "./commands/deploy.ts";
import { registerExplorer } from "./commands/explorer.ts";
import { registerExport } from "./commands/export.ts";
import { registerSolver } from "./commands/solver.ts";
import { registerSpec } from "./commands/spec.ts";
import { registerState } from "./commands/state.ts";
import { registerTrain } from "./commands/train.ts";
import { VeritrainError } from "../core/errors.ts";
import { registerVerifier } from "./commands/verifier.ts";
import { describeBigIntDefaults, oneLineErrors } from "./options.ts";
import { versionLine } from "./version.ts";

/**
 * `veritrain <command>`: the one entry point for every role. Errors print one clear line (and exit 1);
 * Ctrl-C aborts running work cleanly (exit 130).
 */
const controller = new AbortController();
let logger: Logger | undefined;
const log = () => (logger ??= createLogger());
process.once("SIGINT", () => controller.abort(new Error("interrupted")));
process.once("SIGTERM", () => controller.abort(new Error("terminated")));

const program = new Command()
  .name("veritrain")
  .description("verifiable ML training: deterministic integer engine, Merkle commitments, on-chain disputes")
  .version(versionLine(), "-V, --version", "print the version of veritrain and of Node")
  .exitOverride();

registerDemo(program, log, controller.signal);
registerTrain(program, log, controller.signal);
registerSpec(program);
registerCharlm(program, log, controller.signal);
registerState(program);
registerExport(program);
registerDeploy(program, log);
registerChain(program, log, controller.signal);
registerClient(program, log, controller.signal);
registerSolver(program, log, controller.signal);
registerVerifier(program, log, controller.signal);
registerExplorer(program, log, controller.signal);
describeBigIntDefaults(program);
oneLineErrors(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode;
  } else if (controller.signal.aborted) {
    process.stderr.write("veritrain: interrupted\n");
    process.exitCode = 130;
  } else if (e instanceof VeritrainError) {
    process.stderr.write(`veritrain: ${e.name}: ${e.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`veritrain: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
