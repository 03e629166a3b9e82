import type { VerifierDb } from "./db.ts";

/**
 * What `veritrain verifier status` prints, from the node's database alone (no chain access): every job with
 * its phase, the intervals it sampled and how each check ended, its games, and the gas and fees it spent.
 */
export interface VerifierStatus {
  readonly jobs: readonly {
    readonly jobId: string;
    readonly status: string;
    readonly reason: string | null;
    readonly intervals: readonly number[] | null;
    readonly detection: number | null;
    readonly checks: readonly { interval: number; status: string; source: string | null; seconds: number }[];
    readonly games: readonly { gameId: string; status: string; outcome: string | null; loStep: number; hiStep: number }[];
    readonly checkSeconds: number;
    readonly withdrawnWei: string | null;
    readonly gasUsed: string;
    readonly feesWei: string;
  }[];
}

export function verifierStatus(db: VerifierDb): VerifierStatus {
  return {
    jobs: db.jobs().map((j) => {
      const spent = db.spent(j.jobId);
      return {
        jobId: j.jobId.toString(), status: j.status, reason: j.reason, intervals: j.intervals, detection: j.detection,
        checks: db.checks(j.jobId).map((c) => ({ interval: c.interval, status: c.status, source: c.source, seconds: Number(c.seconds.toFixed(3)) })),
        games: db.games(j.jobId).map((g) => ({ gameId: g.gameId.toString(), status: g.status, outcome: g.outcome, loStep: g.loStep, hiStep: g.hiStep })),
        checkSeconds: Number(j.checkSeconds.toFixed(3)), withdrawnWei: j.withdrawnWei?.toString() ?? null, gasUsed: spent.gasUsed.toString(), feesWei: spent.feesWei.toString(),
      };
    }),
  };
}

/** One line per job, for a terminal. */
export function formatVerifierStatus(s: VerifierStatus): string {
  if (s.jobs.length === 0) return "no jobs seen yet\n";
  return s.jobs.map((j) => {
    const checks = j.checks.map((c) => `${c.interval}:${c.status}`).join(" ");
    const games = j.games.map((g) => `game ${g.gameId} ${g.status}${g.outcome ? ` (${g.outcome})` : ""}`).join(", ");
    return `job ${j.jobId}: ${j.status}${j.reason ? ` (${j.reason})` : ""}${checks ? `; checked ${checks}` : ""}${games ? `; ${games}` : ""}; gas ${j.gasUsed}`;
  }).join("\n") + "\n";
}
