/**
 * Byte-level BPE, trained here from a corpus and stored as a Hugging Face tokenizer.json (the GPT-2 /
 * LLaMA-3 scheme: ByteLevel pre-tokenizer with the GPT-2 split regex, bytes mapped to printable
 * characters, merges learned greedily by pair frequency). Encoding and decoding go through
 * @huggingface/tokenizers, so a real model's tokenizer.json loads the same way.
 */

/** The GPT-2 pre-tokenisation pattern used by Hugging Face's ByteLevel pre-tokenizer. */
export const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's bytes_to_unicode: each byte to a printable character (space becomes Ġ). */
export function byteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) map[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return map;
}

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The subset of Hugging Face's tokenizer.json this workbench writes. */
export interface TokenizerJson {
  version: "1.0";
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: null;
  pre_tokenizer: { type: "ByteLevel"; add_prefix_space: false; trim_offsets: true; use_regex: true };
  post_processor: null;
  decoder: { type: "ByteLevel"; add_prefix_space: true; trim_offsets: true; use_regex: true };
  model: {
    type: "BPE";
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: false;
    byte_fallback: false;
    ignore_merges: false;
    vocab: Record<string, number>;
    merges: [string, string][];
  };
}

export interface TrainOptions {
  /** Total vocabulary: 256 bytes + merges + special tokens. */
  vocabSize: number;
  /** Special tokens, appended after the learned vocabulary in this order. */
  specialTokens: readonly string[];
}

/** Splits text at special tokens so that their characters are never merged into ordinary tokens. */
function withoutSpecials(text: string, specials: readonly string[]): string[] {
  let parts = [text];
  for (const s of specials) parts = parts.flatMap((p) => p.split(s));
  return parts;
}

/**
 * Learns merges until the vocabulary reaches `vocabSize` (or no pair occurs twice). Ties between
 * equally frequent pairs go to the lexicographically smallest, so training is deterministic.
 */
export function trainByteLevelBpe(corpus: Iterable<string>, options: TrainOptions): TokenizerJson {
  const base = 256;
  const budget = options.vocabSize - base - options.specialTokens.length;
  if (budget < 0) throw new Error(`vocabSize ${options.vocabSize} is below the ${base} bytes plus ${options.specialTokens.length} special tokens`);
  const byteMap = byteToUnicode();
  const encoder = new TextEncoder();
  const wordCounts = new Map<string, number>();
  for (const text of corpus) {
    for (const part of withoutSpecials(text, options.specialTokens)) {
      for (const m of part.matchAll(GPT2_SPLIT)) {
        const word = Array.from(encoder.encode(m[0]), (b) => byteMap[b]!).join("");
        wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
      }
    }
  }
  const words = [...wordCounts].map(([w, count]) => ({ symbols: Array.from(w), count }));
  const vocab: Record<string, number> = {};
  byteMap.forEach((ch, b) => (vocab[ch] = b));
  const merges: [string, string][] = [];
  while (merges.length < budget) {
    const pairs = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]}\u0000${symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + count);
      }
    }
    let bestKey: string | undefined;
    let bestCount = 1;
    for (const [key, count] of pairs) {
      if (count > bestCount || (count === bestCount && bestKey !== undefined && key < bestKey)) {
        bestKey = key;
        bestCount = count;
      }
    }
    if (bestKey === undefined) break;
    const [left, right] = bestKey.split("\u0000") as [string, string];
    const merged = left + right;
    merges.push([left, right]);
    vocab[merged] = base + merges.length - 1;
    for (const w of words) {
      const s = w.symbols;
      for (let i = 0; i + 1 < s.length; i++) {
        if (s[i] === left && s[i + 1] === right) s.splice(i, 2, merged);
      }
    }
  }
  const firstSpecial = base + merges.length;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: options.specialTokens.map((content, i) => ({ id: firstSpecial + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
