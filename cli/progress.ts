import cliProgress from "cli-progress";
import type { Logger } from "../log/logger.ts";

/**
 * Progress of long work: a bar on an interactive terminal, otherwise a log line every `logEvery` fraction
 * (so CI logs and JSON log collectors still see the work advance).
 */
export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

export function createProgress(log: Logger, label: string, total: number, logEvery = 0.1): Progress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} | {info}`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: "" });
    return {
      update: (done, fields) => bar.update(done, { info: fields ? Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(" ") : "" }),
      stop: () => bar.stop(),
    };
  }
  let next = 0;
  const stride = Math.max(1, Math.floor(total * logEvery));
  return {
    update(done, fields) {
      if (done >= next || done === total) {
        log.info({ progress: label, done, total, ...fields }, label);
        next = done + stride;
      }
    },
    stop() {},
  };
}
