import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A veritrain node (`veritrain solver|verifier start --config <file>`) as a child process, for the demo and
 * the end-to-end tests: its stderr log lines (pino JSON) and stdout report lines are collected and parsed,
 * and callers wait on predicates over them (with a time limit, and a clear error when the process exits).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CLI = path.join(ROOT, "cli", "veritrain.ts");

export type Line = Record<string, unknown>;

export interface NodeProcess {
  readonly child: ChildProcess;
  readonly logs: Line[];
  readonly reports: Line[];
  /** Everything the process wrote, raw (stdout then stderr interleaved by arrival). */
  raw(): string;
  waitFor(what: string, pred: () => boolean, timeoutMs?: number): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startNodeProcess(args: string[], env: NodeJS.ProcessEnv, opts: { onLog?: (l: Line) => void } = {}): NodeProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT, env: { ...process.env, VERITRAIN_LOG_JSON: "1", VERITRAIN_LOG_LEVEL: "info", ...env }, stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Line[] = [], reports: Line[] = [];
  let raw = "";
  const waiters = new Set<() => void>();
  const feed = (into: Line[], onLine?: (l: Line) => void) => {
    let buf = "";
    return (s: string) => {
      raw += s;
      buf += s;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let parsed: Line;
        try {
          parsed = JSON.parse(line) as Line;
        } catch {
          continue; // not JSON (e.g. an error line): kept in raw only
        }
        into.push(parsed);
        onLine?.(parsed);
      }
      for (const w of waiters) w();
    };
  };
  child.stdout!.setEncoding("utf8").on("data", feed(reports));
  child.stderr!.setEncoding("utf8").on("data", feed(logs, opts.onLog));
  const exited = once(child, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  exited.then(() => {
    for (const w of waiters) w();
  });
  let done = false;
  exited.then(() => (done = true));
  return {
    child, logs, reports, exited,
    raw: () => raw,
    async waitFor(what, pred, timeoutMs = 120_000) {
      const end = Date.now() + timeoutMs;
      while (!pred()) {
        if (done) throw new Error(`the process exited before ${what}:\n${raw.slice(-3000)}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${raw.slice(-3000)}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => (waiters.delete(w), resolve()), 200);
          const w = () => (clearTimeout(t), waiters.delete(w), resolve());
          waiters.add(w);
        });
      }
    },
    async kill(signal) {
      if (!done) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the CLI to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, VERITRAIN_LOG_JSON: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => (clearTimeout(t), resolve({ code, stdout, stderr })));
  });
}

