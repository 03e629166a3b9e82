// Two solver nodes (separate processes) compete for one auction on a local Hardhat node: each bids by its own
// pricing rule, undercutting the other down to its floor; the node with the lower floor wins, closes the
// bidding, trains, commits, finalizes and withdraws; the other reports the job lost and gets its bond back.
// Exact balances for all three parties.
import { after, before, describe, it } from "node:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { type Address, createTestClient, decodeFunctionData, type Hex, parseEventLogs } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { connect } from "../../chain/connect.ts";
import { deployProtocol } from "../../chain/deploy.ts";
import { jobMarketAbi } from "../../chain/generated/contracts.ts";
import { freePort, type LocalNode, startLocalNode } from "../../chain/localNode.ts";
import { transactionsBySender } from "../../chain/transactionsBySender.ts";
import { getJob } from "../../chain/jobs.ts";
import { postJob } from "../../client/postJob.ts";
import { mnistSpec } from "../../training/mnistJob.ts";
import { canonicalSpecJson } from "../../engine/spec.ts";
import { startSolverProcess, type SolverProcess } from "./helpers/nodeProcess.ts";

const STEPS = 40, INTERVAL = 20;
const ETH = 10n ** 18n, ESCROW = ETH, BOND = ETH / 10n, WINDOW = 60n, BID_DURATION = 600n;
// Floors: A 0.001 ETH/step (0.04 ETH), B 0.01 ETH/step (0.4 ETH). Both undercut by 10%.
const FLOOR_A = 10n ** 15n, FLOOR_B = 10n ** 16n;

