// Differential test of the zk kernels (circuits/kernels/*.circom) against the TypeScript reference
// (engine/ops/*.ts): every main under circuits/test-mains/ is compiled with circom2 (cached in
// build/circuits/<name>), its WASM witness calculator is run in process on >= 1,000 random cases (extremes of
// each width, rounding ties, negatives, clamps binding both ways) and on the ops.v1.json vectors, and the
// output signal must equal the reference bit for bit. Out-of-range inputs must make witness generation fail.
import { readFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { expect } from "chai";
import { opDef, type OpKind } from "../../engine/ops/index.ts";
import { roundShift } from "../../engine/int.ts";
import type { Tensor } from "../../engine/tensor.ts";
import {
  ROOT,
  buildCircuits,
  loadWitnessCalculator,
  r1csConstraints,
  r1csInfo,
  signedFromField,
  symbols,
  violatedConstraints,
  testMains,
  type BuiltCircuit,
  type WitnessCalculator,
  type WitnessInput,
} from "../../scripts/circuits-build.ts";

const CASES = 1000;

// ---------------------------------------------------------------- deterministic randomness

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  /** mulberry32 */
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform integer in [lo, hi] (|lo|, |hi| < 2^52). */
  int(lo: number, hi: number): number {
    const span = hi - lo + 1;
    const x = this.u32() * 2 ** 21 + (this.u32() >>> 11); // 53 random bits
    return lo + (x % span);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.u32() % xs.length]!;
  }
}

const sMin = (bits: number): number => -(2 ** (bits - 1));
const sMax = (bits: number): number => 2 ** (bits - 1) - 1;
const fits = (x: number, bits: number): boolean => x >= sMin(bits) && x <= sMax(bits);

/** A signed bits-wide value: the extremes of the width, small values around 0, or uniform. */
function pickSigned(r: Rng, bits: number): number {
  const lo = sMin(bits), hi = sMax(bits);
  switch (r.u32() % 4) {
    case 0:
      return r.pick([lo, lo + 1, -1, 0, 1, hi - 1, hi]);
    case 1:
      return r.int(Math.max(lo, -300), Math.min(hi, 300));
    default:
      return r.int(lo, hi);
  }
}

/** Residues t mod 2^s with t * mul = 2^(s-1) (mod 2^s): x = k * 2^s + t makes x * mul a rounding tie. */
function tieResidues(mul: number, s: number): number[] {
  const out: number[] = [];
  if (s === 0) return out;
  const m = 2 ** s;
  for (let t = 0; t < m; t++) if ((t * mul) % m === m / 2) out.push(t);
  return out;
}

/** A bits-wide x with x * mul a rounding tie (or one below/above it), when one exists. */
function pickTie(r: Rng, bits: number, mul: number, s: number): number {
  const ts = tieResidues(mul, s);
  if (ts.length === 0) return pickSigned(r, bits);
  const m = 2 ** s;
  for (let tries = 0; tries < 20; tries++) {
    const k = r.int(Math.floor(sMin(bits) / m), Math.floor(sMax(bits) / m));
    const x = k * m + r.pick(ts) + r.pick([0, 0, 0, -1, 1]);
    if (fits(x, bits)) return x;
  }
  return pickSigned(r, bits);
}

/** A value near a clamp bound `bound` in the pre-shift scale 2^s (so the clamp binds, or just fails to). */
function pickNear(r: Rng, bits: number, bound: number, s: number): number {
  const m = 2 ** s;
  const x = bound * m + r.int(-2 * m, 2 * m);
  return fits(x, bits) ? x : pickSigned(r, bits);
}

// ---------------------------------------------------------------- reference

const t1 = (values: readonly number[], shape: readonly number[] = [values.length]): Tensor => ({
  shape,
  data: Float64Array.from(values),
});
function reference(kind: OpKind, inputs: Tensor[], attrs: unknown): number[] {
  return [...opDef(kind).reference(inputs, attrs).data];
}

// ---------------------------------------------------------------- kernels under test

type Inputs = Record<string, number | number[]>;
interface KernelSpec {
  /** Name of the main under circuits/test-mains/. */
  readonly main: string;
  /** Random in-range inputs; i lets a generator cycle through its strategies. */
  gen(r: Rng, i: number): Inputs;
  /** The engine's output for these inputs. */
  ref(x: Inputs): number;
  /** Inputs outside their declared widths: witness generation must fail. */
  readonly bad: readonly Inputs[];
}

