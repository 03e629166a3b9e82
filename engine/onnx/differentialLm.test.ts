import { describe, it, after } from "node:test";
import { expect } from "chai";
import type * as ort from "onnxruntime-node";
import { FLOAT32_EXACT, MAX_EXACT, type Range } from "../int.ts";
import type { OpAttrs, OpKind } from "../ops/index.ts";
import type { Tensor } from "../tensor.ts";
import { rng } from "../../test/helpers/seededRng.ts";
import { expectBitIdentical, lowerOneOp, oneOpNodes } from "../../test/helpers/oneOpLowering.ts";

/**
 * Differential test of the language-model and Adam ops (codes 15-19): the onnxruntime lowering and the
 * TypeScript reference agree bit for bit on random inputs across the declared ranges, the range edges, and
 * the inputs where an exact integer function is easiest to get wrong: division and rounding ties, perfect
 * squares and their neighbours (isqrt), rows with equal maxima, distances past the exp table's end. Both
 * compute types are covered (float32 under 2^24, float64 above).
 */

type Rand = () => number;
const PATTERNS = ["random", "random", "min", "max", "alternate", "small", "special", "special"] as const;
type Pattern = (typeof PATTERNS)[number];

/** An input's values for a pattern; `special` is the case's own generator (ties, squares...), else uniform. */
type Special = (n: number, range: Range, rand: Rand) => number[];

function fill(shape: readonly number[], range: Range, pattern: Pattern, rand: Rand, special?: Special): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const [lo, hi] = range;
  const uniform = () => lo + Math.floor(rand() * (hi - lo + 1));
  const clampTo = (v: number) => (v < lo ? lo : v > hi ? hi : v);
  let v: number[];
  switch (pattern) {
    case "random": v = Array.from({ length: n }, uniform); break;
    case "min": v = Array(n).fill(lo); break;
    case "max": v = Array(n).fill(hi); break;
    case "alternate": v = Array.from({ length: n }, (_, i) => (i % 2 ? lo : hi)); break;
    case "small": v = Array.from({ length: n }, () => clampTo(Math.floor(rand() * 7) - 3)); break;
    case "special": v = special ? special(n, range, rand).map(clampTo) : Array.from({ length: n }, uniform); break;
  }
  return { shape, data: Float64Array.from(v) };
}

/** Perfect squares k^2 and their neighbours k^2 - 1, k^2 + 1 (isqrt's edges), k up to sqrt(hi). */
const nearSquares: Special = (n, [lo, hi], rand) => Array.from({ length: n }, () => {
  const k0 = Math.ceil(Math.sqrt(lo)), k1 = Math.floor(Math.sqrt(hi));
  const k = k0 + Math.floor(rand() * (k1 - k0 + 1));
  return k * k + (Math.floor(rand() * 3) - 1);
});
/** Multiples of 2^s plus exactly half of 2^s (roundShift ties). */
const ties = (s: number): Special => (n, [lo, hi], rand) => Array.from({ length: n }, () => {
  const k = Math.floor((lo + rand() * (hi - lo)) / 2 ** s);
  return k * 2 ** s + (s > 0 ? 2 ** (s - 1) : 0);
});
/** Logit rows with repeated maxima, values a table step apart, and values far past the table's end. */
const logitRows = (n: number, [lo, hi]: Range, rand: Rand) => Array.from({ length: n }, (_, i) => {
  const kind = Math.floor(rand() * 4);
  const top = hi - (i % 3); // equal or near-equal maxima
  if (kind === 0) return top;
  if (kind === 1) return top - 16 * Math.floor(rand() * 64) - 8; // 8 = half a table step at 12 fraction bits
  if (kind === 2) return lo; // past the table when the range is wide
  return lo + Math.floor(rand() * (hi - lo + 1));
});

interface Input { shape: number[]; range: Range; special?: Special; labels?: boolean }
interface Case<K extends OpKind> {
  readonly name: string;
  readonly kind: K;
  readonly attrs: OpAttrs[K];
  readonly inputs: readonly Input[];
  readonly expect: "float32" | "float64";
}

