import { describe, it } from "node:test";
import { createHash } from "node:crypto";
import { expect } from "chai";
import fc from "fast-check";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { datasetRoot } from "../commitment/dataset.ts";
import { sampleBatch } from "./batch.ts";
import { StateFormatError } from "./errors.ts";
import { buildStepGraph, stateLayout } from "./graph.ts";
import { nextRng } from "./random.ts";
import { executeReference } from "./reference.ts";
import { makeSpec, type TrainingSpec } from "./spec.ts";
import { initialState, type TrainingState } from "./state.ts";
import { decodeState, encodeState, STATE_MAGIC } from "./stateFile.ts";

const d = syntheticDataset(12, 6, 3);
const spec = tinySpec(d);
const specMomentum = makeSpec({
  layers: [d.features, 8, d.classes], batchSize: 4, seed: "01".repeat(32), optimizer: { momentumNum: 7 },
  data: { root: datasetRoot(d).toString("hex"), count: d.count, features: d.features, classes: d.classes },
});
const specOtherSeed = makeSpec({
  layers: [d.features, 8, d.classes], batchSize: 4, seed: "02".repeat(32),
  data: { root: datasetRoot(d).toString("hex"), count: d.count, features: d.features, classes: d.classes },
});

/** Runs `steps` reference steps from the initial state (non-trivial weights, biases and velocities). */
function trained(s: TrainingSpec, steps: number): TrainingState {
  const graph = buildStepGraph(s);
  let st = initialState(s);
  for (let i = 0; i < steps; i++) {
    const all = executeReference(graph, st.tensors, sampleBatch(d, st.rng, s));
    st = { specHash: st.specHash, step: st.step + 1, dataCursor: st.dataCursor + s.training.batchSize, rng: nextRng(st.rng), tensors: graph.stateOut.map((id) => all[id]!) };
  }
  return st;
}

/** A state whose tensors also hold the extremes of their declared ranges (must round-trip exactly). */
function withExtremes(s: TrainingSpec, st: TrainingState): TrainingState {
  const layout = stateLayout(s);
  const tensors = st.tensors.map((t, i) => {
    const data = Float64Array.from(t.data);
    const [lo, hi] = layout[i]!.range;
    data[0] = lo;
    data[data.length - 1] = hi;
    if (data.length > 2) data[1] = -1;
    return { shape: t.shape, data };
  });
  return { ...st, tensors };
}

const state = withExtremes(spec, trained(spec, 3));
const stateM = withExtremes(specMomentum, trained(specMomentum, 3));
const file = encodeState(spec, state);

/** Byte offsets of each tensor's record in an encoded file of `s` (name-length byte, elements). */
function tensorOffsets(s: TrainingSpec): { name: string; meta: number; data: number; width: number; count: number }[] {
  let o = 88;
  return stateLayout(s).map((slot) => {
    const meta = o;
    const data = meta + 1 + slot.name.length + 2 + 4 * slot.shape.length;
    const count = slot.shape.reduce((a, b) => a * b, 1);
    o = data + 4 * count;
    return { name: slot.name, meta, data, width: 4, count };
  });
}

/** Rewrites the body and appends a fresh, correct checksum: only the semantic checks can catch the change. */
function reseal(body: Uint8Array): Buffer {
  const b = Buffer.from(body);
  return Buffer.concat([b, createHash("sha256").update(b).digest()]);
}

/** The file without its checksum, as a mutable copy. */
function bodyOf(f: Buffer): Buffer {
  return Buffer.from(f.subarray(0, f.length - 32));
}

