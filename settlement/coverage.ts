// Which circuit instantiations a spec needs to be settleable by Groth16 proofs, and which of them a set of
// registered circuits misses (the pure half of settle coverage; reading a deployment's registry is
// chain/settleCoverage.ts). A Groth16KernelVerifier holds an immutable registry of one verifier per
// instantiation (code, attributes, classes); a dispute that ends on an op with no registered circuit cannot
// be settled at all, and an unsettled game fails the SOLVER (settlement timeout, INV-GAME-6).
import { buildProgram } from "../commitment/program.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { opKindOf } from "../engine/ops/index.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { accumulates, isOpCode } from "./operandRule.ts";

/**
 * The op codes the deployed kernel verifiers settle, BOTH of them (RecomputeKernelVerifier recomputes these
 * codes; Groth16KernelVerifier has circuit templates for them): the nine ops of protocol v1. The one source
 * of truth for "can a dispute end on this op": a spec whose step program uses any other op code (the CNN ops
 * 10-14, the language-model ops 15-19) must not be posted or taken, because a dispute ending there could not
 * be settled and an unsettled game fails the solver (INV-GAME-6).
 * INVARIANT: a code joins this set only with its Solidity kernel, circuit and dispute path in place.
 */
export const SETTLEABLE_OP_CODES: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]);

/** The op kinds of a spec's step program that no kernel verifier can settle yet, one entry per code. */
export function unsettleableOps(spec: TrainingSpec): Instantiation[] {
  const byCode = new Map<number, number[]>();
  for (const e of buildProgram(spec, buildStepGraph(spec)).entries) {
    if (!isOpCode(e.code) || SETTLEABLE_OP_CODES.has(e.code)) continue;
    byCode.set(e.code, [...(byCode.get(e.code) ?? []), e.entry]);
  }
  return [...byCode].map(([code, entries]) => ({ code, attrs: [], classes: 0, entries }));
}

/** mse_grad: its circuit also depends on the output's column count. */
const isMseGrad = (code: number) => opKindOf(code) === "mse_grad";

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
    if (!isOpCode(e.code)) continue;
    // An accumulation's circuit is a dot slice, keyed without attributes (Groth16KernelVerifier._dotSlice).
    const attrs = accumulates(e.code) ? [] : e.attrs;
    const classes = isMseGrad(e.code) ? e.shape[e.shape.length - 1]! : 0;
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

/** One line naming what a deployment cannot settle for this spec. */
export function describeMissing(missing: readonly Instantiation[]): string {
  return missing.map((m) => !SETTLEABLE_OP_CODES.has(m.code)
    ? `op ${opKindOf(m.code) ?? "?"} (code ${m.code}) has no settlement path yet (entries ${m.entries.join(", ")})`
    : `op code ${m.code} attrs [${m.attrs.join(", ")}]${isMseGrad(m.code) ? ` classes ${m.classes}` : ""} (entries ${m.entries.join(", ")})`).join("; ");
}
