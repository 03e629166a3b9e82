// Differential test of the GENERIC settlement circuits of ops 10-19 (circuits/settle/{reshape, im2col,
// maxpool_terms8, maxpool_grad_terms8, one_hot, adam_m, adam_v, adam_update}.circom; col2im, an accumulation
// since ModelOps settles it through the game's term level, uses col_sum's dot slice dot_slice_cs8; the pools
// are folds over their window, proved slice by slice from settlement/poolTerms.ts) against the TypeScript reference
// (engine/ops/*.ts): the settle mains themselves are compiled (one circuit per op, the attributes are public
// inputs) and their WASM witness calculators run in process. A case passes when the reference's output is
// accepted as `out` and out +- 1 (and a mutated operand with the same out) yields no witness. Cases: the
// shared vectors (ops.v2.models.json, ops.v2.lm.json), element by element with the operands the settlement
// operand rule opens, and random cases at the range edges (clamps binding, rounding ties, isqrt at perfect
// squares +-1, exact and tied divisions, max ties, padding taps, the largest windows).
// Forged hints: the quotient/remainder, square root and window-max witnesses moved by +-1 violate the R1CS.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { expect } from "chai";
import { OP_CODES, opDef, type OpKind } from "../../engine/ops/index.ts";
import { imageTaps } from "../../engine/ops/windowGeometry.ts";
import { EXP_TABLE } from "../../engine/expTable.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { packSlice, packValues } from "../../settlement/prover.ts";
import { col2imTermCount, modelElementFact, modelOperandIndices } from "../../settlement/modelOpRule.ts";
import { maxpoolGradPartials, maxpoolPartials, poolPair } from "../../settlement/poolTerms.ts";
import {
  ROOT,
  buildCircuits,
  loadWitnessCalculator,
  r1csConstraints,
  symbols,
  violatedConstraints,
  type BuiltCircuit,
  type WitnessCalculator,
} from "../../scripts/circuits-build.ts";
import { rng as seededRng } from "../helpers/seededRng.ts";

const MAINS = ["reshape", "im2col", "maxpool_terms8", "maxpool_grad_terms8", "one_hot", "adam_m", "adam_v", "adam_update", "dot_slice_cs8"] as const;
/**
 * softmax_ce_grad's whole-row kernel (circuits/kernels/softmax_ce_grad.circom) is not a settle circuit (a
 * 256-logit row is beyond a 2^16 ceremony; the op settles slice by slice with circuits/settle/softmax_terms8.circom,
 * test/circuits/softmaxTerms.test.ts): its template is tested here on rows of at most SOFTMAX_N logits, through a
 * main written into build/ (not a settle main, not a test main of kernels.test.ts).
 */
const SOFTMAX_N = 6;
const SOFTMAX_MAIN = `build/softmax-mains/softmax_ce_grad_n${SOFTMAX_N}.circom`;
type Main = (typeof MAINS)[number] | "softmax_ce_grad";
const TERM_SLICE = 8; // DisputeGame.TERM_SLICE: col2im's slices, like col_sum's
const CTX = 0x1234567890abcdefn;
const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const field = (x: bigint): bigint => (x < 0n ? P + x : x);

type In = Record<string, bigint | bigint[]>;
const built = new Map<string, BuiltCircuit>();
const calc = new Map<string, WitnessCalculator>();

function asWitnessInput(x: In): Record<string, bigint | bigint[]> {
  const o: Record<string, bigint | bigint[]> = {};
  for (const [k, v] of Object.entries(x)) o[k] = Array.isArray(v) ? v.map(field) : field(v);
  return o;
}
async function witness(main: Main, x: In): Promise<bigint[] | undefined> {
  try {
    return await calc.get(main)!.calculateWitness(asWitnessInput(x), true);
  } catch {
    return undefined;
  }
}
/** out is accepted, out +- 1 is not. */
async function expectSettles(main: Main, x: In, out: bigint, what: string): Promise<void> {
  if (!(await witness(main, { ctx: CTX, out, ...x }))) expect.fail(`${main} ${what}: the true output ${out} has no witness (${JSON.stringify(x, (_, v) => (typeof v === "bigint" ? v.toString() : v))})`);
  for (const d of [1n, -1n]) {
    if (await witness(main, { ctx: CTX, out: out + d, ...x })) expect.fail(`${main} ${what}: the false output ${out + d} has a witness`);
  }
}
async function expectNoWitness(main: Main, x: In, out: bigint, what: string): Promise<void> {
  if (await witness(main, { ctx: CTX, out, ...x })) expect.fail(`${main} ${what}: has a witness`);
}