const labels = (m: number, n: number): Input => ({ shape: [m], range: [0, n - 1], labels: true });
const cases: Case<OpKind>[] = [
  { name: "one_hot [m]", kind: "one_hot", attrs: { n: 29 }, inputs: [{ shape: [64], range: [0, 28] }], expect: "float32" },
  { name: "one_hot [B,T] context windows", kind: "one_hot", attrs: { n: 30 }, inputs: [{ shape: [16, 5], range: [0, 29] }], expect: "float32" },
  { name: "one_hot n = 1", kind: "one_hot", attrs: { n: 1 }, inputs: [{ shape: [7], range: [0, 0] }], expect: "float32" },
  { name: "softmax_ce_grad 12 fraction bits, one 4096", kind: "softmax_ce_grad", attrs: { fracBits: 12, one: 4096 }, inputs: [{ shape: [32, 29], range: [-(2 ** 20), 2 ** 20], special: logitRows }, labels(32, 29)], expect: "float64" },
  { name: "softmax_ce_grad narrow logits (every distance in the table)", kind: "softmax_ce_grad", attrs: { fracBits: 12, one: 4096 }, inputs: [{ shape: [16, 10], range: [-2000, 2000], special: logitRows }, labels(16, 10)], expect: "float64" },
  { name: "softmax_ce_grad 8 fraction bits (index = distance)", kind: "softmax_ce_grad", attrs: { fracBits: 8, one: 1024 }, inputs: [{ shape: [16, 10], range: [-4000, 4000], special: logitRows }, labels(16, 10)], expect: "float64" },
  { name: "softmax_ce_grad 4 fraction bits (index scaled up)", kind: "softmax_ce_grad", attrs: { fracBits: 4, one: 256 }, inputs: [{ shape: [16, 7], range: [-300, 300], special: logitRows }, labels(16, 7)], expect: "float64" },
  { name: "softmax_ce_grad small one (float32)", kind: "softmax_ce_grad", attrs: { fracBits: 12, one: 32 }, inputs: [{ shape: [16, 10], range: [-30000, 30000], special: logitRows }, labels(16, 10)], expect: "float32" },
  { name: "softmax_ce_grad one class", kind: "softmax_ce_grad", attrs: { fracBits: 12, one: 4096 }, inputs: [{ shape: [8, 1], range: [-5000, 5000] }, labels(8, 1)], expect: "float64" },
  { name: "adam_m 1/8", kind: "adam_m", attrs: { b1Num: 1, b1Shift: 3, lo: -(2 ** 20), hi: 2 ** 20 }, inputs: [{ shape: [500], range: [-(2 ** 20), 2 ** 20], special: ties(3) }, { shape: [500], range: [-(2 ** 20), 2 ** 20], special: ties(3) }], expect: "float32" },
  { name: "adam_m 13/128 with clamp (float64)", kind: "adam_m", attrs: { b1Num: 13, b1Shift: 7, lo: -(2 ** 22), hi: 2 ** 22 }, inputs: [{ shape: [500], range: [-(2 ** 22), 2 ** 22] }, { shape: [500], range: [-(2 ** 24), 2 ** 24], special: ties(7) }], expect: "float64" },
  { name: "adam_v 1/64, gShift 0 (float32)", kind: "adam_v", attrs: { b2Num: 1, b2Shift: 6, gShift: 0, lo: 0, hi: 2 ** 22 }, inputs: [{ shape: [500], range: [0, 2 ** 22] }, { shape: [500], range: [-2047, 2047] }], expect: "float32" },
  { name: "adam_v 1/1024, gShift 8 (float64)", kind: "adam_v", attrs: { b2Num: 1, b2Shift: 10, gShift: 8, lo: 0, hi: 2 ** 30 }, inputs: [{ shape: [500], range: [0, 2 ** 30], special: ties(10) }, { shape: [500], range: [-(2 ** 19), 2 ** 19], special: ties(4) }], expect: "float64" },
  { name: "adam_v gShift -6 (fraction bits for v, float64)", kind: "adam_v", attrs: { b2Num: 1, b2Shift: 10, gShift: -6, lo: 0, hi: 2 ** 40 }, inputs: [{ shape: [500], range: [0, 2 ** 40] }, { shape: [500], range: [-(2 ** 16), 2 ** 16] }], expect: "float64" },
  { name: "adam_v with a binding clamp (g^2 past hi, float64)", kind: "adam_v", attrs: { b2Num: 1, b2Shift: 6, gShift: 0, lo: 0, hi: 2 ** 20 }, inputs: [{ shape: [500], range: [0, 2 ** 20] }, { shape: [500], range: [-(2 ** 12), 2 ** 12] }], expect: "float64" },
  { name: "adam_v 3/32, gShift 1, binding clamp (float32)", kind: "adam_v", attrs: { b2Num: 3, b2Shift: 5, gShift: 1, lo: 0, hi: 2 ** 18 }, inputs: [{ shape: [500], range: [0, 2 ** 18], special: ties(5) }, { shape: [500], range: [-(2 ** 10), 2 ** 10] }], expect: "float32" },
  { name: "adam_update (float32)", kind: "adam_update", attrs: { lrNum: 3, lrShift: 2, eps: 1, lo: -(2 ** 18), hi: 2 ** 18 }, inputs: [{ shape: [500], range: [-(2 ** 18), 2 ** 18] }, { shape: [500], range: [-1000, 1000] }, { shape: [500], range: [0, 2 ** 20], special: nearSquares }], expect: "float32" },
  { name: "adam_update wide (float64)", kind: "adam_update", attrs: { lrNum: 100, lrShift: 6, eps: 4, lo: -(2 ** 30), hi: 2 ** 30 }, inputs: [{ shape: [500], range: [-(2 ** 30), 2 ** 30] }, { shape: [500], range: [-(2 ** 24), 2 ** 24] }, { shape: [500], range: [0, 2 ** 48], special: nearSquares }], expect: "float64" },
  { name: "adam_update near 2^53 (v near 2^52: a double square root rounds k^2 - 1 up to k)", kind: "adam_update", attrs: { lrNum: 1, lrShift: 0, eps: 1, lo: -(2 ** 40), hi: 2 ** 40 }, inputs: [{ shape: [300], range: [-(2 ** 40), 2 ** 40] }, { shape: [300], range: [-(2 ** 51), 2 ** 51] }, { shape: [300], range: [2 ** 52 - 2 ** 36, 2 ** 52 + 2 ** 36], special: nearSquares }], expect: "float64" },
  // The short exact forms of adam_update (lowerLm.ts), at their limits and just past them. m reaches about
  // den^2, so that a square root off by one moves the step (a smaller m hides it in the division's rounding).
  { name: "adam_update float64, v just under 2^48 (short square root at its limit)", kind: "adam_update", attrs: { lrNum: 1, lrShift: 0, eps: 1, lo: -(2 ** 40), hi: 2 ** 40 }, inputs: [{ shape: [300], range: [-(2 ** 40), 2 ** 40] }, { shape: [300], range: [-(2 ** 49) + 2 ** 25, 2 ** 49 - 2 ** 25] }, { shape: [300], range: [2 ** 48 - 2 ** 40, 2 ** 48 - 1], special: nearSquares }], expect: "float64" },
  { name: "adam_update float64, 2 m lrNum + den near 2^50 (short division at its limit)", kind: "adam_update", attrs: { lrNum: 1, lrShift: 0, eps: 1, lo: -(2 ** 50), hi: 2 ** 50 }, inputs: [{ shape: [300], range: [-(2 ** 40), 2 ** 40] }, { shape: [300], range: [-(2 ** 49) + 2 ** 20, 2 ** 49 - 2 ** 20] }, { shape: [300], range: [0, 2 ** 10], special: nearSquares }], expect: "float64" },
  { name: "adam_update float64, 2 m lrNum past 2^50 (the corrected division)", kind: "adam_update", attrs: { lrNum: 1, lrShift: 0, eps: 1, lo: -(2 ** 52), hi: 2 ** 52 }, inputs: [{ shape: [300], range: [-(2 ** 40), 2 ** 40] }, { shape: [300], range: [-3 * 2 ** 50, 3 * 2 ** 50] }, { shape: [300], range: [0, 2 ** 10], special: nearSquares }], expect: "float64" },
  { name: "adam_update float32, both short forms at their limits", kind: "adam_update", attrs: { lrNum: 1, lrShift: 0, eps: 1, lo: -(2 ** 22), hi: 2 ** 22 }, inputs: [{ shape: [500], range: [-(2 ** 18), 2 ** 18] }, { shape: [500], range: [-(2 ** 20) + 1024, 2 ** 20 - 1024] }, { shape: [500], range: [0, 2 ** 18 - 1], special: nearSquares }], expect: "float32" },
  { name: "adam_update float32, 2 m lrNum past 2^21 (the corrected division)", kind: "adam_update", attrs: { lrNum: 1, lrShift: 0, eps: 1, lo: -(2 ** 23), hi: 2 ** 23 }, inputs: [{ shape: [500], range: [-(2 ** 18), 2 ** 18] }, { shape: [500], range: [-3 * 2 ** 21, 3 * 2 ** 21] }, { shape: [500], range: [0, 2 ** 12], special: nearSquares }], expect: "float32" },
];

