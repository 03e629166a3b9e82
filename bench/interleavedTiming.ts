import { median } from "./report.ts";

/**
 * bench:engine's measurement of two contenders (the deterministic step and its float32 baseline) in one
 * process: rounds of one block of `block` steps of each, back to back, alternating which goes first, after
 * `warmup` such rounds. A block is timed in CPU time of the process (process.cpuUsage: every thread of it),
 * which other tenants of a shared machine do not inflate the way they inflate wall time, and in wall time.
 */
export interface Timing {
  readonly blocks: number;
  readonly block: number;
  readonly warmup: number;
}

/** One measurement's figures (times in ms per step). */
export interface PairFigures {
  /** Median over rounds of float32's block time over the deterministic one's (CPU time; 1.0 = determinism is free). */
  readonly ratio: number;
  /** The same in wall time (moves with the machine's load). */
  readonly ratioWall: number;
  /** Lower quartiles of the blocks' per-step times. */
  readonly detMs: number;
  readonly f32Ms: number;
  readonly detWallMs: number;
  readonly f32WallMs: number;
}

export const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export function quantile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(p * (s.length - 1))]!;
}

export async function interleave(det: () => Promise<void>, f32: () => Promise<void>, t: Timing): Promise<PairFigures> {
  const block = async (step: () => Promise<void>) => {
    for (let i = 0; i < t.block; i++) await step();
  };
  for (let i = 0; i < t.warmup; i++) { await block(det); await block(f32); } // allocation, caches
  const cpu = { det: [] as number[], f32: [] as number[] }, wall = { det: [] as number[], f32: [] as number[] };
  for (let r = 0; r < t.blocks; r++) {
    // Alternate which contender goes first, so that neither always runs in the other's wake.
    for (const who of r % 2 ? (["f32", "det"] as const) : (["det", "f32"] as const)) {
      const c0 = cpuMs(), w0 = performance.now();
      await block(who === "det" ? det : f32);
      wall[who].push((performance.now() - w0) / t.block);
      cpu[who].push((cpuMs() - c0) / t.block);
    }
  }
  // Each round's two blocks ran back to back, under the same load: the median of their ratios.
  return {
    ratio: median(cpu.f32.map((f, r) => f / cpu.det[r]!)),
    ratioWall: median(wall.f32.map((f, r) => f / wall.det[r]!)),
    detMs: quantile(cpu.det, 0.25),
    f32Ms: quantile(cpu.f32, 0.25),
    detWallMs: quantile(wall.det, 0.25),
    f32WallMs: quantile(wall.f32, 0.25),
  };
}
