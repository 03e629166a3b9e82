import { accessSync, constants } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Foundry's anvil as a local node (chain/localNode.ts starts it): where its binary is and its command line.
 * The binary comes from npm (`@foundry-rs/anvil-linux-amd64`, linked as node_modules/.bin/anvil); an
 * `anvil` on PATH (Foundry's own installer) is used when the package is absent (another platform).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The anvil binary to run, or undefined when there is none (neither the npm package nor one on PATH). */
export function anvilBinary(): string | undefined {
  const local = path.join(ROOT, "node_modules", ".bin", "anvil");
  if (executable(local)) return local;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && executable(path.join(dir, "anvil"))) return path.join(dir, "anvil");
  }
  return undefined;
}

export interface AnvilArgs {
  readonly port: number;
  readonly mnemonic: string;
  /** How many accounts of the mnemonic the node funds. */
  readonly funded: number;
  readonly chainId: number;
  /** A block every this many seconds on top of one per transaction; none: a block per transaction only. */
  readonly blockTimeSeconds?: number | undefined;
}

/**
 * anvil's arguments for a node like Hardhat's: the same mnemonic, funded accounts and chain id, on
 * 127.0.0.1. `--enable-tx-gas-limit`: anvil runs Osaka but does not enforce its per-transaction gas cap
 * (EIP-7825, 2^24) unless told, while Hardhat and mainnet refuse a transaction above it. `--block-time`
 * alone would stop mining a block per transaction (each would wait for the next tick); `--mixed-mining`
 * keeps both, as Hardhat's interval mining does.
 */
export function anvilArgs(a: AnvilArgs): string[] {
  const args = ["--host", "127.0.0.1", "--port", String(a.port), "--mnemonic", a.mnemonic, "--accounts", String(a.funded), "--chain-id", String(a.chainId), "--enable-tx-gas-limit"];
  if (a.blockTimeSeconds !== undefined) args.push("--block-time", String(a.blockTimeSeconds), "--mixed-mining");
  return args;
}
