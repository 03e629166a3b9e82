import { readFile } from "node:fs/promises";
import { type Command, InvalidArgumentError, Option } from "commander";
import { type Address, formatEther, parseEther } from "viem";
import { connect, type Connection } from "../../chain/connect.ts";
import { bareHex, toRoot } from "../../core/root.ts";
import { InsufficientFundsError, JobParamsError } from "../../client/errors.ts";
import { SpecFetchError } from "../../content/errors.ts";
import type { JobEvent } from "../../client/getJobEvents.ts";
import type { VerificationReport } from "../../client/getVerificationReport.ts";
import type { Dataset } from "../../engine/batch.ts";
import { decodeDataset } from "../../engine/datasetFile.ts";
import { DatasetError, FileReadError } from "../../engine/errors.ts";
import { loadMnist } from "../../engine/mnist.ts";
import { specHash, type TrainingSpec } from "../../engine/spec.ts";
import { fetchSpec } from "../../content/fetchSpec.ts";
import { encodeState } from "../../engine/stateFile.ts";
import type { Logger } from "../../log/logger.ts";
import { mnistSpec } from "../../training/mnistJob.ts";
import { addressArg, positiveInt } from "../options.ts";
import { evaluateHeldout, readHeldoutFile } from "../heldout.ts";
import { checkWritable, writeOutFile } from "../outFile.ts";
import { DEFAULT_LOG_RANGE, LOG_RANGE_ENV } from "../../chain/getLogsPaged.ts";
import { accountFromEnv, PRIVATE_KEY_ENV } from "../../chain/keys.ts";
import { loadSpecFile } from "../specFile.ts";
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
  /** Blocks per eth_getLogs request (--log-range, VERITRAIN_LOG_RANGE). */
  logRange?: number;
  /** The IPFS gateway ipfs:// content is read through. */
  ipfsGateway?: string;
}

