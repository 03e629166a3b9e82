import { readFile, writeFile } from "node:fs/promises";
import { type Command, InvalidArgumentError, Option } from "commander";
import { type Address, formatEther, getAddress, isAddress, parseEther } from "viem";
import { connect, type Connection } from "../../chain/connect.ts";
import { toRoot } from "../../core/root.ts";
import { InsufficientFundsError, JobParamsError } from "../../client/errors.ts";
import { SpecFetchError } from "../../content/errors.ts";
import type { JobEvent } from "../../client/getJobEvents.ts";
import type { VerificationReport } from "../../client/getVerificationReport.ts";
import type { Dataset } from "../../engine/batch.ts";
import { decodeDataset } from "../../engine/datasetFile.ts";
import { DatasetError, FileReadError } from "../../engine/errors.ts";
import { loadMnist } from "../../engine/mnist.ts";
import type { TrainingSpec } from "../../engine/spec.ts";
import { encodeState } from "../../engine/stateFile.ts";
import type { Logger } from "../../log/logger.ts";
import { mnistSpec } from "../../training/mnistJob.ts";
import { positiveInt } from "../options.ts";
import { accountFromEnv, PRIVATE_KEY_ENV } from "../../chain/keys.ts";
import { loadSpecFile } from "./train.ts";
import { BPS, JOB_DEFAULTS } from "../../core/defaults.ts";

/**
 * `veritrain client submit|status|result`: the client SDK (client/) from a shell. Every check that can fail
 * (flags, spec, dataset root, key, RPC, chain id, market, balance) runs before the one transaction (postJob)
 * is signed, so bad input costs nothing. Logs (progress) go to stderr; stdout carries the result (human
 * text, or one JSON object with --json).
 */

/** `result` exits with this code when the model was not downloaded and verified (errors exit 1). */
export const EXIT_NOT_VERIFIED = 3;

interface ChainFlags {
  rpcUrl: string;
  market: Address;
  chainId?: number;
  fromBlock?: bigint;
  json?: boolean;
}

interface SubmitFlags extends ChainFlags {
  spec?: string;
  mnist?: boolean;
  dataset?: string;
  steps: number;
  checkpointInterval: number;
  escrow: bigint;
  bond: bigint;
  challengeBond: bigint;
  auction?: boolean;
  bidDuration?: bigint;
  commitDuration: bigint;
  challengeWindow: bigint;
  clockDuration: bigint;
  sampleBps: number;
  publishDir: string;
  follow?: boolean;
  followTimeout?: number;
}

export function address(flag: string) {
  return (v: string): Address => {
    if (!isAddress(v, { strict: false })) throw new InvalidArgumentError(`${flag} must be a 20-byte hex address (0x + 40 hex characters), got "${v}"`);
    return getAddress(v);
  };
}

function ether(flag: string) {
  return (v: string): bigint => {
    if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(v)) throw new InvalidArgumentError(`${flag} must be an amount of ETH like 1 or 0.25 (at most 18 decimals), got "${v}"`);
    return parseEther(v);
  };
}

/**
 * An ETH amount flag with a default in wei, shown in help as ETH (commander prints a default with
 * JSON.stringify, which cannot print a bigint).
 */
function etherOption(flags: string, description: string, defaultWei: bigint): Option {
  const flag = flags.split(" ")[0]!;
  return new Option(flags, description).argParser(ether(flag)).default(defaultWei, formatEther(defaultWei));
}

function seconds(flag: string) {
  return (v: string): bigint => {
    if (!/^[0-9]+$/.test(v) || BigInt(v) < 1n || BigInt(v) >= 2n ** 64n) throw new InvalidArgumentError(`${flag} must be a positive number of seconds, got "${v}"`);
    return BigInt(v);
  };
}

function jobIdArg(v: string): bigint {
  if (!/^[0-9]+$/.test(v) || BigInt(v) < 1n || BigInt(v) >= 2n ** 64n) throw new InvalidArgumentError(`--job must be a job id (a positive integer), got "${v}"`);
  return BigInt(v);
}

