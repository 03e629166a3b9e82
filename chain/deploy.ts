import {
  type Account, type Address, BaseError, type Chain, ContractFunctionRevertedError, getAddress, type Hash, type Hex, isAddress,
  type PublicClient, type TransactionReceipt, type Transport,
  WaitForTransactionReceiptTimeoutError, type WalletClient, zeroAddress, ExecutionRevertedError,
} from "viem";
import { fetchChainId } from "./connect.ts";
import {
  ChainIdMismatchError, DeploymentConfigError, DeploymentError, DeploymentRevertedError, isTransportError, RpcUnreachableError, shortReason, transportReason,
  transportUrl,
} from "./errors.ts";
import {
  circuitRegistryAbi, circuitRegistryBytecode, disputeGameAbi, disputeGameBytecode, groth16KernelVerifierAbi, groth16KernelVerifierBytecode, jobMarketAbi, jobMarketBytecode,
  recomputeKernelVerifierAbi, recomputeKernelVerifierBytecode,
} from "./generated/contracts.ts";
import { groth16VerifierAbi, settleVerifiers } from "./generated/settleVerifiers.ts";
import { KERNEL_KINDS, type KernelKind } from "./kernelKind.ts";
import { BPS, RECEIPT_TIMEOUT_MS } from "../core/defaults.ts";

/**
 * Deploys the protocol (docs/protocol.md): the kernel verifier (unless an existing verifier's address is given:
 * "recompute" = RecomputeKernelVerifier, which recomputes the disputed element on chain; "groth16" = one
 * snarkjs-generated verifier per settlement circuit of build/zk/manifest.json, then a Groth16KernelVerifier
 * whose immutable registry names them), then DisputeGame(verifier), then JobMarket(game, treasury, forfeitBps), then
 * the one-time game.setMarket(market). Every transaction's receipt is awaited and checked, every new address
 * must hold code, and the wiring is read back. Failures throw the typed errors of chain/errors.ts.
 *
 * Works with any viem clients: an RPC endpoint's (cli/commands/deploy.ts) or Hardhat's in-process network's
 * (`(await network.create()).viem`).
 */
export interface DeployProtocolOptions {
  /** Signs and sends the deployment transactions; its account becomes the game's deployer. */
  readonly walletClient: WalletClient<Transport, Chain, Account>;
  readonly publicClient: PublicClient<Transport, Chain>;
  /** The account credited with the forfeited share of lost bonds. */
  readonly treasury: Address;
  /** That share, in basis points (0 .. 10,000). */
  readonly forfeitBps: number;
  /** An already deployed IKernelVerifier to use instead of deploying one. */
  readonly kernelVerifier?: Address;
  /** The kernel verifier to deploy (default "recompute"); ignored when `kernelVerifier` is given. */
  readonly kernel?: KernelKind;
  /** Refuse to deploy unless the endpoint serves this chain. */
  readonly chainId?: number;
  /** Called before each transaction (for progress output). */
  readonly onProgress?: (message: string) => void;
  /** How long to wait for each receipt (default 120 s). */
  readonly receiptTimeoutMs?: number;
}

export interface ProtocolDeployment {
  readonly chainId: number;
  readonly deployer: Address;
  readonly treasury: Address;
  readonly forfeitBps: number;
  readonly kernelVerifier: Address;
  /** False when an existing verifier was given. */
  readonly kernelVerifierDeployed: boolean;
  /** The deployed verifier's kind (undefined when an existing verifier was given). */
  readonly kernel?: KernelKind;
  /** groth16: each settlement circuit's verifier contract, by circuit id. */
  readonly settleVerifiers?: Readonly<Record<string, Address>>;
  readonly disputeGame: Address;
  readonly jobMarket: Address;
  /** The block of the deployment's first transaction: where a reader of the protocol's events starts. */
  readonly deploymentBlock: bigint;
  /** Gas used by each transaction (kernelVerifier: 0 when not deployed) and in total. */
  readonly gasUsed: { readonly kernelVerifier: bigint; readonly disputeGame: bigint; readonly jobMarket: bigint; readonly setMarket: bigint; readonly total: bigint };
  readonly transactions: { readonly kernelVerifier?: Hash; readonly disputeGame: Hash; readonly jobMarket: Hash; readonly setMarket: Hash };
}