/** adam_update division ties: m * lrNum an exact half-multiple of den for a v that is a perfect square. */
function divisionTies(c: Case<"adam_update">, ins: Tensor[], rand: Rand): void {
  const [, m, v] = ins as [Tensor, Tensor, Tensor];
  const a = c.attrs;
  const [mlo, mhi] = c.inputs[1]!.range;
  for (let i = 0; i < v.data.length; i += 2) {
    const r = Math.floor(Math.sqrt(v.data[i]!));
    if (r * r !== v.data[i]) continue;
    const den = (r + a.eps) * 2 ** a.lrShift;
    // m lrNum = (k + 1/2) den  <=>  2 m lrNum = (2k + 1) den: pick k so that m is an integer in range.
    for (let tries = 0; tries < 8; tries++) {
      const k = Math.floor(rand() * 40) - 20;
      const twice = (2 * k + 1) * den;
      if (twice % (2 * a.lrNum) === 0) {
        const mv = twice / (2 * a.lrNum);
        if (mv >= mlo && mv <= mhi) (m.data as Float64Array)[i] = mv;
        break;
      }
    }
  }
}

const sessions: ort.InferenceSession[] = [];
after(async () => {
  for (const s of sessions) await s.release();
});

describe("ONNX lowering vs TypeScript reference, language-model and Adam ops", () => {
  for (const c of cases) {
    it(`${c.name}: bit-identical on ${PATTERNS.length * 4} input sets`, async () => {
      const o = await lowerOneOp(c.name, c.kind, c.attrs, c.inputs);
      sessions.push(o.session);
      expect(o.typing.exactBound).to.be.below(MAX_EXACT);
      expect(o.computeType, `exact bound ${o.typing.exactBound} vs 2^24 = ${FLOAT32_EXACT}`).to.equal(c.expect);
      const rand = rng(0x5eed ^ c.name.length);
      let seenTie = 0;
      for (let round = 0; round < 4; round++) {
        for (const pattern of PATTERNS) {
          // Labels are always random valid classes; other inputs follow the pattern.
          const ins = c.inputs.map((i) => fill(i.shape, i.range, i.labels ? "random" : pattern, rand, i.special));
          if (c.kind === "adam_update" && pattern === "special") divisionTies(c as Case<"adam_update">, ins, rand);
          await expectBitIdentical(o, ins, pattern);
          if (c.kind === "adam_update" && pattern === "special") {
            const [, m, v] = ins as [Tensor, Tensor, Tensor];
            const a = c.attrs as OpAttrs["adam_update"];
            for (let i = 0; i < m.data.length; i++) {
              const r = Math.floor(Math.sqrt(v.data[i]!));
              const den = (r + a.eps) * 2 ** a.lrShift;
              if (r * r === v.data[i] && (2 * m.data[i]! * a.lrNum) % den === 0 && ((2 * m.data[i]! * a.lrNum) / den) % 2 !== 0) seenTie++;
            }
          }
        }
      }
      if (c.kind === "adam_update" && c.attrs && (c.attrs as OpAttrs["adam_update"]).lrShift < 10) {
        expect(seenTie, "the division-tie inputs were generated").to.be.above(0);
      }
    });
  }
});

