import { network } from "hardhat";
import { proveKernel, shutdownProver, zkCircuits, type ProverCircuit } from "../chain/prover.ts";
import { buildSettlementOperands, encodeSettlementOperands, operandIndices, settlementContext, settlementStep } from "../chain/settlementOperands.ts";
import { type Dataset } from "../engine/batch.ts";
import { type TrainingSpec } from "../engine/spec.ts";
import { initialState } from "../engine/state.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { median, report } from "./report.ts";

/**
 * npm run bench:zk — the Groth16 settlement circuits (scripts/zk-setup.ts; run `npm run build:contracts`
 * first): per circuit <id>_constraints, <id>_prove_ms (median of BENCH_ZK_REPS in-process proofs after one
 * warm-up, snarkjs groth16.fullProve + local verify excluded), and <id>_settle_gas: estimated gas of a full
 * Groth16KernelVerifier.trueValue settlement (operand openings + proof verification) of a real element of a
 * real step of a [6, 8, C] model (C = 3, or 10 for the 10-class mse_grad circuit; momentum for momentum).
 */
const REPS = Number(process.env.BENCH_ZK_REPS ?? 5);

const step = (spec: TrainingSpec, d: Dataset) => settlementStep(spec, d, initialState(spec));
const specOf = (d: Dataset, momentum: boolean): TrainingSpec => tinySpec(d, momentum ? { momentumNum: 7, momentumShift: 3 } : undefined);
const d3 = syntheticDataset(12, 6, 3), d10 = syntheticDataset(12, 6, 10);
const steps = [await step(specOf(d3, true), d3), await step(specOf(d10, false), d10)];

const { viem } = await network.create();
const pc = await viem.getPublicClient();
const regs = [];
for (const c of zkCircuits()) {
  const v: { address: `0x${string}` } = await viem.deployContract(c.contractName as never);
  regs.push({ code: c.code, attrs: c.attrs.map(BigInt), classes: c.classes, verifier: v.address });
}
const groth = await viem.deployContract("Groth16KernelVerifier", [regs]);

const matches = (c: ProverCircuit, code: number, attrs: readonly number[], shape: readonly number[]): boolean =>
  c.code === code && attrs.length === c.attrs.length && attrs.every((a, i) => a === c.attrs[i]) && (code !== 6 || shape[1] === c.classes);

const metrics: Record<string, number> = {};
let maxProve = 0, maxGas = 0;
for (const c of zkCircuits()) {
  let found = false;
  for (const { src, all } of steps) {
    const entry = src.program.entries.findIndex((p) => matches(c, p.code, p.attrs, p.shape));
    if (entry < 0) continue;
    const p = src.program.entries[entry]!;
    const e = all[p.tensorId]!.data.length - 1;
    const idx = operandIndices(p.code, p.attrs, p.shape, p.inputs.map((id) => all[id]!.shape), e);
    const claim = {
      code: p.code, attrs: p.attrs, ctx: settlementContext(src, entry, e), outShape: p.shape,
      operands: idx.map((ix, i) => BigInt(all[p.inputs[i]!]!.data[ix[0]!]!)), output: BigInt(all[p.tensorId]!.data[e]!),
    };
    await proveKernel(claim); // warm-up
    const times: number[] = [];
    let proof = "0x" as `0x${string}`;
    for (let r = 0; r < REPS; r++) {
      const k = await proveKernel(claim);
      times.push(k.ms);
      proof = k.proof;
    }
    const enc = encodeSettlementOperands(buildSettlementOperands(src, entry, e));
    const gas = Number(await pc.estimateContractGas({ address: groth.address, abi: groth.abi, functionName: "trueValue", args: [claim.ctx, enc, proof] }));
    const ms = Math.round(median(times));
    metrics[`${c.id}_constraints`] = c.constraints;
    metrics[`${c.id}_prove_ms`] = ms;
    metrics[`${c.id}_settle_gas`] = gas;
    maxProve = Math.max(maxProve, ms);
    maxGas = Math.max(maxGas, gas);
    console.log(`${c.id.padEnd(24)} ${String(c.constraints).padStart(4)} constraints  prove ${String(ms).padStart(4)} ms  settle ${gas} gas`);
    found = true;
    break;
  }
  if (!found) console.log(`${c.id}: no entry of the bench models uses it`);
}
metrics.max_prove_ms = maxProve;
metrics.max_settle_gas = maxGas;
await shutdownProver();
report("zk", metrics, { reps: REPS });
process.exit(0);
