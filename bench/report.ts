import { mkdirSync, writeFileSync } from "node:fs";

/**
 * Every benchmark prints its metrics as the last line of stdout, `{"bench":NAME,"metrics":{...}}`, and
 * writes the same object (with machine facts) to bench/results/NAME.json.
 */
export function report(bench: string, metrics: Record<string, number | string | boolean>, context: Record<string, unknown> = {}): void {
  const line = { bench, metrics };
  const dir = new URL("./results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(`${bench}.json`, dir), JSON.stringify({ ...line, context, node: process.version, date: new Date().toISOString() }, null, 2) + "\n");
  process.stdout.write(JSON.stringify(line) + "\n");
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
