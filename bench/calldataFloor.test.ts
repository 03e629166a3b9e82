// The EIP-7623 helpers of the benches, and the check they rest on: the in-process Hardhat network (EDR) bills
// the calldata floor in its receipts where it binds, and only there.
import { describe, it } from "node:test";
import { expect } from "chai";
import { network } from "hardhat";
import { calldataFloor, calldataTokens, floorBinds, floorProbe, floorsOfBlocks, gasAtFloor } from "./calldataFloor.ts";

describe("EIP-7623 calldata floor", () => {
  it("counts a zero byte as one token and a non-zero byte as four", () => {
    expect(calldataTokens("0x")).to.equal(0n);
    expect(calldataTokens("0x00ff0001")).to.equal(1n + 4n + 1n + 4n);
    expect(calldataFloor("0x00ff0001")).to.equal(21_000n + 100n);
    expect(() => calldataTokens("0x123" as `0x${string}`)).to.throw(/whole bytes/);
  });

  it("is what the chain's receipts charge where it binds, and not elsewhere", async () => {
    const { viem } = await network.create();
    const pc = await viem.getPublicClient();
    const [a, b] = await viem.getWalletClients();
    const to = b!.account.address;
    const first = (await pc.getBlockNumber()) + 1n;
    // Floor-bound: 4,096 non-zero bytes to an account without code (standard 86,536, floor 184,840).
    const probe = await floorProbe(pc, (data) => a!.sendTransaction({ to, data }));
    expect(probe).to.deep.equal({ gasUsed: 184_840n, floor: 184_840n, standard: 86_536n });
    // Not floor-bound: a deployment pays 32,000, 16 per non-zero byte and 200 per byte of code deposited.
    const harness = await viem.deployContract("Sha256MerkleHarness");
    const txs = await floorsOfBlocks(pc, first, await pc.getBlockNumber());
    expect(txs.length).to.equal(2);
    expect(floorBinds(txs[0]!)).to.equal(true);
    expect(floorBinds(txs[1]!)).to.equal(false);
    expect(txs[1]!.gasUsed > txs[1]!.floor).to.equal(true);
    expect(harness.address).to.match(/^0x/);
    expect(gasAtFloor(txs)).to.equal(184_840n + txs[1]!.gasUsed);
  });
});
