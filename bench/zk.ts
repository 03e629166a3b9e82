import { network } from "hardhat";
import { proveKernel, shutdownProver, SLICE_TERMS, zkCircuits, type ProverCircuit } from "../settlement/prover.ts";
import { accumulationTerms, buildSettlementOperands, encodeSettlementOperands, operandValues, partialSums, settlementContext } from "../settlement/operands.ts";
import { datasetRoot } from "../commitment/dataset.ts";
import { makeSpec } from "../engine/spec.ts";
import { type Dataset } from "../engine/batch.ts";
import { type TrainingSpec } from "../engine/spec.ts";
import { initialState } from "../engine/state.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { deployGroth16Verifier } from "../test/contracts/helpers/gamePlayer.ts";
import { median, report } from "./report.ts";
import { operandIndices, termCount } from "../settlement/operandRule.ts";
import { settlementStep, type SettlementSource } from "../settlement/step.ts";
import type { SettlementOperands } from "../settlement/abi.ts";
import { formatBreakdown, openingsByFunction, openingsOpcodes, settlementBreakdown, type Breakdown } from "./zk/breakdown.ts";
import { ROOT } from "../scripts/circuits-build.ts";

/**
 * npm run bench:zk — the Groth16 settlement circuits (scripts/zk-setup.ts; run `npm run build:contracts`
 * first): per circuit <id>_constraints, <id>_prove_ms (median of BENCH_ZK_REPS in-process proofs after one
 * warm-up, snarkjs groth16.fullProve + local verify excluded), and <id>_settle_gas: estimated gas of a full
 * Groth16KernelVerifier.trueValue settlement (operand openings + proof verification) of a real element of a
 * real step of a [6, 8, C] model (C = 3, or 10 for the 10-class mse_grad circuit; momentum for momentum).
 * The term-slice circuits (matmul, col_sum) are measured on an 8-term slice of the DEFAULT model's step
 * (784-128-10, batch 64; metrics matmul_* and col_sum_*, with the RecomputeKernelVerifier's settle gas of the same
 * slice as *_settle_gas_recompute) and on the tiny model (metrics by circuit id). max_* cover every circuit;
 * max_settle_gas is the largest Groth16 trueValue transaction measured.
 * Each settlement is also split (bench/zk/breakdown.ts: tx base, calldata and its leaves, openings, proof
 * check = pairing + public-input MSM + verifier code + building the public inputs, dispatch), as
 * breakdown_<name>_* for the default model's matmul slice and relu, and for every circuit in the results'
 * context. `--single-input` also measures the one-public-input prototype (bench/zk/singleInput.ts).
 */
const REPS = Number(process.env.BENCH_ZK_REPS ?? 5);

const step = (spec: TrainingSpec, d: Dataset) => settlementStep(spec, d, initialState(spec));
const specOf = (d: Dataset, momentum: boolean): TrainingSpec => tinySpec(d, momentum ? { momentumNum: 7, momentumShift: 3 } : undefined);
const d3 = syntheticDataset(12, 6, 3), d10 = syntheticDataset(12, 6, 10);
const steps = [await step(specOf(d3, true), d3), await step(specOf(d10, false), d10)];

const { viem } = await network.create();
const pc = await viem.getPublicClient();
const { verifier: groth, registry, regs } = await deployGroth16Verifier(viem);
// Gas probes on the same calldata (contracts/test/SettlementGasHarness.sol).
const openingsProbe = await viem.deployContract("OpeningsGasHarness" as never);
const grothProbe = await viem.deployContract("Groth16GasHarness" as never, [registry.address] as never);
const verifierOf = (code: number, attrs: readonly number[], classes: number): `0x${string}` => {
  const i = zkCircuits().findIndex((c) => matches(c, code, code === 1 || code === 7 ? [] : attrs, [0, classes]));
  return regs[i]!.verifier;
};
const breakdowns: Record<string, Breakdown> = {};
let openingsFunctions: Record<string, number> = {};
/** What bench/zk/singleInput.ts needs of the matmul and relu settlements measured here. */
const forSingleInput: Record<string, { claim: Parameters<typeof proveKernel>[0]; values: bigint[]; total: number; proofCheck: number; proveMs: number; constraints: number }> = {};

const matches = (c: ProverCircuit, code: number, attrs: readonly number[], shape: readonly number[]): boolean =>
  c.code === code && attrs.length === c.attrs.length && attrs.every((a, i) => a === c.attrs[i]) && (code !== 6 || shape[1] === c.classes);

const metrics: Record<string, number> = {};
let maxProve = 0, maxGas = 0;

