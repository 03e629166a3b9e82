import type { Logger } from "../log/logger.ts";

/**
 * The solver's logger: a child of the project logger that censors every key-like field wherever it appears
 * (a defence in depth: no code path logs the key, and tests grep the logs for it).
 */
export const REDACT_PATHS = [
  "privateKey", "*.privateKey", "key", "*.key", "password", "*.password", "secret", "*.secret", "mnemonic", "*.mnemonic", "env", "*.env",
];

export function solverLogger(base: Logger): Logger {
  return base.child({ role: "solver" }, { redact: { paths: REDACT_PATHS, censor: "[redacted]" } });
}