/** The ONNX op types a case above lowers to (which form its lowering took). */
function nodeTypes(name: string): string[] {
  const c = cases.find((x) => x.name === name)!;
  return oneOpNodes(c.kind, c.attrs, c.inputs).map((n) => n.opType!);
}

describe("Adam's moment updates without their clamp where the ranges prove it idle", () => {
  it("each moment case above keeps or leaves out its Clip as the hull of its input ranges says, so its bit-identity covers both", () => {
    const clipped = (name: string) => nodeTypes(name).includes("Clip");
    expect(clipped("adam_m 1/8")).to.equal(false); // m, g and the clamp all +-2^20
    expect(clipped("adam_m 13/128 with clamp (float64)")).to.equal(true); // g reaches 2^24, the clamp 2^22
    expect(clipped("adam_v 1/64, gShift 0 (float32)")).to.equal(false); // 2047^2 <= 2^22
    expect(clipped("adam_v with a binding clamp (g^2 past hi, float64)")).to.equal(true);
    expect(clipped("adam_v 3/32, gShift 1, binding clamp (float32)")).to.equal(true);
  });

  it("a moment's step is one Sum of its three terms where they fit the type, and the Sub, roundShift, Add form where not", () => {
    const summed = (name: string) => nodeTypes(name).includes("Sum");
    // 2^20 * 7 + 2^20 + 4 units of 1/8: just below 2^24.
    expect(summed("adam_m 1/8")).to.equal(true);
    expect(summed("adam_m 13/128 with clamp (float64)")).to.equal(true);
    // 2^22 * 63 units of 1/64 do not fit float32.
    expect(summed("adam_v 1/64, gShift 0 (float32)")).to.equal(false);
    expect(summed("adam_v 1/1024, gShift 8 (float64)")).to.equal(true);
  });
});