/** Proves a matmul/col_sum term slice [lo, lo + 8) of element e of `entry` and estimates its settlement. */
async function sliceBench(c: ProverCircuit, src: SettlementSource, entry: number, e: number, lo: number) {
  const p = src.program.entries[entry]!;
  const inputs = operandValues(src, entry);
  const K = termCount(p.code, p.attrs, inputs.map((x) => x.shape));
  const slice = { lo: Math.min(lo, K - 1), hi: Math.min(lo + SLICE_TERMS, K), count: K };
  const P = partialSums(accumulationTerms(p.code, p.attrs, p.shape, inputs, e));
  const idx = operandIndices(p.code, p.attrs, p.shape, inputs.map((x) => x.shape), e, slice);
  const a = idx[0]!.map((i) => BigInt(inputs[0]!.data[i]!));
  const b = p.code === 1 ? idx[1]!.map((i) => BigInt(inputs[1]!.data[i]!)) : undefined;
  const claim = { code: p.code, attrs: p.attrs, ctx: settlementContext(src, entry, e, slice, P[slice.lo]!), operands: [], output: P[slice.hi]!, slice: { a, ...(b ? { b } : {}) } };
  return { ...(await measure(claim, buildSettlementOperands(src, entry, e, slice))), slice, claim, values: [P[slice.hi]!, P[slice.lo]!, ...pad8(a), ...pad8(b ?? [])] };
}

/**
 * Median proving time of a claim (REPS proofs after a warm-up) and the gas of settling it: Groth16 with the
 * last proof, and the recomputing verifier on the same operands (what the openings alone cost).
 */
async function measure(claim: Parameters<typeof proveKernel>[0], so: SettlementOperands): Promise<{ ms: number; gas: number; mockGas: number; breakdown: Breakdown }> {
  const enc = encodeSettlementOperands(so);
  await proveKernel(claim); // warm-up
  const times: number[] = [];
  let last: Awaited<ReturnType<typeof proveKernel>> | undefined;
  for (let r = 0; r < REPS; r++) {
    last = await proveKernel(claim);
    times.push(last.ms);
  }
  const { proof, publicSignals } = last!;
  const gas = Number(await pc.estimateContractGas({ address: groth.address, abi: groth.abi, functionName: "trueValue", args: [claim.ctx, enc, proof] }));
  const mockGas = Number(await pc.estimateContractGas({ address: mock.address, abi: mock.abi, functionName: "trueValue", args: [claim.ctx, enc, "0x"] }));
  const classes = claim.outShape?.[1] ?? 0;
  const breakdown = await settlementBreakdown(pc as never, gas, groth as never, openingsProbe as never, grothProbe as never, verifierOf(claim.code, claim.attrs, claim.code === 6 ? classes : 0), claim.ctx, so, enc, proof, publicSignals);
  return { ms: Math.round(median(times)), gas, mockGas, breakdown };
}
const pad8 = (xs: readonly bigint[]): bigint[] => Array.from({ length: SLICE_TERMS }, (_, t) => xs[t] ?? 0n);

// The default model (784-128-10, batch 64): a slice of the first layer's matmul x . W0 (K = 784; op(B) is a
// strided column of W0: one 1 KiB leaf per two terms) and of the first layer's bias gradient (col_sum over
// the batch, K = 64, strided too).
const dDef = syntheticDataset(256, 784, 10);
const defSpec = makeSpec({ seed: "0d".repeat(32), data: { root: datasetRoot(dDef).toString("hex"), count: dDef.count, features: dDef.features, classes: dDef.classes } });
const defStep = await step(defSpec, dDef);
const mock = await viem.deployContract("RecomputeKernelVerifier");