/** Checks the deployment parameters the contracts would reject, naming the offending one. */
export function checkDeploymentConfig(o: { treasury: string; forfeitBps: number; kernelVerifier?: string | undefined; kernel?: string | undefined }): void {
  if (!isAddress(o.treasury, { strict: false })) throw new DeploymentConfigError(`treasury ${JSON.stringify(o.treasury)} is not an address`);
  if (getAddress(o.treasury) === zeroAddress) throw new DeploymentConfigError("treasury is the zero address (the market rejects it)");
  if (!Number.isInteger(o.forfeitBps) || o.forfeitBps < 0 || o.forfeitBps > BPS) {
    throw new DeploymentConfigError(`forfeitBps must be an integer in [0, ${BPS}] (basis points of a lost bond), got ${o.forfeitBps}`);
  }
  if (o.kernel !== undefined && !(KERNEL_KINDS as readonly string[]).includes(o.kernel)) {
    throw new DeploymentConfigError(`kernel must be one of ${KERNEL_KINDS.join(", ")}, got ${JSON.stringify(o.kernel)}`);
  }
  if (o.kernelVerifier !== undefined) {
    if (!isAddress(o.kernelVerifier, { strict: false })) throw new DeploymentConfigError(`kernel verifier ${JSON.stringify(o.kernelVerifier)} is not an address`);
    if (getAddress(o.kernelVerifier) === zeroAddress) throw new DeploymentConfigError("kernel verifier is the zero address");
  }
}

