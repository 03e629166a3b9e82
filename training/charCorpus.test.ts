import { describe, it } from "node:test";
import { expect } from "chai";
import { checkDataset } from "../engine/batch.ts";
import { DatasetError } from "../engine/errors.ts";
import { buildVocab, charCorpus, charWindows, normalizeWords, sampleWord } from "./charCorpus.ts";

const NAMES = ["Anna", "bob", " Carl ", "anna", "Dee", "Eve", "Flo", "Gus", "Hal", "Ida", "Jo", "Kim", "Mary-Jo"];

describe("character corpus (training/charCorpus.ts)", () => {
  it("normalizes words: trimmed, lower-cased, deduplicated, sorted; rejects the boundary and control characters; keeps inner spaces", () => {
    expect(normalizeWords(["B", " a ", "b", ""])).to.deep.equal(["a", "b"]);
    expect(() => normalizeWords(["a.b"])).to.throw(DatasetError, /boundary/);
    expect(() => normalizeWords(["a\tb"])).to.throw(DatasetError, /control character/);
    expect(() => normalizeWords(["a\nb"])).to.throw(DatasetError, /control character/);
    expect(normalizeWords(["Jo Ann", "D'Arcy", "Ann-Marie\r"])).to.deep.equal(["ann-marie", "d'arcy", "jo ann"]);
  });

  it("makes len + 1 windows per word, left-padded with the boundary, ending with it", () => {
    const vocab = buildVocab(["abc"]);
    expect(vocab).to.deep.equal([".", "a", "b", "c"]);
    const d = charWindows(["abc", "b"], vocab, 2);
    checkDataset(d);
    expect(d.count).to.equal(4 + 2);
    const rows = Array.from({ length: d.count }, (_, i) => [...d.pixels.subarray(i * 2, i * 2 + 2), d.labels[i]]);
    // ..->a, .a->b, ab->c, bc->. ; ..->b, .b->.
    expect(rows).to.deep.equal([[0, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 0], [0, 0, 2], [0, 2, 0]]);
  });

  it("splits by word, deterministically: every 10th sorted word held out, vocabulary shared", () => {
    const c = charCorpus(NAMES, { context: 3 });
    const all = normalizeWords(NAMES);
    expect(all.length).to.equal(12);
    expect(c.heldOutWords).to.deep.equal([all[9]]);
    expect(c.trainWords.length).to.equal(11);
    expect(c.trainWords).to.not.include(all[9]);
    expect(c.vocab[0]).to.equal(".");
    expect(c.vocab).to.include("-");
    expect(c.train.classes).to.equal(c.vocab.length);
    expect(c.heldOut.count).to.equal([...all[9]!].length + 1);
    // Same words in any order and case: the same corpus.
    expect(charCorpus([...NAMES].reverse().map((w) => w.toUpperCase()), { context: 3 })).to.deep.equal(c);
    expect(() => charCorpus(["a", "b"], { context: 3 })).to.throw(DatasetError, /too few/);
    expect(() => charCorpus(NAMES, { context: 0 })).to.throw(DatasetError, /context/);
  });

  it("samples words from a next-character distribution, stopping at the boundary", () => {
    const vocab = [".", "a", "b"];
    // Deterministic model: after the all-boundary context "ab", then the boundary.
    const probs = (ctx: readonly number[]) => (ctx[1] === 0 ? [0, 1, 0] : ctx[1] === 1 ? [0, 0, 1] : [1, 0, 0]);
    expect(sampleWord(vocab, 2, probs, () => 0.5)).to.equal("ab");
    expect(sampleWord(vocab, 2, () => [0, 1, 0], () => 0.5, 5)).to.equal("aaaaa");
  });
});