export function blockArg(v: string): bigint {
  if (!/^[0-9]+$/.test(v)) throw new InvalidArgumentError(`--from-block must be a block number, got "${v}"`);
  return BigInt(v);
}

function bpsArg(v: string): number {
  if (!/^[0-9]+$/.test(v) || Number(v) > BPS) throw new InvalidArgumentError(`--sample-bps must be an integer in [0, ${BPS}], got "${v}"`);
  return Number(v);
}

/** The SDK, loaded on use: it imports the generated contract artifacts (a build product). */
async function sdk(): Promise<typeof import("../../client/index.ts")> {
  try {
    return await import("../../client/index.ts");
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && String((e as Error).message).includes("generated")) {
      throw new FileReadError("the contract artifacts are not built (chain/generated/contracts.ts is missing): run `npm run build:contracts`");
    }
    throw e;
  }
}

/** The checked chain: the endpoint answers and serves `chainId` if pinned. */
function connectTo(f: ChainFlags): Promise<Connection> {
  return connect({ rpcUrl: f.rpcUrl, chainId: f.chainId, pollingIntervalMs: 500 });
}

/** JSON with bigints as decimal strings. */
export function toJson(x: unknown): string {
  return JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

const eth = (w: bigint) => `${formatEther(w)} ETH`;

/** One line per event, for humans. */
export function describeEvent(e: JobEvent): string {
  switch (e.kind) {
    case "posted":
      return `posted by ${e.client}, escrow ${eth(e.escrow)}, ${e.params.steps} steps, spec ${e.params.specURI}`;
    case "bid":
      return `bid ${eth(e.price)} by ${e.bidder} (bond ${eth(e.bond)})`;
    case "outbid":
      return `${e.bidder} outbid, bond ${eth(e.bondRefunded)} refunded`;
    case "assigned":
      return `assigned to ${e.solver} at ${eth(e.price)} (bond ${eth(e.bond)})`;
    case "cancelled":
      return `cancelled, escrow ${eth(e.escrowRefunded)} refunded`;
    case "committed":
      return `committed by ${e.solver}: ${e.checkpointCount} checkpoints, final root ${e.finalRoot}, challenges until ${new Date(Number(e.challengeDeadline) * 1000).toISOString()}, model ${e.modelURI}`;
    case "slashed":
      return `solver ${e.solver} slashed (no commit in time): escrow ${eth(e.escrowRefunded)} refunded, bond ${eth(e.bondForfeited)} forfeited`;
    case "finalized":
      return `finalized: solver ${e.solver} paid ${eth(e.solverPaid)}, client refunded ${eth(e.clientRefund)}`;
    case "challenged":
      return `challenge (game ${e.gameId}) by ${e.challenger} on checkpoints ${e.loIndex}-${e.loIndex + 1n}, bond ${eth(e.bond)}`;
    case "gameResolved":
      return `game ${e.gameId} resolved: ${e.voidOutcome ? "void (job already failed)" : e.solverWon ? "solver won" : "challenger won"}${e.reason ? ` (${e.reason})` : ""}`;
    case "failed":
      return `job failed in game ${e.gameId}: escrow ${eth(e.escrowRefunded)} refunded, solver bond ${eth(e.solverBondForfeited)} forfeited`;
    case "gameVoided":
      return `game ${e.gameId} voided, ${e.challenger} refunded ${eth(e.bondRefunded)}`;
    case "credited":
      return `${e.account} credited ${eth(e.amount)}`;
    case "attested":
      return `intervals ${e.intervals.join(", ")} re-executed by ${e.verifier}: match (attested)`;
  }
}

function eventRows(events: readonly JobEvent[]): string[] {
  return events.map((e) => `  block ${String(e.blockNumber).padEnd(8)} ${e.kind.padEnd(13)} ${describeEvent(e)}`);
}

function printReport(r: VerificationReport): void {
  const lines = [
    `job ${r.jobId} on market ${r.market}: ${r.status}`,
    `verdict             ${r.verdict}`,
    `                    ${r.summary}`,
    `client              ${r.client}`,
    `solver              ${r.solver ?? "(none yet)"}${r.price !== undefined ? ` at ${eth(r.price)}` : ""} (escrow ${eth(r.escrow)})`,
    `steps               ${r.steps}, a checkpoint every ${r.checkpointInterval}`,
    `spec hash           ${r.roots.specHash}`,
    `program root        ${r.roots.programRoot}`,
    `initial root        ${r.roots.initialRoot}`,
    `dataset root        ${r.roots.datasetRoot}`,
    `history root        ${r.roots.historyRoot} (${r.checkpointCount} checkpoints)`,
    `final root          ${r.roots.finalRoot}`,
    `intervals           ${r.intervals.challenged} of ${r.intervals.total} challenged on chain, ${r.intervals.attested} attested re-executed by a verifier`,
    ...r.attestations.map((a) => `  intervals ${a.intervals.join(", ")} re-executed by ${a.verifier}: match (an attestation, not a proof)`),
    `disputes            ${r.disputes.length === 0 ? "none" : ""}`,
    ...r.disputes.map((d) => `  game ${d.gameId} by ${d.challenger}: checkpoints ${d.loIndex}-${d.loIndex + 1n} (steps ${d.loStep}-${d.hiStep}), ${d.outcome}${d.reason ? ` (${d.reason})` : ""}, bond ${eth(d.bond)}`),
    `model               ${!r.model.checked ? "not checked" : r.model.verified ? `verified: root ${r.model.root} = committed final root` : `NOT verified: ${r.model.error}`}`,
    ...(r.model.uri ? [`model URI           ${r.model.uri}`] : []),
    "events",
    ...eventRows(r.events),
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

/** The spec and the dataset it names: the shipped MNIST training split, or a dataset file (--dataset). */
async function jobSpec(f: SubmitFlags): Promise<{ spec: TrainingSpec; dataset: Dataset; datasetFile: boolean }> {
  if (f.spec !== undefined && f.mnist) throw new JobParamsError("spec", "give either --spec <file> or --mnist, not both");
  if (f.spec === undefined && !f.mnist) throw new JobParamsError("spec", "give the job's spec: --spec <file>, or --mnist for the default MNIST spec");
  if (f.mnist) {
    if (f.dataset !== undefined) throw new JobParamsError("dataset", "--mnist trains on the shipped MNIST split: give --dataset only with --spec");
    const m = mnistSpec();
    return { spec: m.spec, dataset: m.data.train, datasetFile: false };
  }
  const spec = await loadSpecFile(f.spec!);
  if (f.dataset === undefined) return { spec, dataset: loadMnist().train, datasetFile: false };
  let bytes: Buffer;
  try {
    bytes = await readFile(f.dataset);
  } catch (e) {
    throw new JobParamsError("dataset", `cannot read ${f.dataset}: ${(e as Error).message}`);
  }
  try {
    return { spec, dataset: decodeDataset(bytes), datasetFile: true };
  } catch (e) {
    if (e instanceof DatasetError) throw new JobParamsError("dataset", `${f.dataset}: ${e.message}`);
    throw e;
  }
}

async function submit(f: SubmitFlags, log: Logger, signal: AbortSignal): Promise<void> {
  const c = await sdk();
  // 1. Everything local: spec, dataset root, job values, key.
  const { spec, dataset, datasetFile } = await jobSpec(f);
  const commitments = c.specCommitments(spec, dataset);
  const auction = f.auction === true || f.bidDuration !== undefined;
  const job = {
    spec, dataset, steps: f.steps, checkpointInterval: f.checkpointInterval, escrow: f.escrow, requiredBond: f.bond, challengeBond: f.challengeBond,
    firstCome: !auction, ...(auction ? { bidDuration: f.bidDuration ?? JOB_DEFAULTS.bidDuration } : {}),
    commitDuration: f.commitDuration, challengeWindow: f.challengeWindow, clockDuration: f.clockDuration, sampleBps: f.sampleBps,
  };
  c.checkJobParams(job);
  const account = accountFromEnv();
  log.info({ phase: "checks", specHash: commitments.specHash, datasetRoot: commitments.datasetRoot, steps: f.steps, escrow: formatEther(f.escrow) }, "spec and job parameters valid");
  // Allowed, but said: a window too short for a verifier that must rebuild the run (withheld checkpoints).
  const window = c.checkChallengeWindow({ spec, steps: f.steps, challengeWindow: f.challengeWindow });
  if (window.warning) log.warn({ phase: "window", requiredSeconds: Number(window.requiredSeconds), challengeWindow: Number(f.challengeWindow) }, window.warning);
  // 2. The chain: endpoint, chain id, market, funds.
  const conn = await connectTo(f);
  const { publicClient: pc, chainId } = conn;
  await c.checkMarket(pc, { market: f.market });
  const coverage = await c.checkSettleable(pc, { market: f.market, spec });
  const balance = await pc.getBalance({ address: account.address });
  if (balance < f.escrow) {
    throw new InsufficientFundsError(`${account.address} holds ${eth(balance)} on chain ${chainId}, less than the escrow ${eth(f.escrow)} (plus gas)`, { account: account.address });
  }
  log.info({ phase: "chain", chainId, market: f.market, kernel: coverage.kernel, client: account.address, balance: formatEther(balance) }, "chain and market checked");
  // 3. Publish, then post: the only transaction.
  const published = await c.publishSpec({ spec, dir: f.publishDir });
  log.info({ phase: "publish", uri: published.uri }, "spec published");
  if (datasetFile) {
    // Content-addressed beside the spec: solvers that accept it list this file in accept.datasets.
    const ds = await c.publishDataset({ dataset, dir: f.publishDir });
    log.info({ phase: "publish", uri: ds.uri, root: ds.root }, "dataset published");
  }
  const wallet = conn.wallet(account);
  const posted = await c.postJob(wallet, { market: f.market, specURI: published.uri, ...job });
  log.info({ phase: "post", jobId: posted.jobId.toString(), tx: posted.hash, gasUsed: posted.receipt.gasUsed.toString() }, "job posted");
  const out: Record<string, unknown> = {
    jobId: posted.jobId, chainId, market: f.market, client: account.address, tx: posted.hash, block: posted.receipt.blockNumber, gasUsed: posted.receipt.gasUsed,
    specURI: published.uri, specHash: commitments.specHash, escrow: f.escrow, steps: f.steps, checkpointInterval: f.checkpointInterval,
  };
  if (f.follow) {
    const followed = await c.watchJob(pc, {
      market: f.market, jobId: posted.jobId, fromBlock: posted.receipt.blockNumber, pollingIntervalMs: 1_000, signal,
      ...(f.followTimeout !== undefined ? { timeoutMs: f.followTimeout * 1000 } : {}),
      onEvent: (e) => log.info({ phase: "follow", jobId: posted.jobId.toString(), event: e.kind, block: e.blockNumber.toString() }, describeEvent(e)),
    });
    const { report } = await c.getVerificationReport(pc, { market: f.market, jobId: posted.jobId, spec, fromBlock: posted.receipt.blockNumber });
    out.report = report;
    if (f.json) process.stdout.write(toJson(out) + "\n");
    else printReport(report);
    // As `result`: success means a model that verifies against the committed root, nothing less.
    if (followed.job.status !== "Finalized" || !report.model.verified) process.exitCode = EXIT_NOT_VERIFIED;
    return;
  }
  if (f.json) {
    process.stdout.write(toJson(out) + "\n");
    return;
  }
  process.stdout.write([
    `job ${posted.jobId} posted on chain ${chainId}, market ${f.market}`,
    `transaction         ${posted.hash} (block ${posted.receipt.blockNumber}, ${posted.receipt.gasUsed} gas)`,
    `escrow              ${eth(f.escrow)}, solver bond ${eth(f.bond)}, challenge bond ${eth(f.challengeBond)}`,
    `spec                ${published.uri} (hash ${commitments.specHash})`,
    `follow it with      veritrain client status --rpc-url ${f.rpcUrl} --market ${f.market} --job ${posted.jobId}`,
  ].join("\n") + "\n");
}

async function status(f: ChainFlags & { job: bigint }): Promise<void> {
  const c = await sdk();
  const { publicClient: pc } = await connectTo(f);
  const job = await c.getJob(pc, { market: f.market, jobId: f.job });
  const events = await c.getJobEvents(pc, { market: f.market, jobId: f.job, ...(f.fromBlock !== undefined ? { fromBlock: f.fromBlock } : {}) });
  if (f.json) {
    process.stdout.write(toJson({ jobId: f.job, market: f.market, job, events }) + "\n");
    return;
  }
  process.stdout.write([
    `job ${f.job} on market ${f.market}: ${job.status}`,
    `client              ${job.client} (escrow ${eth(job.escrow)})`,
    ...(job.status !== "Open" || job.hasBid ? [`solver              ${job.solver} at ${eth(job.price)}`] : []),
    `steps               ${job.steps}, a checkpoint every ${job.checkpointInterval}`,
    ...(job.status === "Committed" || job.status === "Finalized" || job.status === "Failed" ? [`final root          ${job.finalRoot}`, `open games          ${job.openGames}`] : []),
    "events",
    ...eventRows(events),
  ].join("\n") + "\n");
}

async function result(f: ChainFlags & { job: bigint; out?: string; spec?: string }, log: Logger): Promise<void> {
  const c = await sdk();
  const { publicClient: pc } = await connectTo(f);
  const job = await c.getJob(pc, { market: f.market, jobId: f.job });
  const fb = f.fromBlock !== undefined ? { fromBlock: f.fromBlock } : {};
  let spec: TrainingSpec;
  if (f.spec !== undefined) {
    spec = await loadSpecFile(f.spec);
    const { specHash } = await import("../../engine/spec.ts");
    const hash = toRoot(specHash(spec));
    if (hash !== job.specHash) throw new SpecFetchError(`the spec in ${f.spec} hashes to ${hash}, job ${f.job} committed to ${job.specHash}`);
  } else {
    const posted = (await c.getJobEvents(pc, { market: f.market, jobId: f.job, ...fb })).find((e) => e.kind === "posted");
    if (posted?.kind !== "posted") throw new SpecFetchError(`no JobPosted event for job ${f.job} from block ${f.fromBlock ?? 0n}: give --spec <file> or an earlier --from-block`);
    spec = await c.fetchSpec({ uri: posted.params.specURI, specHash: job.specHash });
  }
  log.info({ phase: "spec", jobId: f.job.toString(), specHash: job.specHash }, "spec loaded and checked against the job's spec hash");
  const { report, state } = await c.getVerificationReport(pc, { market: f.market, jobId: f.job, spec, ...fb });
  log.info({ phase: "model", verified: report.model.verified, checked: report.model.checked }, report.model.verified ? "model verified" : "model not verified");
  let written: string | undefined;
  if (f.out !== undefined && state !== undefined) {
    try {
      await writeFile(f.out, encodeState(spec, state));
    } catch (e) {
      throw new FileReadError(`the model verified, but ${f.out} cannot be written: ${(e as Error).message}`, { path: f.out });
    }
    written = f.out;
    log.info({ phase: "write", out: f.out }, "state file written");
  }
  if (f.json) process.stdout.write(toJson({ ...report, ...(written ? { stateFile: written } : {}) }) + "\n");
  else {
    printReport(report);
    if (written) process.stdout.write(`state file          ${written}\n`);
  }
  if (!report.model.verified) process.exitCode = EXIT_NOT_VERIFIED;
}

function chainOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--rpc-url <url>", "JSON-RPC endpoint (http or https)")
    .requiredOption("--market <address>", "the JobMarket's address", address("--market"))
    .option("--chain-id <n>", "refuse to run unless the endpoint serves this chain", positiveInt("--chain-id"))
    .option("--json", "print one JSON object")
    // One clear line for a bad flag: no help text after it.
    .showHelpAfterError(false);
}

export function registerClient(program: Command, log: () => Logger, signal: AbortSignal): void {
  const client = program.command("client").description("post training jobs, follow them, fetch and verify their models");
  chainOptions(client.command("submit").description(`post a training job with escrow (the key comes from ${PRIVATE_KEY_ENV})`))
    .option("--spec <file>", "the job's spec JSON (see `veritrain spec`); its data root must be the shipped MNIST training split's")
    .option("--mnist", "post the default MNIST spec")
    .option("--dataset <file>", "with --spec: the training set as a dataset file (.vtds, engine/datasetFile.ts; default: the shipped MNIST split); published as <root>.vtds in --publish-dir")
    .option("--steps <n>", "training steps", positiveInt("--steps", 10_000_000), JOB_DEFAULTS.steps)
    .option("--checkpoint-interval <n>", "steps between committed checkpoints", positiveInt("--checkpoint-interval", 10_000_000), JOB_DEFAULTS.checkpointInterval)
    .requiredOption("--escrow <eth>", "the most the job pays, held by the market (ETH)", ether("--escrow"))
    .addOption(etherOption("--bond <eth>", "the solver's bond (ETH)", JOB_DEFAULTS.requiredBond))
    .addOption(etherOption("--challenge-bond <eth>", "the minimum challenger bond (ETH)", JOB_DEFAULTS.challengeBond))
    .option("--auction", "a reverse auction instead of first come (see --bid-duration)")
    .option("--bid-duration <s>", `auction length in seconds (implies --auction; default ${JOB_DEFAULTS.bidDuration})`, seconds("--bid-duration"))
    .option("--commit-duration <s>", "seconds from assignment to the commit deadline", seconds("--commit-duration"), JOB_DEFAULTS.commitDuration)
    .option("--challenge-window <s>", "seconds after the commit during which challenges may open", seconds("--challenge-window"), JOB_DEFAULTS.challengeWindow)
    .option("--clock-duration <s>", "each party's dispute clock in seconds", seconds("--clock-duration"), JOB_DEFAULTS.clockDuration)
    .option("--sample-bps <n>", "verifier sampling hint in basis points", bpsArg, JOB_DEFAULTS.sampleBps)
    .option("--publish-dir <dir>", "publish the spec here as <specHash>.json (its file:// URI becomes the job's spec URI)", "veritrain-specs")
    .option("--follow", `follow the job until it settles, then print its verification report (exit ${EXIT_NOT_VERIFIED} unless finalized with a verified model)`)
    .option("--follow-timeout <s>", "with --follow: give up after this many seconds", positiveInt("--follow-timeout"))
    .action((f: SubmitFlags) => submit(f, log(), signal));
  chainOptions(client.command("status").description("a job's status and its event history"))
    .requiredOption("--job <id>", "the job id", jobIdArg)
    .option("--from-block <n>", "read events from this block (default 0; use the market's deployment block on long chains)", blockArg)
    .action((f: ChainFlags & { job: bigint }) => status(f));
  chainOptions(client.command("result").description(`download the model, verify it against the committed final root, print the verification report (exit ${EXIT_NOT_VERIFIED} if it does not verify)`))
    .requiredOption("--job <id>", "the job id", jobIdArg)
    .option("--out <file>", "write the verified model (a .vtst state file) here")
    .option("--spec <file>", "the job's spec (default: fetched from the job's spec URI); checked against the job's spec hash")
    .option("--from-block <n>", "read events from this block (default 0)", blockArg)
    .action((f: ChainFlags & { job: bigint; out?: string; spec?: string }) => result(f, log()));
}
