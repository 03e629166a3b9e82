// npm run bench:settle-models — what settling one element of each model op (codes 10..19) costs on chain, on a
// real step of the shipped spec-v2 models: the MNIST CNN (docs/specs/cnn.json, batch 64) and the character LM
// (docs/specs/charlm.json, batch 128), with the recomputing kernel verifier (ModelOps). Each entry of a model op
// is settled at a few elements (first, last, middle, and the element whose operands span the most leaves;
// col2im, the pools and softmax_ce_grad, narrowed by level 4, at each of their term slices of TERM_SLICE terms) through
// eth_estimateGas of trueValue (calldata, openings, ModelOps' recomputation; the game's
// bookkeeping around a settlement is bench:gas's settle figure minus its trueValue). Every settled value is
// checked against the engine's. Then, per op kind, the recomputing verifier's dearest settlement is settled
// again by the Groth16KernelVerifier with a real proof (settlement/settlementProof.ts): its trueValue gas and
// the proving time, the same value checked.
import { network } from "hardhat";
import type { Hex } from "viem";
import { opKindOf } from "../engine/ops/index.ts";
import type { Dataset } from "../engine/batch.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { initialState } from "../engine/state.ts";
import { TERM_SLICE } from "../dispute/terms.ts";
import { buildSettlementOperands, elementPartials, encodeSettlementOperands, operandValues, settlementContext } from "../settlement/operands.ts";
import { hasTermLevel, operandIndices, termCount, type TermSlice } from "../settlement/operandRule.ts";
import { settlementStep } from "../settlement/step.ts";
import { charlmJob } from "../training/charlmJob.ts";
import { mnistCnnSpec, mnistSpec } from "../training/mnistJob.ts";
import { proveSettlement } from "../settlement/settlementProof.ts";
import { shutdownProver } from "../settlement/prover.ts";
import type { SettlementSource } from "../settlement/step.ts";
import type { SettlementContext } from "../settlement/abi.ts";
import { deployGroth16Verifier } from "../test/contracts/helpers/gamePlayer.ts";
import { report } from "./report.ts";

const { viem } = await network.create();
const pc = await viem.getPublicClient();
const verifier = await viem.deployContract("RecomputeKernelVerifier");
const { verifier: groth } = await deployGroth16Verifier(viem);
const log = (s: string) => process.stderr.write(`${s}\n`);

const gas: Record<string, number> = {};
const leaves: Record<string, number> = {};
const calldata: Record<string, number> = {};
/** Per op kind, the recomputing verifier's dearest settlement: what the Groth16 pass settles again. */
const dearest: Record<string, { src: SettlementSource; entry: number; e: number; slice?: TermSlice; want: bigint; ctx: SettlementContext; enc: Hex }> = {};

