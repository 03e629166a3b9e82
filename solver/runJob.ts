import {
  type Account, type Address, BaseError, type Chain, type Client, ContractFunctionRevertedError, type Hash, type Hex, type TransactionReceipt, type Transport,
} from "viem";
import { readContract, simulateContract, waitForTransactionReceipt, writeContract } from "viem/actions";
import { shortReason } from "../chain/errors.ts";
import { jobMarketAbi } from "../chain/generated/contracts.ts";
import { checkCommitments, CommitmentMismatchError } from "../commitment/specCommitments.ts";
import { getJob, type Job } from "../chain/jobs.ts";
import { toHex } from "../commitment/hash.ts";
import { bareHex } from "../core/root.ts";
import type { Dataset } from "../engine/batch.ts";
import type { BackendName } from "../engine/runner.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { train } from "../training/train.ts";
import { commitArgs } from "../chain/checkpoints.ts";
import { JobMismatchError, SolverTransactionError } from "./errors.ts";
import { openStore } from "./store.ts";
import { sleep } from "../core/sleep.ts";

/**
 * The solver's happy path for one first-come job: take it, train it with the deterministic engine (every
 * checkpoint's state file into the content-addressed store), commit the history root with the first/last
 * checkpoint proofs and the model URI, wait until the challenge window has passed (polling: it never moves
 * the chain's clock), finalize, withdraw. Progress goes to `onProgress`; this function never logs.
 */
export interface RunJobOptions {
  readonly client: Client<Transport, Chain, Account>;
  readonly market: Address;
  readonly jobId: bigint;
  readonly spec: TrainingSpec;
  readonly dataset: Dataset;
  readonly dataDir: string;
  /**
   * Base URL of this solver's store server (solver/server.ts) over `dataDir`: the committed model URI is then
   * `<base>/state/<root hex>` instead of the state file's file:// URL.
   */
  readonly modelBaseUrl?: string;
  readonly backend?: BackendName;
  /** Poll interval while waiting for the challenge window (default 1 s). */
  readonly pollIntervalMs?: number;
  /** Give up waiting to finalize after this long (default: the challenge window + 10 min). */
  readonly finalizeTimeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (e: SolverProgress) => void;
}

export type SolverProgress =
  | { readonly phase: "take"; readonly hash: Hash; readonly gasUsed: bigint }
  | { readonly phase: "train"; readonly step: number; readonly steps: number; readonly loss: number }
  | { readonly phase: "checkpoint"; readonly step: number; readonly root: Hex; readonly file: string }
  | { readonly phase: "commit"; readonly hash: Hash; readonly gasUsed: bigint; readonly historyRoot: Hex; readonly finalRoot: Hex; readonly modelURI: string }
  | { readonly phase: "waiting"; readonly deadline: bigint }
  | { readonly phase: "finalize"; readonly hash: Hash; readonly gasUsed: bigint }
  | { readonly phase: "withdraw"; readonly hash: Hash; readonly gasUsed: bigint; readonly amount: bigint };

export interface RunJobResult {
  readonly historyRoot: Hex;
  readonly finalRoot: Hex;
  readonly checkpointCount: number;
  readonly modelURI: string;
  readonly price: bigint;
  readonly withdrawn: bigint;
  readonly receipts: readonly TransactionReceipt[];
  /** Total gas and fees (gasUsed * effectiveGasPrice) of the solver's transactions. */
  readonly gasUsed: bigint;
  readonly feesWei: bigint;
  readonly trainSeconds: number;
}

/** Whether `e` is a revert with this custom error of the market. */
function revertedWith(e: unknown, name: string): boolean {
  if (!(e instanceof BaseError)) return false;
  const r = e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  return r?.data?.errorName === name;
}

/** Checks that the job on chain is the one the spec describes, and that it can be taken. */
export function checkJob(job: Job, spec: TrainingSpec, dataset: Dataset, jobId: bigint): void {
  if (job.status !== "Open") throw new JobMismatchError(`job ${jobId} is ${job.status}, not Open`);
  if (!job.firstCome) throw new JobMismatchError(`job ${jobId} is an auction: this solver only takes first-come jobs`);
  try {
    checkCommitments(job, spec, dataset, `job ${jobId}`);
  } catch (e) {
    throw e instanceof CommitmentMismatchError ? new JobMismatchError(e.message, e.details) : e;
  }
}

