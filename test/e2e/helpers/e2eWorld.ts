// A whole protocol on one local node (Hardhat's or anvil: chain/localNode.ts) for multi-process end-to-end tests: the contracts deployed,
// funded dev accounts, content-addressed specs and datasets published per "lane" (each lane has its own
// synthetic dataset, so a job reaches exactly the nodes that accept that dataset), solver and verifier nodes
// started as `veritrain ... start` processes with their own configs and keys, and a chain driver that mines
// a block every `blockMs` (the verifier samples from the block after a commit, and the chain's clock moves
// only with blocks) and jumps the clock past a liar's chess clock once the liar has stopped moving.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Address, type Chain, createTestClient, type Hex, type TestClient, type Transport } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { readContract, writeContract } from "viem/actions";
import { connect, type Connection } from "../../../chain/connect.ts";
import { deployProtocol } from "../../../chain/deploy.ts";
import type { KernelKind } from "../../../chain/kernelKind.ts";
import { disputeGameAbi, jobMarketAbi } from "../../../chain/generated/contracts.ts";
import { freePort, type LocalNode, type LocalNodeImpl, startLocalNode } from "../../../chain/localNode.ts";
import { postJob } from "../../../client/postJob.ts";
import { publishDataset } from "../../../content/publishDataset.ts";
import { publishSpec } from "../../../content/publishSpec.ts";
import type { Dataset } from "../../../engine/batch.ts";
import type { TrainingSpec } from "../../../engine/spec.ts";
import { isOver, Party, Phase } from "../../../dispute/gameState.ts";
import { syntheticDataset, tinySpec } from "../../vectors/generate.ts";
import { type NodeProcess, startNodeProcess } from "./nodeProcess.ts";

export const ESCROW = 10n ** 18n, BOND = 10n ** 17n, CHALLENGE_BOND = 5n * 10n ** 16n, FORFEIT_BPS = 1_000n;
export const CLOCK = 600n, WINDOW = 3_600n, STEPS = 9, INTERVAL = 3;

export interface Lane {
  readonly k: number;
  readonly dataset: Dataset;
  readonly spec: TrainingSpec;
  readonly specURI: string;
  readonly datasetFile: string;
}

export interface E2EWorld {
  readonly node: LocalNode;
  readonly dir: string;
  readonly local: Connection;
  readonly market: Address;
  readonly game: Address;
  readonly fromBlock: bigint;
  /** The node's test methods (mine, increaseTime), in its implementation's own RPC dialect. */
  readonly test: TestClient<LocalNodeImpl, Transport, Chain>;
  /** Moves the chain's clock on by `seconds` and mines a block at the new time. */
  passTime(seconds: bigint | number): Promise<void>;
  /** The dev account i (0 deployer, 1 treasury, 2 client; the rest for nodes). */
  key(i: number): Hex;
  address(i: number): Address;
  lane(k: number): Promise<Lane>;
  post(lane: Lane, over?: { sampleBps?: number; steps?: number; checkpointInterval?: number }): Promise<bigint>;
  solver(name: string, key: number, lanes: readonly Lane[], adversary?: Record<string, unknown>): Promise<NodeProcess>;
  verifier(name: string, key: number, lanes: readonly Lane[], extra?: Record<string, unknown>): Promise<NodeProcess>;
  /** Mines a block every blockMs; a game whose liar (by job) has not moved for stallMs gets its clock run out. */
  drive(liars: ReadonlyMap<bigint, "solver" | "challenger">, o?: { blockMs?: number; stallMs?: number }): { stop(): Promise<void> };
  /** The market pull balance of an address. */
  balance(a: Address): Promise<bigint>;
  /** Withdraws an account's whole pull balance (nothing when it is zero). */
  withdraw(i: number): Promise<bigint>;
  marketEther(): Promise<bigint>;
  liabilities(): Promise<bigint>;
  close(): Promise<void>;
}