async function measure(model: string, spec: TrainingSpec, dataset: Dataset, codes: (c: number) => boolean) {
  const t0 = performance.now();
  const s = await settlementStep(spec, dataset, initialState(spec));
  log(`${model}: step re-executed in ${((performance.now() - t0) / 1000).toFixed(1)} s; settling its entries`);
  for (const p of s.src.program.entries) {
    if (!codes(p.code)) continue;
    const kind = opKindOf(p.code)!;
    const out = s.all[p.tensorId]!;
    const n = out.data.length;
    const ins = p.inputs.map((id) => s.all[id]!.shape);
    // The elements: both ends, the middle, and the one (of a sample) whose operands span the most leaves.
    const leavesOf = (e: number, slice?: TermSlice) => operandIndices(p.code, p.attrs, p.shape, ins, e, slice).reduce((a, ix) => a + new Set(ix.map((i) => Math.floor(i / 256))).size, 0);
    const spread = (e: number) => leavesOf(e, hasTermLevel(p.code) ? { lo: 0, hi: termCount(p.code, p.attrs, ins), count: termCount(p.code, p.attrs, ins) } : undefined);
    let widest = 0;
    for (let e = 0; e < n; e += Math.max(1, Math.floor(n / 997))) if (spread(e) > spread(widest)) widest = e;
    for (const e of new Set([0, n - 1, n >> 1, widest])) {
      // The settlements of this element: the whole element, or (a term-level op) each slice of level 4's length.
      const K = hasTermLevel(p.code) ? termCount(p.code, p.attrs, ins) : 0;
      const P = K ? elementPartials(p.code, p.attrs, p.shape, operandValues(s.src, p.entry), e) : [];
      const slices = K ? Array.from({ length: Math.ceil(K / TERM_SLICE) }, (_, j) => ({ lo: j * TERM_SLICE, hi: Math.min(K, (j + 1) * TERM_SLICE), count: K })) : [undefined];
      for (const slice of slices) {
        const ctx = settlementContext(s.src, p.entry, e, slice, slice ? P[slice.lo]! : 0n);
        const enc = encodeSettlementOperands(buildSettlementOperands(s.src, p.entry, e, slice));
        const want = slice ? P[slice.hi]! : BigInt(out.data[e]!);
        const v = (await verifier.read.trueValue([ctx, enc, "0x"])) as Hex;
        if (BigInt.asIntN(256, BigInt(v)) !== want) throw new Error(`${model} ${kind} entry ${p.entry} element ${e}: settled ${v}, the engine has ${want}`);
        const g = Number(await pc.estimateContractGas({ address: verifier.address, abi: verifier.abi, functionName: "trueValue", args: [ctx, enc, "0x"] }));
        const key = `${model}_${kind}`;
        if (g > (gas[key] ?? 0)) {
          gas[key] = g;
          leaves[key] = leavesOf(e, slice);
          calldata[key] = (enc.length - 2) / 2;
          dearest[key] = { src: s.src, entry: p.entry, e, slice, want, ctx, enc };
        }
      }
    }
  }
}

const cnn = mnistCnnSpec();
await measure("cnn", cnn.spec, cnn.data.train, (c) => c >= 10 && c <= 19);
const lm = charlmJob();
await measure("charlm", lm.spec, lm.corpus.train, (c) => c >= 10 && c <= 19);
// A protocol-v1 op of the default MLP for scale: relu (one operand element).
const mlp = mnistSpec();
await measure("mlp", mlp.spec, mlp.data.train, (c) => c === 4);

// The same settlements by proof.
const zkGas: Record<string, number> = {};
const proveMs: Record<string, number> = {};
log("settling each op kind's dearest element again by a Groth16 proof");
for (const [key, d] of Object.entries(dearest)) {
  const { ctx, enc } = d;
  const { proof, ms } = await proveSettlement(d.src, d.entry, d.e, d.slice, ctx, d.want);
  const v = (await groth.read.trueValue([ctx, enc, proof])) as Hex;
  if (BigInt.asIntN(256, BigInt(v)) !== d.want) throw new Error(`${key}: Groth16 settled ${v}, the engine has ${d.want}`);
  zkGas[key] = Number(await pc.estimateContractGas({ address: groth.address, abi: groth.abi, functionName: "trueValue", args: [ctx, enc, proof] }));
  proveMs[key] = Math.round(ms);
}
await shutdownProver();

for (const k of Object.keys(gas).sort()) {
  log(`  ${k.padEnd(28)} ${String(gas[k]).padStart(9)} gas  ${String(leaves[k]).padStart(3)} leaves  ${String(calldata[k]).padStart(6)} calldata bytes   Groth16 ${String(zkGas[k]).padStart(9)} gas, proved in ${proveMs[k]} ms`);
}
const models = (xs: Record<string, number>) => Object.entries(xs).filter(([k]) => !k.startsWith("mlp")).map(([, g]) => g);
const metrics: Record<string, number> = { max_model_settle_true_value_gas: Math.max(...models(gas)), max_model_settle_groth16_true_value_gas: Math.max(...models(zkGas)), max_model_prove_ms: Math.max(...models(proveMs)) };
for (const [k, g] of Object.entries(gas)) {
  metrics[`settle_gas_${k}`] = g;
  metrics[`settle_leaves_${k}`] = leaves[k]!;
  metrics[`settle_groth16_gas_${k}`] = zkGas[k]!;
  metrics[`prove_ms_${k}`] = proveMs[k]!;
}
report("settle-models", metrics, { note: "eth_estimateGas of RecomputeKernelVerifier.trueValue on step 0 of each default model, per op kind the most expensive of the elements tried; that settlement again by Groth16KernelVerifier.trueValue with a real proof (prove time on this machine)" });