// ---------------------------------------------------------------- references (engine/ops/*.ts)

const t = (values: readonly number[], shape: readonly number[] = [values.length]): Tensor => ({ shape, data: Float64Array.from(values) });
const ref = (kind: OpKind, inputs: Tensor[], attrs: unknown): number[] => [...opDef(kind).reference(inputs, attrs).data];
const B = BigInt;

/** Every intermediate of the engine's double arithmetic must stay <= 2^53 for its reference to be exact. */
const EXACT = 2n ** 53n;
const abs = (x: bigint): bigint => (x < 0n ? -x : x);
const exact = (...xs: bigint[]): boolean => xs.every((x) => abs(x) <= EXACT);
const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const roundShift = (x: bigint, s: number): bigint => (s === 0 ? x : floorDiv(x + (1n << B(s - 1)), 1n << B(s)));

// ---------------------------------------------------------------- random cases

type Rng = () => number;
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
/** A value with |v| <= bound: an extreme, a small one or uniform. */
function val(r: Rng, bound: number): number {
  const m = r();
  if (m < 0.2) return pick(r, [-bound, bound, 0, 1, -1]);
  if (m < 0.5) return int(r, -Math.min(bound, 300), Math.min(bound, 300));
  return int(r, -bound, bound);
}
const clampAround = (r: Rng, x: number): { lo: number; hi: number } => {
  switch (int(r, 0, 3)) {
    case 0: return { lo: -(2 ** 53) + 1, hi: 2 ** 53 - 1 }; // never binds
    case 1: { const lo = x + int(r, -2, 2); return { lo, hi: lo + int(r, 0, 3) }; } // binds low or just misses
    case 2: { const hi = x + int(r, -2, 2); return { lo: hi - int(r, 0, 3), hi }; } // binds high or just misses
    default: { const lo = int(r, -1000, 1000); return { lo, hi: lo + int(r, 0, 2000) }; }
  }
};

interface AdamMCase { m: number; g: number; b1Num: number; b1Shift: number; lo: number; hi: number }
function adamMCase(r: Rng, i: number): AdamMCase {
  for (;;) {
    const b1Shift = i % 5 === 0 ? pick(r, [0, 1, 52]) : int(r, 0, 20);
    const full = 2 ** b1Shift;
    const b1Num = pick(r, [0, 1, full, full - 1, int(r, 0, Math.min(full, 2 ** 20))].filter((x) => x >= 0 && x <= full));
    const budget = Math.floor(2 ** 52 / Math.max(1, b1Num));
    const m = val(r, Math.min(budget, 2 ** 52));
    // Ties: b1Num = 1 and g - m = k 2^s + 2^(s-1) (+-1).
    const d = i % 3 === 1 && b1Shift > 0 && b1Num === 1
      ? int(r, -50, 50) * full + full / 2 + pick(r, [0, 0, -1, 1])
      : val(r, Math.min(budget, 2 ** 52));
    const g = m + d;
    const x = B(d) * B(b1Num);
    if (!exact(B(g), x + B(full), B(m) + roundShift(x, b1Shift))) continue;
    const y = Number(B(m) + roundShift(x, b1Shift));
    return { m, g, b1Num, b1Shift, ...clampAround(r, y) };
  }
}

interface AdamVCase { v: number; g: number; b2Num: number; b2Shift: number; gShift: number; lo: number; hi: number }
function adamVCase(r: Rng, i: number): AdamVCase {
  for (;;) {
    const b2Shift = i % 5 === 0 ? pick(r, [0, 1, 52]) : int(r, 0, 20);
    const full = 2 ** b2Shift;
    const b2Num = pick(r, [0, 1, full, int(r, 0, Math.min(full, 2 ** 16))].filter((x) => x >= 0 && x <= full));
    const gShift = i % 4 === 0 ? pick(r, [-26, -1, 0, 1, 52]) : int(r, -26, 52);
    const budget = Math.floor(2 ** 52 / Math.max(1, b2Num));
    const gBound = Math.floor(Math.sqrt(gShift >= 0 ? budget * 2 ** Math.min(gShift, 0) : budget / 2 ** -gShift));
    // Ties of g * g: g^2 = k 2^gShift + 2^(gShift - 1) needs an odd square class; g = 2^(gShift/2 - ...) edge cases come from val.
    const g = val(r, Math.max(1, Math.min(gBound, 2 ** 26)));
    const v = Math.abs(val(r, budget));
    const sq = B(g) * B(g);
    const g2 = gShift >= 0 ? roundShift(sq, gShift) : sq << B(-gShift);
    const x = (g2 - B(v)) * B(b2Num);
    if (!exact(sq + B(2 ** Math.max(0, gShift)), g2, x + B(full), B(v) + roundShift(x, b2Shift))) continue;
    const y = Number(B(v) + roundShift(x, b2Shift));
    const c = clampAround(r, y);
    return { v, g, b2Num, b2Shift, gShift, ...c };
  }
}

