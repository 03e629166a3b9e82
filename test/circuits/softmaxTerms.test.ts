// Differential test of softmax_ce_grad's Groth16 slice circuit (circuits/settle/softmax_terms8.circom) against
// the TypeScript fold (settlement/softmaxTerms.ts, the mirror of ModelOps.softmaxTerms): the settle main is
// compiled and its WASM witness calculator run in process. For random rows (n 1..40, fracBits 4, 8, 12, one
// 4096 and small values, ties in the max, distances past the table end) and every kind of slice (inside the
// max phase, crossing max -> sum at t = n, inside the sum phase, crossing into the last term, the last term
// alone, short final slices; label == j and != j), the true P(termHi) is accepted as `out` with the table
// indices softmaxSliceReads names, and out +- 1 is not. Forged witnesses are rejected: a wrong index in a slot
// (with the entry the contract would read for it), a non-zero index in a slot that reads nothing, accIn with S
// or M out of range, a moved quotient/remainder or accIn hint, an index past the table.
import { before, describe, it } from "node:test";
import { expect } from "chai";
import { EXP_TABLE } from "../../engine/expTable.ts";
import { packSlice } from "../../settlement/prover.ts";
import {
  softmaxPair,
  softmaxPartials,
  softmaxSliceReads,
  softmaxTableWord,
  softmaxTermColumn,
  softmaxTermCount,
  softmaxTermStep,
  softmaxUnpair,
  type SoftmaxTermAttrs,
} from "../../settlement/softmaxTerms.ts";
import {
  buildCircuits,
  loadWitnessCalculator,
  r1csConstraints,
  symbols,
  violatedConstraints,
  type BuiltCircuit,
  type WitnessCalculator,
} from "../../scripts/circuits-build.ts";
import { rng as seededRng } from "../helpers/seededRng.ts";

const MAIN = "circuits/settle/softmax_terms8.circom";
const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const field = (x: bigint): bigint => (((x % P) + P) % P);
const CTX = 0xfeedbeef1234n;
const LAST = EXP_TABLE.length - 1;
const PUBLIC_INPUTS = 13;

interface Slice {
  a: SoftmaxTermAttrs;
  row: bigint[];
  label: bigint;
  j: number;
  lo: number;
  hi: number;
}

let circuit: BuiltCircuit;
let calc: WitnessCalculator;

/** The witness input of a slice from its agreed accIn, the indices (default: the fold's) and out. */
function input(s: Slice, accIn: bigint, out: bigint, indices?: number[], ctx = CTX): Record<string, bigint | bigint[]> {
  const n = s.row.length;
  const zs = Array.from({ length: s.hi - s.lo }, (_, k) => s.row[softmaxTermColumn(n, s.j, s.lo + k)]!);
  const idx = indices ?? softmaxSliceReads(s.a, n, s.j, s.lo, accIn, zs, s.label).indices;
  const last = s.hi === softmaxTermCount(n);
  return {
    ctx, out: field(out), accIn: field(accIn), packed: packSlice(zs, undefined), label: last ? field(s.label) : 0n,
    j: BigInt(s.j), n: BigInt(n), termLo: BigInt(s.lo), termHi: BigInt(s.hi), fracBits: BigInt(s.a.fracBits), one: BigInt(s.a.one),
    table: softmaxTableWord(idx),
  };
}

async function witness(x: Record<string, bigint | bigint[]>): Promise<bigint[] | undefined> {
  try {
    return await calc.calculateWitness(x, true);
  } catch {
    return undefined;
  }
}

const show = (s: Slice) => `n ${s.row.length} row [${s.row.join(",")}] label ${s.label} j ${s.j} [${s.lo}, ${s.hi}) fracBits ${s.a.fracBits} one ${s.a.one}`;

/** The fold's P(hi) from P(lo) is accepted, P(hi) +- 1 is not; returns the indices read. */
async function expectSettles(s: Slice): Promise<number[]> {
  const Ps = softmaxPartials(s.a, s.row, s.label, s.j);
  const accIn = Ps[s.lo]!, want = Ps[s.hi]!;
  const n = s.row.length;
  const zs = Array.from({ length: s.hi - s.lo }, (_, k) => s.row[softmaxTermColumn(n, s.j, s.lo + k)]!);
  const reads = softmaxSliceReads(s.a, n, s.j, s.lo, accIn, zs, s.label);
  expect(reads.out, show(s)).to.equal(want);
  if (!(await witness(input(s, accIn, want)))) expect.fail(`the true P(hi) ${want} has no witness: ${show(s)}`);
  for (const d of [1n, -1n]) {
    if (await witness(input(s, accIn, want + d))) expect.fail(`the false P(hi) ${want + d} has a witness: ${show(s)}`);
  }
  return reads.indices;
}