interface SubmitFlags extends ChainFlags {
  spec?: string;
  mnist?: boolean;
  dataset?: string;
  /** The job's spec URI as published elsewhere (`client publish`): http(s)://, ipfs://, file://. */
  specUri?: string;
  /** The training set by URI (checked against its root). */
  datasetUri?: string;
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

/** The --log-range flag as the SDK's logRange parameter. */
const logRange = (f: ChainFlags) => (f.logRange !== undefined ? { logRange: f.logRange } : {});

/** JSON with bigints as decimal strings. */
export function toJson(x: unknown): string {
  return JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

const eth = (w: bigint) => `${formatEther(w)} ETH`;

/**
 * One line per event, for humans. `bond` is the solver's bond from the job's `assigned` event when known:
 * the market credits the solver its price and its returned bond in one sum, and a line saying "paid 1.1 ETH"
 * for a 1 ETH job would hide that 0.1 ETH of it was the solver's own money coming back.
 */
export function describeEvent(e: JobEvent, bond?: bigint): string {
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
      return bond !== undefined && bond <= e.solverPaid
        ? `finalized: solver ${e.solver} paid ${eth(e.solverPaid - bond)} for the job and its bond of ${eth(bond)} returned, client refunded ${eth(e.clientRefund)}`
        : `finalized: solver ${e.solver} credited ${eth(e.solverPaid)} (its price and its returned bond), client refunded ${eth(e.clientRefund)}`;
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

/** The solver's bond, from the job's `assigned` event (undefined before one). */
const bondOf = (events: readonly JobEvent[]) => events.findLast((e) => e.kind === "assigned")?.bond;

function eventRows(events: readonly JobEvent[]): string[] {
  const bond = bondOf(events);
  return events.map((e) => `  block ${String(e.blockNumber).padEnd(8)} ${e.kind.padEnd(13)} ${describeEvent(e, bond)}`);
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

/** A dataset file read from disk (--dataset). */
async function datasetFile(file: string): Promise<Dataset> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new JobParamsError("dataset", `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return decodeDataset(bytes);
  } catch (e) {
    if (e instanceof DatasetError) throw new JobParamsError("dataset", `${file}: ${e.message}`);
    throw e;
  }
}

/**
 * The spec and the dataset it names: the shipped MNIST training split, a dataset file (--dataset) or a
 * dataset by URI (--dataset-uri, checked against its root). With --spec-uri the spec is the one that URI
 * serves: fetched, or, given --spec/--mnist too, checked to be that spec (a job whose spec URI serves
 * anything else could never be taken).
 */
async function jobSpec(f: SubmitFlags): Promise<{ spec: TrainingSpec; dataset: Dataset; datasetFile: boolean }> {
  if (f.spec !== undefined && f.mnist) throw new JobParamsError("spec", "give either --spec <file> or --mnist, not both");
  if (f.spec === undefined && !f.mnist && f.specUri === undefined) throw new JobParamsError("spec", "give the job's spec: --spec <file>, --spec-uri <uri> (published with `veritrain client publish`), or --mnist for the default MNIST spec");
  if (f.dataset !== undefined && f.datasetUri !== undefined) throw new JobParamsError("dataset", "give either --dataset <file> or --dataset-uri <uri>, not both");
  const fetchOpts = { ipfsGateway: f.ipfsGateway };
  if (f.mnist) {
    if (f.dataset !== undefined || f.datasetUri !== undefined) throw new JobParamsError("dataset", "--mnist trains on the shipped MNIST split: give --dataset or --dataset-uri only with --spec or --spec-uri");
    const m = mnistSpec();
    if (f.specUri !== undefined) await fetchSpec({ uri: f.specUri, specHash: toRoot(specHash(m.spec)), ...fetchOpts });
    return { spec: m.spec, dataset: m.data.train, datasetFile: false };
  }
  let spec: TrainingSpec;
  if (f.spec !== undefined) {
    spec = await loadSpecFile(f.spec);
    if (f.specUri !== undefined) await fetchSpec({ uri: f.specUri, specHash: toRoot(specHash(spec)), ...fetchOpts });
  } else {
    spec = await fetchSpec({ uri: f.specUri!, ...fetchOpts });
  }
  if (f.datasetUri !== undefined) {
    const { datasetUriRoot, fetchDataset } = await import("../../content/fetchDataset.ts");
    const root = datasetUriRoot(f.datasetUri) ?? spec.data.root;
    const got = await fetchDataset({ uri: f.datasetUri, root, ...fetchOpts });
    if (bareHex(got.root) !== spec.data.root) throw new JobParamsError("dataset", `the dataset at ${f.datasetUri} has root ${got.root}, the spec's data.root is ${spec.data.root}`);
    return { spec, dataset: got.dataset, datasetFile: false };
  }
  if (f.dataset === undefined) return { spec, dataset: loadMnist().train, datasetFile: false };
  return { spec, dataset: await datasetFile(f.dataset), datasetFile: true };
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
  const account = accountFromEnv(process.env, { role: "client" });
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
  // 3. Publish (unless the spec is already published at --spec-uri, checked above), then post: the only transaction.
  const published = f.specUri !== undefined ? { uri: f.specUri } : await c.publishSpec({ spec, dir: f.publishDir });
  log.info({ phase: "publish", uri: published.uri }, f.specUri !== undefined ? "spec URI serves the spec" : "spec published");
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
    let bond: bigint | undefined;
    const followed = await c.watchJob(pc, {
      market: f.market, jobId: posted.jobId, fromBlock: posted.receipt.blockNumber, pollingIntervalMs: 1_000, signal, ...logRange(f),
      ...(f.followTimeout !== undefined ? { timeoutMs: f.followTimeout * 1000 } : {}),
      onEvent: (e) => {
        if (e.kind === "assigned") bond = e.bond;
        log.info({ phase: "follow", jobId: posted.jobId.toString(), event: e.kind, block: e.blockNumber.toString() }, describeEvent(e, bond));
      },
      // Never silent: what the job waits for, against the chain's own clock (a local chain's moves only with blocks).
      onWait: (w) => log.info({ phase: "follow", jobId: posted.jobId.toString(), waitingFor: w.waitingFor, deadline: w.deadline?.toString() ?? null, chainTime: w.chainTime.toString() }, w.message),
    });
    if (followed.noBid) log.warn({ phase: "follow", jobId: posted.jobId.toString(), reasons: followed.noBid.reasons.map((r) => r.kind) }, followed.noBid.message);
    const { report } = await c.getVerificationReport(pc, { market: f.market, jobId: posted.jobId, spec, fromBlock: posted.receipt.blockNumber, ...logRange(f), ipfsGateway: f.ipfsGateway });
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
  // As submit: an address that is not a JobMarket is named as such, not as a failed contract call.
  await c.checkMarket(pc, { market: f.market });
  const job = await c.getJob(pc, { market: f.market, jobId: f.job });
  const events = await c.getJobEvents(pc, { market: f.market, jobId: f.job, ...(f.fromBlock !== undefined ? { fromBlock: f.fromBlock } : {}), ...logRange(f) });
  // A job cancelled without a solver: say why it likely got no bid, not only "cancelled".
  const noBid = job.status === "Cancelled" && !events.some((e) => e.kind === "assigned") ? await c.explainNoBid(pc, { market: f.market, jobId: f.job }) : undefined;
  if (f.json) {
    process.stdout.write(toJson({ jobId: f.job, market: f.market, job, events, ...(noBid ? { noBid } : {}) }) + "\n");
    return;
  }
  process.stdout.write([
    `job ${f.job} on market ${f.market}: ${job.status}`,
    `client              ${job.client} (escrow ${eth(job.escrow)})`,
    ...(job.status !== "Open" || job.hasBid ? [`solver              ${job.solver} at ${eth(job.price)}`] : []),
    `steps               ${job.steps}, a checkpoint every ${job.checkpointInterval}`,
    ...(noBid ? [`no bid              ${noBid.message}`] : []),
    ...(job.status === "Committed" || job.status === "Finalized" || job.status === "Failed" ? [`final root          ${job.finalRoot}`, `open games          ${job.openGames}`] : []),
    "events",
    ...eventRows(events),
  ].join("\n") + "\n");
}

interface ResultFlags extends ChainFlags {
  job: bigint;
  out?: string;
  spec?: string;
  heldout?: string;
}

async function result(f: ResultFlags, log: Logger): Promise<void> {
  const c = await sdk();
  if (f.out !== undefined) await checkWritable("--out", f.out);
  const heldoutFile = f.heldout === undefined ? undefined : { file: f.heldout, dataset: await readHeldoutFile(f.heldout) };
  const { publicClient: pc } = await connectTo(f);
  await c.checkMarket(pc, { market: f.market });
  const job = await c.getJob(pc, { market: f.market, jobId: f.job });
  const fb = { ...(f.fromBlock !== undefined ? { fromBlock: f.fromBlock } : {}), ...logRange(f) };
  let spec: TrainingSpec;
  if (f.spec !== undefined) {
    spec = await loadSpecFile(f.spec);
    const hash = toRoot(specHash(spec));
    if (hash !== job.specHash) throw new SpecFetchError(`the spec in ${f.spec} hashes to ${hash}, job ${f.job} committed to ${job.specHash}`);
  } else {
    const posted = (await c.getJobEvents(pc, { market: f.market, jobId: f.job, ...fb })).find((e) => e.kind === "posted");
    if (posted?.kind !== "posted") throw new SpecFetchError(`no JobPosted event for job ${f.job} from block ${f.fromBlock ?? 0n}: give --spec <file> or an earlier --from-block`);
    spec = await c.fetchSpec({ uri: posted.params.specURI, specHash: job.specHash, ipfsGateway: f.ipfsGateway });
  }
  log.info({ phase: "spec", jobId: f.job.toString(), specHash: job.specHash }, "spec loaded and checked against the job's spec hash");
  const { report, state } = await c.getVerificationReport(pc, { market: f.market, jobId: f.job, spec, ...fb, ipfsGateway: f.ipfsGateway });
  log.info({ phase: "model", verified: report.model.verified, checked: report.model.checked }, report.model.verified ? "model verified" : "model not verified");
  let written: string | undefined;
  if (f.out !== undefined && state !== undefined) {
    await writeOutFile("--out", f.out, encodeState(spec, state), "the model verified, but ");
    written = f.out;
    log.info({ phase: "write", out: f.out }, "state file written");
  }
  // What the client paid for, measured here on the verified model: not a number the solver reported.
  const heldout = state === undefined ? undefined : await evaluateHeldout(spec, state, heldoutFile);
  if (heldout) log.info({ phase: "evaluate", ...heldout }, "model evaluated on the held-out split");
  if (f.json) process.stdout.write(toJson({ ...report, ...heldout, ...(written ? { stateFile: written } : {}) }) + "\n");
  else {
    printReport(report);
    if (heldout && "heldoutAccuracy" in heldout) {
      const on = heldout.heldoutDataset === "mnist" ? "held-out MNIST digits (never trained on)" : `examples of ${heldout.heldoutDataset}`;
      process.stdout.write(`held-out accuracy   ${(100 * heldout.heldoutAccuracy).toFixed(2)}% of ${heldout.heldoutExamples} ${on}, measured here on the verified model\n`);
    } else if (heldout) process.stdout.write(`held-out accuracy   not measured: ${heldout.heldoutNotEvaluated}\n`);
    if (written) process.stdout.write(`state file          ${written}\n`);
  }
  if (!report.model.verified) process.exitCode = EXIT_NOT_VERIFIED;
}

interface PublishFlags {
  spec: string;
  dataset?: string;
  out?: string;
  baseUrl?: string;
  serve?: boolean;
  host: string;
  port: number;
  json?: boolean;
}

/**
 * `client publish`: the spec (and its dataset) under their content names, `<spec hash>.json` and
 * `<dataset root>.vtds`, written into --out for any static host (the URIs printed are --base-url + name), or
 * served from here over HTTP (read-only, until interrupted). Whoever fetches them checks them against the
 * hash their name gives and the job commits to, so the host needs no trust.
 */
async function publish(f: PublishFlags, log: Logger, signal: AbortSignal): Promise<void> {
  if ((f.out === undefined) === (f.serve !== true)) throw new JobParamsError("publish", "give either --out <dir> (write the files for any static host) or --serve (serve them from here)");
  const { datasetDocument, publishDataset } = await import("../../content/publishDataset.ts");
  const { publishSpec, specDocument } = await import("../../content/publishSpec.ts");
  const spec = await loadSpecFile(f.spec);
  const dataset = f.dataset === undefined ? undefined : await datasetFile(f.dataset);
  const docs = [specDocument(spec), ...(dataset ? [datasetDocument(dataset)] : [])];
  if (docs[1] && bareHex(docs[1].hash) !== spec.data.root) {
    throw new JobParamsError("dataset", `${f.dataset} has dataset root ${docs[1].hash}, the spec's data.root is 0x${spec.data.root}: not the spec's training set`);
  }
  const named = (base: string | undefined, name: string, fallback: string) => (base === undefined ? fallback : `${base.replace(/\/+$/, "")}/${name}`);
  let uris: string[];
  let server: Awaited<ReturnType<typeof import("../../content/contentServer.ts").serveContent>> | undefined;
  if (f.out !== undefined) {
    const written = [(await publishSpec({ spec, dir: f.out })).uri, ...(dataset ? [(await publishDataset({ dataset, dir: f.out })).uri] : [])];
    uris = docs.map((d, i) => named(f.baseUrl, d.name, written[i]!));
  } else {
    const { serveContent } = await import("../../content/contentServer.ts");
    server = await serveContent({
      documents: docs, host: f.host, port: f.port,
      onRequest: (r) => log.info({ phase: "serve", method: r.method, path: r.path, status: r.status, bytes: r.bytes }, "request"),
    });
    uris = docs.map((d) => named(f.baseUrl ?? server!.url, d.name, ""));
  }
  const [specUri, datasetUri] = uris;
  if (f.json) {
    process.stdout.write(toJson({ specHash: docs[0]!.hash, specURI: specUri, ...(docs[1] ? { datasetRoot: docs[1].hash, datasetURI: datasetUri } : {}), ...(server ? { serving: server.url } : {}) }) + "\n");
  } else {
    process.stdout.write([
      `spec                ${specUri} (hash ${docs[0]!.hash})`,
      ...(docs[1] ? [`dataset             ${datasetUri} (root ${docs[1].hash})`] : []),
      `post the job with   veritrain client submit --spec-uri ${specUri}${datasetUri ? ` --dataset-uri ${datasetUri}` : ""} ...`,
      ...(datasetUri ? [`solvers and verifiers accept the dataset with  "accept": { "datasets": ["${datasetUri}"] }`] : []),
      ...(f.out !== undefined && f.baseUrl === undefined ? ["(file:// URIs serve this machine only: copy the files to a static host and give --base-url for the URIs others use)"] : []),
    ].join("\n") + "\n");
  }
  if (!server) return;
  log.info({ phase: "serve", url: server.url, documents: docs.map((d) => d.name) }, "serving until interrupted (Ctrl-C)");
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
  await server.close();
  log.info({ phase: "serve" }, "stopped serving");
}

function chainOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--rpc-url <url>", "JSON-RPC endpoint (http or https)")
    .requiredOption("--market <address>", "the JobMarket's address", addressArg("--market"))
    .option("--chain-id <n>", "refuse to run unless the endpoint serves this chain", positiveInt("--chain-id"))
    .option("--json", "print one JSON object")
    .addOption(new Option("--log-range <n>", `most blocks per eth_getLogs request (public endpoints cap it; a refused range is halved; default ${DEFAULT_LOG_RANGE})`).env(LOG_RANGE_ENV).argParser(positiveInt("--log-range")))
    .option("--ipfs-gateway <url>", "the IPFS HTTP gateway ipfs:// specs, datasets and models are read through (e.g. https://ipfs.io; env VERITRAIN_IPFS_GATEWAY)", process.env.VERITRAIN_IPFS_GATEWAY)
    // One clear line for a bad flag: no help text after it.
    .showHelpAfterError(false);
}

export function registerClient(program: Command, log: () => Logger, signal: AbortSignal): void {
  const client = program.command("client").description("post training jobs, follow them, fetch and verify their models");
  chainOptions(client.command("submit").description(`post a training job with escrow (the key comes from ${PRIVATE_KEY_ENV})`))
    .option("--spec <file>", "the job's spec JSON (see `veritrain spec`); its data root must be the shipped MNIST training split's")
    .option("--mnist", "post the default MNIST spec")
    .option("--dataset <file>", "with --spec: the training set as a dataset file (.vtds, engine/datasetFile.ts; default: the shipped MNIST split); published as <root>.vtds in --publish-dir")
    .option("--spec-uri <uri>", "the job's spec URI as published (`veritrain client publish`: http(s)://, ipfs://CID, file://): fetched, or checked against --spec/--mnist, and posted as is instead of a file:// URI in --publish-dir")
    .option("--dataset-uri <uri>", "the training set by URI (http(s)://.../<root>.vtds, ipfs://CID#<root>, file://), checked against its root and the spec's data.root")
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
  client.command("publish").description("publish a spec (and its dataset) by content hash: write them for any static host (--out) or serve them over HTTP (--serve)")
    .requiredOption("--spec <file>", "the job's spec JSON; published as <spec hash>.json")
    .option("--dataset <file>", "its training set as a dataset file (.vtds); published as <dataset root>.vtds (must be the spec's data.root)")
    .option("--out <dir>", "write the files into this directory (created if missing; a file with other bytes under a content name is refused)")
    .option("--base-url <url>", "the URL the files are reachable at (the static host's, or this server's public one): the printed URIs are <base-url>/<name>")
    .option("--serve", "serve the files over HTTP from here (read-only: GET/HEAD by content name) until interrupted")
    .option("--host <host>", "with --serve: the address to listen on (0.0.0.0 for other machines)", "127.0.0.1")
    .option("--port <n>", "with --serve: the port (0: any free port)", (v: string) => (v === "0" ? 0 : positiveInt("--port", 65_535)(v)), 8_700)
    .option("--json", "print one JSON object")
    .showHelpAfterError(false)
    .action((f: PublishFlags) => publish(f, log(), signal));
  chainOptions(client.command("status").description("a job's status and its event history"))
    .requiredOption("--job <id>", "the job id", jobIdArg)
    .option("--from-block <n>", "read events from this block (default 0; use the market's deployment block on long chains)", blockArg)
    .action((f: ChainFlags & { job: bigint }) => status(f));
  chainOptions(client.command("result").description(`download the model, verify it against the committed final root, print the verification report and the verified model's held-out accuracy (exit ${EXIT_NOT_VERIFIED} if it does not verify)`))
    .requiredOption("--job <id>", "the job id", jobIdArg)
    .option("--out <file>", "write the verified model (a .vtst state file) here")
    .option("--spec <file>", "the job's spec (default: fetched from the job's spec URI); checked against the job's spec hash")
    .option("--heldout <file>", "evaluate the verified model on this held-out dataset file (.vtds; default: the MNIST digits held out from training, when the job trains on the shipped MNIST split)")
    .option("--from-block <n>", "read events from this block (default 0)", blockArg)
    .action((f: ResultFlags) => result(f, log()));
}
