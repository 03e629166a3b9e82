import type { Dataset } from "../engine/batch.ts";
import { DatasetError } from "../engine/errors.ts";

/**
 * A character-level language-model corpus from a word list (e.g. first names): each word becomes len + 1
 * examples "the previous `context` characters -> the next one", padded on the left with the boundary token
 * and ending with it (so a model learns where words end). Pure: words in, datasets out.
 *
 * - Words are trimmed and lower-cased; empty ones dropped; duplicates removed; sorted by code point. Inner
 *   spaces, hyphens and apostrophes are characters ("jo ann", "ann-marie", "d'arcy").
 * - Vocabulary: the boundary "." at index 0, then every character of the words in code-point order.
 * - Held-out split, by word (never a word in both): every `heldOutEvery`-th word of the sorted list
 *   (index % heldOutEvery == heldOutEvery - 1), as MNIST's every sixth example.
 * - The examples are an engine Dataset: `features` = context, the "pixels" are character indices (the step's
 *   input quantization must be the identity: inputShift 0, inputMax = vocab size - 1), labels the next index.
 */
export const BOUNDARY = ".";

export interface CharCorpusOptions {
  readonly context: number;
  /** Every n-th word is held out (default 10). */
  readonly heldOutEvery?: number;
}

export interface CharCorpus {
  /** Index -> character; index 0 is the boundary. */
  readonly vocab: readonly string[];
  readonly context: number;
  readonly trainWords: readonly string[];
  readonly heldOutWords: readonly string[];
  readonly train: Dataset;
  readonly heldOut: Dataset;
}

/** Trimmed, lower-cased, deduplicated, sorted words; rejects a word holding the boundary or a control character. */
export function normalizeWords(words: readonly string[]): string[] {
  const out = new Set<string>();
  for (const [i, raw] of words.entries()) {
    if (typeof raw !== "string") throw new DatasetError(`word ${i} is not a string`);
    const w = raw.trim().toLowerCase();
    if (w === "") continue;
    // A space inside a word is a character like any other ("jo ann"); line breaks, tabs and other
    // control characters are not (they would come from a mis-split list).
    if (w.includes(BOUNDARY) || /[\p{Cc}\p{Zl}\p{Zp}]/u.test(w)) {
      throw new DatasetError(`word ${i} ${JSON.stringify(raw)} contains "${BOUNDARY}" (the boundary token) or a control character`);
    }
    out.add(w);
  }
  return [...out].sort();
}

/** The boundary, then each distinct character of the words (by code point), at most 256 (byte indices). */
export function buildVocab(words: readonly string[]): string[] {
  const chars = new Set<string>();
  for (const w of words) for (const c of w) chars.add(c);
  const vocab = [BOUNDARY, ...[...chars].sort()];
  if (vocab.length > 256) throw new DatasetError(`the words use ${vocab.length - 1} distinct characters; a byte index allows 255`);
  return vocab;
}

/** The examples of `words` as a Dataset: x = `context` previous character indices, label = the next. */
export function charWindows(words: readonly string[], vocab: readonly string[], context: number): Dataset {
  if (!Number.isInteger(context) || context < 1 || context > 64) throw new DatasetError(`context must be an integer in [1, 64], got ${context}`);
  const index = new Map(vocab.map((c, i) => [c, i]));
  let count = 0;
  for (const w of words) count += [...w].length + 1;
  const pixels = new Uint8Array(count * context), labels = new Uint8Array(count);
  let e = 0;
  for (const w of words) {
    const ids = [...w].map((c) => {
      const k = index.get(c);
      if (k === undefined) throw new DatasetError(`character ${JSON.stringify(c)} of ${JSON.stringify(w)} is not in the vocabulary`);
      return k;
    });
    ids.push(0); // the word's end
    const window = new Array<number>(context).fill(0);
    for (const next of ids) {
      pixels.set(window, e * context);
      labels[e++] = next;
      window.shift();
      window.push(next);
    }
  }
  return { count, features: context, classes: vocab.length, pixels, labels };
}

export function charCorpus(words: readonly string[], options: CharCorpusOptions): CharCorpus {
  const every = options.heldOutEvery ?? 10;
  if (!Number.isInteger(every) || every < 2) throw new DatasetError(`heldOutEvery must be an integer >= 2, got ${every}`);
  const all = normalizeWords(words);
  if (all.length < every) throw new DatasetError(`${all.length} distinct words: too few for a held-out split of 1 in ${every}`);
  const vocab = buildVocab(all);
  const trainWords = all.filter((_, i) => i % every !== every - 1);
  const heldOutWords = all.filter((_, i) => i % every === every - 1);
  return {
    vocab, context: options.context, trainWords, heldOutWords,
    train: charWindows(trainWords, vocab, options.context),
    heldOut: charWindows(heldOutWords, vocab, options.context),
  };
}

/**
 * Samples one word: from the all-boundary context, draw the next character from `probs(context)` (a
 * distribution over the vocabulary) until the boundary or `maxLength` characters.
 */
export function sampleWord(vocab: readonly string[], context: number, probs: (ctx: readonly number[]) => ArrayLike<number>, rand: () => number, maxLength = 24): string {
  const window = new Array<number>(context).fill(0);
  let word = "";
  for (let i = 0; i < maxLength; i++) {
    const p = probs(window);
    if (p.length !== vocab.length) throw new DatasetError(`sampleWord: ${p.length} probabilities for a vocabulary of ${vocab.length}`);
    let total = 0;
    for (let k = 0; k < p.length; k++) total += p[k]!;
    let r = rand() * total, next = p.length - 1;
    for (let k = 0; k < p.length; k++) {
      r -= p[k]!;
      if (r < 0) {
        next = k;
        break;
      }
    }
    if (next === 0) break;
    word += vocab[next];
    window.shift();
    window.push(next);
  }
  return word;
}
