import { eth } from "../node/amounts.ts";
import { formatStatus, jobStatusParts, type JobMoney, type NodeStatus, nodeWaits, type StatusJob } from "../node/status.ts";
import type { JobRow, SolverDb } from "./db.ts";

/**
 * What `veritrain solver status` prints (node/status.ts's shape, the same as the verifier's): every job with
 * its phase, what it waits for, the price and bond at stake and where they sit, the checkpoints stored, its
 * games and its last error; from the database alone, the pull balance from the chain when asked.
 */
export interface SolverStatusJob extends StatusJob {
  readonly priceWei: string | null;
  readonly bondWei: string | null;
  readonly checkpoints: number;
  readonly games: readonly { gameId: string; status: string; outcome: string | null }[];
}

export type SolverStatus = NodeStatus<SolverStatusJob>;

/** Where a job's price and bond sit in each phase (the market credits both to the pull balance at finalize). */
export function solverMoney(j: JobRow, openGames: number): JobMoney {
  const price = j.bidWei ?? 0n, bond = j.bondWei ?? 0n, withdrawn = j.withdrawnWei ?? 0n;
  const b = j.bondWei === null ? "the bond" : `bond ${eth(bond)}`;
  const p = j.bidWei === null ? "the price" : `price ${eth(price)}`;
  const owed = (w: bigint) => ({ owedWei: w.toString(), withdrawnWei: withdrawn.toString() });
  switch (j.status) {
    case "seen":
    case "rejected":
    case "skipped":
      return { sits: "nothing at stake (no bid)", ...owed(0n) };
    case "bidding":
      return { sits: `${b} locked with our bid of ${eth(price)} (credited back to the pull balance if outbid)`, ...owed(bond) };
    case "won":
    case "training":
    case "trained":
    case "committed":
      return { sits: `${b} locked with the job; ${p} is escrowed and both are credited to the pull balance once it finalizes${openGames > 0 ? ` (${openGames} dispute(s) open: a lost one forfeits the bond)` : ""}`, ...owed(price + bond) };
    case "finalized":
      return { sits: `${p} + ${b} credited to the market pull balance; being withdrawn`, ...owed(price + bond) };
    case "withdrawn":
      return { sits: `withdrawn ${eth(withdrawn)}: ${p} paid, ${b} returned${withdrawn > price + bond ? `, ${eth(withdrawn - price - bond)} of earlier credits` : ""}`, ...owed(0n) };
    case "lost":
      return { sits: `outbid: ${b} credited back to the pull balance${withdrawn > 0n ? ` and withdrawn (${eth(withdrawn)})` : ""}`, ...owed(0n) };
    case "failed":
      return { sits: `the job failed: ${b} forfeited (slashed or lost in a dispute)${withdrawn > 0n ? `; withdrawn ${eth(withdrawn)} a won game credited` : ""}`, ...owed(0n) };
  }
}

export function solverStatus(db: SolverDb, pullBalanceWei: bigint | null = null): SolverStatus {
  return {
    role: "solver", identity: db.identity() ?? null, waitingFor: nodeWaits(db), pullBalanceWei: pullBalanceWei?.toString() ?? null,
    jobs: db.jobs().map((j) => {
      const games = db.games(j.jobId);
      return {
        jobId: j.jobId.toString(), phase: j.status, reason: j.reason, ...jobStatusParts(db, j.jobId),
        money: solverMoney(j, games.filter((g) => g.status === "open").length),
        priceWei: j.bidWei?.toString() ?? null, bondWei: j.bondWei?.toString() ?? null, checkpoints: db.checkpoints(j.jobId).length,
        games: games.map((g) => ({ gameId: g.gameId.toString(), status: g.status, outcome: g.outcome })),
      };
    }),
  };
}

/** For a terminal: jobs never bid on (skipped, rejected) are counted on one line, the rest one block each. */
export function formatSolverStatus(s: SolverStatus): string {
  const quiet = s.jobs.filter((j) => j.phase === "skipped" || j.phase === "rejected");
  const text = formatStatus({ ...s, jobs: s.jobs.filter((j) => !quiet.includes(j)) }, (j) => {
    const games = j.games.map((g) => `game ${g.gameId} ${g.status}${g.outcome ? ` (${g.outcome})` : ""}`).join(", ");
    return `job ${j.jobId}: ${j.phase}${j.reason ? ` (${j.reason})` : ""}${j.checkpoints ? `; ${j.checkpoints} checkpoints stored` : ""}${games ? `; ${games}` : ""}; gas ${j.gasUsed}`;
  });
  if (quiet.length === 0) return text;
  const skipped = quiet.filter((j) => j.phase === "skipped").length;
  return text + `${skipped} job(s) skipped (closed before this node saw them, never bid on), ${quiet.length - skipped} rejected (see --json for the reasons)\n`;
}
