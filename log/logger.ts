import { pino, type Logger } from "pino";
import pretty from "pino-pretty";

/**
 * The project's logger: JSON lines by default (for machines and log shippers), pretty output when stderr
 * is a terminal. Level from VERITRAIN_LOG_LEVEL (default "info"). Logs go to stderr, synchronously (so they
 * interleave correctly with progress bars and results), keeping stdout clean for results and --json.
 */
export function createLogger(name = "veritrain", options: { pretty?: boolean; level?: string } = {}): Logger {
  const level = options.level ?? process.env.VERITRAIN_LOG_LEVEL ?? "info";
  const usePretty = options.pretty ?? (process.stderr.isTTY === true && process.env.VERITRAIN_LOG_JSON !== "1");
  if (usePretty) {
    return pino({ name, level }, pretty({ destination: 2, sync: true, colorize: true, ignore: "pid,hostname", translateTime: "HH:MM:ss.l", singleLine: true }));
  }
  return pino({ name, level }, pino.destination({ dest: 2, sync: true }));
}

export type { Logger };
