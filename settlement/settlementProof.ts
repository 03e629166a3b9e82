import { OP_CODES } from "../engine/ops/index.ts";
import type { SettlementContext } from "./abi.ts";
import { operandValues } from "./operands.ts";
import { accumulates, operandIndices, type TermSlice } from "./operandRule.ts";
import { type KernelProof, proveKernel } from "./prover.ts";
import type { SettlementSource } from "./step.ts";


/**
 * A Groth16 proof that `output` is op entry `entry`'s value at `element` (after level 4: the partial value at
 * slice.hi from ctx.accIn) under the dispute context `ctx`, from the operands the source opens: the claim
 * Groth16KernelVerifier checks, built the way the circuit of the op takes it (an accumulation's or
 * softmax_ce_grad's slice as its opened terms, softmax's label at the last term; every other op, the pools'
 * slices included, as every opened value per input). Throws a ProverError when the claim is false.
 */
export async function proveSettlement(src: SettlementSource, entry: number, element: number, slice: TermSlice | undefined, ctx: SettlementContext, output: bigint): Promise<KernelProof> {
  const p = src.program.entries[entry]!;
  const inputs = operandValues(src, entry);
  const idx = operandIndices(p.code, p.attrs, p.shape, inputs.map((x) => x.shape), element, slice);
  const open = (i: number) => idx[i]!.map((ix) => BigInt(inputs[i]!.data[ix]!));
  const softmax = p.code === OP_CODES.softmax_ce_grad;
  if (slice && (accumulates(p.code) || softmax)) {
    const extra = p.code === OP_CODES.matmul ? { b: open(1) } : softmax && idx[1]!.length > 0 ? { label: open(1)[0]! } : {};
    return proveKernel({ code: p.code, attrs: p.attrs, ctx, operands: [], output, slice: { a: open(0), ...extra }, outShape: p.shape });
  }
  return proveKernel({ code: p.code, attrs: p.attrs, ctx, operands: idx.map((_, i) => open(i)[0] ?? 0n), values: idx.map((_, i) => open(i)), output, outShape: p.shape });
}
