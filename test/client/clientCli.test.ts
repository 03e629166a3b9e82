// `veritrain client submit|status|result` as subprocesses against ONE local Hardhat node (chain/localNode.ts)
// for the whole file. Bad input: each case exits 1 with one clear line on stderr, and no transaction left the
// client's account (nonce, balance and the market's job count unchanged). The honest path: submit the MNIST
// spec, an in-process solver node (solver/node.ts) takes, trains, commits; the test moves the clock; the job
// finalizes; `result` downloads the model, verifies it, writes it; a tampered model exits 3.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Address, type Chain, type PublicClient, type Transport, createTestClient, formatEther } from "viem";
import { connect, type Connection } from "../../chain/connect.ts";
import { privateKeyToAccount } from "viem/accounts";
import { deployProtocol } from "../../chain/deploy.ts";
import { freePort, type LocalNode, startLocalNode } from "../../chain/localNode.ts";
import { mnistSpec } from "../../training/mnistJob.ts";
import { toHex } from "../../commitment/hash.ts";
import { stateRoot } from "../../commitment/stateRoot.ts";
import { encodeDataset } from "../../engine/datasetFile.ts";
import { syntheticDataset } from "../vectors/generate.ts";
import { canonicalSpecJson } from "../../engine/spec.ts";
import { initialState } from "../../engine/state.ts";
import { decodeState, encodeState } from "../../engine/stateFile.ts";
import { startInProcessSolver } from "../helpers/inProcessSolver.ts";
import { bareHex, toRoot } from "../../core/root.ts";
import { getJob, waitForJob } from "../../client/index.ts";
import { stateAccuracy } from "../../engine/evaluate.ts";
import { runVeritrain } from "../helpers/runCli.ts";

const STACK = /\n\s+at\s|\bat .*\.ts:\d+:\d+/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function veritrain(args: string[], key?: string, logLevel = "warn"): Promise<Run> {
  return runVeritrain(["client", ...args], { VERITRAIN_LOG_LEVEL: logLevel, ...(key ? { VERITRAIN_PRIVATE_KEY: key } : {}) });
}

/** Exit 1, exactly one stderr line matching `mention`, no stack, nothing on stdout. */
function oneLineError(r: Run, mention: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, mention);
  assert.doesNotMatch(r.stderr, STACK);
  assert.equal(r.stdout, "");
}