const num = (x: number | number[] | undefined): number => x as number;
const arr = (x: number | number[] | undefined): number[] => x as number[];

function requantizeSpec(main: string, bits: number, shift: number, lo: number, hi: number): KernelSpec {
  return {
    main,
    gen(r, i) {
      const x = [
        () => pickSigned(r, bits),
        () => pickTie(r, bits, 1, shift),
        () => pickNear(r, bits, lo, shift),
        () => pickNear(r, bits, hi, shift),
      ][i % 4]!();
      return { x };
    },
    ref: (x) => reference("requantize", [t1([num(x.x)])], { shift, lo, hi })[0]!,
    bad: [{ x: sMax(bits) + 1 }, { x: sMin(bits) - 1 }, { x: 2 ** (bits + 3) }],
  };
}

function momentumSpec(main: string, bitsV: number, bitsG: number, muNum: number, muShift: number, lo: number, hi: number): KernelSpec {
  return {
    main,
    gen(r, i) {
      const v = i % 3 === 1 ? pickTie(r, bitsV, muNum, muShift) : pickSigned(r, bitsV);
      let g = pickSigned(r, bitsG);
      if (i % 4 >= 2) {
        // make the clamp bind (or just miss) on the lower / upper bound
        const target = (i % 4 === 2 ? lo : hi) + r.int(-3, 3);
        const cand = target - roundShift(v * muNum, muShift);
        if (fits(cand, bitsG)) g = cand;
      }
      return { v, g };
    },
    ref: (x) => reference("momentum", [t1([num(x.v)]), t1([num(x.g)])], { muNum, muShift, lo, hi })[0]!,
    bad: [
      { v: sMax(bitsV) + 1, g: 0 },
      { v: sMin(bitsV) - 1, g: 0 },
      { v: 0, g: sMax(bitsG) + 1 },
      { v: 0, g: sMin(bitsG) - 1 },
    ],
  };
}

function sgdSpec(main: string, bitsW: number, bitsG: number, lrNum: number, lrShift: number, lo: number, hi: number): KernelSpec {
  return {
    main,
    gen(r, i) {
      const g = i % 3 === 1 ? pickTie(r, bitsG, lrNum, lrShift) : pickSigned(r, bitsG);
      let w = pickSigned(r, bitsW);
      if (i % 4 >= 2) {
        const target = (i % 4 === 2 ? lo : hi) + r.int(-3, 3);
        const cand = target + roundShift(g * lrNum, lrShift);
        if (fits(cand, bitsW)) w = cand;
      }
      return { w, g };
    },
    ref: (x) => reference("sgd_update", [t1([num(x.w)]), t1([num(x.g)])], { lrNum, lrShift, lo, hi })[0]!,
    bad: [
      { w: sMax(bitsW) + 1, g: 0 },
      { w: sMin(bitsW) - 1, g: 0 },
      { w: 0, g: sMax(bitsG) + 1 },
      { w: 0, g: sMin(bitsG) - 1 },
    ],
  };
}

function reluSpec(main: string, bits: number): KernelSpec {
  return {
    main,
    gen: (r) => ({ x: pickSigned(r, bits) }),
    ref: (x) => reference("relu", [t1([num(x.x)])], {})[0]!,
    bad: [{ x: sMax(bits) + 1 }, { x: sMin(bits) - 1 }],
  };
}

