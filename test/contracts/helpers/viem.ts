// Shared by every contract test: the types of Hardhat 3's viem connection, and custom-error assertions.
//
// Contract handles are typed loosely (artifacts/ is outside tsconfig's `include`): reads return `unknown`
// and are cast where they are used.
import assert from "node:assert/strict";
import type { network } from "hardhat";
import { BaseError, ContractFunctionRevertedError } from "viem";

type Connection = Awaited<ReturnType<typeof network.create>>;
export type Viem = Connection["viem"];
export type PublicClient = Awaited<ReturnType<Viem["getPublicClient"]>>;
export type TestClient = Awaited<ReturnType<Viem["getTestClient"]>>;
export type Wallet = Awaited<ReturnType<Viem["getWalletClients"]>>[number];
/** A deployed contract as returned by hardhat-viem (loosely typed: see the file comment). */
export type Contract = any;

/**
 * Asserts that `p` reverts with the custom error `name` (decoded by viem from the called contract's ABI),
 * and optionally with these arguments. An error raised by another contract than the one called is not in
 * its ABI: then the name is looked for in the error's text.
 */
export async function expectRevert(p: Promise<unknown>, name: string, args?: readonly unknown[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    if (e instanceof BaseError) {
      const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
      if (r instanceof ContractFunctionRevertedError && r.data?.errorName) {
        assert.equal(r.data.errorName, name, String(e));
        if (args !== undefined) assert.deepEqual(r.data.args, args, `${name} args`);
        return true;
      }
    }
    assert.match(String(e), new RegExp(`\\b${name}\\b`));
    return true;
  });
}
