// A local chain restarted under a node's data directory: the same chain id, and the market deployed again
// at the same address (the same deployer's first transaction), so the database's identity matches. The
// database is also bound to the chain's genesis block, which a restarted chain does not share: the node
// refuses to start on it in one line instead of trusting rows about jobs and blocks that no longer exist
// (it used to sit silent while a new job 1 waited, its database remembering the old job 1).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { connect } from "../../chain/connect.ts";
import { deployProtocol } from "../../chain/deploy.ts";
import { startLocalNode } from "../../chain/localNode.ts";
import { NodeDbError } from "../../node/db.ts";
import { startInProcessSolver } from "../helpers/inProcessSolver.ts";

async function chainWithMarket() {
  const node = await startLocalNode({ accounts: 4 });
  const c = await connect({ rpcUrl: node.url, chainId: node.chainId });
  const d = await deployProtocol({ walletClient: c.wallet(privateKeyToAccount(node.accounts[0]!.privateKey)), publicClient: c.publicClient, treasury: node.accounts[1]!.address, forfeitBps: 1_000 });
  return { node, market: d.jobMarket, solver: c.wallet(privateKeyToAccount(node.accounts[3]!.privateKey)), genesis: (await c.publicClient.getBlock({ blockNumber: 0n })).hash };
}

describe("a node's database on a restarted chain", () => {
  it("refuses a data directory written on another chain with the same id and market address", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-restart-"));
    try {
      const first = await chainWithMarket();
      let s = await startInProcessSolver({ client: first.solver, market: first.market, dataDir: dir, datasets: ["mnist"] });
      await s.stop();
      // The same chain again: accepted.
      s = await startInProcessSolver({ client: first.solver, market: first.market, dataDir: dir, datasets: ["mnist"] });
      await s.stop();
      await first.node.stop();

      const second = await chainWithMarket();
      try {
        assert.equal(second.market, first.market, "the test's premise: the market comes back at the same address");
        assert.notEqual(second.genesis, first.genesis);
        await assert.rejects(
          startInProcessSolver({ client: second.solver, market: second.market, dataDir: dir, datasets: ["mnist"] }),
          (e: unknown) => e instanceof NodeDbError && e.message.includes(`genesis block is ${first.genesis}, and this chain's is ${second.genesis}: the chain was restarted or replaced`),
        );
      } finally {
        await second.node.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