interface AdamUCase { w: number; m: number; v: number; lrNum: number; lrShift: number; eps: number; lo: number; hi: number }
function isqrtB(n: bigint): bigint {
  let x = B(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}
function adamUCase(r: Rng, i: number): AdamUCase {
  for (;;) {
    const lrShift = i % 5 === 0 ? pick(r, [0, 1, 30]) : int(r, 0, 16);
    const eps = pick(r, [1, 1, 2, int(r, 1, 1000), int(r, 1, 2 ** 20)]);
    // v: perfect squares +-1, zero, large, random.
    const s = int(r, 0, 2 ** 20);
    const v = [0, 1, s * s, s * s - 1, s * s + 1, int(r, 0, 2 ** 52), (2 ** 26) ** 2 - 1][i % 7]!;
    if (v < 0) continue;
    const den = (isqrtB(B(v)) + B(eps)) << B(lrShift);
    let lrNum: number, m: number;
    const mode = i % 4;
    if (mode === 0 && den % 2n === 0n && den < 2n ** 40n) {
      // m lrNum / den exactly halfway (lrNum = 1): a rounding tie, and +-1 around it.
      lrNum = 1;
      m = Number((den / 2n) * B(2 * int(r, -100, 100) + 1)) + pick(r, [0, 0, -1, 1]);
    } else if (mode === 1 && den < 2n ** 26n) {
      // An exact division: lrNum = den.
      lrNum = Number(den);
      m = val(r, 2 ** 20);
    } else {
      lrNum = pick(r, [0, 1, int(r, 1, 1000), int(r, 1, 2 ** 26)]);
      m = val(r, Math.floor(2 ** 51 / Math.max(1, lrNum)));
    }
    const num = 2n * B(m) * B(lrNum) + den;
    if (!exact(B(v) + 2n * isqrtB(B(v)) + 1n, abs(num) + 3n * den)) continue;
    const step = floorDiv(num, 2n * den);
    const w = val(r, 2 ** 52);
    if (!exact(B(w) - step)) continue;
    return { w, m, v, lrNum, lrShift, eps, ...clampAround(r, Number(B(w) - step)) };
  }
}

// ---------------------------------------------------------------- the operand rule of ops 10-16, from the reference geometry

interface VecCase {
  kind: OpKind;
  attrs: Record<string, number | number[]>;
  encodedAttrs: number[];
  inputs: { shape: number[]; values: number[] }[];
  output: { shape: number[]; values: number[] };
}

/** The settle circuit's inputs (without ctx, out) for output element e of a vector case. */
function circuitInputs(c: VecCase, e: number): In | undefined {
  const a = c.attrs as Record<string, number>;
  const x = c.inputs[0]!.values;
  switch (c.kind) {
    case "reshape":
      return { x: B(x[e]!) };
    case "im2col": {
      const taps = imageTaps("im2col", a as never), N = a.H! * a.W! * a.C!, Pn = taps.length;
      const tap = taps[e % Pn]!;
      return { x: tap < 0 ? 0n : B(x[Math.floor(e / Pn) * N + tap]!) };
    }
    case "one_hot":
      return { x: B(x[Math.floor(e / a.n!)]!), j: B(e % a.n!) };
    case "adam_m":
      return { m: B(x[e]!), g: B(c.inputs[1]!.values[e]!), b1Num: B(a.b1Num!), b1Shift: B(a.b1Shift!), lo: B(a.lo!), hi: B(a.hi!) };
    case "adam_v":
      return { v: B(x[e]!), g: B(c.inputs[1]!.values[e]!), b2Num: B(a.b2Num!), b2Shift: B(a.b2Shift!), gShift: B(a.gShift!), lo: B(a.lo!), hi: B(a.hi!) };
    case "adam_update":
      return { w: B(x[e]!), m: B(c.inputs[1]!.values[e]!), v: B(c.inputs[2]!.values[e]!), lrNum: B(a.lrNum!), lrShift: B(a.lrShift!), eps: B(a.eps!), lo: B(a.lo!), hi: B(a.hi!) };
    case "softmax_ce_grad": {
      const n = c.output.shape[1]!, row = Math.floor(e / n);
      return softmaxInputs(x.slice(row * n, row * n + n), c.inputs[1]!.values[row]!, e % n, a.fracBits!, a.one!);
    }
    default:
      return undefined;
  }
}

/**
 * col2im's element e through the game's term level (ModelOps): its K = ceil(k/stride)^2 terms in slices of at
 * most 8 (the existing column entries of each slice, modelOpRule.ts), each proved by col_sum's dot slice from
 * the agreed partial sum accIn; the last partial sum is the element. Returns the slices checked.
 */
async function col2imBySlices(c: VecCase, ci: number): Promise<number> {
  const attrs = c.encodedAttrs;
  const K = col2imTermCount(attrs);
  const x = c.inputs[0]!.values;
  let n = 0;
  for (let e = 0; e < c.output.values.length; e++) {
    let acc = 0n;
    for (let lo = 0; lo < K; lo += TERM_SLICE) {
      const hi = Math.min(K, lo + TERM_SLICE);
      const [idx] = modelOperandIndices(12, attrs, c.output.shape, [c.inputs[0]!.shape], e, { lo, hi });
      const a = idx!.map((i) => B(x[i]!));
      const pad = Array.from({ length: TERM_SLICE }, (_, t) => a[t] ?? 0n);
      const sum = acc + a.reduce((s, v) => s + v, 0n);
      await expectSettles("dot_slice_cs8", { accIn: acc, packed: packSlice(a, undefined), a: pad, b: Array(TERM_SLICE).fill(0n) }, sum, `col2im case ${ci} element ${e} terms [${lo}, ${hi})`);
      acc = sum;
      n++;
    }
    expect(acc, `col2im case ${ci} element ${e}`).to.equal(B(c.output.values[e]!));
  }
  return n;
}

/**
 * A pool window's fold (maxpool: its max; maxpool_grad: g at the window's first argmax, else 0) slice by slice:
 * every slice of at most 8 terms from the true partial value at its start, as level 4 leaves it, must prove
 * the true partial value at its end (and only it). Returns the slices checked.
 */
async function poolBySlices(grad: boolean, win: readonly bigint[], pos: number, g: bigint, what: string): Promise<number> {
  const P = grad ? maxpoolGradPartials(win, pos, g) : maxpoolPartials(win);
  const K = P.length - 1, cells = win.length;
  let n = 0;
  for (const lo of new Set([0, ...Array.from({ length: Math.ceil(K / TERM_SLICE) }, (_, s) => s * TERM_SLICE), Math.max(0, K - TERM_SLICE), K - 1, Math.max(0, cells - 3)])) {
    const hi = Math.min(K, lo + TERM_SLICE);
    const x = { accIn: P[lo]!, packed: packValues(win.slice(lo, Math.min(hi, cells)), TERM_SLICE), lo: B(lo), hi: B(hi) };
    if (grad) await expectSettles("maxpool_grad_terms8", { ...x, g: hi === K ? g : 0n, pos: B(pos), cells: B(cells) }, P[hi]!, `${what} [${lo}, ${hi})`);
    else await expectSettles("maxpool_terms8", x, P[hi]!, `${what} [${lo}, ${hi})`);
    n++;
  }
  return n;
}

/** The vector case's pool element e: its window, g and position (maxpool_grad), through modelOpRule.ts. */
function poolElement(c: VecCase, e: number): { win: bigint[]; pos: number; g: bigint } {
  const code = OP_CODES[c.kind as OpKind];
  const idx = modelOperandIndices(code, c.encodedAttrs, c.output.shape, c.inputs.map((i) => i.shape), e);
  const grad = c.kind === "maxpool_grad";
  return {
    win: idx[grad ? 1 : 0]!.map((i) => B(c.inputs[grad ? 1 : 0]!.values[i]!)),
    pos: grad ? modelElementFact(code, c.encodedAttrs, c.output.shape, e) : 0,
    g: grad ? B(c.inputs[0]!.values[idx[0]![0]!]!) : 0n,
  };
}

/** softmax_ce_grad's kernel inputs: the row packed in SOFTMAX_N slots, its length, the label, j and the attributes. */
function softmaxInputs(row: readonly number[], label: number, j: number, fracBits: number, one: number): In {
  return { count: B(row.length), packed: packValues(row.map(B), SOFTMAX_N), label: B(label), j: B(j), fracBits: B(fracBits), one: B(one) };
}

const bigIn = (o: Record<string, number>): In => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, B(v)]));