function expectFormatError(s: TrainingSpec, bytes: Uint8Array, message: RegExp): void {
  let caught: unknown;
  try {
    decodeState(s, bytes);
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected StateFormatError matching ${message}`).to.be.instanceOf(StateFormatError);
  expect((caught as Error).message).to.match(message);
}

function expectSameState(a: TrainingState, b: TrainingState): void {
  expect(a.specHash).to.equal(b.specHash);
  expect(a.step).to.equal(b.step);
  expect(a.dataCursor).to.equal(b.dataCursor);
  expect(Buffer.from(a.rng).equals(Buffer.from(b.rng))).to.equal(true);
  expect(a.tensors.length).to.equal(b.tensors.length);
  a.tensors.forEach((t, i) => {
    expect(t.shape).to.deep.equal(b.tensors[i]!.shape);
    expect(Array.from(t.data)).to.deep.equal(Array.from(b.tensors[i]!.data));
  });
}

describe("state file round trip", () => {
  it("decodes what encodeState wrote, bit-exact (no momentum: weights and biases)", () => {
    expect(state.tensors).to.have.length(4);
    expect(state.step).to.equal(3);
    expectSameState(decodeState(spec, file), state);
  });

  it("decodes what encodeState wrote, bit-exact (momentum: velocities too)", () => {
    expect(stateM.tensors).to.have.length(8);
    expect(stateM.tensors[6]!.data.some((v, i) => i > 1 && i < stateM.tensors[6]!.data.length - 1 && v !== 0)).to.equal(true);
    expectSameState(decodeState(specMomentum, encodeState(specMomentum, stateM)), stateM);
  });

  it("round-trips the initial state and re-encodes a decoded state to identical bytes", () => {
    const s0 = initialState(spec);
    const f0 = encodeState(spec, s0);
    expectSameState(decodeState(spec, f0), s0);
    expect(encodeState(spec, decodeState(spec, file)).equals(file)).to.equal(true);
  });

  it("writes the documented layout: magic, version, count, spec hash, step, cursor, rng, then tensors, then sha256", () => {
    expect(file.toString("ascii", 0, 4)).to.equal(STATE_MAGIC);
    expect(file.readUInt16BE(4)).to.equal(1);
    expect(file.readUInt16BE(6)).to.equal(4);
    expect(file.subarray(8, 40).toString("hex")).to.equal(state.specHash);
    expect(file.readBigUInt64BE(40)).to.equal(3n);
    expect(file.readBigUInt64BE(48)).to.equal(12n);
    expect(file.subarray(56, 88).equals(Buffer.from(state.rng))).to.equal(true);
    const offs = tensorOffsets(spec);
    const last = offs[offs.length - 1]!;
    expect(file.length).to.equal(last.data + 4 * last.count + 32);
    expect(file.toString("utf8", offs[0]!.meta + 1, offs[0]!.meta + 5)).to.equal("l0.w");
    expect(file.readInt32LE(offs[0]!.data)).to.equal(-(2 ** 18)); // element 0 of l0.w = -masterMax
    expect(file.subarray(file.length - 32).equals(createHash("sha256").update(file.subarray(0, file.length - 32)).digest())).to.equal(true);
  });
});

describe("state file rejections", () => {
  it("rejects a file truncated inside the header or checksum as too short", () => {
    for (const n of [0, 3, 4, 40, 87, 88, 119]) expectFormatError(spec, file.subarray(0, n), /too short: \d+ bytes/);
  });

  it("rejects a file truncated inside the tensors (checksum no longer matches)", () => {
    const offs = tensorOffsets(spec);
    for (const n of [120, offs[0]!.data + 3, offs[1]!.meta, offs[3]!.data + 1, file.length - 33, file.length - 1]) {
      expectFormatError(spec, file.subarray(0, n), /checksum mismatch|too short/);
    }
  });

  it("rejects a body truncated inside a tensor even with a recomputed checksum, naming the tensor", () => {
    const offs = tensorOffsets(spec);
    const body = bodyOf(file);
    expectFormatError(spec, reseal(body.subarray(0, offs[1]!.data + 2)), /truncated: l0\.b elements needs/);
    expectFormatError(spec, reseal(body.subarray(0, offs[2]!.meta + 3)), /truncated: tensor name needs/);
    expectFormatError(spec, reseal(body.subarray(0, offs[0]!.meta)), /truncated: l0\.w name length needs/);
  });

  it("rejects a wrong magic", () => {
    const f = Buffer.from(file);
    f.write("VTSX", 0, "ascii");
    expectFormatError(spec, f, /not a veritrain state file: magic is "VTSX"/);
  });

  it("rejects an unsupported version", () => {
    const f = Buffer.from(file);
    f.writeUInt16BE(2, 4);
    expectFormatError(spec, f, /unsupported state file version 2/);
  });

  it("rejects any single bit flip after the version field (checksum mismatch)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 6, max: file.length - 1 }), fc.integer({ min: 0, max: 7 }), (pos, bit) => {
        const f = Buffer.from(file);
        f[pos]! ^= 1 << bit;
        expectFormatError(spec, f, /checksum mismatch/);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it("rejects a state of a different spec (other seed), naming both spec hashes", () => {
    const other = encodeState(specOtherSeed, initialState(specOtherSeed));
    expectFormatError(spec, other, /state belongs to spec [0-9a-f]{64}, not to this job's spec [0-9a-f]{64}/);
    expectFormatError(specOtherSeed, file, /state belongs to spec/);
    expectFormatError(specMomentum, file, /state belongs to spec/);
  });

  it("rejects a value just outside the declared range even with a valid checksum", () => {
    const offs = tensorOffsets(spec);
    const max = spec.quant.masterMax;
    const hi = bodyOf(file);
    hi.writeInt32LE(max + 1, offs[0]!.data + 4 * 5);
    expectFormatError(spec, reseal(hi), new RegExp(`l0\\.w: element 5 = ${max + 1} is outside the declared range \\[-${max}, ${max}\\]`));
    const lo = bodyOf(file);
    lo.writeInt32LE(-max - 1, offs[3]!.data + 4 * 2);
    expectFormatError(spec, reseal(lo), new RegExp(`l1\\.b: element 2 = ${-max - 1} is outside`));
    const huge = bodyOf(file);
    huge.writeInt32LE(-(2 ** 31), offs[1]!.data);
    expectFormatError(spec, reseal(huge), /l0\.b: element 0 = -2147483648 is outside/);
  });

  it("rejects a velocity outside velocityMax (momentum spec) with a valid checksum", () => {
    const f = encodeState(specMomentum, stateM);
    const offs = tensorOffsets(specMomentum);
    const v = offs.find((o) => o.name === "l1.w.v")!;
    const body = bodyOf(f);
    const vmax = specMomentum.optimizer.velocityMax;
    body.writeInt32LE(vmax + 1, v.data + 4 * 7);
    expectFormatError(specMomentum, reseal(body), new RegExp(`l1\\.w\\.v: element 7 = ${vmax + 1} is outside`));
  });

  it("rejects trailing bytes after the last tensor with a valid checksum", () => {
    expectFormatError(spec, reseal(Buffer.concat([bodyOf(file), Buffer.from([0])])), /1 unexpected bytes after the last tensor/);
    expectFormatError(spec, reseal(Buffer.concat([bodyOf(file), Buffer.alloc(16)])), /16 unexpected bytes/);
  });

  it("rejects a wrong tensor name with a valid checksum", () => {
    const offs = tensorOffsets(spec);
    const body = bodyOf(file);
    body.write("l9", offs[2]!.meta + 1, "utf8"); // "l1.w" -> "l9.w"
    expectFormatError(spec, reseal(body), /tensor "l9\.w" found where "l1\.w" was expected/);
  });

  it("rejects a wrong tensor shape, element width or tensor count with a valid checksum", () => {
    const offs = tensorOffsets(spec);
    const o = offs[0]!; // l0.w: name length, "l0.w", width, rank, dims
    const dims = bodyOf(file);
    dims.writeUInt32BE(7, o.meta + 1 + 4 + 2);
    expectFormatError(spec, reseal(dims), /l0\.w: shape \[7,8\] differs from the spec's \[6,8\]/);
    const rank = bodyOf(file);
    rank[o.meta + 1 + 4 + 1] = 1;
    expectFormatError(spec, reseal(rank), /l0\.w: shape \[6\] differs/);
    const width = bodyOf(file);
    width[o.meta + 1 + 4] = 8;
    expectFormatError(spec, reseal(width), /l0\.w: element width 8, expected 4/);
    const count = bodyOf(file);
    count.writeUInt16BE(5, 6);
    expectFormatError(spec, reseal(count), /holds 5 tensors, the spec defines 4/);
  });

  it("rejects a data cursor inconsistent with the step with a valid checksum", () => {
    const off = bodyOf(file);
    off.writeBigUInt64BE(13n, 48); // step 3 x batch 4 = 12
    expectFormatError(spec, reseal(off), /data cursor 13 disagrees with step 3 x batch 4/);
    const step = bodyOf(file);
    step.writeBigUInt64BE(4n, 40);
    expectFormatError(spec, reseal(step), /data cursor 12 disagrees with step 4/);
  });

  it("rejects a step beyond 2^53 with a valid checksum", () => {
    const body = bodyOf(file);
    body.writeBigUInt64BE(2n ** 60n, 40);
    expectFormatError(spec, reseal(body), /exceeds 2\^53/);
  });
});
