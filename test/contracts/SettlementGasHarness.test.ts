// The single-public-input prototype's hash (bench/zk/singleInput.ts, circuits/single-input/hashed_context.circom)
// computed the same by the contract probe (HashedInputGasHarness.hashedInput) and by the bench's TypeScript twin,
// which is what the circuit's witness is built from: equal on the range's edges and on signed values, always
// a field element, different for another context or value, and refused outside the 54-bit range by both.
import { describe, it } from "node:test";
import { expect } from "chai";
import { network } from "hardhat";
import { hashedInput } from "../../bench/zk/singleInput.ts";
import { FIELD_P } from "../../settlement/prover.ts";
import type { SettlementContext } from "../../settlement/abi.ts";
import { expectRevert } from "./helpers/viem.ts";

const { viem } = await network.create();
const probe = await viem.deployContract("HashedInputGasHarness" as never) as unknown as {
  read: { hashedInput(args: readonly [SettlementContext, readonly bigint[]]): Promise<bigint> };
};

const ctx: SettlementContext = {
  programRoot: `0x${"11".repeat(32)}`, datasetRoot: `0x${"22".repeat(32)}`, preStateRoot: `0x${"33".repeat(32)}`, traceRoot: `0x${"44".repeat(32)}`,
  entry: 5, element: 8191n, termLo: 392n, termHi: 400n, termCount: 784n, accIn: -12345n,
};
const EDGE = 1n << 53n;

describe("single-input prototype hash (HashedInputGasHarness.hashedInput vs bench/zk/singleInput.ts)", () => {
  it("the contract and the TypeScript twin agree, and the result is a field element", async () => {
    const cases: bigint[][] = [[], [0n, 0n], [EDGE - 1n, -EDGE], [-1n, 1n, 7n, -7n, 123456789n, -987654321n],
      Array.from({ length: 18 }, (_, i) => (BigInt(i) - 9n) * 1_000_003n)];
    for (const values of cases) {
      const onChain = await probe.read.hashedInput([ctx, values]);
      const { h } = hashedInput(ctx, values);
      expect(onChain).to.equal(h);
      expect(h < FIELD_P && h < 1n << 253n).to.equal(true);
    }
  });

  it("another dispute context or another value gives another input", async () => {
    const values = [3n, -4n];
    const base = await probe.read.hashedInput([ctx, values]);
    expect(await probe.read.hashedInput([{ ...ctx, element: ctx.element + 1n }, values])).to.not.equal(base);
    expect(await probe.read.hashedInput([{ ...ctx, accIn: ctx.accIn + 1n }, values])).to.not.equal(base);
    expect(await probe.read.hashedInput([ctx, [3n, -3n]])).to.not.equal(base);
  });

  it("a value outside [-2^53, 2^53) is refused by both", async () => {
    await expectRevert(probe.read.hashedInput([ctx, [0n, EDGE]]), "SliceValueOutOfRange", [1n]);
    await expectRevert(probe.read.hashedInput([ctx, [-EDGE - 1n]]), "SliceValueOutOfRange", [0n]);
    expect(() => hashedInput(ctx, [EDGE])).to.throw(/54-bit range/);
  });
});