describe("zk settle circuits of ops 10-19 vs the TypeScript reference", () => {
  before(async () => {
    mkdirSync(path.join(ROOT, "build/softmax-mains"), { recursive: true });
    // The settle mains' form: ctx and the claimed out are inputs, out === the kernel's.
    const words = Math.ceil(SOFTMAX_N / 4);
    writeFileSync(path.join(ROOT, SOFTMAX_MAIN), [
      "pragma circom 2.1.0;",
      `include "../../circuits/kernels/softmax_ce_grad.circom";`,
      "template Main() {",
      "    signal input ctx; signal input out; signal input count; signal input packed[" + words + "];",
      "    signal input label; signal input j; signal input fracBits; signal input one;",
      "    signal c2 <== ctx * ctx;",
      `    component k = SoftmaxCeGrad(${SOFTMAX_N});`,
      "    k.count <== count; k.label <== label; k.j <== j; k.fracBits <== fracBits; k.one <== one;",
      "    for (var w = 0; w < " + words + "; w++) k.packed[w] <== packed[w];",
      "    out === k.out;",
      "}",
      "component main {public [ctx, out, count, packed, label, j, fracBits, one]} = Main();",
      "",
    ].join("\n"));
    const cs = await buildCircuits([...MAINS.map((m) => `circuits/settle/${m}.circom`), SOFTMAX_MAIN]);
    for (const c of cs) {
      const name = c.name.startsWith("softmax_ce_grad") ? "softmax_ce_grad" : c.name;
      built.set(name, c);
      calc.set(name, await loadWitnessCalculator(c));
      console.log(`  ${c.name.padEnd(14)} ${String(c.constraints).padStart(6)} constraints  ${c.compiled ? `${c.ms} ms` : "cached"}`);
    }
  });

  it("the shared vectors (ops.v2.models.json, ops.v2.lm.json): every element of every case of ops 10-19 (col2im slice by slice)", async () => {
    const models = (JSON.parse(readFileSync(path.join(ROOT, "test/vectors/ops.v2.models.json"), "utf8")) as { ops: { cases: VecCase[] } }).ops.cases;
    const lm = (JSON.parse(readFileSync(path.join(ROOT, "test/vectors/ops.v2.lm.json"), "utf8")) as { cases: VecCase[] }).cases;
    const seen = new Set<string>();
    let checked = 0;
    for (const [ci, c] of [...models, ...lm].entries()) {
      if (c.kind === "col2im") {
        checked += await col2imBySlices(c, ci);
        seen.add("dot_slice_cs8");
        continue;
      }
      if (c.kind === "maxpool" || c.kind === "maxpool_grad") {
        for (let e = 0; e < c.output.values.length; e++) {
          const { win, pos, g } = poolElement(c, e);
          const grad = c.kind === "maxpool_grad";
          const P = grad ? maxpoolGradPartials(win, pos, g) : maxpoolPartials(win);
          expect(P.at(-1), `${c.kind} case ${ci} element ${e}: the fold ends on the op's value`).to.equal(B(c.output.values[e]!));
          checked += await poolBySlices(grad, win, pos, g, `${c.kind} case ${ci} element ${e}`);
        }
        seen.add(`${c.kind}_terms8`);
        continue;
      }
      for (let e = 0; e < c.output.values.length; e++) {
        const x = circuitInputs(c, e);
        if (!x) break;
        await expectSettles(c.kind as Main, x, B(c.output.values[e]!), `case ${ci} element ${e}`);
        seen.add(c.kind);
        checked++;
      }
    }
    expect([...seen].sort()).to.deep.equal([...MAINS, "softmax_ce_grad"].sort());
    expect(checked).to.be.greaterThan(200);
  });

  it("adam_m: 300 random cases (rates 0 .. 2^s, shifts 0 .. 52, ties, clamps binding) match the engine", async () => {
    const r = seededRng(17);
    for (let i = 0; i < 300; i++) {
      const c = adamMCase(r, i);
      const want = ref("adam_m", [t([c.m]), t([c.g])], c)[0]!;
      await expectSettles("adam_m", bigIn({ ...c }), B(want), `case ${i}`);
    }
  });

  it("adam_v: 300 random cases (gShift -26 .. 52, rates, ties, clamps binding) match the engine", async () => {
    const r = seededRng(18);
    for (let i = 0; i < 300; i++) {
      const c = adamVCase(r, i);
      const want = ref("adam_v", [t([c.v]), t([c.g])], c)[0]!;
      await expectSettles("adam_v", bigIn({ ...c }), B(want), `case ${i}`);
    }
  });

  it("adam_update: 300 random cases (isqrt at perfect squares +-1, exact and tied divisions, clamps) match the engine", async () => {
    const r = seededRng(19);
    for (let i = 0; i < 300; i++) {
      const c = adamUCase(r, i);
      const want = ref("adam_update", [t([c.w]), t([c.m]), t([c.v])], c)[0]!;
      await expectSettles("adam_update", bigIn({ ...c }), B(want), `case ${i}`);
    }
  });

  it("the Adam circuits refuse attributes and operands outside the engine's ranges", async () => {
    const m: In = { m: 5n, g: 9n, b1Num: 1n, b1Shift: 3n, lo: -100n, hi: 100n };
    await expectSettles("adam_m", m, 6n, "baseline"); // 5 + roundShift(4, 3) = 5 + 1
    for (const [k, v] of [["b1Shift", 53n], ["b1Shift", -1n], ["b1Num", 9n], ["b1Num", -1n], ["m", 2n ** 53n], ["g", -(2n ** 53n) - 1n], ["lo", 2n ** 53n]] as const) {
      await expectNoWitness("adam_m", { ...m, [k]: v }, 6n, `${k} = ${v}`);
    }
    const v: In = { v: 4n, g: 3n, b2Num: 1n, b2Shift: 1n, gShift: 0n, lo: 0n, hi: 100n };
    for (const [k, x] of [["gShift", -27n], ["gShift", 53n], ["b2Shift", 53n], ["b2Num", 3n]] as const) {
      await expectNoWitness("adam_v", { ...v, [k]: x }, 7n, `${k} = ${x}`);
    }
    const u: In = { w: 10n, m: 4n, v: 16n, lrNum: 1n, lrShift: 0n, eps: 1n, lo: -100n, hi: 100n };
    for (const [k, x] of [["v", -1n], ["eps", 0n], ["lrNum", -1n], ["lrShift", 53n], ["v", 2n ** 53n]] as const) {
      for (const out of [9n, 10n, 11n]) await expectNoWitness("adam_update", { ...u, [k]: x }, out, `${k} = ${x}`);
    }
  });

  it("one_hot, reshape, im2col: random cases (indices outside [0, n), negatives, padding taps as 0)", async () => {
    const r = seededRng(15);
    for (let i = 0; i < 200; i++) {
      const n = int(r, 1, 256), j = int(r, 0, n - 1);
      const x = i % 3 === 0 ? j : pick(r, [-1, n, n + 1, int(r, -5, n + 5), -(2 ** 53), 2 ** 53 - 1]);
      const want = ref("one_hot", [t([x])], { n })[j]!;
      await expectSettles("one_hot", { x: B(x), j: B(j) }, B(want), `x ${x} j ${j}`);
      const y = B(val(r, 2 ** 53 - 1));
      await expectSettles("reshape", { x: y }, y, "copy");
      await expectSettles("im2col", { x: y }, y, "copy");
    }
    await expectSettles("im2col", { x: 0n }, 0n, "padding tap");
  });

  it("maxpool, maxpool_grad: random windows of every size 1..8 (ties, extremes) against the engine, slice by slice; every position of the small windows; forged slices refused", async () => {
    const r = seededRng(13);
    for (let i = 0; i < 32; i++) {
      const size = (i % 8) + 1, n = size * size;
      const pool = pick(r, [3, 5, 2 ** 53 - 1]);
      const xs = Array.from({ length: n }, () => (pool === 3 ? int(r, -1, 1) : pool === 5 ? int(r, -5, 5) : val(r, 2 ** 53 - 1)));
      if (i % 5 === 0) xs.fill(pick(r, [-(2 ** 53), 7, 2 ** 53 - 1])); // all equal: the first wins
      const attrs = { H: size, W: size, C: 1, size };
      const max = ref("maxpool", [t(xs, [n, 1])], attrs)[0]!;
      const win = xs.map(B);
      expect(maxpoolPartials(win)[n], `size ${size}: the fold is the engine's max`).to.equal(B(max));
      await poolBySlices(false, win, 0, 0n, `maxpool size ${size}`);
      const g = val(r, 2 ** 53 - 1);
      const grads = ref("maxpool_grad", [t([g], [1, 1]), t(xs, [n, 1])], attrs);
      // Every position of the small windows; of the large ones the first, the last, every max and a few more.
      const positions = n <= 9 ? [...Array(n).keys()] : [...new Set([0, n - 1, ...xs.flatMap((v, q) => (v === max ? [q] : [])).slice(0, 3), int(r, 0, n - 1)])];
      for (const pos of positions) {
        expect(maxpoolGradPartials(win, pos, B(g))[n + 1], `size ${size} pos ${pos}: the fold is the engine's gradient`).to.equal(B(grads[pos]!));
        await poolBySlices(true, win, pos, B(g), `maxpool_grad size ${size} pos ${pos}`);
      }
      // Forged: the window's max moved up by one, a slice longer than 8 or empty, a pair whose position does
      // not fit 13 bits.
      const k = xs.indexOf(max), lo = Math.floor(k / TERM_SLICE) * TERM_SLICE, hi = Math.min(n, lo + TERM_SLICE);
      const P = maxpoolPartials(win);
      if (max < 2 ** 53 - 1) {
        const bumped = packValues(win.slice(lo, hi).map((v, q) => (lo + q === k ? v + 1n : v)), TERM_SLICE);
        await expectNoWitness("maxpool_terms8", { accIn: P[lo]!, packed: bumped, lo: B(lo), hi: B(hi) }, P[hi]!, "the max's operand + 1");
      }
      await expectNoWitness("maxpool_terms8", { accIn: P[lo]!, packed: packValues(win.slice(lo, hi), TERM_SLICE), lo: B(lo), hi: B(lo + 9) }, P[hi]!, "9 terms");
      await expectNoWitness("maxpool_terms8", { accIn: P[lo]!, packed: packValues([], TERM_SLICE), lo: B(lo), hi: B(lo) }, P[lo]!, "no term");
    }
    await expectNoWitness("maxpool_grad_terms8", { accIn: poolPair(5n, 1n << 13n), packed: packValues([1n], TERM_SLICE), lo: 1n, hi: 2n, g: 0n, pos: 0n, cells: 4n }, poolPair(5n, 1n << 13n), "a position past 2^13");
  });

  it("softmax_ce_grad's kernel: circuits/lib/exp_table.circom is engine/expTable.ts, entry by entry", () => {
    const src = readFileSync(path.join(ROOT, "circuits/lib/exp_table.circom"), "utf8");
    const t = [...src.matchAll(/t\[(\d+)\] = (\d+);/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    expect(t.length).to.equal(3072);
    for (const [i, v] of t) expect(v, `entry ${i}`).to.equal(EXP_TABLE[i] ?? 0);
  });

  it(`softmax_ce_grad's kernel: 150 random rows of 1..${SOFTMAX_N} logits (fracBits 0..52, ties, distances past the table, every column) match the engine`, async () => {
    const r = seededRng(16);
    let rows = 0, pastTable = 0;
    for (let i = 0; i < 150; i++) {
      const n = (i % SOFTMAX_N) + 1;
      const fracBits = pick(r, [0, 4, 8, 12, 16, 52, int(r, 0, 52)]);
      const one = pick(r, [1, 3, 4096, 2 ** 20, int(r, 1, 2 ** 30)]);
      // Spreads: equal logits, within the table, past its end, the extremes of 54 bits.
      const spread = pick(r, [0, 2 ** Math.min(fracBits + 2, 40), 2 ** Math.min(fracBits + 5, 50), 2 ** 52]);
      const base = int(r, -(2 ** 50), 2 ** 50);
      const row = Array.from({ length: n }, () => Math.max(-(2 ** 53), Math.min(2 ** 53 - 1, base + int(r, -spread, spread))));
      const label = int(r, 0, n - 1);
      // The engine's exactness bound (its type's exactBound) must hold for its reference to be exact.
      const width = Math.max(...row) - Math.min(...row);
      if ((fracBits < 8 ? width * 2 ** (8 - fracBits) : width) > 2 ** 53 || 2 * 65536 * one + 3 * n * 65536 > 2 ** 53) continue;
      const want = ref("softmax_ce_grad", [t(row, [1, n]), t([label])], { fracBits, one });
      rows++;
      if (want.some((v, k) => v === (k === label ? -one : 0))) pastTable++; // a q of 0: an entry negligible or past the table
      for (let j = 0; j < n; j++) {
        await expectSettles("softmax_ce_grad", softmaxInputs(row, label, j, fracBits, one), B(want[j]!), `case ${i} j ${j} row ${row} fracBits ${fracBits} one ${one}`);
      }
    }
    expect(rows, "rows inside the engine's exactness bound").to.be.greaterThan(90);
    expect(pastTable, "rows with a negligible or past-the-table entry").to.be.greaterThan(5);
  });

  it("softmax_ce_grad's kernel refuses a column outside the row, fracBits outside [0, 52], one < 1", async () => {
    const x = softmaxInputs([5, 9, -3], 1, 0, 12, 4096);
    const want = B(ref("softmax_ce_grad", [t([5, 9, -3], [1, 3]), t([1])], { fracBits: 12, one: 4096 })[0]!);
    await expectSettles("softmax_ce_grad", x, want, "baseline");
    await expectNoWitness("softmax_ce_grad", { ...x, j: 3n }, 0n, "j = n");
    await expectNoWitness("softmax_ce_grad", { ...x, fracBits: 53n }, want, "fracBits 53");
    await expectNoWitness("softmax_ce_grad", { ...x, one: 0n }, 0n, "one 0");
  });

  it("forged hints: every quotient/remainder, square-root and window-max witness wire moved by +-1 violates the R1CS", async () => {
    const cases: [Main, In, bigint][] = [];
    const r = seededRng(99);
    const m = adamMCase(r, 1), v = adamVCase(r, 2), u = adamUCase(r, 3);
    cases.push(["adam_m", bigIn({ ...m }), B(ref("adam_m", [t([m.m]), t([m.g])], m)[0]!)]);
    cases.push(["adam_v", bigIn({ ...v }), B(ref("adam_v", [t([v.v]), t([v.g])], v)[0]!)]);
    cases.push(["adam_update", bigIn({ ...u }), B(ref("adam_update", [t([u.w]), t([u.m]), t([u.v])], u)[0]!)]);
    const xs = [3n, 9n, 9n, -2n];
    cases.push(["maxpool_terms8", { accIn: 0n, packed: packValues(xs, TERM_SLICE), lo: 0n, hi: 4n }, 9n]);
    const gp = maxpoolGradPartials(xs, 1, 5n);
    cases.push(["maxpool_grad_terms8", { accIn: gp[2]!, packed: packValues(xs.slice(2), TERM_SLICE), lo: 2n, hi: 5n, g: 5n, pos: 1n, cells: 4n }, 5n]);
    cases.push(["softmax_ce_grad", softmaxInputs([5, 9, -3], 1, 0, 4, 4096), B(ref("softmax_ce_grad", [t([5, 9, -3], [1, 3]), t([1])], { fracBits: 4, one: 4096 })[0]!)]);
    const HINT = /\.(q|r|rem|half|max|sel\[\d+\]|out\[\d+\]|picked\[\d+\]|M\[0\]|A\[0\])$|root\.r$|wm\.max$/;
    for (const [main, x, out] of cases) {
      const c = built.get(main)!;
      const cs = r1csConstraints(c.r1cs);
      const w = (await witness(main, { ctx: CTX, out, ...x }))!;
      expect(w, main).to.not.equal(undefined);
      expect(violatedConstraints(cs, w)).to.deep.equal([]);
      // The window circuits' hints repeat per slot: the first slots, the selector and the max are enough.
      const perKind = new Map<string, number[]>();
      for (const [name, wi] of symbols(c.sym)) {
        if (wi <= 0 || !HINT.test(name)) continue;
        const kind = name.replace(/\[\d+\]$/, "");
        const ws = perKind.get(kind) ?? [];
        if (ws.length < 8 && !ws.includes(wi)) perKind.set(kind, [...ws, wi]);
      }
      const wires = [...new Set([...perKind.values()].flat())];
      expect(wires.length, `${main}: hint wires found`).to.be.greaterThan(0);
      for (const wi of wires) {
        for (const d of [1n, P - 1n]) {
          const f = [...w];
          f[wi] = (f[wi]! + d) % P;
          if (violatedConstraints(cs, f).length === 0) expect.fail(`${main}: wire ${wi} moved by ${d === 1n ? "+1" : "-1"} still satisfies the R1CS`);
        }
      }
    }
  });
});