export async function deployProtocol(o: DeployProtocolOptions): Promise<ProtocolDeployment> {
  const { walletClient, publicClient } = o;
  checkDeploymentConfig(o);
  const account = walletClient.account;
  if (!account) throw new DeploymentConfigError("the wallet client has no account to deploy from");
  const treasury = getAddress(o.treasury);
  const progress = o.onProgress ?? (() => {});
  const timeout = o.receiptTimeoutMs ?? RECEIPT_TIMEOUT_MS;

  const chainId = await fetchChainId(publicClient);
  if (o.chainId !== undefined && o.chainId !== chainId) throw new ChainIdMismatchError(o.chainId, chainId);
  if (walletClient.chain && walletClient.chain.id !== chainId) throw new ChainIdMismatchError(walletClient.chain.id, chainId, "the wallet client expects it but the RPC endpoint");

  const url = transportUrl(publicClient);
  const wrapSend = (what: string, e: unknown): never => {
    if (isTransportError(e)) throw new RpcUnreachableError(url, `${what}: ${transportReason(e)}`);
    if (e instanceof BaseError && e.walk((x) => x instanceof ContractFunctionRevertedError || x instanceof ExecutionRevertedError)) {
      throw new DeploymentRevertedError(what, shortReason(e));
    }
    throw new DeploymentError(what, `transaction failed: ${shortReason(e)}`);
  };

  const receiptOf = async (what: string, hash: Hash): Promise<TransactionReceipt> => {
    let r: TransactionReceipt;
    try {
      r = await publicClient.waitForTransactionReceipt({ hash, timeout });
    } catch (e) {
      if (e instanceof WaitForTransactionReceiptTimeoutError) {
        throw new DeploymentError(what, `no receipt for transaction ${hash} after ${timeout / 1000} s`, { hash });
      }
      return wrapSend(what, e);
    }
    if (r.status !== "success") throw new DeploymentRevertedError(what, `transaction ${hash} reverted in block ${r.blockNumber}`, { hash });
    return r;
  };

  const requireCode = async (what: string, address: Address): Promise<void> => {
    let code: Hex | undefined;
    try {
      code = await publicClient.getCode({ address });
    } catch (e) {
      wrapSend(what, e);
    }
    if (!code || code === "0x") throw new DeploymentError(what, `no contract code at ${address}`, { address });
  };

  let firstBlock: bigint | undefined;
  /** Sends a deployment (`send`: a typed deployContract call), awaits its receipt, checks the new code. */
  const deploy = async (name: string, send: () => Promise<Hash>): Promise<{ address: Address; receipt: TransactionReceipt }> => {
    progress(`deploying ${name}`);
    let hash: Hash;
    try {
      hash = await send();
    } catch (e) {
      return wrapSend(name, e);
    }
    const receipt = await receiptOf(name, hash);
    firstBlock ??= receipt.blockNumber;
    const address = receipt.contractAddress;
    if (!address) throw new DeploymentError(name, `the receipt of ${hash} has no contract address`, { hash });
    await requireCode(name, address);
    progress(`${name} at ${getAddress(address)} (gas ${receipt.gasUsed})`);
    return { address: getAddress(address), receipt };
  };
  const chain = walletClient.chain;

  // 1. The kernel verifier.
  let verifier: { address: Address; receipt?: TransactionReceipt };
  let verifierGas = 0n;
  const circuitVerifiers: Record<string, Address> = {};
  const kernel = o.kernelVerifier !== undefined ? undefined : (o.kernel ?? "recompute");
  if (o.kernelVerifier !== undefined) {
    const address = getAddress(o.kernelVerifier);
    await requireCode("kernel verifier", address);
    verifier = { address };
  } else if (kernel === "groth16") {
    if (settleVerifiers.length === 0) throw new DeploymentConfigError("no settlement circuits were built (build/zk/manifest.json is empty): run `npm run build:contracts`");
    const regs: { code: number; attrs: bigint[]; classes: number; verifier: Address }[] = [];
    for (const c of settleVerifiers) {
      const v = await deploy(c.contractName, () => walletClient.deployContract({ abi: groth16VerifierAbi, bytecode: c.bytecode, args: [], account, chain }));
      verifierGas += v.receipt.gasUsed;
      circuitVerifiers[c.id] = v.address;
      regs.push({ code: c.code, attrs: c.attrs.map(BigInt), classes: c.classes, verifier: v.address });
    }
    // The registry is a contract of its own: with the registrations as its constructor arguments the kernel
    // verifier's initcode (which holds ModelOps's creation code) would pass EIP-3860's limit.
    const registry = await deploy("CircuitRegistry", () =>
      walletClient.deployContract({ abi: circuitRegistryAbi, bytecode: circuitRegistryBytecode, args: [regs], account, chain }));
    verifierGas += registry.receipt.gasUsed;
    verifier = await deploy("Groth16KernelVerifier", () =>
      walletClient.deployContract({ abi: groth16KernelVerifierAbi, bytecode: groth16KernelVerifierBytecode, args: [registry.address], account, chain }));
    verifierGas += verifier.receipt!.gasUsed;
  } else {
    verifier = await deploy("RecomputeKernelVerifier", () =>
      walletClient.deployContract({ abi: recomputeKernelVerifierAbi, bytecode: recomputeKernelVerifierBytecode, args: [], account, chain }));
    verifierGas += verifier.receipt!.gasUsed;
  }
  // 2. The game, 3. the market, 4. the wiring.
  const game = await deploy("DisputeGame", () =>
    walletClient.deployContract({ abi: disputeGameAbi, bytecode: disputeGameBytecode, args: [verifier.address], account, chain }));
  const market = await deploy("JobMarket", () =>
    walletClient.deployContract({ abi: jobMarketAbi, bytecode: jobMarketBytecode, args: [game.address, treasury, o.forfeitBps], account, chain }));
  progress("DisputeGame.setMarket");
  let setHash: Hash;
  try {
    setHash = await walletClient.writeContract({ address: game.address, abi: disputeGameAbi, functionName: "setMarket", args: [market.address], account, chain });
  } catch (e) {
    return wrapSend("DisputeGame.setMarket", e);
  }
  const setReceipt = await receiptOf("DisputeGame.setMarket", setHash);

  // Read the wiring back: what a later reader of this deployment relies on.
  const check = async (what: string, read: () => Promise<unknown>, expected: unknown) => {
    let got: unknown;
    try {
      got = await read();
    } catch (e) {
      return wrapSend(what, e);
    }
    if (typeof got === "string" && typeof expected === "string" ? got.toLowerCase() !== expected.toLowerCase() : got !== expected) {
      throw new DeploymentError(what, `reads ${String(got)}, expected ${String(expected)}`);
    }
  };
  await check("DisputeGame.market", () => publicClient.readContract({ address: game.address, abi: disputeGameAbi, functionName: "market" }), market.address);
  await check("DisputeGame.kernelVerifier", () => publicClient.readContract({ address: game.address, abi: disputeGameAbi, functionName: "kernelVerifier" }), verifier.address);
  await check("JobMarket.game", () => publicClient.readContract({ address: market.address, abi: jobMarketAbi, functionName: "game" }), game.address);
  await check("JobMarket.treasury", () => publicClient.readContract({ address: market.address, abi: jobMarketAbi, functionName: "treasury" }), treasury);
  await check("JobMarket.forfeitBps", () => publicClient.readContract({ address: market.address, abi: jobMarketAbi, functionName: "forfeitBps" }), o.forfeitBps);
  if (kernel === "groth16") {
    for (const c of settleVerifiers) {
      const args = [c.code, c.attrs.map(BigInt), c.classes] as const;
      await check(`Groth16KernelVerifier.verifiers(${c.id})`, async () => publicClient.readContract({
        address: verifier.address, abi: groth16KernelVerifierAbi, functionName: "verifiers",
        args: [await publicClient.readContract({ address: verifier.address, abi: groth16KernelVerifierAbi, functionName: "circuitKey", args })],
      }), circuitVerifiers[c.id]!);
    }
  }

  const gasUsed = { kernelVerifier: verifierGas, disputeGame: game.receipt.gasUsed, jobMarket: market.receipt.gasUsed, setMarket: setReceipt.gasUsed, total: 0n };
  gasUsed.total = gasUsed.kernelVerifier + gasUsed.disputeGame + gasUsed.jobMarket + gasUsed.setMarket;
  return {
    chainId,
    deployer: getAddress(account.address),
    treasury,
    forfeitBps: o.forfeitBps,
    kernelVerifier: verifier.address,
    kernelVerifierDeployed: verifier.receipt !== undefined,
    ...(kernel ? { kernel } : {}),
    ...(kernel === "groth16" ? { settleVerifiers: circuitVerifiers } : {}),
    disputeGame: game.address,
    jobMarket: market.address,
    deploymentBlock: firstBlock ?? game.receipt.blockNumber,
    gasUsed,
    transactions: {
      ...(verifier.receipt ? { kernelVerifier: verifier.receipt.transactionHash } : {}),
      disputeGame: game.receipt.transactionHash,
      jobMarket: market.receipt.transactionHash,
      setMarket: setReceipt.transactionHash,
    },
  };
}

/** The deployment as plain JSON (bigints as numbers or decimal strings): what `veritrain deploy` writes. */
export function deploymentJson(d: ProtocolDeployment): Record<string, unknown> {
  return {
    version: 1,
    chainId: d.chainId,
    deployer: d.deployer,
    treasury: d.treasury,
    forfeitBps: d.forfeitBps,
    contracts: { kernelVerifier: d.kernelVerifier, disputeGame: d.disputeGame, jobMarket: d.jobMarket },
    kernelVerifierDeployed: d.kernelVerifierDeployed,
    ...(d.kernel ? { kernel: d.kernel } : {}),
    ...(d.settleVerifiers ? { settleVerifiers: d.settleVerifiers } : {}),
    deploymentBlock: Number(d.deploymentBlock),
    gasUsed: Object.fromEntries(Object.entries(d.gasUsed).map(([k, v]) => [k, Number(v)])),
    transactions: d.transactions,
  };
}
