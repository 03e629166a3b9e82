import type { Logger } from "../log/logger.ts";

/**
 * A node's logger: a child of the project logger with the node's role that censors every key-like field
 * wherever it appears (a defence in depth: no code path logs the key, and tests grep the logs for it).
 */
export const REDACT_PATHS = [
  "privateKey", "*.privateKey", "key", "*.key", "password", "*.password", "secret", "*.secret", "mnemonic", "*.mnemonic", "env", "*.env",
];

export function nodeLogger(base: Logger, role: "solver" | "verifier"): Logger {
  return base.child({ role }, { redact: { paths: REDACT_PATHS, censor: "[redacted]" } });
}