function dotSpec(main: string, n: number, bitsA: number, bitsB: number, bitsAcc: number): KernelSpec {
  const dot = (a: number[], b: number[]): number => reference("matmul", [t1(a, [1, n]), t1(b, [n, 1])], { transA: false, transB: false })[0]!;
  return {
    main,
    gen(r, i) {
      const mode = i % 4;
      const a = Array.from({ length: n }, () => (mode === 0 ? r.pick([sMin(bitsA), sMax(bitsA)]) : pickSigned(r, bitsA)));
      const b = Array.from({ length: n }, () => (mode === 0 ? r.pick([sMin(bitsB), sMax(bitsB)]) : mode === 3 ? 1 : pickSigned(r, bitsB)));
      const s = dot(a, b);
      // accIn such that accIn and accIn + s both fit bitsAcc; at the edges of that interval now and then
      const lo = Math.max(sMin(bitsAcc), sMin(bitsAcc) - s), hi = Math.min(sMax(bitsAcc), sMax(bitsAcc) - s);
      const accIn = i % 7 === 0 ? lo : i % 7 === 1 ? hi : i % 7 === 2 ? 0 : r.int(lo, hi);
      return { accIn, a, b };
    },
    ref: (x) => num(x.accIn) + dot(arr(x.a), arr(x.b)),
    bad: [
      { accIn: 0, a: [sMax(bitsA) + 1, ...Array(n - 1).fill(0)], b: Array(n).fill(1) },
      { accIn: 0, a: Array(n).fill(1), b: [...Array(n - 1).fill(0), sMin(bitsB) - 1] },
      { accIn: sMax(bitsAcc) + 1, a: Array(n).fill(0), b: Array(n).fill(0) },
      // accOut leaves the declared accumulator width
      { accIn: sMax(bitsAcc), a: Array(n).fill(1), b: Array(n).fill(1) },
      { accIn: sMin(bitsAcc), a: Array(n).fill(-1), b: Array(n).fill(1) },
    ],
  };
}

/** Honest hints of RoundShift(12, 4): x + 8 = q * 16 + r, 0 <= r < 16. */
function roundShiftHints(x: number): Inputs {
  const q = roundShift(x, 4);
  return { in: x, q, r: x + 8 - q * 16 };
}
/** The same sum with the quotient moved by d: only d = 0 may satisfy the constraints. */
function forgedHints(x: number, d: number): Inputs {
  const h = roundShiftHints(x);
  return { in: x, q: num(h.q) + d, r: num(h.r) - 16 * d };
}

/**
 * DotSlicePacked(4, 12, withB, 4): the dot slice of the settle circuits with its term values bound to packed
 * words (value i as v + 2^11 in bits [12 * (i % 4), +12) of word i / 4; Groth16KernelVerifier._packSlice at
 * 54 bits). A word that does not pack the witness's values must make witness generation fail.
 */
function packedSpec(main: string, withB: boolean): KernelSpec {
  const n = 4, bits = 12;
  const pack = (vs: number[]): number[] => {
    const words = Array(Math.ceil(vs.length / 4)).fill(0);
    vs.forEach((v, i) => (words[Math.floor(i / 4)] += (v + 2 ** (bits - 1)) * 2 ** (bits * (i % 4))));
    return words;
  };
  const inputs = (accIn: number, a: number[], b: number[]): Inputs => ({ accIn, a, b, packed: pack(withB ? [...a, ...b] : a) });
  return {
    main,
    gen(r, i) {
      // The accumulator is 12 bits wide too: extremes of a against a single +-1 (or 0) in b, or small terms.
      const mode = i % 3;
      const k = r.int(0, n - 1);
      const a = Array.from({ length: n }, () => (mode === 0 ? r.pick([sMin(bits), sMax(bits)]) : mode === 1 ? pickSigned(r, bits) : r.int(-15, 15)));
      const b = withB
        ? Array.from({ length: n }, (_, t) => (mode === 2 ? r.int(-15, 15) : t === k ? r.pick([1, -1, 0]) : 0))
        : Array(n).fill(1);
      if (!withB && mode !== 2) a.forEach((_, t) => t !== k && (a[t] = 0));
      const s = a.reduce((acc, v, t) => acc + v * b[t]!, 0);
      const lo = Math.max(sMin(bits), sMin(bits) - s), hi = Math.min(sMax(bits), sMax(bits) - s);
      return inputs(lo <= hi ? r.int(lo, hi) : 0, a, withB ? b : Array(n).fill(0));
    },
    ref: (x) => num(x.accIn) + reference("matmul", [t1(arr(x.a), [1, n]), t1(withB ? arr(x.b) : Array(n).fill(1), [n, 1])], { transA: false, transB: false })[0]!,
    bad: [
      // The words do not pack the values (one value off by one, in its lowest and highest field).
      { ...inputs(0, [1, 2, 3, 4], [1, 1, 1, 1]), packed: pack(withB ? [1, 2, 3, 4, 1, 1, 1, 1] : [1, 2, 3, 4]).map((w, i) => (i === 0 ? w + 1 : w)) },
      { ...inputs(0, [1, 2, 3, 4], [1, 1, 1, 1]), packed: pack(withB ? [1, 2, 3, 4, 1, 1, 1, 1] : [1, 2, 3, 4]).map((w, i) => (i === 0 ? w + 2 ** 36 : w)) },
      // A value outside 12 bits, its word packed consistently (the range check, not the packing, rejects it).
      inputs(0, [sMax(bits) + 1, 0, 0, 0], [0, 0, 0, 0]),
    ],
  };
}

