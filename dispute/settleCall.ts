// The settle(gameId, operands, proof) call data of a game at Settlement, from the solver's view: the
// operands opened against the game's roots (settlement/operands.ts) and, when the game's kernel
// verifier is a Groth16KernelVerifier, a proof that the claimed value is the kernel's output.
import type { Address, Client, Hex } from "viem";
import { readContract } from "viem/actions";
import { disputeGameAbi } from "../chain/generated/contracts.ts";
import { type KernelKind, kernelKindOf } from "../chain/kernelKind.ts";
import { proveKernel } from "../settlement/prover.ts";
import { operandValues, settlementOperands } from "../settlement/operands.ts";
import { INPUT_CODE } from "../commitment/trace.ts";
import type { GameView } from "./gameState.ts";
import { elementOf, isAccumulation } from "./move.ts";
import type { ComputationView } from "./view.ts";
import { operandIndices, type TermSlice } from "../settlement/operandRule.ts";
import type { SettlementContext } from "../settlement/abi.ts";

export type { KernelKind } from "../chain/kernelKind.ts";

/** The kind of the game's kernel verifier (chain/kernelKind.ts). */
export async function detectKernel(client: Client, game: Address): Promise<KernelKind> {
  const verifier = await readContract(client, { address: game, abi: disputeGameAbi, functionName: "kernelVerifier" });
  return kernelKindOf(client, verifier);
}

/** The term slice of a game at settlement after level 4 (matmul/col_sum), else undefined. */
export function sliceOf(st: GameView): TermSlice | undefined {
  if (!isAccumulation(st.code) || st.termHi === 0n) return undefined;
  return { lo: Number(st.termLo), hi: Number(st.termHi), count: Number(st.termCount) };
}

/** The context the game passes the verifier at settlement (DisputeGame.settle). */
export function gameContext(st: GameView): SettlementContext {
  return {
    programRoot: st.programRoot, datasetRoot: st.datasetRoot, preStateRoot: st.agreedRoot, traceRoot: st.solverTrace,
    entry: st.entry, element: st.element, termLo: st.termLo, termHi: st.termHi, termCount: st.termCount, accIn: st.accIn,
  };
}

export interface SettleCall {
  readonly operands: Hex;
  readonly proof: Hex;
  /** Prove time (ms) when a proof was made. */
  readonly proveMs?: number;
}

/**
 * The settle arguments for the view's claim (the caller checked that the view's value is the solver's
 * claim). `kernel` groth16: the op entries (codes 1..9) get a proof; batch inputs and anchors need none.
 */
export async function settleCall(view: ComputationView, st: GameView, kernel: KernelKind): Promise<SettleCall> {
  const step = Number(st.hiStep), entry = st.entry, element = Number(st.element);
  const src = await view.settlementSource(step);
  const slice = sliceOf(st);
  const operands = settlementOperands(src, entry, element, slice);
  const p = view.program.entries[entry]!;
  const isOp = entry < view.program.header.entries - 1 && p.code !== INPUT_CODE;
  if (kernel === "recompute" || !isOp) return { operands, proof: "0x" };
  const ctx = gameContext(st);
  const inputs = operandValues(src, entry);
  const idx = operandIndices(p.code, p.attrs, p.shape, inputs.map((x) => x.shape), element, slice);
  const open = (i: number) => idx[i]!.map((ix) => BigInt(inputs[i]!.data[ix]!));
  if (slice) {
    const sums = await view.partialSums(step, entry, element);
    const r = await proveKernel({ code: p.code, attrs: p.attrs, ctx, operands: [], output: sums[slice.hi]!, slice: { a: open(0), ...(p.code === 1 ? { b: open(1) } : {}) } });
    return { operands, proof: r.proof, proveMs: r.ms };
  }
  const output = elementOf(await view.output(step, entry), element);
  const r = await proveKernel({ code: p.code, attrs: p.attrs, ctx, operands: idx.map((_, i) => open(i)[0]!), output, outShape: p.shape });
  return { operands, proof: r.proof, proveMs: r.ms };
}
