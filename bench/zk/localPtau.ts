// A local (development-only, single-party) powers-of-tau file of 2^power for the single-input prototype of
// bench/zk/singleInput.ts, kept apart from build/zk/ptau (scripts/zk-setup.ts would otherwise pick the larger
// file up). Made once and cached with the time it took (ptau-<power>.json), since that time is what a
// bigger ceremony would add to every cold `zk-setup` (and so to CI).
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadSnarkJs } from "../../scripts/zk-setup.ts";
import { ROOT } from "../../scripts/circuits-build.ts";

export const SINGLE_INPUT_DIR = path.join(ROOT, "build/zk-single-input");

export interface Ptau {
  readonly file: string;
  readonly power: number;
  /** Time to make it (new accumulator, one contribution, phase-2 preparation), when it was made. */
  readonly ms: number;
  readonly cached: boolean;
}

/** The smallest cached file of at least 2^power (snarkjs reads the prefix it needs), if any. */
export function cachedPtau(power: number): Ptau | undefined {
  const dir = path.join(SINGLE_INPUT_DIR, "ptau");
  for (let p = power; p <= 28; p++) {
    const f = path.join(dir, `pot${p}_local.ptau`), i = path.join(dir, `ptau-${p}.json`);
    if (existsSync(f) && existsSync(i)) return { file: f, power: p, ms: (JSON.parse(readFileSync(i, "utf8")) as { ms: number }).ms, cached: true };
  }
  return undefined;
}

export async function localPtau(power: number, log: (s: string) => void): Promise<Ptau> {
  const dir = path.join(SINGLE_INPUT_DIR, "ptau");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `pot${power}_local.ptau`), info = path.join(dir, `ptau-${power}.json`);
  const cached = cachedPtau(power);
  if (cached) return cached;
  const snarkjs = await loadSnarkJs();
  const curve = await snarkjs.curves.getCurveFromName("bn128");
  const p0 = path.join(dir, `pot${power}_0.ptau`), p1 = path.join(dir, `pot${power}_1.ptau`);
  log(`local powers of tau 2^${power} (development only)...`);
  const t0 = performance.now();
  await snarkjs.powersOfTau.newAccumulator(curve, power, p0);
  await snarkjs.powersOfTau.contribute(p0, p1, "veritrain single-input prototype", randomBytes(32).toString("hex"));
  await snarkjs.powersOfTau.preparePhase2(p1, file + ".tmp");
  const ms = Math.round(performance.now() - t0);
  rmSync(p0); rmSync(p1);
  renameSync(file + ".tmp", file);
  writeFileSync(info, JSON.stringify({ power, ms }));
  log(`local powers of tau 2^${power}: ${ms} ms`);
  return { file, power, ms, cached: false };
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(ROOT, "bench/zk/localPtau.ts")) {
  await localPtau(Number(process.argv[2] ?? 17), (s) => console.log(s));
  process.exit(0);
}