/** A random row: ties, a spread that may pass the table's end. */
function randomRow(r: () => number, n: number, spread: number): bigint[] {
  const row: bigint[] = [];
  for (let k = 0; k < n; k++) {
    // A third of the logits repeat an earlier one (ties in the max among them).
    if (k > 0 && r() < 0.33) row.push(row[Math.floor(r() * k)]!);
    else row.push(BigInt(Math.floor((r() * 2 - 1) * spread)));
  }
  return row;
}

describe("softmax_ce_grad slice circuit (circuits/settle/softmax_terms8.circom)", () => {
  before(async () => {
    [circuit] = await buildCircuits([MAIN]);
    calc = await loadWitnessCalculator(circuit!);
  });

  it("fits the 2^12 ceremony: constraints + public inputs + 1 <= 4096", () => {
    console.log(`  softmax_terms8: ${circuit.constraints} constraints, ${PUBLIC_INPUTS} public inputs`);
    expect(circuit.constraints + PUBLIC_INPUTS + 1).to.be.at.most(4096);
  });

  it("random rows, every slice class: the fold's P(termHi) and nothing else", async () => {
    const r = seededRng(1616);
    const seen = new Map<string, number>();
    const note = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
    let clamped = 0, labelHit = 0, labelMiss = 0, ties = 0;
    for (let c = 0; c < 120; c++) {
      const n = c < 40 ? c + 1 : 1 + Math.floor(r() * 40);
      const fracBits = [4, 8, 12][c % 3]!;
      const one = [4096, 1, 3, 7, 4096, 1000][Math.floor(r() * 6)]!;
      // Spreads in table steps from well inside the table to well past its end (3017 steps).
      const steps = [40, 400, 3000, 20000][Math.floor(r() * 4)]!;
      const spread = fracBits >= 8 ? steps * 2 ** (fracBits - 8) : Math.max(1, Math.floor(steps / 2 ** (8 - fracBits)));
      const row = randomRow(r, n, spread);
      const max = row.reduce((m, v) => (v > m ? v : m));
      if (row.filter((v) => v === max).length > 1) ties++;
      const label = BigInt(Math.floor(r() * n));
      const j = r() < 0.4 ? Number(label) : Math.floor(r() * n);
      const a = { fracBits, one };
      const K = softmaxTermCount(n);
      const starts: [string, number][] = [
        ["max", Math.floor(r() * n)],
        ["max->sum", Math.max(0, n - 1 - Math.floor(r() * 7))],
        ["sum", n + Math.floor(r() * n)],
        ["sum->last", Math.max(n, 2 * n - 1 - Math.floor(r() * 7))],
        ["last", 2 * n],
        ["first", 0],
      ];
      for (const [kind, lo] of starts) {
        for (const len of [8, 1 + Math.floor(r() * 8)]) {
          const hi = Math.min(K, lo + len);
          const s: Slice = { a, row, label, j, lo, hi };
          const idx = await expectSettles(s);
          if (idx.includes(LAST)) clamped++;
          if (hi === K) (BigInt(j) === label ? labelHit++ : labelMiss++);
          if (lo < n && hi > n) note("crosses t = n");
          if (hi === K && lo < 2 * n) note("reaches the last term");
          if (hi - lo < 8 && hi === K) note("short final slice");
          note(kind);
        }
      }
    }
    console.log(`  slice classes ${JSON.stringify(Object.fromEntries(seen))}; clamped reads ${clamped}, label == j ${labelHit}, != j ${labelMiss}, rows with a tied max ${ties}`);
    for (const k of ["max", "max->sum", "sum", "sum->last", "last", "first", "crosses t = n", "reaches the last term", "short final slice"]) expect(seen.get(k) ?? 0, k).to.be.greaterThan(10);
    expect(clamped, "slices reading the clamped entry 3017").to.be.greaterThan(20);
    expect(labelHit).to.be.greaterThan(10);
    expect(labelMiss).to.be.greaterThan(10);
    expect(ties).to.be.greaterThan(10);
  });

  it("edge cases: n = 1, the 54-bit logit range, fracBits 0 and 52, one near 2^63, n = 4096's sum bound", async () => {
    const cases: Slice[] = [];
    for (const fracBits of [0, 7, 8, 9, 52]) {
      for (const one of [1, 4096, 2 ** 53 - 1]) {
        cases.push({ a: { fracBits, one }, row: [5n], label: 0n, j: 0, lo: 0, hi: 3 });
        const row = [-(2n ** 53n), 2n ** 53n - 1n, 0n, 2n ** 53n - 1n];
        for (let lo = 0; lo < 9; lo += 4) cases.push({ a: { fracBits, one }, row, label: 1n, j: 1, lo, hi: Math.min(9, lo + 8) });
        cases.push({ a: { fracBits, one }, row, label: 3n, j: 0, lo: 8, hi: 9 });
      }
    }
    for (const s of cases) await expectSettles(s);
    // A large agreed sum (n = 4096 classes of 2^16 each is 2^28) at the last term, and one = 2^63 - 1.
    const a = { fracBits: 8, one: Number.MAX_SAFE_INTEGER };
    const n = 4096, j = 7;
    const accIn = softmaxPair(100n, 2n ** 28n);
    const s: Slice = { a, row: Array.from({ length: n }, (_, k) => (k === j ? 90n : 0n)), label: 7n, j, lo: 2 * n, hi: 2 * n + 1 };
    const want = softmaxTermStep(a, n, j, 2 * n, accIn, 90n, 7n);
    expect(await witness(input(s, accIn, want))).to.not.equal(undefined);
    expect(await witness(input(s, accIn, want + 1n))).to.equal(undefined);
    const big = { ...input(s, accIn, 0n), one: 2n ** 63n - 1n };
    const wantBig = (2n * BigInt(EXP_TABLE[10]!) * (2n ** 63n - 1n) + 2n ** 28n) / 2n ** 29n - (2n ** 63n - 1n);
    expect(await witness({ ...big, out: field(wantBig) })).to.not.equal(undefined);
    // one = 2^63 is out of range (one is an int64 attribute): refused even with the value it would fold to.
    const wantOver = (2n * BigInt(EXP_TABLE[10]!) * 2n ** 63n + 2n ** 28n) / 2n ** 29n - 2n ** 63n;
    expect(await witness({ ...big, one: 2n ** 63n, out: field(wantOver) })).to.equal(undefined);
  });

  it("forged witnesses are rejected: a wrong or stray index, accIn out of range, attributes out of range", async () => {
    const a = { fracBits: 8, one: 4096 };
    const row = [30n, -200n, 30n, 5000n - 4000n, 12n];
    const n = row.length, label = 2n, j = 2;
    const Ps = softmaxPartials(a, row, label, j);
    const K = softmaxTermCount(n);
    for (const [lo, hi] of [[0, 8], [3, 11], [5, 11], [8, 11], [10, 11]] as const) {
      const s: Slice = { a, row, label, j, lo, hi };
      const base = await expectSettles(s);
      const ok = input(s, Ps[lo]!, Ps[hi]!);
      expect(await witness(ok)).to.not.equal(undefined);
      for (let slot = 0; slot < 8; slot++) {
        const t = lo + slot;
        const readsTable = t < hi && t >= n;
        for (const forged of [base[slot]! + 1, base[slot]! - 1, LAST, 0]) {
          if (forged < 0 || forged > LAST || forged === base[slot]) continue;
          // A forged index with the entry the contract would read for it, and the out it would fold to.
          const idx = [...base];
          idx[slot] = forged;
          const x = input(s, Ps[lo]!, Ps[hi]!, idx);
          expect(await witness(x), `[${lo}, ${hi}) slot ${slot} (${readsTable ? "reads" : "reads nothing"}) index ${base[slot]} -> ${forged}`).to.equal(undefined);
          if (readsTable && EXP_TABLE[forged] !== EXP_TABLE[base[slot]!]) {
            // What the fold would give with the forged entry (sum phase: S moved by the difference).
            const { M, S } = softmaxUnpair(Ps[hi]!);
            if (hi < K) expect(await witness({ ...x, out: field(softmaxPair(M, S + BigInt(EXP_TABLE[forged]! - EXP_TABLE[base[slot]!]!))) })).to.equal(undefined);
          }
        }
      }
    }
    // Past the table: index 3018 and up (the contract reverts too: ModelOps.expTableWord).
    const s: Slice = { a, row, label, j, lo: 5, hi: 10 };
    const idx = softmaxSliceReads(a, n, j, 5, Ps[5]!, row.slice(0, 5), label).indices;
    for (const past of [LAST + 1, 4095]) {
      const word = softmaxTableWord(idx) + (BigInt(past - idx[0]!));
      expect(await witness({ ...input(s, Ps[5]!, Ps[10]!), table: word })).to.equal(undefined);
    }
    // accIn with S out of range ([0, 2^29)) or M out of the 54-bit range: no witness, whatever out.
    const sumS: Slice = { a, row, label, j, lo: 6, hi: 8 };
    for (const accIn of [softmaxPair(30n, 2n ** 29n), softmaxPair(30n, -1n), softmaxPair(2n ** 53n, 5n), softmaxPair(-(2n ** 53n) - 1n, 5n)]) {
      const zs = [row[1]!, row[2]!];
      let out: bigint;
      try { out = softmaxSliceReads(a, n, j, 6, accIn, zs, label).out; } catch { out = 0n; }
      const x = input(sumS, accIn, out, [0, 0, 0, 0, 0, 0, 0, 0].map((_, k) => (k < 2 && BigInt.asIntN(64, accIn) >= zs[k]! ? Math.min(LAST, Number(BigInt.asIntN(64, accIn) - zs[k]!)) : 0)));
      expect(await witness(x), `accIn ${accIn}`).to.equal(undefined);
    }
    // A distance < 0 in the sum phase (an agreed max below a logit): no witness (the contract reverts).
    const low = softmaxPair(0n, 70000n);
    expect(await witness(input({ a, row, label, j, lo: 8, hi: 9 }, low, softmaxPair(0n, 70000n + 65536n), [0, 0, 0, 0, 0, 0, 0, 0]))).to.equal(undefined);
    // The last term with S = 0: no witness.
    expect(await witness(input({ a, row, label, j, lo: 10, hi: 11 }, softmaxPair(1000n, 0n), 0n, [970, 0, 0, 0, 0, 0, 0, 0]))).to.equal(undefined);
    const s1 = softmaxTermStep(a, n, j, 10, softmaxPair(1000n, 1n), row[j]!, label);
    expect(await witness(input({ a, row, label, j, lo: 10, hi: 11 }, softmaxPair(1000n, 1n), s1, [970, 0, 0, 0, 0, 0, 0, 0]))).to.not.equal(undefined);
    // Attributes and the slice out of range.
    const okS: Slice = { a, row, label, j, lo: 3, hi: 11 };
    const ok = input(okS, Ps[3]!, Ps[11]!);
    for (const [k, v] of [["fracBits", 53n], ["one", 0n], ["one", 2n ** 63n], ["n", 0n], ["n", 4097n], ["termHi", 12n], ["termLo", 11n], ["termLo", 2n]] as const) {
      expect(await witness({ ...ok, [k]: v }), `${k} = ${v}`).to.equal(undefined);
    }
  });

  it("forged hints: the quotient, remainder and accIn-decoding wires moved by +-1 violate the R1CS", async () => {
    const a = { fracBits: 12, one: 4096 };
    const row = [300n, -2000n, 300n, 12345n];
    const Ps = softmaxPartials(a, row, 3n, 3);
    const s: Slice = { a, row, label: 3n, j: 3, lo: 6, hi: 9 };
    const w = (await witness(input(s, Ps[6]!, Ps[9]!)))!;
    expect(w).to.not.equal(undefined);
    const cs = r1csConstraints(circuit.r1cs);
    expect(violatedConstraints(cs, w)).to.deep.equal([]);
    // (S[0] is eliminated by the compiler as accIn - M[0] over 2^64: moving M[0] moves it.)
    const named = [...symbols(circuit.sym)].filter(([name, wi]) => wi > 0 && /^main\.(q|r|M\[0\]|S\[0\])$/.test(name));
    expect(named.map(([name]) => name).sort()).to.include.members(["main.M[0]", "main.q", "main.r"]);
    const wires = named.map(([, wi]) => wi);
    for (const wi of wires) {
      for (const d of [1n, P - 1n]) {
        const f = [...w];
        f[wi] = (f[wi]! + d) % P;
        expect(violatedConstraints(cs, f).length, `wire ${wi}`).to.be.greaterThan(0);
      }
    }
  });
});