for (const c of zkCircuits().filter((x) => x.code === 1 || x.code === 7)) {
  const name = c.code === 1 ? "matmul" : "col_sum";
  const src = defStep.src;
  const entry = src.program.entries.findIndex((p) => p.code === c.code);
  const p = src.program.entries[entry]!;
  const count = p.shape.reduce((x, y) => x * y, 1);
  const r = await sliceBench(c, src, entry, count - 1, c.code === 1 ? 392 : 24);
  metrics[`${name}_constraints`] = c.constraints;
  metrics[`${name}_prove_ms`] = r.ms;
  metrics[`${name}_settle_gas`] = r.gas;
  metrics[`${name}_settle_gas_recompute`] = r.mockGas;
  maxProve = Math.max(maxProve, r.ms);
  maxGas = Math.max(maxGas, r.gas);
  breakdowns[name] = r.breakdown;
  if (c.code === 1) {
    forSingleInput.matmul = { claim: r.claim, values: r.values, total: r.gas, proofCheck: r.breakdown.proofCheck, proveMs: r.ms, constraints: c.constraints };
    // The openings' execution of the largest settlement, by what it is spent on (the whole probe call: its
    // dispatch is in `code`).
    const ops = await openingsOpcodes(pc as never, openingsProbe as never, r.claim.ctx, encodeSettlementOperands(buildSettlementOperands(src, entry, count - 1, r.slice)), "0x");
    metrics.breakdown_matmul_openings_precompile_gas = ops.staticcall;
    metrics.breakdown_matmul_openings_copy_gas = ops.copies;
    metrics.breakdown_matmul_openings_code_gas = ops.code;
    metrics.breakdown_matmul_openings_evm_steps = ops.steps;
    console.log(`matmul openings (traced, dispatch included): SHA-256 precompile calls ${ops.staticcall} gas, memory copies ${ops.copies}, the contract's code ${ops.code} in ${ops.steps} EVM steps`);
    const byFn = await openingsByFunction(pc as never, openingsProbe as never, r.claim.ctx, encodeSettlementOperands(buildSettlementOperands(src, entry, count - 1, r.slice)), "0x", ROOT);
    openingsFunctions = Object.fromEntries(byFn);
    metrics.breakdown_matmul_openings_merkle_gas = byFn.find(([k]) => k === "Sha256Merkle.computeRoot")?.[1] ?? 0;
    metrics.breakdown_matmul_openings_generated_gas = byFn.find(([k]) => k === "(generated)")?.[1] ?? 0;
    console.log(`matmul openings by function (traced): ${byFn.slice(0, 8).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  }
  console.log(`${name.padEnd(24)} ${String(c.constraints).padStart(4)} constraints  prove ${String(r.ms).padStart(4)} ms  settle ${r.gas} gas (recompute ${r.mockGas}), default model entry ${entry} [${p.shape}] slice [${r.slice.lo}, ${r.slice.hi}) of K = ${r.slice.count}`);
  // The tiny model too (the circuit's id, as the other kernels).
  const t = steps[1]!.src;
  const te = t.program.entries.findIndex((q) => q.code === c.code);
  const tr = await sliceBench(c, t, te, 0, 0);
  metrics[`${c.id}_constraints`] = c.constraints;
  metrics[`${c.id}_prove_ms`] = tr.ms;
  metrics[`${c.id}_settle_gas`] = tr.gas;
  maxProve = Math.max(maxProve, tr.ms);
  maxGas = Math.max(maxGas, tr.gas);
  breakdowns[c.id] = tr.breakdown;
  console.log(`${c.id.padEnd(24)} ${String(c.constraints).padStart(4)} constraints  prove ${String(tr.ms).padStart(4)} ms  settle ${tr.gas} gas, tiny model slice [${tr.slice.lo}, ${tr.slice.hi})`);
}

for (const c of zkCircuits().filter((x) => x.code !== 1 && x.code !== 7)) {
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
    const { ms, gas, mockGas, breakdown } = await measure(claim, buildSettlementOperands(src, entry, e));
    breakdowns[c.id] = breakdown;
    if (c.id === "relu") forSingleInput.relu = { claim, values: [claim.output, ...claim.operands], total: gas, proofCheck: breakdown.proofCheck, proveMs: ms, constraints: c.constraints };
    metrics[`${c.id}_constraints`] = c.constraints;
    metrics[`${c.id}_prove_ms`] = ms;
    metrics[`${c.id}_settle_gas`] = gas;
    metrics[`${c.id}_settle_gas_recompute`] = mockGas;
    maxProve = Math.max(maxProve, ms);
    maxGas = Math.max(maxGas, gas);
    console.log(`${c.id.padEnd(24)} ${String(c.constraints).padStart(4)} constraints  prove ${String(ms).padStart(4)} ms  settle ${gas} gas (recompute ${mockGas})`);
    found = true;
    break;
  }
  if (!found) console.log(`${c.id}: no entry of the bench models uses it`);
}
for (const [name, b] of Object.entries(breakdowns)) console.log(formatBreakdown(name, b));
for (const name of ["matmul", "relu"]) {
  const b = breakdowns[name];
  if (!b) continue;
  metrics[`breakdown_${name}_calldata_gas`] = b.calldata;
  metrics[`breakdown_${name}_leaf_calldata_gas`] = b.leafCalldata;
  metrics[`breakdown_${name}_openings_gas`] = b.openings;
  metrics[`breakdown_${name}_proof_check_gas`] = b.proofCheck;
  metrics[`breakdown_${name}_verifier_call_gas`] = b.verifierCall;
  metrics[`breakdown_${name}_dispatch_gas`] = b.dispatch;
}
metrics.max_prove_ms = maxProve;
metrics.max_settle_gas = maxGas;
// The recomputing verifier (RecomputeKernelVerifier, `deploy --kernel recompute`) on the same elements and slices.
metrics.max_settle_gas_recompute = Math.max(...Object.entries(metrics).filter(([k]) => k.endsWith("_settle_gas_recompute")).map(([, v]) => Number(v)));
const context: Record<string, unknown> = { reps: REPS, breakdowns, openingsFunctions };
if (process.argv.includes("--single-input")) {
  const { singleInputBench } = await import("./zk/singleInput.ts");
  const hashedProbe = await viem.deployContract("HashedInputGasHarness" as never);
  const si = await singleInputBench({ viem, pc, hashedProbe: hashedProbe as never, cases: forSingleInput, reps: REPS });
  Object.assign(metrics, si.metrics);
  context.singleInput = si.context;
}
await shutdownProver();
report("zk", metrics, context);
process.exit(0);