export async function runJob(o: RunJobOptions): Promise<RunJobResult> {
  const { client, market, jobId, signal } = o;
  const progress = o.onProgress ?? (() => {});
  const receipts: TransactionReceipt[] = [];
  const send = async (action: string, call: () => Promise<Hash>): Promise<TransactionReceipt> => {
    signal?.throwIfAborted();
    let hash: Hash;
    try {
      hash = await call();
    } catch (e) {
      throw new SolverTransactionError(action, e instanceof BaseError ? shortReason(e) : String(e));
    }
    const r = await waitForTransactionReceipt(client, { hash, timeout: 120_000 });
    if (r.status !== "success") throw new SolverTransactionError(action, `transaction ${hash} reverted`, { hash });
    receipts.push(r);
    return r;
  };
  const write = { address: market, abi: jobMarketAbi, account: client.account, chain: client.chain } as const;

  // 1. Check the job against the spec, take it.
  const job = await getJob(client, { market, jobId });
  checkJob(job, o.spec, o.dataset, jobId);
  const take = await send("take", () => writeContract(client, { ...write, functionName: "take", args: [jobId], value: job.requiredBond }));
  progress({ phase: "take", hash: take.transactionHash, gasUsed: take.gasUsed });

  // 2. Train, storing every checkpoint by its root.
  const store = await openStore(o.dataDir);
  const steps = Number(job.steps);
  const every = Math.max(1, Math.floor(steps / 20));
  let modelURI = "";
  const t0 = performance.now();
  const result = await train({
    spec: o.spec, dataset: o.dataset, steps, checkpointInterval: Number(job.checkpointInterval), backend: o.backend ?? "onnx",
    ...(signal ? { signal } : {}),
    onStep: (i) => {
      if (i.step % every === 0 || i.step === i.steps) progress({ phase: "train", step: i.step, steps: i.steps, loss: i.loss });
    },
    onCheckpoint: async (c, state) => {
      const stored = await store.put(o.spec, state);
      if (stored.root !== toHex(c.root)) throw new Error(`store root ${stored.root} differs from the checkpoint's ${toHex(c.root)}`);
      modelURI = o.modelBaseUrl ? `${o.modelBaseUrl.replace(/\/+$/, "")}/state/${bareHex(stored.root)}` : stored.uri;
      progress({ phase: "checkpoint", step: c.step, root: stored.root, file: stored.path });
    },
  });
  const trainSeconds = (performance.now() - t0) / 1000;

  // 3. Commit every checkpoint root (the market rebuilds the history root).
  const args = commitArgs(result.checkpoints);
  const count = result.checkpoints.length;
  const { historyRoot, finalRoot } = args;
  const commit = await send("commitResult", () =>
    writeContract(client, { ...write, functionName: "commitResult", args: [jobId, args.roots, modelURI] }));
  progress({ phase: "commit", hash: commit.transactionHash, gasUsed: commit.gasUsed, historyRoot, finalRoot, modelURI });

  // 4. Wait for the challenge window to pass (polling finalize), finalize unless someone else did.
  const committed = await getJob(client, { market, jobId });
  const deadline = committed.committedAt + committed.challengeWindow;
  progress({ phase: "waiting", deadline });
  const giveUp = Date.now() + (o.finalizeTimeoutMs ?? Number(committed.challengeWindow) * 1000 + 600_000);
  for (;;) {
    signal?.throwIfAborted();
    const now = await getJob(client, { market, jobId });
    if (now.status === "Finalized") break;
    if (now.status !== "Committed") throw new JobMismatchError(`job ${jobId} became ${now.status} while waiting to finalize`);
    try {
      await simulateContract(client, { ...write, functionName: "finalize", args: [jobId] });
    } catch (e) {
      if (!revertedWith(e, "ChallengeWindowOpen") && !revertedWith(e, "GamesOpen")) throw new SolverTransactionError("finalize", e instanceof BaseError ? shortReason(e) : String(e));
      if (Date.now() > giveUp) throw new SolverTransactionError("finalize", `the challenge window (deadline ${deadline}) has not passed in time`);
      await sleep(o.pollIntervalMs ?? 1_000, signal);
      continue;
    }
    const fin = await send("finalize", () => writeContract(client, { ...write, functionName: "finalize", args: [jobId] }));
    progress({ phase: "finalize", hash: fin.transactionHash, gasUsed: fin.gasUsed });
    break;
  }

  // 5. Withdraw the pull balance (price + bond).
  const balance = await readContract(client, { address: market, abi: jobMarketAbi, functionName: "balanceOf", args: [client.account.address] });
  let withdrawn = 0n;
  if (balance > 0n) {
    const w = await send("withdraw", () => writeContract(client, { ...write, functionName: "withdraw", args: [] }));
    withdrawn = balance;
    progress({ phase: "withdraw", hash: w.transactionHash, gasUsed: w.gasUsed, amount: balance });
  }
  let gasUsed = 0n, feesWei = 0n;
  for (const r of receipts) {
    gasUsed += r.gasUsed;
    feesWei += r.gasUsed * r.effectiveGasPrice;
  }
  return { historyRoot, finalRoot, checkpointCount: count, modelURI, price: committed.price, withdrawn, receipts, gasUsed, feesWei, trainSeconds };
}