describe("solver nodes competing in an auction (local node, two solver processes)", { timeout: 240_000 }, () => {
  let node: LocalNode;
  let dir: string;
  const procs: SolverProcess[] = [];
  before(async () => {
    node = await startLocalNode({ accounts: 5 });
    dir = await mkdtemp(path.join(tmpdir(), "veritrain-auction-"));
  });
  after(async () => {
    for (const p of procs) await p.kill("SIGKILL");
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the lower floor wins after an undercutting war; the loser gets its bond back; exact balances", async () => {
    const [deployerKey, treasuryKey, clientKey, aKey, bKey] = node.accounts;
    const local = await connect({ rpcUrl: node.url, chainId: node.chainId, pollingIntervalMs: 100 });
    const pc = local.publicClient;
    const tc = createTestClient({ chain: local.chain, transport: local.transport, mode: "hardhat" });
    const deployer = local.wallet(privateKeyToAccount(deployerKey!.privateKey));
    const client = local.wallet(privateKeyToAccount(clientKey!.privateKey));
    const d = await deployProtocol({ walletClient: deployer, publicClient: pc, treasury: treasuryKey!.address, forfeitBps: 1_000 });
    const market = d.jobMarket;
    const who = { client: client.account.address, a: aKey!.address, b: bKey!.address } as const;
    const before = Object.fromEntries(await Promise.all(Object.entries(who).map(async ([k, a]) => [k, await pc.getBalance({ address: a })]))) as Record<keyof typeof who, bigint>;

    const { spec, data } = mnistSpec();
    const specFile = path.join(dir, "spec.json");
    await writeFile(specFile, canonicalSpecJson(spec) + "\n");
    const posted = await postJob(client, {
      market, spec, dataset: data.train, specURI: pathToFileURL(specFile).href, steps: STEPS, checkpointInterval: INTERVAL,
      escrow: ESCROW, requiredBond: BOND, challengeBond: BOND, firstCome: false, bidDuration: BID_DURATION, commitDuration: 3_600n, challengeWindow: WINDOW, clockDuration: 600n,
    });

    const start = async (name: string, key: Hex, minWeiPerStep: bigint, openingBidBps: number) => {
      const configFile = path.join(dir, `${name}.json`);
      await writeFile(configFile, JSON.stringify({
        rpcUrl: node.url, chainId: node.chainId, market, dataDir: path.join(dir, name), backend: "onnx",
        pricing: { minWeiPerStep: minWeiPerStep.toString(), openingBidBps, undercutBps: 1_000 }, serve: { port: await freePort() }, pollIntervalMs: 100,
        fromBlock: Number(d.deploymentBlock),
      }));
      const p = startSolverProcess(["solver", "start", "--config", configFile], { VERITRAIN_PRIVATE_KEY: key });
      procs.push(p);
      return p;
    };
    const a = await start("a", aKey!.privateKey, FLOOR_A, 9_000);
    const b = await start("b", bKey!.privateKey, FLOOR_B, 8_000);

    // The war ends when B cannot undercut A without going below its floor (0.4 ETH): A holds the best bid.
    const floorB = FLOOR_B * BigInt(STEPS);
    await a.waitFor("A to hold a bid B cannot beat", () => {
      const last = a.logs.filter((l) => l.msg === "bid placed").at(-1);
      return last !== undefined && BigInt(last.price as string) <= floorB;
    }, 120_000);
    const bestA = BigInt(a.logs.filter((l) => l.msg === "bid placed").at(-1)!.price as string);
    expect(bestA <= floorB && bestA >= (floorB * 9n) / 10n, String(bestA)).to.equal(true);
    expect(b.logs.filter((l) => l.msg === "bid placed").length).to.be.greaterThan(0);

    await tc.increaseTime({ seconds: Number(BID_DURATION) + 1 });
    await tc.mine({ blocks: 1 });
    await b.waitFor("B's lost report", () => b.reports.some((r) => r.jobId === posted.jobId.toString()), 60_000);
    const lost = b.reports.find((r) => r.jobId === posted.jobId.toString())!;
    expect(lost.status).to.equal("lost");
    expect(lost.reason).to.match(/the (auction|bidding) ended/);

    await a.waitFor("A's commit", () => a.logs.some((l) => l.msg === "result committed"), 120_000);
    const job = await getJob(pc, { market, jobId: posted.jobId });
    expect(job.status).to.equal("Committed");
    expect(job.solver).to.equal(who.a);
    expect(job.price).to.equal(bestA);
    await tc.increaseTime({ seconds: Number(WINDOW) + 1 });
    await tc.mine({ blocks: 1 });
    await a.waitFor("A's report", () => a.reports.some((r) => r.jobId === posted.jobId.toString()), 60_000);
    const won = a.reports.find((r) => r.jobId === posted.jobId.toString())!;
    expect(won.status).to.equal("withdrawn");
    // Price and bond, plus the bond of every earlier bid of A's that B outbid (credited back at once).
    const bidsA = a.logs.filter((l) => l.msg === "bid placed").length;
    expect(BigInt(won.withdrawn as string)).to.equal(bestA + BOND + BOND * BigInt(bidsA - 1));

    // The client withdraws its refund (escrow - price).
    const w = await client.writeContract({ address: market, abi: jobMarketAbi, functionName: "withdraw", args: [] });
    const wr = await pc.waitForTransactionReceipt({ hash: w });
    expect(parseEventLogs({ abi: jobMarketAbi, eventName: "Withdrawn", logs: wr.logs })[0]!.args.amount).to.equal(ESCROW - bestA);

    // Fees and actions per account, from the chain.
    const sent = await transactionsBySender(pc, d.deploymentBlock);
    const fee = (x: Address) => sent.get(x.toLowerCase())?.feesWei ?? 0n;
    const acts = (x: Address) => (sent.get(x.toLowerCase())?.transactions ?? [])
      .filter((t) => t.status === "success" && t.to?.toLowerCase() === market.toLowerCase())
      .map((t) => decodeFunctionData({ abi: jobMarketAbi, data: t.input }).functionName);
    expect(acts(who.a).slice(-4)).to.deep.equal(["closeBidding", "commitResult", "finalize", "withdraw"]);
    expect(acts(who.a).slice(0, -4).every((x) => x === "bid")).to.equal(true);
    expect(acts(who.b).at(-1)).to.equal("withdraw"); // its outbid bonds back
    expect(acts(who.b).slice(0, -1).every((x) => x === "bid")).to.equal(true);
    const after = async (x: Address) => pc.getBalance({ address: x });
    expect((await after(who.a)) - before.a).to.equal(bestA - fee(who.a));
    expect((await after(who.b)) - before.b).to.equal(-fee(who.b));
    expect((await after(who.client)) - before.client).to.equal(-bestA - fee(who.client));
    const [, , solverBonds, , pull] = await pc.readContract({ address: market, abi: jobMarketAbi, functionName: "liabilities" });
    expect(solverBonds).to.equal(0n);
    expect(pull).to.equal(0n);
  });
});
