// The settle(gameId, operands, proof) call data of a game at Settlement, from either side's view: the
// operands opened against the game's roots (settlement/operands.ts; the challenger opens earlier entries
// in its copy of the solver's trace, solverTrace.ts) and, when the game's kernel verifier is a
// Groth16KernelVerifier, a proof that the true value is the kernel's output.
import type { Address, Client, Hex } from "viem";
import { readContract } from "viem/actions";
import { disputeGameAbi } from "../chain/generated/contracts.ts";
import { type KernelKind, kernelKindOf } from "../chain/kernelKind.ts";
import { settlementOperands } from "../settlement/operands.ts";
import { proveSettlement } from "../settlement/settlementProof.ts";
import { INPUT_CODE, type OpTrace } from "../commitment/trace.ts";
import type { GameView } from "./gameState.ts";
import type { ComputationView } from "./view.ts";
import { hasTermLevel, type TermSlice } from "../settlement/operandRule.ts";
import type { SettlementContext } from "../settlement/abi.ts";

export type { KernelKind } from "../chain/kernelKind.ts";

/** The kind of the game's kernel verifier (chain/kernelKind.ts). */
export async function detectKernel(client: Client, game: Address): Promise<KernelKind> {
  const verifier = await readContract(client, { address: game, abi: disputeGameAbi, functionName: "kernelVerifier" });
  return kernelKindOf(client, verifier);
}

/** The term slice of a game at settlement after level 4 (a term-level op), else undefined. */
export function sliceOf(st: GameView): TermSlice | undefined {
  if (!hasTermLevel(st.code) || st.termHi === 0n) return undefined;
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

export interface SettleCallOptions {
  /** The true value of the settled item (trueValue.ts): what a Groth16 proof proves the kernel outputs. */
  readonly value: Hex;
  /**
   * The challenger's copy of the solver's trace of the step (solverTrace.ts): the verifier opens earlier
   * entries against the solver's trace root (the game's Context.traceRoot). The solver leaves it out: its
   * own trace is that tree.
   */
  readonly solverTrace?: OpTrace;
}

/**
 * The settle arguments of a game at Settlement, opened from the view's agreed operands (the pre-state, and
 * entries before the disputed one in `o.solverTrace` or, for the solver, its own trace). `kernel` groth16: the
 * op entries (codes 1..19) get a proof that `o.value` is the kernel's output under the game's context
 * (settlement/settlementProof.ts; the caller settles only when that is what it wants proved: the solver its
 * claim, the challenger a value other than the solver's claim); batch inputs and anchors need none. A term
 * slice (after level 4) is proved from its opened terms and the game's accIn.
 */
export async function settleCall(view: ComputationView, st: GameView, kernel: KernelKind, o: SettleCallOptions): Promise<SettleCall> {
  const step = Number(st.hiStep), entry = st.entry, element = Number(st.element);
  const own = await view.settlementSource(step);
  const src = o.solverTrace ? { ...own, trace: o.solverTrace } : own;
  const slice = sliceOf(st);
  const operands = settlementOperands(src, entry, element, slice);
  const p = view.program.entries[entry]!;
  const isOp = entry < view.program.header.entries - 1 && p.code !== INPUT_CODE;
  if (kernel === "recompute" || !isOp) return { operands, proof: "0x" };
  const r = await proveSettlement(src, entry, element, slice, gameContext(st), BigInt.asIntN(256, BigInt(o.value)));
  return { operands, proof: r.proof, proveMs: r.ms };
}