describe("adam_update's short exact forms (no correction steps) within their bounds", () => {
  // isqrt's corrections compare with Greater and LessOrEqual; the division's with Less and GreaterOrEqual.
  const forms = (name: string) => {
    const types = nodeTypes(name);
    return { root: types.includes("LessOrEqual") ? "corrected" : "short", division: types.includes("GreaterOrEqual") ? "corrected" : "short" };
  };

  it("each case above takes the form its bounds allow, so its bit-identity covers that form", () => {
    const want: Record<string, { root: string; division: string }> = {
      "adam_update (float32)": { root: "corrected", division: "short" },
      "adam_update wide (float64)": { root: "corrected", division: "short" },
      "adam_update near 2^53 (v near 2^52: a double square root rounds k^2 - 1 up to k)": { root: "corrected", division: "corrected" },
      "adam_update float64, v just under 2^48 (short square root at its limit)": { root: "short", division: "short" },
      "adam_update float64, 2 m lrNum + den near 2^50 (short division at its limit)": { root: "short", division: "short" },
      "adam_update float64, 2 m lrNum past 2^50 (the corrected division)": { root: "short", division: "corrected" },
      "adam_update float32, both short forms at their limits": { root: "short", division: "short" },
      "adam_update float32, 2 m lrNum past 2^21 (the corrected division)": { root: "short", division: "corrected" },
    };
    for (const [name, w] of Object.entries(want)) expect(forms(name), name).to.deep.equal(w);
  });

  it("softmax_ce_grad's division takes the short form where (2 one + n) 2^16 fits, the corrected one where not", () => {
    const corrected = (name: string) => nodeTypes(name).includes("GreaterOrEqual");
    expect(corrected("softmax_ce_grad 12 fraction bits, one 4096")).to.equal(false);
    expect(corrected("softmax_ce_grad one class")).to.equal(false);
    // float32: (64 + 10) 2^16 is past 2^21.
    expect(corrected("softmax_ce_grad small one (float32)")).to.equal(true);
  });
});
