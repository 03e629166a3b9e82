import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { pino } from "pino";
import { deployProtocol } from "../chain/deploy.ts";
import { NotAMarketError } from "../client/errors.ts";
import { startExplorer } from "./start.ts";

describe("startExplorer", async () => {
  const { viem } = await network.create();
  const pc = await viem.getPublicClient();
  const [deployer] = await viem.getWalletClients();
  const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: deployer!.account.address, forfeitBps: 1_000 });
  const log = pino({ level: "silent" });

  it("refuses an address that is not a JobMarket before it listens (no contract; another contract)", async () => {
    for (const market of [deployer!.account.address, d.disputeGame]) {
      await assert.rejects(startExplorer({ client: pc, market, log }, AbortSignal.timeout(10_000)), NotAMarketError);
    }
  });

  it("serves the market's view once started, and stops with its signal", async () => {
    const ac = new AbortController();
    const x = await startExplorer({ client: pc, market: d.jobMarket, log, pollMs: 50 }, ac.signal);
    const n = (await (await fetch(`${x.url}/api/network`)).json()) as { market: string; game: string; jobs: unknown[] };
    assert.deepEqual([n.market, n.game, n.jobs], [d.jobMarket, d.disputeGame, []]);
    ac.abort();
    await x.running;
    await assert.rejects(fetch(`${x.url}/api/network`), "the server is closed with the poll loop");
  });
});