const KERNELS: readonly KernelSpec[] = [
  {
    // RoundShift's constraints on explicit hints. The main has no output: witness[1] is the input `in`, so
    // a case passes when the honest hints are accepted; forged hints are the "bad" inputs.
    main: "round_shift_check",
    gen: (r, i) => roundShiftHints(i % 2 === 0 ? pickTie(r, 12, 1, 4) : pickSigned(r, 12)),
    ref: (x) => num(x.in),
    bad: [forgedHints(-9, 1), forgedHints(-9, -1), forgedHints(-8, 1), forgedHints(-8, -1), forgedHints(7, 1), forgedHints(24, -1)],
  },
  requantizeSpec("requantize_act", 25, 8, -127, 127),
  requantizeSpec("requantize_weight", 20, 8, -1024, 1024),
  requantizeSpec("requantize_v1_s4", 12, 4, -8, 7),
  requantizeSpec("requantize_v1_s0", 12, 0, 0, 15),
  reluSpec("relu_act", 8),
  reluSpec("relu_v1", 9),
  {
    main: "relu_mask_default",
    gen: (r, i) => ({ g: pickSigned(r, 25), p: i % 3 === 0 ? r.pick([-1, 0, 1]) : pickSigned(r, 8) }),
    ref: (x) => reference("relu_mask", [t1([num(x.g)]), t1([num(x.p)])], {})[0]!,
    bad: [
      { g: 5, p: 128 },
      { g: 5, p: -129 },
      { g: 2 ** 24, p: 1 },
      { g: -(2 ** 24) - 1, p: 0 },
    ],
  },
  {
    main: "bias_add_default",
    gen: (r) => ({ z: pickSigned(r, 25), b: pickSigned(r, 16) }),
    ref: (x) => reference("bias_add", [t1([num(x.z)], [1, 1]), t1([num(x.b)])], {})[0]!,
    bad: [
      { z: 2 ** 24, b: 0 },
      { z: 0, b: -(2 ** 15) - 1 },
    ],
  },
  {
    main: "mse_grad_default",
    gen(r, i) {
      const label = r.int(0, 9);
      const j = i % 2 === 0 ? label : r.int(0, 9);
      return { z: pickSigned(r, 26), label, j };
    },
    ref(x) {
      const z = Array(10).fill(0);
      z[num(x.j)] = num(x.z);
      return reference("mse_grad", [t1(z, [1, 10]), t1([num(x.label)])], { one: 4096 })[num(x.j)]!;
    },
    bad: [
      { z: 0, label: 10, j: 0 },
      { z: 0, label: -1, j: 0 },
      { z: 0, label: 3, j: 10 },
      { z: 2 ** 25, label: 3, j: 3 },
    ],
  },
  momentumSpec("momentum_default", 21, 24, 7, 3, -(2 ** 19), 2 ** 19),
  momentumSpec("momentum_v1", 10, 10, 7, 3, -100, 100),
  sgdSpec("sgd_update_weight", 20, 24, 1, 5, -(2 ** 18), 2 ** 18),
  sgdSpec("sgd_update_bias", 20, 18, 1, 1, -(2 ** 18), 2 ** 18),
  sgdSpec("sgd_update_v1", 11, 11, 5, 10, -1000, 1000),
  dotSpec("dot_slice_default", 16, 8, 12, 25),
  dotSpec("dot_slice_v1", 3, 8, 8, 18),
  packedSpec("dot_slice_packed_mm", true),
  packedSpec("dot_slice_packed_cs", false),
];

// ---------------------------------------------------------------- harness

const built = new Map<string, BuiltCircuit>();
const calculators = new Map<string, WitnessCalculator>();

function toWitnessInput(x: Inputs): WitnessInput {
  const out: Record<string, bigint | bigint[]> = {};
  for (const [k, v] of Object.entries(x)) out[k] = Array.isArray(v) ? v.map((e) => BigInt(e)) : BigInt(v);
  return out;
}

/** The main's single output signal (witness layout: [1, outputs..., inputs..., internals...]). */
async function circuitOutput(main: string, x: Inputs): Promise<number> {
  const w = await calculators.get(main)!.calculateWitness(toWitnessInput(x), true);
  return Number(signedFromField(w[1]!));
}

