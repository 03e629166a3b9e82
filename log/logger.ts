import { pino, type Logger } from "pino";

/**
 * The project's logger: JSON lines by default (for machines and log shippers), pretty output when stderr
 * is a terminal. Level from VERITRAIN_LOG_LEVEL (default "info"). Logs go to stderr so that a command's
 * stdout stays clean for its result (and for --json).
 */
export function createLogger(name = "veritrain", options: { pretty?: boolean; level?: string } = {}): Logger {
  const level = options.level ?? process.env.VERITRAIN_LOG_LEVEL ?? "info";
  const pretty = options.pretty ?? (process.stderr.isTTY === true && process.env.VERITRAIN_LOG_JSON !== "1");
  if (pretty) {
    return pino({
      name, level,
      transport: { target: "pino-pretty", options: { destination: 2, colorize: true, ignore: "pid,hostname", translateTime: "HH:MM:ss.l" } },
    });
  }
  return pino({ name, level }, pino.destination({ dest: 2, sync: true }));
}

export type { Logger };
