import { writeFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import type { Address } from "viem";
import { connect } from "../../chain/connect.ts";
import { ChainError, DeploymentError, DeploymentFileError, redactUrl } from "../../chain/errors.ts";
import { accountFromEnv, PRIVATE_KEY_ENV } from "../../chain/keys.ts";
import { parseRpcUrl } from "../../chain/rpcUrl.ts";
import type { Logger } from "../../log/logger.ts";
import { addressArg, positiveInt } from "../options.ts";
import { checkWritable } from "../outFile.ts";
import { BPS, DEPLOY_DEFAULTS } from "../../core/defaults.ts";

export interface DeployFlags {
  rpcUrl: string;
  chainId?: number;
  treasury?: Address;
  forfeitBps: number;
  kernelVerifier?: Address;
  kernel: "recompute" | "groth16";
  out?: string;
}

function bps(v: string): number {
  if (!/^[0-9]+$/.test(v) || Number(v) > BPS) throw new InvalidArgumentError(`--forfeit-bps must be an integer in [0, ${BPS}] (basis points), got "${v}"`);
  return Number(v);
}

/**
 * chain/deploy.ts, loaded on use: it imports the generated contract artifacts (chain/generated/, a build
 * product), which the other commands must not depend on.
 */
async function loadDeployer(): Promise<typeof import("../../chain/deploy.ts")> {
  try {
    return await import("../../chain/deploy.ts");
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && String((e as Error).message).includes("generated")) {
      throw new ChainError("the contract artifacts are not built (chain/generated/contracts.ts is missing): run `npm run build:contracts`");
    }
    throw e;
  }
}

function kernelKind(v: string): "recompute" | "groth16" {
  if (v !== "recompute" && v !== "groth16") throw new InvalidArgumentError(`--kernel must be recompute or groth16, got "${v}"`);
  return v;
}

export function registerDeploy(program: Command, log: () => Logger): void {
  program
    .command("deploy")
    .description(`deploy the protocol (a kernel verifier, DisputeGame, JobMarket) through an RPC endpoint; the key comes from ${PRIVATE_KEY_ENV}`)
    .requiredOption("--rpc-url <url>", "JSON-RPC endpoint (http or https)")
    .option("--chain-id <n>", "refuse to deploy unless the endpoint serves this chain", positiveInt("--chain-id"))
    .option("--treasury <address>", "account credited with the forfeited share of lost bonds (default: the deployer)", addressArg("--treasury"))
    .option("--forfeit-bps <n>", "forfeited share of a lost bond, in basis points", bps, DEPLOY_DEFAULTS.forfeitBps)
    .option("--kernel <kind>", "kernel verifier to deploy: recompute (RecomputeKernelVerifier: recomputes the disputed element on chain) or groth16 (Groth16KernelVerifier and one verifier per settlement circuit)", kernelKind, "recompute")
    .option("--kernel-verifier <address>", "use this deployed kernel verifier instead of deploying one", addressArg("--kernel-verifier"))
    .option("--out <file>", "also write the deployment JSON to this file")
    .action(async (f: DeployFlags) => {
      const account = accountFromEnv(process.env, { role: "deployer" });
      parseRpcUrl(f.rpcUrl);
      if (f.out) await checkWritable("--out", f.out);
      const { deployProtocol, deploymentJson } = await loadDeployer();
      const { chainId, publicClient, walletClient } = await connect({ rpcUrl: f.rpcUrl, chainId: f.chainId, account });
      const balance = await publicClient.getBalance({ address: account.address }).catch(() => undefined);
      if (balance === 0n) throw new DeploymentError("deployer", `${account.address} has no ether on chain ${chainId} to pay for the deployment`);
      const l = log();
      l.info({ chainId, deployer: account.address, rpc: redactUrl(f.rpcUrl) }, "deploying the protocol");
      const d = await deployProtocol({
        walletClient, publicClient, chainId,
        treasury: f.treasury ?? account.address,
        forfeitBps: f.forfeitBps,
        ...(f.kernelVerifier ? { kernelVerifier: f.kernelVerifier } : { kernel: f.kernel }),
        onProgress: (m) => l.info(m),
      });
      const json = JSON.stringify(deploymentJson(d), null, 2) + "\n";
      if (f.out) {
        try {
          await writeFile(f.out, json);
        } catch (e) {
          throw new DeploymentFileError(`deployed, but cannot write ${f.out}: ${(e as Error).message} (addresses: market ${d.jobMarket}, game ${d.disputeGame}, verifier ${d.kernelVerifier})`);
        }
        l.info({ out: f.out }, "deployment written");
      }
      process.stdout.write(json);
    });
}
