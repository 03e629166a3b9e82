import type { SolverDb } from "./db.ts";

/** What the node reports (stdout, one JSON line) for each job that reached a terminal status. */
export interface JobReport {
  readonly event: "job";
  readonly jobId: string;
  readonly status: string;
  readonly reason: string | null;
  readonly price: string | null;
  readonly historyRoot: string | null;
  readonly finalRoot: string | null;
  readonly checkpoints: number;
  readonly modelURI: string | null;
  readonly withdrawn: string | null;
  readonly trainSeconds: number;
  readonly gasUsed: string;
  readonly feesWei: string;
  readonly transactions: readonly { action: string; hash: string; status: string }[];
}

export function jobReport(db: SolverDb, jobId: bigint): JobReport {
  const j = db.job(jobId)!;
  const spent = db.spent(jobId);
  return {
    event: "job", jobId: jobId.toString(), status: j.status, reason: j.reason, price: j.bidWei?.toString() ?? null,
    historyRoot: j.historyRoot, finalRoot: j.finalRoot, checkpoints: db.checkpoints(jobId).length, modelURI: j.modelURI,
    withdrawn: j.withdrawnWei?.toString() ?? null, trainSeconds: j.trainSeconds, gasUsed: spent.gasUsed.toString(), feesWei: spent.feesWei.toString(),
    transactions: db.txs(jobId).map((t) => ({ action: t.action, hash: t.hash, status: t.status })),
  };
}
