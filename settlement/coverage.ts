// Which ops of a spec a deployment can settle (the pure half of settle coverage; reading a deployment is
// chain/settleCoverage.ts). A dispute that ends on an op no kernel verifier settles cannot be settled at all,
// and an unsettled game fails the SOLVER (settlement timeout, INV-GAME-6). Two things decide it:
//  - the op codes the deployment's kernel verifier settles: 1..MAX_OP_CODE, as the verifier reports it (19
//    since the model ops, ModelOps.sol; a deployment from before them settles protocol v1's 1..9);
//  - under a Groth16KernelVerifier, an immutable registry of one verifier per circuit instantiation (code,
//    attributes, classes): an op without a registered circuit cannot be proved.
import { buildProgram } from "../commitment/program.ts";
import { buildStepGraph } from "../engine/graph.ts";
import { opKindOf } from "../engine/ops/index.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { accumulates, isOpCode } from "./operandRule.ts";

/** The largest op code of protocol v1: what a kernel verifier deployed before the model ops settles. */
export const V1_MAX_OP_CODE = 9;
/** The largest op code the kernel verifiers of this version settle (KernelVerifierBase.MAX_OP_CODE). */
export const MAX_OP_CODE = 19;

/** One settlement-circuit instantiation a spec's step program needs, or an op it cannot settle (`why`). */
export interface Instantiation {
  readonly code: number;
  readonly attrs: readonly number[];
  readonly classes: number;
  /** The op entries (trace entry numbers) that need it. */
  readonly entries: readonly number[];
  /** Set when no kernel verifier of the deployment can settle the op at all: the reason. */
  readonly why?: string;
}

/** The ops of a spec's step program that a kernel verifier settling codes 1..`maxOpCode` cannot settle, one entry per code. */
export function unsettleableOps(spec: TrainingSpec, maxOpCode: number = MAX_OP_CODE): Instantiation[] {
  const why = `the deployment's kernel verifier settles op codes up to ${maxOpCode} (deployed before the model ops)`;
  const byCode = new Map<number, number[]>();
  for (const e of buildProgram(spec, buildStepGraph(spec)).entries) {
    if (!isOpCode(e.code) || e.code <= maxOpCode) continue;
    byCode.set(e.code, [...(byCode.get(e.code) ?? []), e.entry]);
  }
  return [...byCode].map(([code, entries]) => ({ code, attrs: [], classes: 0, entries, why }));
}

/** mse_grad: its circuit also depends on the output's column count. */
const isMseGrad = (code: number) => opKindOf(code) === "mse_grad";

/**
 * The most classes (logits per row) Groth16's softmax_ce_grad slice circuit proves
 * (Groth16KernelVerifier.SOFTMAX_MAX_CLASSES, circuits/settle/softmax_terms8.circom); a spec may have up to
 * 65,536, which only the recomputing verifier settles.
 */
export const GROTH16_SOFTMAX_MAX_CLASSES = 4096;

/**
 * The attributes an instantiation's circuit is registered under (Groth16KernelVerifier.circuitKey): none for
 * the term slices (matmul, col_sum, col2im, the pools) and the generic model-op circuits, whose attributes are
 * public inputs; the ops of protocol v1 keep theirs.
 */
export function circuitAttrs(code: number, attrs: readonly number[]): readonly number[] {
  return accumulates(code) || code > V1_MAX_OP_CODE ? [] : attrs;
}

/**
 * The registry key fields (code, attrs, classes) of an op entry with output shape `outShape`, as
 * Groth16KernelVerifier.circuitKey keys them: mse_grad keeps its attributes and its classes (the output's
 * column count), and so does a softmax_ce_grad wider than GROTH16_SOFTMAX_MAX_CLASSES (no circuit is
 * registered under that key); every other op, circuitAttrs and classes 0.
 */
export function circuitInstance(code: number, attrs: readonly number[], outShape: readonly number[]): { attrs: readonly number[]; classes: number } {
  const n = outShape[outShape.length - 1] ?? 0;
  if (isMseGrad(code)) return { attrs, classes: n };
  if (opKindOf(code) === "softmax_ce_grad" && n > GROTH16_SOFTMAX_MAX_CLASSES) return { attrs, classes: n };
  return { attrs: circuitAttrs(code, attrs), classes: 0 };
}

/** The registry key fields (Groth16KernelVerifier.circuitKey) of every op of the spec's step program, deduplicated. */
export function settleInstantiations(spec: TrainingSpec): Instantiation[] {
  const program = buildProgram(spec, buildStepGraph(spec));
  const byKey = new Map<string, { code: number; attrs: readonly number[]; classes: number; entries: number[] }>();
  for (const e of program.entries) {
    // Anchors (254, 255) and batch inputs (0) are recomputed by KernelVerifierBase itself: no circuit.
    if (!isOpCode(e.code)) continue;
    const { attrs, classes } = circuitInstance(e.code, e.attrs, e.shape);
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
  return missing.map((m) => m.why !== undefined
    ? `op ${opKindOf(m.code) ?? "?"} (code ${m.code}) cannot be settled: ${m.why} (entries ${m.entries.join(", ")})`
    : `no settlement circuit for op code ${m.code} attrs [${m.attrs.join(", ")}]${m.classes > 0 ? ` classes ${m.classes}` : ""}${opKindOf(m.code) === "softmax_ce_grad" && m.classes > GROTH16_SOFTMAX_MAX_CLASSES ? ` (Groth16 proves rows of at most ${GROTH16_SOFTMAX_MAX_CLASSES} classes)` : ""} (entries ${m.entries.join(", ")})`).join("; ");
}
