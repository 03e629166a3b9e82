import { describe, it } from "node:test";
import { expect } from "chai";
import fc from "fast-check";
import { SpecError } from "./errors.ts";
import { buildStepGraph } from "./graph.ts";
import { MAX_EXACT } from "./int.ts";
import { canonicalSpecJson, makeSpec, parseSpec, specHash, type TrainingSpec } from "./spec.ts";

type Raw = Record<string, any>;

const DATA = { root: "ab".repeat(32), count: 12, features: 6, classes: 3 } as const;
const base: TrainingSpec = makeSpec({ layers: [6, 8, 3], batchSize: 4, seed: "01".repeat(32), data: DATA });

/** A fresh, mutable JSON copy of the base spec (what a spec file would parse to). */
function raw(): Raw {
  return JSON.parse(JSON.stringify(base));
}

function mutated(f: (r: Raw) => void): Raw {
  const r = raw();
  f(r);
  return r;
}

/** Runs f, expects a SpecError naming `field` (in .field and in the message); returns it. */
function expectSpecError(f: () => unknown, field: string): SpecError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected a SpecError for ${field}`).to.be.instanceOf(SpecError);
  const err = caught as SpecError;
  expect(err.field).to.equal(field);
  expect(err.message).to.include(`"${field}"`);
  expect(err.details.field).to.equal(field);
  return err;
}

function rejects(f: (r: Raw) => void, field: string, message?: RegExp): void {
  const err = expectSpecError(() => parseSpec(mutated(f)), field);
  if (message) expect(err.message).to.match(message);
}

/** Deep copy with the key order of every object reversed. */
function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)]));
  }
  return v;
}

describe("parseSpec: accepting valid specs", () => {
  it("accepts makeSpec's output, and a JSON round trip of it parses to an equal spec", () => {
    const parsed = parseSpec(raw());
    expect(parsed).to.deep.equal(base);
    expect(parseSpec(parsed)).to.deep.equal(base);
    expect(JSON.parse(JSON.stringify(parsed))).to.deep.equal(raw());
  });

  it("makeSpec fills the defaults and keeps the explicit fields", () => {
    expect(base.version).to.equal(1);
    expect(base.model.layers).to.deep.equal([6, 8, 3]);
    expect(base.training).to.deep.equal({ batchSize: 4, seed: "01".repeat(32) });
    expect(base.data).to.deep.equal(DATA);
    expect(base.optimizer.momentumNum).to.equal(0);
    const m = makeSpec({ layers: [6, 8, 3], seed: "01".repeat(32), data: DATA, optimizer: { momentumNum: 7 } });
    expect(m.optimizer.momentumNum).to.equal(7);
    expect(m.training.batchSize).to.equal(64);
  });

  it("does not alias the caller's layers array (later edits of the input cannot change a parsed spec)", () => {
    const r = raw();
    const parsed = parseSpec(r);
    r.model.layers[1] = 99;
    expect(parsed.model.layers[1]).to.equal(8);
  });

  it("accepts boundary values: momentum just below 1, 16 layers, extreme ranges", () => {
    expect(parseSpec(mutated((r) => { r.optimizer.momentumNum = 7; r.optimizer.momentumShift = 3; })).optimizer.momentumNum).to.equal(7);
    const layers = [6, ...Array.from({ length: 14 }, () => 4), 3];
    expect(parseSpec(mutated((r) => { r.model.layers = layers; })).model.layers).to.have.length(16);
    const q = parseSpec(mutated((r) => { r.quant.inputShift = 8; r.quant.inputMax = 255; r.quant.masterMax = 2 ** 31 - 1; })).quant;
    expect([q.inputShift, q.inputMax, q.masterMax]).to.deep.equal([8, 255, 2 ** 31 - 1]);
  });
});

describe("parseSpec: rejections name the offending field", () => {
  it("rejects a root that is not a JSON object", () => {
    for (const v of [null, undefined, 42, "spec", [], [raw()]]) expectSpecError(() => parseSpec(v), "(root)");
  });

  it("rejects a wrong or missing version", () => {
    for (const v of [3, 0, "1", 1.0000001, null]) rejects((r) => { r.version = v; }, "version", /unsupported spec version/);
    rejects((r) => { delete r.version; }, "version");
  });

  it("rejects a missing or non-object section", () => {
    for (const k of ["model", "quant", "optimizer", "training", "data"]) {
      rejects((r) => { delete r[k]; }, k, /must be an object/);
      rejects((r) => { r[k] = []; }, k, /must be an object/);
      rejects((r) => { r[k] = null; }, k, /must be an object/);
    }
  });

  it("rejects a missing field inside each section", () => {
    rejects((r) => { delete r.model.layers; }, "model.layers");
    rejects((r) => { delete r.quant.inputShift; }, "quant.inputShift", /must be an integer/);
    rejects((r) => { delete r.quant.gradMax; }, "quant.gradMax", /must be an integer/);
    rejects((r) => { delete r.optimizer.lrNum; }, "optimizer.lrNum", /must be an integer/);
    rejects((r) => { delete r.optimizer.velocityMax; }, "optimizer.velocityMax", /must be an integer/);
    rejects((r) => { delete r.training.batchSize; }, "training.batchSize", /must be an integer/);
    rejects((r) => { delete r.training.seed; }, "training.seed", /64 lowercase hex/);
    rejects((r) => { delete r.data.root; }, "data.root", /64 lowercase hex/);
    rejects((r) => { delete r.data.count; }, "data.count", /must be an integer/);
  });

  it("rejects an unknown field at every level", () => {
    rejects((r) => { r.extra = 1; }, "extra", /unknown field/);
    rejects((r) => { r.model.activation = "relu"; }, "model.activation", /unknown field/);
    rejects((r) => { r.quant.outShift = 3; }, "quant.outShift", /unknown field/);
    rejects((r) => { r.optimizer.weightDecay = 0; }, "optimizer.weightDecay", /unknown field/);
    rejects((r) => { r.training.epochs = 1; }, "training.epochs", /unknown field/);
    rejects((r) => { r.data.name = "mnist"; }, "data.name", /unknown field/);
  });

  it("rejects non-integer quant and optimizer values", () => {
    const bad: [string, string, unknown][] = [
      ["quant", "inputShift", 1.5],
      ["quant", "masterMax", "262144"],
      ["quant", "weightMax", null],
      ["quant", "actShift", Number.NaN],
      ["quant", "targetOne", 2 ** 53],
      ["optimizer", "lrNum", 0.5],
      ["optimizer", "lrShift", true],
      ["optimizer", "velocityMax", Infinity],
      ["training", "batchSize", "4"],
      ["data", "count", 12.5],
    ];
    for (const [sec, key, v] of bad) rejects((r) => { r[sec][key] = v; }, `${sec}.${key}`, /must be an integer/);
  });

  it("rejects out-of-range quant, optimizer, training and data values, quoting the allowed range", () => {
    const bad: [string, string, number, string][] = [
      ["quant", "inputShift", 9, "[0, 8]"],
      ["quant", "inputShift", -1, "[0, 8]"],
      ["quant", "inputMax", 0, "[1, 255]"],
      ["quant", "inputMax", 256, "[1, 255]"],
      ["quant", "masterMax", 2 ** 31, `[1, ${2 ** 31 - 1}]`],
      ["quant", "masterFrac", 31, "[0, 30]"],
      ["quant", "weightShift", 32, "[0, 31]"],
      ["quant", "gradMax", 0, `[1, ${2 ** 31 - 1}]`],
      ["quant", "targetOne", 2 ** 40 + 1, `[1, ${2 ** 40}]`],
      ["optimizer", "lrNum", 2 ** 20 + 1, `[0, ${2 ** 20}]`],
      ["optimizer", "lrShift", 53, "[0, 52]"],
      ["optimizer", "momentumShift", -1, "[0, 52]"],
      ["optimizer", "velocityMax", 0, `[1, ${2 ** 31 - 1}]`],
      ["training", "batchSize", 0, "[1, 65536]"],
      ["training", "batchSize", 65537, "[1, 65536]"],
      ["data", "count", 0, `[1, ${2 ** 32 - 1}]`],
      ["data", "classes", 1, "[2, 65536]"],
    ];
    for (const [sec, key, v, range] of bad) {
      const err = expectSpecError(() => parseSpec(mutated((r) => { r[sec][key] = v; })), `${sec}.${key}`);
      expect(err.message).to.include(`must be in ${range}, got ${v}`);
    }
  });

  it("rejects a seed or data root that is not 64 lowercase hex characters", () => {
    const bad = ["AB".repeat(32), "ab".repeat(31), "ab".repeat(33), `0x${"ab".repeat(32)}`, `0x${"ab".repeat(31)}`, "zz".repeat(32), 42];
    for (const v of bad) {
      rejects((r) => { r.training.seed = v; }, "training.seed", /64 lowercase hex/);
      rejects((r) => { r.data.root = v; }, "data.root", /64 lowercase hex/);
    }
  });

  it("rejects too few or too many layers, or layers that are not an array", () => {
    rejects((r) => { r.model.layers = [6]; r.data.classes = 6; }, "model.layers", /2 to 16/);
    rejects((r) => { r.model.layers = []; }, "model.layers", /2 to 16/);
    rejects((r) => { r.model.layers = [6, ...Array.from({ length: 15 }, () => 4), 3]; }, "model.layers", /2 to 16/);
    rejects((r) => { r.model.layers = "6,8,3"; }, "model.layers");
  });

  it("rejects a layer width of 0, a fractional or a too large width, naming the layer's index", () => {
    rejects((r) => { r.model.layers = [6, 0, 3]; }, "model.layers[1]", /\[1, 65536\], got 0/);
    rejects((r) => { r.model.layers = [6, 8, 2.5, 3]; }, "model.layers[2]");
    rejects((r) => { r.model.layers = [6, 65537, 3]; }, "model.layers[1]");
    rejects((r) => { r.model.layers = [6, "8", 3]; }, "model.layers[1]");
  });

  it("rejects an input width that differs from data.features and an output width that differs from data.classes", () => {
    rejects((r) => { r.model.layers = [7, 8, 3]; }, "model.layers[0]", /input width 7 differs from the dataset's 6 features/);
    rejects((r) => { r.data.features = 7; }, "model.layers[0]");
    rejects((r) => { r.model.layers = [6, 8, 4]; }, "model.layers[2]", /output width 4 differs from the dataset's 3 classes/);
    rejects((r) => { r.model.layers = [6, 8, 8, 4]; }, "model.layers[3]");
    rejects((r) => { r.data.classes = 10; }, "model.layers[2]");
  });

  it("rejects momentum >= 1 (momentumNum >= 2^momentumShift)", () => {
    rejects((r) => { r.optimizer.momentumNum = 8; r.optimizer.momentumShift = 3; }, "optimizer.momentumNum", /momentum must be < 1/);
    rejects((r) => { r.optimizer.momentumNum = 9; r.optimizer.momentumShift = 3; }, "optimizer.momentumNum", /momentum must be < 1/);
    rejects((r) => { r.optimizer.momentumNum = 1; r.optimizer.momentumShift = 0; }, "optimizer.momentumNum", /momentum must be < 1/);
  });

  it("makeSpec validates too (it is parseSpec on the merged object)", () => {
    expectSpecError(() => makeSpec({ layers: [6, 8, 3], seed: "01".repeat(32), data: DATA, quant: { actMax: 0 } }), "quant.actMax");
    expectSpecError(() => makeSpec({ layers: [6, 8, 3], seed: "01".repeat(32), data: DATA, optimizer: { momentumNum: 8 } }), "optimizer.momentumNum");
  });
});

describe("buildStepGraph exactness bound", () => {
  it("builds the base spec's graph with every op's bound below 2^53", () => {
    const g = buildStepGraph(base);
    expect(g.ops.length).to.be.greaterThan(10);
    for (const op of g.ops) expect(op.exactBound).to.be.lessThan(MAX_EXACT);
  });

  it("throws SpecError(field 'quant') when huge weight/master/activation widths make an op exceed 2^53", () => {
    const wide = makeSpec({
      layers: [6, 4096, 4096, 4096, 3], batchSize: 4, seed: "01".repeat(32), data: DATA,
      quant: { masterMax: 2 ** 31 - 1, weightShift: 0, weightMax: 2 ** 31 - 1, actShift: 0, actMax: 2 ** 31 - 1 },
    });
    const err = expectSpecError(() => buildStepGraph(wide), "quant");
    expect(err.message).to.match(/beyond exact integer arithmetic \(2\^53\)/);
    expect(err.details.bound as number).to.be.at.least(MAX_EXACT);
  });

  it("throws when only the input matmul overflows (inputMax 255 x weightMax 2^31-1 x 65536 features)", () => {
    const data = { ...DATA, features: 65536 };
    const s = makeSpec({
      layers: [65536, 2, 3], batchSize: 1, seed: "01".repeat(32), data,
      quant: { inputShift: 0, inputMax: 255, masterMax: 2 ** 31 - 1, weightShift: 0, weightMax: 2 ** 31 - 1 },
    });
    const err = expectSpecError(() => buildStepGraph(s), "quant");
    expect(err.details.op).to.equal("l0.z");
  });
});

describe("specHash and canonicalSpecJson", () => {
  it("is a stable 64-hex-char hash: equal for equal specs built separately", () => {
    const h = specHash(base);
    expect(h).to.match(/^[0-9a-f]{64}$/);
    expect(specHash(parseSpec(raw()))).to.equal(h);
    expect(specHash(makeSpec({ layers: [6, 8, 3], batchSize: 4, seed: "01".repeat(32), data: { ...DATA } }))).to.equal(h);
  });

  it("changes when any single field changes", () => {
    const changes: [string, (r: Raw) => void][] = [
      ["hidden width", (r) => { r.model.layers[1] = 9; }],
      ["extra layer", (r) => { r.model.layers = [6, 8, 8, 3]; }],
      ["quant.actShift", (r) => { r.quant.actShift += 1; }],
      ["quant.targetOne", (r) => { r.quant.targetOne -= 1; }],
      ["optimizer.lrNum", (r) => { r.optimizer.lrNum += 1; }],
      ["optimizer.momentumNum", (r) => { r.optimizer.momentumNum = 1; }],
      ["training.batchSize", (r) => { r.training.batchSize = 5; }],
      ["training.seed", (r) => { r.training.seed = "02" + "01".repeat(31); }],
      ["data.root", (r) => { r.data.root = "ab".repeat(31) + "ac"; }],
      ["data.count", (r) => { r.data.count = 13; }],
    ];
    const seen = new Map<string, string>([[specHash(base), "base"]]);
    for (const [what, f] of changes) {
      const h = specHash(parseSpec(mutated(f)));
      expect(seen.has(h), `${what} collides with ${seen.get(h)}`).to.equal(false);
      seen.set(h, what);
    }
  });

  it("canonicalSpecJson is compact JSON in parseSpec's key order, whatever the input's key order", () => {
    const canon = canonicalSpecJson(base);
    expect(canon).to.match(/^\{"version":1,"model":\{"layers":\[6,8,3\]\},"quant":\{"inputShift":/);
    expect(canon).to.not.match(/\s/);
    const reversed = reverseKeys(raw()) as TrainingSpec;
    expect(JSON.stringify(reversed)).to.not.equal(JSON.stringify(raw())); // the input really is reordered
    expect(canonicalSpecJson(reversed)).to.equal(canon);
    expect(specHash(reversed)).to.equal(specHash(base));
  });

  it("canonicalSpecJson ignores any permutation of keys in any section (property)", () => {
    const canon = canonicalSpecJson(base);
    const sections = ["quant", "optimizer", "training", "data"] as const;
    fc.assert(
      fc.property(
        fc.shuffledSubarray(["version", "model", ...sections], { minLength: 6, maxLength: 6 }),
        fc.shuffledSubarray(Object.keys(base.quant), { minLength: 14, maxLength: 14 }),
        fc.shuffledSubarray(Object.keys(base.optimizer), { minLength: 6, maxLength: 6 }),
        (top, qKeys, oKeys) => {
          const r = raw();
          const q = Object.fromEntries(qKeys.map((k) => [k, r.quant[k]]));
          const o = Object.fromEntries(oKeys.map((k) => [k, r.optimizer[k]]));
          const withSections: Raw = { ...r, quant: q, optimizer: o };
          const shuffled = Object.fromEntries(top.map((k) => [k, withSections[k]]));
          expect(canonicalSpecJson(shuffled as unknown as TrainingSpec)).to.equal(canon);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it("canonicalSpecJson and specHash re-validate (an invalid object cannot be hashed)", () => {
    expectSpecError(() => specHash(mutated((r) => { r.quant.inputShift = 99; }) as TrainingSpec), "quant.inputShift");
    expectSpecError(() => canonicalSpecJson(mutated((r) => { r.bogus = 1; }) as TrainingSpec), "bogus");
  });
});
