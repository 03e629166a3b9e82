// chain/localNode.ts on both implementations: the same chain id, accounts and keys, the same gas cap per
// transaction (Osaka's); interval mining keeps
// mining a block per transaction (a transaction sent under a one-hour block time is mined at once: without
// automine it would wait an hour); without a block time no block comes without traffic; a port in use and
// bad options are refused before anything starts; stop() ends the process and frees the port.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { createPublicClient, createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { anvilBinary } from "./anvil.ts";
import { chainOf } from "./connect.ts";
import { devAccount, LocalNodeError, type LocalNodeImpl, portFree, startLocalNode } from "./localNode.ts";
import { alive } from "../test/helpers/alive.ts";

const noAnvil = anvilBinary() ? undefined : "anvil is not installed (npm package @foundry-rs/anvil-linux-amd64, or an anvil on PATH)";

async function checkImpl(impl: LocalNodeImpl): Promise<void> {
  // An hour between interval blocks: only automine can mine the transaction below within the test's time.
  const node = await startLocalNode({ impl, accounts: 2, blockTimeSeconds: 3_600 });
  try {
    assert.equal(node.impl, impl);
    assert.equal(node.chainId, 31337);
    assert.match(node.clientVersion, impl === "anvil" ? /^anvil\// : /^HardhatNetwork\//);
    assert.deepEqual(node.accounts.map((a) => a.address), [devAccount(0).address, devAccount(1).address]);
    const chain = chainOf(node.chainId, node.url);
    const pc = createPublicClient({ chain, transport: http(node.url), cacheTime: 0 });
    const wallet = createWalletClient({ chain, transport: http(node.url), account: privateKeyToAccount(node.accounts[0]!.privateKey) });
    const before = await pc.getBalance({ address: node.accounts[1]!.address });
    const hash = await wallet.sendTransaction({ to: node.accounts[1]!.address, value: 1n });
    const receipt = await pc.waitForTransactionReceipt({ hash, timeout: 30_000 });
    assert.equal(receipt.status, "success");
    assert.equal(await pc.getBalance({ address: node.accounts[1]!.address }), before + 1n);
    // Osaka's per-transaction gas cap (EIP-7825) holds on both, as on mainnet (anvil only when told).
    await assert.rejects(wallet.sendTransaction({ to: node.accounts[1]!.address, value: 1n, gas: 2n ** 24n + 1n }));
    await pc.waitForTransactionReceipt({ hash: await wallet.sendTransaction({ to: node.accounts[1]!.address, value: 1n, gas: 2n ** 24n }), timeout: 30_000 });
  } finally {
    await node.stop();
  }
  assert.equal(alive(node.pid), false);
  assert.equal(await portFree(node.port), true);
  assert.match(await node.exited, /^(exit code|signal) /);
}

async function checkNoTrafficNoBlocks(impl: LocalNodeImpl): Promise<void> {
  const node = await startLocalNode({ impl, accounts: 1 });
  try {
    const pc = createPublicClient({ transport: http(node.url), cacheTime: 0 });
    const first = await pc.getBlockNumber();
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(await pc.getBlockNumber(), first, "no block without traffic nor a block time");
  } finally {
    await node.stop();
  }
}

describe("local node (Hardhat's and anvil)", { timeout: 120_000 }, () => {
  it("hardhat: chain 31337, the dev accounts; interval mining keeps a block per transaction; stop frees the port", () => checkImpl("hardhat"));
  it("anvil: the same", { skip: noAnvil }, () => checkImpl("anvil"));
  it("hardhat: without a block time, no block comes without traffic", () => checkNoTrafficNoBlocks("hardhat"));
  it("anvil: the same", { skip: noAnvil }, () => checkNoTrafficNoBlocks("anvil"));

  it("refuses a port in use and bad options before starting anything", async () => {
    const server = createServer().listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as { port: number }).port;
    try {
      await assert.rejects(startLocalNode({ impl: "anvil", port }), (e: Error) => e instanceof LocalNodeError && e.message.includes(`port ${port} on 127.0.0.1 is in use`));
    } finally {
      server.close();
    }
    await assert.rejects(startLocalNode({ blockTimeSeconds: 0 }), /block time must be a positive number of seconds, got 0/);
    await assert.rejects(startLocalNode({ accounts: 21 }), /accounts must be in \[1, 20\], got 21/);
    await assert.rejects(startLocalNode({ impl: "geth" as LocalNodeImpl }), /must be one of hardhat, anvil, got "geth"/);
    await assert.rejects(startLocalNode({ port: 70_000 }), /port must be an integer in \[1, 65535\]/);
  });
});