export async function startE2EWorld(o: { accounts: number; kernel?: KernelKind; impl?: LocalNodeImpl }): Promise<E2EWorld> {
  const node = await startLocalNode({ accounts: o.accounts, impl: o.impl });
  const dir = await mkdtemp(path.join(tmpdir(), "veritrain-e2e-"));
  const procs: NodeProcess[] = [];
  const local = await connect({ rpcUrl: node.url, chainId: node.chainId, pollingIntervalMs: 100 });
  const pc = local.publicClient;
  const tc = createTestClient({ chain: local.chain, transport: local.transport, mode: node.impl });
  const wallet = (i: number) => local.wallet(privateKeyToAccount(node.accounts[i]!.privateKey));
  const d = await deployProtocol({ walletClient: wallet(0), publicClient: pc, treasury: node.accounts[1]!.address, forfeitBps: Number(FORFEIT_BPS), kernel: o.kernel ?? "recompute" });
  const lanes = new Map<number, Lane>();
  const config = async (name: string, cfg: Record<string, unknown>) => {
    const file = path.join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify(cfg));
    return file;
  };
  const w: E2EWorld = {
    node, dir, local, market: d.jobMarket, game: d.disputeGame, fromBlock: d.deploymentBlock, test: tc,
    async passTime(seconds) {
      await tc.increaseTime({ seconds: Number(seconds) });
      await tc.mine({ blocks: 1 });
    },
    key: (i) => node.accounts[i]!.privateKey,
    address: (i) => node.accounts[i]!.address,
    async lane(k) {
      const hit = lanes.get(k);
      if (hit) return hit;
      const dataset = syntheticDataset(64 + k, 12, 4);
      const spec = tinySpec(dataset);
      const pub = path.join(dir, "published");
      await mkdir(pub, { recursive: true });
      const s = await publishSpec({ spec, dir: pub });
      const ds = await publishDataset({ dataset, dir: pub });
      const lane = { k, dataset, spec, specURI: s.uri, datasetFile: ds.path };
      lanes.set(k, lane);
      return lane;
    },
    async post(lane, over = {}) {
      const r = await postJob(wallet(2), {
        market: d.jobMarket, spec: lane.spec, dataset: lane.dataset, specURI: lane.specURI, steps: over.steps ?? STEPS, checkpointInterval: over.checkpointInterval ?? INTERVAL,
        escrow: ESCROW, requiredBond: BOND, challengeBond: CHALLENGE_BOND, firstCome: true, commitDuration: 3_600n, challengeWindow: WINDOW, clockDuration: CLOCK,
        sampleBps: over.sampleBps ?? 10_000,
      });
      return r.jobId;
    },
    async solver(name, key, ls, adversary) {
      const file = await config(name, {
        rpcUrl: node.url, chainId: node.chainId, market: d.jobMarket, dataDir: path.join(dir, name), backend: "reference", fromBlock: Number(d.deploymentBlock),
        pricing: { minWeiPerStep: "1" }, serve: { port: await freePort() }, pollIntervalMs: 150, accept: { datasets: ls.map((l) => l.datasetFile) },
        ...(adversary ? { adversary } : {}),
      });
      const p = startNodeProcess(["solver", "start", "--config", file], { VERITRAIN_PRIVATE_KEY: node.accounts[key]!.privateKey, ...(adversary ? { VERITRAIN_TEST_ADVERSARY: "1" } : {}) });
      procs.push(p);
      await p.waitFor(`${name} to start`, () => p.logs.some((l) => l.msg === "solver node started"), 60_000);
      return p;
    },
    async verifier(name, key, ls, extra = {}) {
      const file = await config(name, {
        rpcUrl: node.url, chainId: node.chainId, market: d.jobMarket, dataDir: path.join(dir, name), backend: "reference", fromBlock: Number(d.deploymentBlock),
        pollIntervalMs: 150, accept: { datasets: ls.map((l) => l.datasetFile) }, stateTimeoutMs: 3_000, ...extra,
      });
      const p = startNodeProcess(["verifier", "start", "--config", file], { VERITRAIN_PRIVATE_KEY: node.accounts[key]!.privateKey, ...("adversary" in extra ? { VERITRAIN_TEST_ADVERSARY: "1" } : {}) });
      procs.push(p);
      await p.waitFor(`${name} to start`, () => p.logs.some((l) => l.msg === "verifier node started"), 60_000);
      return p;
    },
    drive(liars, opts = {}) {
      // The chain's clock is one for every game: it may jump only when every open game waits on a liar that
      // stopped moving (a jump charges only the party to move, and settlement is the solver's to make).
      let stopped = false;
      const seen = new Map<bigint, { key: string; since: number }>();
      const loop = (async () => {
        while (!stopped) {
          await tc.mine({ blocks: 1 }).catch(() => {});
          const count = (await readContract(pc, { address: d.disputeGame, abi: disputeGameAbi, functionName: "gameCount" }).catch(() => 0n)) as bigint;
          let open = 0, stalledOnLiars = 0, clock = 0n;
          for (let id = 1n; id <= count; id++) {
            const st = await readContract(pc, { address: d.disputeGame, abi: disputeGameAbi, functionName: "gameState", args: [id] });
            if (isOver(st.phase)) continue;
            open++;
            const key = `${st.phase}/${st.round}/${st.index}/${st.loStep}/${st.hiStep}/${st.termLo}/${st.termHi}`;
            const prev = seen.get(id);
            if (!prev || prev.key !== key) {
              seen.set(id, { key, since: Date.now() });
              continue;
            }
            const rec = await readContract(pc, { address: d.jobMarket, abi: jobMarketAbi, functionName: "getGame", args: [id] });
            const liar = liars.get(rec.jobId);
            const liarsTurn = liar !== undefined && (st.phase === Phase.Settlement ? liar === "solver" : st.turn === (liar === "solver" ? Party.Solver : Party.Challenger));
            if (liarsTurn && Date.now() - prev.since >= (opts.stallMs ?? 2_500)) {
              stalledOnLiars++;
              clock = st.clockDuration > clock ? st.clockDuration : clock;
            }
          }
          if (open > 0 && stalledOnLiars === open) {
            await tc.increaseTime({ seconds: Number(clock) + 1 });
            seen.clear();
          }
          await new Promise((r) => setTimeout(r, opts.blockMs ?? 250));
        }
      })();
      return { stop: async () => ((stopped = true), await loop) };
    },
    balance: (a) => readContract(pc, { address: d.jobMarket, abi: jobMarketAbi, functionName: "balanceOf", args: [a] }),
    async withdraw(i) {
      const a = node.accounts[i]!.address;
      const b = await w.balance(a);
      if (b === 0n) return 0n;
      const hash = await writeContract(wallet(i), { address: d.jobMarket, abi: jobMarketAbi, functionName: "withdraw", args: [], account: wallet(i).account, chain: local.chain });
      await pc.waitForTransactionReceipt({ hash });
      return b;
    },
    marketEther: () => pc.getBalance({ address: d.jobMarket }),
    liabilities: () => readContract(pc, { address: d.jobMarket, abi: jobMarketAbi, functionName: "totalLiabilities" }),
    async close() {
      await Promise.all(procs.map((p) => p.kill("SIGTERM")));
      await node.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return w;
}