describe("veritrain client (CLI, one local node)", () => {
  let node: LocalNode;
  let dir = "";
  let market: Address;
  let game: Address;
  let clientKey: `0x${string}`;
  let clientAddress: Address;
  let rpc = "";
  const { spec, data } = mnistSpec();
  let pc: PublicClient<Transport, Chain>;
  let local: Connection;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "veritrain-client-cli-"));
    node = await startLocalNode({ accounts: 4 });
    rpc = node.url;
    local = await connect({ rpcUrl: node.url, chainId: node.chainId });
    pc = local.publicClient;
    const deployer = local.wallet(privateKeyToAccount(node.accounts[0]!.privateKey));
    const d = await deployProtocol({ walletClient: deployer, publicClient: pc, treasury: node.accounts[1]!.address, forfeitBps: 1_000 });
    market = d.jobMarket;
    game = d.disputeGame;
    clientKey = node.accounts[2]!.privateKey;
    clientAddress = node.accounts[2]!.address;
  });
  after(async () => {
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const jobCount = () => pc.readContract({ address: market, abi: [{ type: "function", name: "jobCount", inputs: [], outputs: [{ type: "uint256" }], stateMutability: "view" }], functionName: "jobCount" });
  /** Runs `fn` and checks the client sent nothing: nonce, balance and the market's job count unchanged. */
  async function nothingSent(fn: () => Promise<void>): Promise<void> {
    const [nonce, balance, jobs] = await Promise.all([pc.getTransactionCount({ address: clientAddress }), pc.getBalance({ address: clientAddress }), jobCount()]);
    await fn();
    assert.equal(await pc.getTransactionCount({ address: clientAddress }), nonce);
    assert.equal(await pc.getBalance({ address: clientAddress }), balance);
    assert.equal(await jobCount(), jobs);
  }
  const submit = (...extra: string[]) => ["submit", "--rpc-url", rpc, "--market", market, "--escrow", "1", "--steps", "4", "--checkpoint-interval", "2", "--publish-dir", path.join(dir, "specs"), ...extra];

  it("bad spec files: not JSON, a wrong field, a dataset whose root is not the spec's: one line, nothing sent", async () => {
    const bad = path.join(dir, "bad.json");
    await writeFile(bad, "{ not json");
    await nothingSent(async () => oneLineError(await veritrain(submit("--spec", bad), clientKey), /^veritrain: SpecError: .*bad\.json is not valid JSON/));
    const wrong = path.join(dir, "wrong.json");
    await writeFile(wrong, JSON.stringify({ ...JSON.parse(canonicalSpecJson(spec)), training: { batchSize: 0, seed: spec.training.seed } }));
    await nothingSent(async () => oneLineError(await veritrain(submit("--spec", wrong), clientKey), /^veritrain: SpecError: invalid spec field "training\.batchSize"/));
    const otherData = path.join(dir, "other-data.json");
    const o = JSON.parse(canonicalSpecJson(spec));
    o.data.root = "ab".repeat(32);
    await writeFile(otherData, JSON.stringify(o));
    await nothingSent(async () => oneLineError(await veritrain(submit("--spec", otherData), clientKey), new RegExp(`^veritrain: DatasetRootMismatchError: the dataset's root ${spec.data.root} is not the spec's data root ${"ab".repeat(32)}`)));
    oneLineError(await veritrain(submit(), clientKey), /^veritrain: JobParamsError: .*--spec <file>, --spec-uri <uri> .*, or --mnist/);
    // --dataset: a file that is not a dataset, and a real dataset file that is not the spec's training set.
    const specFile = path.join(dir, "mnist-spec.json");
    await writeFile(specFile, canonicalSpecJson(spec));
    const junk = path.join(dir, "junk.vtds");
    await writeFile(junk, "this is not a dataset file");
    await nothingSent(async () => oneLineError(await veritrain(submit("--spec", specFile, "--dataset", junk), clientKey), /^veritrain: JobParamsError: invalid job parameter dataset: .*junk\.vtds: not a dataset file/));
    const foreign = path.join(dir, "foreign.vtds");
    await writeFile(foreign, encodeDataset(syntheticDataset(20, spec.data.features, spec.data.classes)));
    await nothingSent(async () => oneLineError(await veritrain(submit("--spec", specFile, "--dataset", foreign), clientKey), new RegExp(`^veritrain: DatasetRootMismatchError: the dataset's root [0-9a-f]{64} is not the spec's data root ${spec.data.root}`)));
  });

  it("unreachable RPC, wrong chain id, no contract at --market: one line naming the problem, nothing sent", async () => {
    await nothingSent(async () => {
      const r = await veritrain(["submit", "--rpc-url", "http://127.0.0.1:9", "--market", market, "--escrow", "1", "--mnist", "--steps", "4", "--checkpoint-interval", "2"], clientKey);
      // fetch refuses port 9 itself ("bad port"): still one line naming the endpoint.
      oneLineError(r, /^veritrain: RpcUnreachableError: cannot reach the RPC endpoint http:\/\/127\.0\.0\.1:9: /);
      const port = await freePort();
      const refused = await veritrain(["submit", "--rpc-url", `http://127.0.0.1:${port}`, "--market", market, "--escrow", "1", "--mnist", "--steps", "4", "--checkpoint-interval", "2"], clientKey);
      oneLineError(refused, new RegExp(`^veritrain: RpcUnreachableError: cannot reach the RPC endpoint http://127\\.0\\.0\\.1:${port}: connection refused`));
    });
    await nothingSent(async () => oneLineError(await veritrain(submit("--mnist", "--chain-id", "5"), clientKey), new RegExp(`^veritrain: ChainIdMismatchError: wrong chain id: expected 5, the RPC endpoint http://127\\.0\\.0\\.1:${node.port} serves chain ${node.chainId}`)));
    const nowhere = "0x000000000000000000000000000000000000dEaD";
    await nothingSent(async () => oneLineError(await veritrain(["submit", "--rpc-url", rpc, "--market", nowhere, "--escrow", "1", "--mnist", "--steps", "4", "--checkpoint-interval", "2"], clientKey), /^veritrain: NotAMarketError: no contract at 0x000000000000000000000000000000000000dEaD/));
    oneLineError(await veritrain(["status", "--rpc-url", "http://127.0.0.1:9", "--market", market, "--job", "1"]), /RpcUnreachableError: cannot reach .*127\.0\.0\.1:9/);
  });

  it("status and result on an address that is not a JobMarket (no code; another contract): one NotAMarketError line, no stack", async () => {
    const nowhere = "0x000000000000000000000000000000000000dEaD";
    for (const cmd of ["status", "result"]) {
      oneLineError(await veritrain([cmd, "--rpc-url", rpc, "--market", nowhere, "--job", "1"]), new RegExp(`^veritrain: NotAMarketError: no contract at ${nowhere} on this chain`));
      // The DisputeGame: a contract, whose views are not the market's.
      oneLineError(await veritrain([cmd, "--rpc-url", rpc, "--market", game, "--job", "1"]), new RegExp(`^veritrain: NotAMarketError: the contract at ${game} does not answer as a JobMarket`));
    }
  });

  it("malformed --market, --job, --escrow and job values, a missing key: one line, nothing sent", async () => {
    await nothingSent(async () => {
      oneLineError(await veritrain(["submit", "--rpc-url", rpc, "--market", "0x1234", "--escrow", "1", "--mnist"], clientKey), /^error: option '--market <address>' argument '0x1234' is invalid\. --market must be a 20-byte hex address/);
      oneLineError(await veritrain(submit("--mnist", "--escrow", "1e18"), clientKey), /--escrow must be an amount of ETH like 1 or 0\.25.*"1e18"/);
      oneLineError(await veritrain(submit("--mnist", "--escrow", "-1"), clientKey), /--escrow/);
      oneLineError(await veritrain(submit("--mnist", "--escrow", "0"), clientKey), /^veritrain: JobParamsError: invalid job parameter escrow: must be more than 0 wei/);
      oneLineError(await veritrain(submit("--mnist", "--escrow", "0.01", "--challenge-bond", "0.05"), clientKey), /^veritrain: JobParamsError: invalid job parameter challengeBond: .* exceeds the escrow/);
      oneLineError(await veritrain(submit("--mnist", "--checkpoint-interval", "5"), clientKey), /^veritrain: JobParamsError: invalid job parameter checkpointInterval: 5 exceeds steps 4/);
      oneLineError(await veritrain(submit("--mnist", "--escrow", "1000000")), /^veritrain: MissingPrivateKeyError: VERITRAIN_PRIVATE_KEY is not set: export the client's private key/);
      // A mixed-case market address with a wrong EIP-55 checksum (one letter's case flipped) is refused, not used.
      const i = [...market].findIndex((ch, k) => k > 1 && /[a-fA-F]/.test(ch));
      const flipped = market.slice(0, i) + (market[i] === market[i]!.toLowerCase() ? market[i]!.toUpperCase() : market[i]!.toLowerCase()) + market.slice(i + 1);
      oneLineError(await veritrain(["submit", "--rpc-url", rpc, "--market", flipped, "--escrow", "1", "--mnist"], clientKey), new RegExp(`^error: option '--market <address>' argument '${flipped}' is invalid\\. --market ${flipped} fails its EIP-55 checksum .*checksum as ${market}`));
      oneLineError(await veritrain(submit("--mnist", "--escrow", "1000000"), clientKey), /^veritrain: InsufficientFundsError: .* less than the escrow 1000000 ETH/);
    });
    oneLineError(await veritrain(["status", "--rpc-url", rpc, "--market", market, "--job", "abc"]), /^error: option '--job <id>' argument 'abc' is invalid\. --job must be a job id/);
    oneLineError(await veritrain(["status", "--rpc-url", rpc, "--market", market, "--job", "0"]), /--job must be a job id/);
  });

  it("a job id that does not exist: status and result say so in one line", async () => {
    oneLineError(await veritrain(["status", "--rpc-url", rpc, "--market", market, "--job", "99"]), /^veritrain: JobNotFoundError: job 99 does not exist on this market/);
    oneLineError(await veritrain(["result", "--rpc-url", rpc, "--market", market, "--job", "99"]), /^veritrain: JobNotFoundError: job 99 does not exist on this market/);
  });

  it("submit --mnist posts the job; status shows it; a solver finalizes it; result verifies and writes the model; a tampered model exits 3", async () => {
    const nonce = await pc.getTransactionCount({ address: clientAddress });
    const s = await veritrain(submit("--mnist", "--escrow", "0.5", "--bond", "0.1", "--challenge-bond", "0.05", "--challenge-window", "100", "--chain-id", String(node.chainId), "--json"), clientKey);
    assert.equal(s.code, 0, s.stderr);
    const posted = JSON.parse(s.stdout);
    assert.equal(await pc.getTransactionCount({ address: clientAddress }), nonce + 1); // exactly one transaction: postJob
    const jobId = BigInt(posted.jobId);
    assert.equal(posted.specHash, `0x${(await import("../../engine/spec.ts")).specHash(spec)}`);
    // The spec is published content-addressed: the file is named by its hash and holds the canonical JSON.
    const specPath = fileURLToPath(posted.specURI);
    assert.equal(path.basename(specPath), `${posted.specHash.slice(2)}.json`);
    assert.equal((await readFile(specPath, "utf8")).trim(), canonicalSpecJson(spec));

    const st = await veritrain(["status", "--rpc-url", rpc, "--market", market, "--job", String(jobId), "--json"]);
    assert.equal(st.code, 0, st.stderr);
    const status = JSON.parse(st.stdout);
    assert.equal(status.job.status, "Open");
    assert.deepEqual(status.events.map((e: { kind: string }) => e.kind), ["posted"]);
    assert.equal(status.events[0].params.specURI, posted.specURI);
    const human = await veritrain(["status", "--rpc-url", rpc, "--market", market, "--job", String(jobId)]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`^job ${jobId} on market ${market}: Open`));

    // Not committed yet: no model, exit 3 (not verified), the report says pending.
    const early = await veritrain(["result", "--rpc-url", rpc, "--market", market, "--job", String(jobId), "--json"]);
    assert.equal(early.code, 3, early.stderr);
    assert.equal(JSON.parse(early.stdout).verdict, "pending");

    const solver = local.wallet(privateKeyToAccount(node.accounts[3]!.privateKey));
    const solving = await startInProcessSolver({ client: solver, market, dataDir: path.join(dir, "solver"), datasets: ["mnist"], pollIntervalMs: 50 });
    try {
    const tc = createTestClient({ chain: local.chain, transport: local.transport, mode: "hardhat" });
    // Polled in-process (a subprocess per poll would only slow the test): the CLI's status is tested above.
    await waitForJob(pc, { market, jobId, status: "Committed", pollingIntervalMs: 100, timeoutMs: 120_000 });
    await tc.increaseTime({ seconds: 101 });
    await tc.mine({ blocks: 1 });
    const solved = await solving.nextReport();
    assert.equal(solved.status, "withdrawn");
    // The market credits the price and the returned bond in one sum; status says which part is which.
    const { price } = await getJob(pc, { market, jobId });
    const done = await veritrain(["status", "--rpc-url", rpc, "--market", market, "--job", String(jobId)]);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, new RegExp(`finalized: solver 0x[0-9a-fA-F]{40} paid ${formatEther(price)} ETH for the job and its bond of 0\\.1 ETH returned`));

    // An --out that cannot be written is said before anything is fetched: a write error naming the path.
    const unwritable = path.join(dir, "no-such-dir", "model.vtst");
    oneLineError(await veritrain(["result", "--rpc-url", rpc, "--market", market, "--job", String(jobId), "--out", unwritable]), /^veritrain: FileWriteError: --out .*no-such-dir\/model\.vtst cannot be written: its directory .*no-such-dir does not exist \(ENOENT/);

    const out = path.join(dir, "model.vtst");
    const r = await veritrain(["result", "--rpc-url", rpc, "--market", market, "--job", String(jobId), "--out", out, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.status, "Finalized");
    assert.equal(report.verdict, "finalized-unchallenged");
    assert.match(report.summary, /nobody challenged/);
    assert.equal(report.model.verified, true);
    assert.equal(report.model.root, solved.finalRoot);
    assert.equal(report.roots.finalRoot, solved.finalRoot);
    assert.deepEqual(report.intervals, { total: "2", challenged: "0", attested: "0" });
    assert.deepEqual(report.disputes, []);
    assert.deepEqual(report.events.map((e: { kind: string }) => e.kind).filter((k: string) => k !== "credited"), ["posted", "assigned", "committed", "finalized"]);
    assert.equal(report.stateFile, out);
    const state = decodeState(spec, await readFile(out));
    assert.equal(toHex(stateRoot(spec, state)), solved.finalRoot);
    assert.equal(state.step, 4);
    // The verified model evaluated on the MNIST digits held out from its training split: the same number as
    // this test measures on the state it wrote.
    assert.equal(report.heldoutDataset, "mnist");
    assert.equal(report.heldoutExamples, data.heldout.count);
    assert.equal(report.heldoutAccuracy, await stateAccuracy(spec, state, data.heldout));
    // ...or on a held-out dataset file given with --heldout; the training set itself is refused as one.
    const heldoutFile = path.join(dir, "heldout.vtds");
    const other = syntheticDataset(40, spec.data.features, spec.data.classes);
    await writeFile(heldoutFile, encodeDataset(other));
    const h = await veritrain(["result", "--rpc-url", rpc, "--market", market, "--job", String(jobId), "--heldout", heldoutFile, "--json"]);
    assert.equal(h.code, 0, h.stderr);
    const hr = JSON.parse(h.stdout);
    assert.deepEqual([hr.heldoutDataset, hr.heldoutExamples, hr.heldoutAccuracy], [heldoutFile, 40, await stateAccuracy(spec, state, other)]);
    const trainFile = path.join(dir, "train.vtds");
    await writeFile(trainFile, encodeDataset(data.train));
    oneLineError(await veritrain(["result", "--rpc-url", rpc, "--market", market, "--job", String(jobId), "--heldout", trainFile]), /^veritrain: DatasetError: --heldout .*train\.vtds is the job's training set itself/);

    const text = await veritrain(["result", "--rpc-url", rpc, "--market", market, "--job", String(jobId)]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /verdict\s+finalized-unchallenged/);
    assert.match(text.stdout, /0 of 2 challenged on chain/);
    assert.match(text.stdout, new RegExp(`\\nheld-out accuracy   ${(100 * report.heldoutAccuracy).toFixed(2)}% of ${data.heldout.count} held-out MNIST digits \\(never trained on\\), measured here on the verified model\\n`));

    // Another valid state where the solver's model URI points (its store file replaced): refused, exit 3,
    // and nothing written.
    await writeFile(path.join(dir, "solver", "states", `${bareHex(toRoot(solved.finalRoot!))}.state`), encodeState(spec, initialState(spec)));
    const out2 = path.join(dir, "model2.vtst");
    const bad = await veritrain(["result", "--rpc-url", rpc, "--market", market, "--job", String(jobId), "--out", out2, "--json"]);
    assert.equal(bad.code, 3, bad.stderr);
    const badReport = JSON.parse(bad.stdout);
    assert.equal(badReport.model.verified, false);
    assert.equal(badReport.heldoutAccuracy, undefined); // nothing evaluated that did not verify
    assert.match(badReport.model.error, /committed root is/);
    await assert.rejects(readFile(out2), { code: "ENOENT" });
    } finally {
      await solving.stop();
    }
  });

  it("submit --follow logs each event as it happens and ends with the verification report", async () => {
    const jobs = await jobCount();
    const following = veritrain(submit("--mnist", "--escrow", "0.5", "--challenge-window", "100", "--follow", "--follow-timeout", "300", "--json"), clientKey, "info");
    for (;;) {
      if ((await jobCount()) > jobs) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const jobId = jobs + 1n;
    const solver = local.wallet(privateKeyToAccount(node.accounts[3]!.privateKey));
    const solving = await startInProcessSolver({ client: solver, market, dataDir: path.join(dir, "solver2"), datasets: ["mnist"], pollIntervalMs: 50 });
    let solved, r;
    try {
      const tc = createTestClient({ chain: local.chain, transport: local.transport, mode: "hardhat" });
      // Polled in-process (a subprocess per poll would only slow the test): the CLI's status is tested above.
      await waitForJob(pc, { market, jobId, status: "Committed", pollingIntervalMs: 100, timeoutMs: 120_000 });
      await tc.increaseTime({ seconds: 101 });
      await tc.mine({ blocks: 1 });
      solved = await solving.nextReport();
      while (solved.jobId !== String(jobId)) solved = await solving.nextReport(); // the previous test's job: lost
      r = await following; // its report fetches the model from the solver's server
    } finally {
      await solving.stop();
    }
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.jobId, String(jobId));
    assert.equal(out.report.verdict, "finalized-unchallenged");
    assert.equal(out.report.model.verified, true);
    assert.equal(out.report.model.root, solved.finalRoot);
    // The progress on stderr: one log line per phase, then one per event as it was seen.
    const logs = r.stderr.trim().split("\n").map((l) => JSON.parse(l) as { phase?: string; event?: string });
    // A 100 s window is too short for a verifier that must rebuild the run: said, not refused.
    assert.deepEqual(logs.filter((l) => l.phase !== "follow").map((l) => l.phase), ["checks", "window", "chain", "publish", "post"]);
    assert.deepEqual(logs.filter((l) => l.phase === "follow" && l.event !== "credited").map((l) => l.event), ["posted", "assigned", "committed", "finalized"]);
  });
});