async function rejects(main: string, x: Inputs): Promise<boolean> {
  try {
    await calculators.get(main)!.calculateWitness(toWitnessInput(x), true);
    return false;
  } catch {
    return true;
  }
}

describe("zk kernels: circom circuits vs the TypeScript reference", () => {
  before(async () => {
    const t0 = performance.now();
    const mains = testMains();
    const cs = await buildCircuits(mains);
    const compileMs = Math.round(performance.now() - t0);
    for (const c of cs) {
      built.set(c.name, c);
      calculators.set(c.name, await loadWitnessCalculator(c));
    }
    console.log(`circuits: ${cs.filter((c) => c.compiled).length}/${cs.length} mains compiled in ${compileMs} ms (others cached)`);
    for (const c of cs) {
      console.log(`  ${c.name.padEnd(20)} ${String(c.constraints).padStart(5)} constraints  ${c.compiled ? `${c.ms} ms` : "cached"}`);
    }
  });

  it("every main under circuits/test-mains has a differential spec", () => {
    expect(KERNELS.map((k) => k.main).sort()).to.deep.equal(testMains().map((m) => path.basename(m, ".circom")).sort());
  });

  for (const k of KERNELS) {
    it(`${k.main}: ${CASES} random cases match the engine bit for bit`, async () => {
      const r = new Rng(0x5eed ^ k.main.length * 7919 ^ k.main.charCodeAt(k.main.length - 1));
      for (let i = 0; i < CASES; i++) {
        const x = k.gen(r, i);
        const want = k.ref(x);
        const got = await circuitOutput(k.main, x);
        if (got !== want) expect.fail(`${k.main} case ${i} ${JSON.stringify(x)}: circuit ${got}, engine ${want}`);
      }
    });

    it(`${k.main}: out-of-range inputs make witness generation fail`, async () => {
      for (const x of k.bad) expect(await rejects(k.main, x), `${k.main} accepted ${JSON.stringify(x)}`).to.equal(true);
      // and the calculator still works after a failure
      const x = k.gen(new Rng(1), 0);
      expect(await circuitOutput(k.main, x)).to.equal(k.ref(x));
    });
  }

  it("honest witnesses satisfy the R1CS; moving any single output or internal wire by +-1 violates it", async () => {
    // No free wire: every non-input wire is pinned by the constraints given the others. Exempt: IsZero's
    // `inv` hint, which is legitimately free when its input is 0 (the output is still unique).
    const r = new Rng(42);
    for (const k of KERNELS) {
      const c = built.get(k.main)!;
      const cs = r1csConstraints(c.r1cs);
      const info = r1csInfo(c.r1cs);
      const exempt = new Set<number>();
      for (const [name, wire] of symbols(c.sym)) if (name.endsWith(".inv")) exempt.add(wire);
      const firstInternal = 1 + info.outputs + info.inputs;
      const wires = [
        ...Array.from({ length: info.outputs }, (_, i) => 1 + i),
        ...Array.from({ length: info.wires - firstInternal }, (_, i) => firstInternal + i),
      ].filter((wi) => !exempt.has(wi));
      for (let i = 0; i < 3; i++) {
        const x = k.gen(r, i);
        const w = await calculators.get(k.main)!.calculateWitness(toWitnessInput(x), true);
        expect(violatedConstraints(cs, w), `${k.main} honest ${JSON.stringify(x)}`).to.deep.equal([]);
        for (const wi of wires) {
          for (const d of [1n, -1n]) {
            const forged = [...w];
            forged[wi] = (forged[wi]! + d + cs.prime) % cs.prime;
            if (violatedConstraints(cs, forged).length === 0) expect.fail(`${k.main}: wire ${wi} ${d > 0 ? "+" : "-"}1 still satisfies the R1CS`);
          }
        }
      }
    }
  });

  it("RoundShift's constraints accept only the honest quotient/remainder (forged hints rejected)", async () => {
    const r = new Rng(7);
    for (let i = 0; i < 300; i++) {
      const x = i % 2 === 0 ? pickTie(r, 12, 1, 4) : pickSigned(r, 12);
      for (const d of [1, -1, 2, -2]) {
        const f = forgedHints(x, d);
        if (!(await rejects("round_shift_check", f))) expect.fail(`forged hints accepted: ${JSON.stringify(f)}`);
      }
    }
  });

  it("test/vectors/ops.v1.json: every case, element by element, through its kernel", async () => {
    interface VecCase {
      kind: OpKind;
      attrs: Record<string, number | boolean>;
      inputs: { shape: number[]; values: number[] }[];
      output: { shape: number[]; values: number[] };
    }
    const vec = JSON.parse(readFileSync(path.join(ROOT, "test/vectors/ops.v1.json"), "utf8")) as { cases: VecCase[] };
    let checked = 0;
    const check = async (main: string, x: Inputs, want: number, what: string): Promise<void> => {
      expect(await circuitOutput(main, x), `${what} via ${main} ${JSON.stringify(x)}`).to.equal(want);
      checked++;
    };
    for (const [ci, c] of vec.cases.entries()) {
      const [x0, x1] = c.inputs;
      const out = c.output.values;
      const what = `case ${ci} (${c.kind})`;
      switch (c.kind) {
        case "requantize": {
          const main = c.attrs.shift === 4 ? "requantize_v1_s4" : "requantize_v1_s0";
          expect(c.attrs).to.deep.equal(c.attrs.shift === 4 ? { shift: 4, lo: -8, hi: 7 } : { shift: 0, lo: 0, hi: 15 });
          for (const [i, v] of x0!.values.entries()) await check(main, { x: v }, out[i]!, what);
          break;
        }
        case "relu":
          for (const [i, v] of x0!.values.entries()) await check("relu_v1", { x: v }, out[i]!, what);
          break;
        case "relu_mask":
          for (const [i, g] of x0!.values.entries()) await check("relu_mask_default", { g, p: x1!.values[i]! }, out[i]!, what);
          break;
        case "bias_add": {
          const n = x0!.shape[1]!;
          for (const [i, z] of x0!.values.entries()) await check("bias_add_default", { z, b: x1!.values[i % n]! }, out[i]!, what);
          break;
        }
        case "mse_grad": {
          expect(c.attrs.one).to.equal(4096);
          const n = x0!.shape[1]!;
          for (const [i, z] of x0!.values.entries()) {
            await check("mse_grad_default", { z, label: x1!.values[Math.floor(i / n)]!, j: i % n }, out[i]!, what);
          }
          break;
        }
        case "momentum":
          expect(c.attrs).to.deep.equal({ muNum: 7, muShift: 3, lo: -100, hi: 100 });
          for (const [i, v] of x0!.values.entries()) await check("momentum_v1", { v, g: x1!.values[i]! }, out[i]!, what);
          break;
        case "sgd_update":
          expect(c.attrs).to.deep.equal({ lrNum: 5, lrShift: 10, lo: -1000, hi: 1000 });
          for (const [i, w] of x0!.values.entries()) await check("sgd_update_v1", { w, g: x1!.values[i]! }, out[i]!, what);
          break;
        case "matmul": {
          // op(A)[i, t] and op(B)[t, j] read through the transpose flags
          const [ra, ca] = x0!.shape as [number, number];
          const [rb, cb] = x1!.shape as [number, number];
          const tA = c.attrs.transA === true, tB = c.attrs.transB === true;
          const m = tA ? ca : ra, k = tA ? ra : ca, n = tB ? rb : cb;
          expect(k).to.equal(3);
          const A = (i: number, t: number): number => (tA ? x0!.values[t * ca + i]! : x0!.values[i * ca + t]!);
          const B = (t: number, j: number): number => (tB ? x1!.values[j * cb + t]! : x1!.values[t * cb + j]!);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              const a = [0, 1, 2].map((t) => A(i, t)), b = [0, 1, 2].map((t) => B(t, j));
              await check("dot_slice_v1", { accIn: 0, a, b }, out[i * n + j]!, what);
            }
          }
          break;
        }
        case "col_sum": {
          const [m, n] = x0!.shape as [number, number];
          expect(m).to.equal(3);
          for (let j = 0; j < n; j++) {
            const d = [0, 1, 2].map((i) => x0!.values[i * n + j]!);
            await check("dot_slice_v1", { accIn: 0, a: d, b: [1, 1, 1] }, out[j]!, what);
          }
          break;
        }
        default:
          expect.fail(`no kernel for ${what}`);
      }
    }
    expect(checked).to.be.greaterThan(40);
  });
});
