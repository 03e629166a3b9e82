// Which ops of a spec a Groth16 deployment can settle. A Groth16KernelVerifier holds an immutable registry of
// one verifier per circuit instantiation (code, attributes, classes); a dispute that ends on an op with no
// registered circuit cannot be settled at all, and an unsettled game fails the SOLVER (settlement timeout,
// INV-GAME-6). An honest solver must therefore never take such a job, and a client should not post one.
// The recomputing verifier (RecomputeKernelVerifier) settles every op: nothing is missing there.
import { type Address, type Chain, type Client, type Hex, type Transport } from "viem";
import { readContract } from "viem/actions";
import { buildProgram } from "../commitment/program.ts";
import { buildStepGraph } from "../engine/graph.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { kernelKindOf } from "./kernelKind.ts";
import { disputeGameAbi, groth16KernelVerifierAbi, jobMarketAbi } from "./generated/contracts.ts";

/** Op codes whose settlement circuit is a dot slice, keyed without attributes (Groth16KernelVerifier._dotSlice). */
const DOT_SLICE_CODES: readonly number[] = [1, 7];
/** Op codes are 1..9 (docs/engine.md, "Op set"). */
const MAX_OP_CODE = 9;
/** mse_grad: its circuit also depends on the output's column count. */
const MSE_GRAD = 6;

/** One settlement-circuit instantiation a spec's step program needs. */
export interface Instantiation {
  readonly code: number;
  readonly attrs: readonly number[];
  readonly classes: number;
  /** The op entries (trace entry numbers) that need it. */
  readonly entries: readonly number[];
}

/** The registry key fields (Groth16KernelVerifier.circuitKey) of every op of the spec's step program, deduplicated. */
export function settleInstantiations(spec: TrainingSpec): Instantiation[] {
  const program = buildProgram(spec, buildStepGraph(spec));
  const byKey = new Map<string, { code: number; attrs: readonly number[]; classes: number; entries: number[] }>();
  for (const e of program.entries) {
    // Anchors (254, 255) and batch inputs (0) are recomputed by KernelVerifierBase itself: no circuit.
    if (e.code < 1 || e.code > MAX_OP_CODE) continue;
    const dot = DOT_SLICE_CODES.includes(e.code);
    const attrs = dot ? [] : e.attrs;
    const classes = e.code === MSE_GRAD ? e.shape[e.shape.length - 1]! : 0;
    const k = JSON.stringify([e.code, attrs, classes]);
    const found = byKey.get(k);
    if (found) found.entries.push(e.entry);
    else byKey.set(k, { code: e.code, attrs, classes, entries: [e.entry] });
  }
  return [...byKey.values()];
}

/** The instantiations of `spec` missing from a set of registered circuits (e.g. build/zk/manifest.json's). */
export function missingFrom(spec: TrainingSpec, registered: readonly { code: number; attrs: readonly number[]; classes: number }[]): Instantiation[] {
  const has = new Set(registered.map((r) => JSON.stringify([r.code, r.attrs, r.classes])));
  return settleInstantiations(spec).filter((i) => !has.has(JSON.stringify([i.code, i.attrs, i.classes])));
}

export type SettleCoverage =
  | { readonly kernel: "recompute"; readonly verifier: Address; readonly missing: readonly [] }
  | { readonly kernel: "groth16"; readonly verifier: Address; readonly missing: readonly Instantiation[] };

/**
 * Reads the market's game and its kernel verifier, and (for a Groth16KernelVerifier) which of the spec's
 * instantiations have no registered verifier. A verifier that does not answer `circuitKey` recomputes every op.
 */
export async function getSettleCoverage(client: Client<Transport, Chain | undefined>, p: { market: Address; spec: TrainingSpec }): Promise<SettleCoverage> {
  const game = await readContract(client, { address: p.market, abi: jobMarketAbi, functionName: "game" });
  const verifier = await readContract(client, { address: game, abi: disputeGameAbi, functionName: "kernelVerifier" });
  const keyOf = (i: Instantiation): Promise<Hex> =>
    readContract(client, { address: verifier, abi: groth16KernelVerifierAbi, functionName: "circuitKey", args: [i.code, i.attrs.map(BigInt), i.classes] });
  if ((await kernelKindOf(client, verifier)) === "recompute") return { kernel: "recompute", verifier, missing: [] };
  const wanted = settleInstantiations(p.spec);
  const missing: Instantiation[] = [];
  for (const i of wanted) {
    const registered = await readContract(client, { address: verifier, abi: groth16KernelVerifierAbi, functionName: "verifiers", args: [await keyOf(i)] });
    if (/^0x0{40}$/i.test(registered)) missing.push(i);
  }
  return { kernel: "groth16", verifier, missing };
}

/** One line naming what a Groth16 deployment cannot settle for this spec. */
export function describeMissing(missing: readonly Instantiation[]): string {
  return missing.map((m) => `op code ${m.code} attrs [${m.attrs.join(", ")}]${m.code === MSE_GRAD ? ` classes ${m.classes}` : ""} (entries ${m.entries.join(", ")})`).join("; ");
}
