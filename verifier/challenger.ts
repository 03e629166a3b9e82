import { parseEventLogs } from "viem";
import { readContract, writeContract } from "viem/actions";
import { committedHistory, scheduledStep } from "../chain/checkpoints.ts";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { getJob } from "../chain/jobs.ts";
import { amounts } from "../node/amounts.ts";
import { forEachJob, type NodeModule } from "../node/node.ts";
import { withdrawBalance } from "../node/withdraw.ts";
import type { VerifierContext } from "./context.ts";
import type { VJobRow } from "./db.ts";

/** IJobMarket.GameStatus. */
const MARKET_GAME_OPEN = 1;

/**
 * The verifier's money side, per job:
 * - a `mismatch` check with no game yet: challenge that interval (bond: the job's challengeBond) with the
 *   computed root, while the window is open; the game is recorded and played by the game player;
 * - a job that failed through another challenger's game: void this node's still-open games of it (each
 *   bond comes back);
 * - once every game of a challenged job has ended: withdraw what the market credited (bond back, reward).
 */
export class Challenger implements NodeModule {
  readonly name = "challenger";
  readonly #ctx: VerifierContext;

  constructor(ctx: VerifierContext) {
    this.#ctx = ctx;
  }

  async tick(): Promise<void> {
    await forEachJob(this.#ctx, this.name, this.#ctx.db.jobs(), async (job) => {
      if (job.status === "sampled" || job.status === "challenged") {
        const bad = this.#ctx.db.checks(job.jobId).find((c) => c.status === "mismatch");
        if (bad && !this.#gameOn(job, bad.interval)) await this.#challenge(job, bad.interval, bad.computedRoot as `0x${string}`);
      }
      if (job.status === "challenged") await this.#followGames(job);
    });
  }

  #gameOn(job: VJobRow, interval: number): boolean {
    const lo = scheduledStep(interval, job.steps, job.checkpointInterval);
    return this.#ctx.db.games(job.jobId).some((g) => g.loStep === lo);
  }

  async #challenge(job: VJobRow, i: number, claimed: `0x${string}`): Promise<void> {
    const { chain, db, tx, log, cfg } = this.#ctx;
    const ids = { jobId: job.jobId.toString(), interval: i };
    const onChain = await getJob(chain.client, { market: chain.market, jobId: job.jobId });
    if (onChain.status !== "Committed") {
      db.updateJob(job.jobId, { status: "done", reason: `the job is ${onChain.status}: nothing to challenge` });
      log.info({ ...ids, status: onChain.status }, "the job left Committed before our challenge (caught by someone else, or finalized)");
      return;
    }
    const now = await chain.now();
    if (now >= job.deadline!) {
      db.updateJob(job.jobId, { status: "missed", reason: `interval ${i} is wrong but the challenge window closed at ${job.deadline}` });
      log.error({ ...ids, deadline: job.deadline!.toString() }, "a wrong interval found too late: the challenge window has closed");
      return;
    }
    const bond = onChain.challengeBond;
    if (cfg.maxChallengeBondWei !== undefined && bond > cfg.maxChallengeBondWei) {
      db.updateJob(job.jobId, { status: "done", reason: `interval ${i} is wrong but the job's challenge bond ${bond} wei exceeds maxChallengeBondWei` });
      log.error({ ...ids, ...amounts({ bond, max: cfg.maxChallengeBondWei }) }, "a wrong interval NOT challenged: the bond is above this node's maxChallengeBondWei");
      return;
    }
    const h = committedHistory(job.roots!, job.steps, job.checkpointInterval);
    const { receipt } = await tx.send(job.jobId, "challenge", () =>
      writeContract(chain.client, {
        address: chain.market, abi: jobMarketAbi, functionName: "challenge", args: [job.jobId, h.checkpoint(i), h.checkpoint(i + 1), claimed], value: bond,
        account: chain.client.account, chain: chain.client.chain,
      }));
    const [ev] = parseEventLogs({ abi: jobMarketAbi, eventName: "ChallengeOpened", logs: receipt.logs });
    if (ev) this.recordGame(ev.args.gameId, job, Number(ev.args.loIndex), receipt.blockNumber);
    db.updateJob(job.jobId, { status: "challenged" });
    log.info({ ...ids, gameId: ev?.args.gameId.toString(), ...amounts({ bond }), claimed, tx: receipt.transactionHash, gasUsed: receipt.gasUsed.toString() }, "challenge opened");
  }

  /** Records one of our games (from our challenge's receipt, or its ChallengeOpened event after a restart). */
  recordGame(gameId: bigint, job: VJobRow, loIndex: number, block: bigint): void {
    const inserted = this.#ctx.db.insertGame({
      gameId, jobId: job.jobId, side: "challenger", challenger: this.#ctx.chain.me, openedBlock: block,
      loStep: scheduledStep(loIndex, job.steps, job.checkpointInterval), hiStep: scheduledStep(loIndex + 1, job.steps, job.checkpointInterval),
    });
    if (inserted && job.status !== "challenged") this.#ctx.db.updateJob(job.jobId, { status: "challenged" });
  }

  async #followGames(job: VJobRow): Promise<void> {
    const { chain, db, tx, log } = this.#ctx;
    const games = db.games(job.jobId).filter((g) => g.side === "challenger");
    const open = games.filter((g) => g.status === "open");
    if (open.length > 0) {
      const onChain = await getJob(chain.client, { market: chain.market, jobId: job.jobId });
      if (onChain.status !== "Failed") return;
      // Another challenger's game failed the job: ours are void; close them so the bonds come back.
      for (const g of open) {
        const rec = await readContract(chain.client, { address: chain.market, abi: jobMarketAbi, functionName: "getGame", args: [g.gameId] });
        if (rec.status !== MARKET_GAME_OPEN) continue;
        await tx.send(job.jobId, "voidGame", () =>
          writeContract(chain.client, { address: chain.market, abi: jobMarketAbi, functionName: "voidGame", args: [g.gameId], account: chain.client.account, chain: chain.client.chain }));
        log.info({ jobId: job.jobId.toString(), gameId: g.gameId.toString() }, "the job failed through another game: ours voided, bond credited back");
      }
      return;
    }
    if (games.length === 0) return;
    const amount = await withdrawBalance(chain, tx, log, job.jobId);
    const outcomes = games.map((g) => `${g.gameId}: ${g.status} (${g.outcome})`).join(", ");
    db.updateJob(job.jobId, { status: "done", reason: `games ${outcomes}`, withdrawnWei: (job.withdrawnWei ?? 0n) + amount });
    log.info({ jobId: job.jobId.toString(), games: outcomes, ...amounts({ withdrawn: amount }) }, "disputes over");
  }
}
