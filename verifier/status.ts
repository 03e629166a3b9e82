import { eth } from "../node/amounts.ts";
import { formatStatus, jobStatusParts, type JobMoney, type NodeStatus, nodeWaits, type StatusJob } from "../node/status.ts";
import type { VerifierDb, VJobRow } from "./db.ts";

/**
 * What `veritrain verifier status` prints (node/status.ts's shape, the same as the solver's): every job with
 * its phase, what it waits for, the challenge bonds at stake and where they sit, the intervals it sampled and
 * how each check ended, its games and its last error; from the database alone, the pull balance from the
 * chain when asked.
 */
export interface VerifierStatusJob extends StatusJob {
  readonly intervals: readonly number[] | null;
  readonly detection: number | null;
  readonly checks: readonly { interval: number; status: string; source: string | null; seconds: number }[];
  readonly games: readonly { gameId: string; status: string; outcome: string | null; loStep: number; hiStep: number }[];
  readonly checkSeconds: number;
  /** Kept from the first version of this report: the same as money.withdrawnWei, or null before any withdrawal. */
  readonly withdrawnWei: string | null;
}

export type VerifierStatus = NodeStatus<VerifierStatusJob>;

/** Where a job's challenge bonds sit (a verifier puts money at stake only when it challenges). */
export function verifierMoney(j: VJobRow, games: readonly { status: string }[]): JobMoney {
  const withdrawn = j.withdrawnWei ?? 0n;
  const open = games.filter((g) => g.status === "open").length;
  const bonds = j.challengeBond * BigInt(games.length);
  if (games.length === 0) return { sits: "nothing at stake (no challenge)", owedWei: "0", withdrawnWei: withdrawn.toString() };
  if (open > 0) return { sits: `challenge bond ${eth(bonds)} locked in ${open} open game(s): back with a reward if won, forfeited if lost`, owedWei: bonds.toString(), withdrawnWei: withdrawn.toString() };
  if (j.status === "challenged") return { sits: `games over: what they credited is in the pull balance, being withdrawn`, owedWei: "0", withdrawnWei: withdrawn.toString() };
  return { sits: `games over: withdrawn ${eth(withdrawn)} against ${eth(bonds)} of bonds posted`, owedWei: "0", withdrawnWei: withdrawn.toString() };
}

export function verifierStatus(db: VerifierDb, pullBalanceWei: bigint | null = null): VerifierStatus {
  return {
    role: "verifier", identity: db.identity() ?? null, waitingFor: nodeWaits(db), pullBalanceWei: pullBalanceWei?.toString() ?? null,
    jobs: db.jobs().map((j) => {
      const games = db.games(j.jobId).filter((g) => g.side === "challenger");
      return {
        jobId: j.jobId.toString(), phase: j.status, reason: j.reason, ...jobStatusParts(db, j.jobId), money: verifierMoney(j, games),
        intervals: j.intervals, detection: j.detection,
        checks: db.checks(j.jobId).map((c) => ({ interval: c.interval, status: c.status, source: c.source, seconds: Number(c.seconds.toFixed(3)) })),
        games: games.map((g) => ({ gameId: g.gameId.toString(), status: g.status, outcome: g.outcome, loStep: g.loStep, hiStep: g.hiStep })),
        checkSeconds: Number(j.checkSeconds.toFixed(3)), withdrawnWei: j.withdrawnWei?.toString() ?? null,
      };
    }),
  };
}

/** For a terminal: the node's lines, then a block per job. */
export function formatVerifierStatus(s: VerifierStatus): string {
  return formatStatus(s, (j) => {
    const checks = j.checks.map((c) => `${c.interval}:${c.status}`).join(" ");
    const games = j.games.map((g) => `game ${g.gameId} ${g.status}${g.outcome ? ` (${g.outcome})` : ""}`).join(", ");
    return `job ${j.jobId}: ${j.phase}${j.reason ? ` (${j.reason})` : ""}${checks ? `; checked ${checks}` : ""}${games ? `; ${games}` : ""}; gas ${j.gasUsed}`;
  });
}
