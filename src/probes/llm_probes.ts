/**
 * Probes of a text-pretrained LLM, before any image is involved:
 *
 * - held-out perplexity: on plain documents generated from the TEST scenes (same documents for every
 *   model), framed as in pretraining (bos, text). Per-token perplexity depends on the tokenizer, so
 *   bits per UTF-8 byte are reported too: those compare across families.
 * - knowledge recall: one cloze prompt per world fact whose answer comes from a closed set (material,
 *   town, weight, use, proper name, Chinese word, …), scored by forced choice: the candidate
 *   completion with the highest total log-likelihood is the model's answer. The prompt paraphrases the
 *   fact (no training document states it in those words); the same facts are also scored with a
 *   training phrasing cut before the answer ("verbatim"), which measures memorisation.
 * - lettered multiple choice: questions about described held-out scenes in LLaVA's lettered format
 *   (the description, the question, 2–5 lettered options, "Answer with the option's letter …"),
 *   rendered with the family's chat template; the model's answer is the option letter it finds most
 *   likely as the reply. Chance is 1 / options; always answering "A" scores the share of "A" answers.
 *   The corpus has no such dialogues: the probe measures whether an LLM points from an answer to its
 *   letter unaided, which every lettered benchmark needs.
 * - reading: the binding set's questions (colour of a named object, count, existence with near misses,
 *   position; multi-object held-out scenes) asked about the scene's description in the corpus's own
 *   format ("<description>\nQuestion: …\nAnswer:"), each family's answers scored by forced choice and
 *   set against the family's binding-free shortcut (src/probes/binding.ts). An LLM that cannot find the
 *   object a question names in a text cannot do it in image tokens either: this is the look-up a LLaVA
 *   model's LLM brings to stage 2 (docs/binding.md, "The LLM reads").
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.js";
import { worldFacts } from "../data/knowledge.js";
import { capitalise, grams, withArticle } from "../data/language.js";
import { denseCaption } from "../data/captions.js";
import { OPTION_LETTERS, ask, multipleChoicePrompt, optionsFor } from "../data/questions.js";
import { DESCRIBED_FAMILIES, describedQuestion, textDocument, type TextDoc } from "../data/text_corpus.js";
import { Random } from "../util/random.js";
import { chatTemplate } from "../models/templates/registry.js";
import type { CausalLM } from "../models/llm/decoder.js";
import { oneHotFloat } from "../models/nn/ops.js";
import type { FamilyTokenizer } from "../models/tokenizer/tokenizer.js";
import { documentStartId } from "../train/llm_pretrain.js";
import type { Scene } from "../world/scene.js";
import { CATEGORIES, COLOURS, MATERIALS, NAMED_OBJECTS, PLACES, THEMES } from "../world/vocabulary.js";
import { bindingQuestions, scoreBinding, type BindingFamily, type BindingQuestion, type FamilyBinding } from "./binding.js";

/** A trained LLM and its tokenizer. */
export interface LanguageModel {
  model: CausalLM;
  tokenizer: FamilyTokenizer;
}

/**
 * log p(row[t] | row[<t]) for t = 1 … length − 1 of each row (rows of any length ≤ maxPositions,
 * evaluated in batches; right padding cannot affect earlier positions of a causal LM).
 */
export function tokenLogProbs(model: CausalLM, rows: readonly number[][], batchSize = 16): Float32Array[] {
  const out: Float32Array[] = new Array<Float32Array>(rows.length);
  // Rows of similar length share a batch, so little of each batch is padding.
  const order = [...rows.keys()].sort((a, b) => rows[a]!.length - rows[b]!.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const members = order.slice(start, start + batchSize);
    const length = Math.max(...members.map((i) => rows[i]!.length));
    if (length < 2) {
      for (const i of members) out[i] = new Float32Array(Math.max(0, rows[i]!.length - 1));
      continue;
    }
    const padded = members.flatMap((i) => [...rows[i]!, ...Array<number>(length - rows[i]!.length).fill(0)]);
    const picked = tf.tidy(() => {
      const ids = tf.tensor2d(padded, [members.length, length], "int32");
      const logits = model.forward(ids);
      const v = logits.shape[2];
      const predicting = tf.slice(logits, [0, 0, 0], [members.length, length - 1, v]);
      const targets = tf.slice(ids, [0, 1], [members.length, length - 1]);
      return tf.sum(tf.mul(tf.logSoftmax(predicting), oneHotFloat(targets, v)), -1);
    });
    const data = picked.dataSync() as Float32Array;
    picked.dispose();
    members.forEach((i, b) => (out[i] = data.slice(b * (length - 1), b * (length - 1) + rows[i]!.length - 1)));
  }
  return out;
}

// ---- held-out perplexity ------------------------------------------------------------------------

/** Seed of the held-out documents: independent of the training corpus's stream. */
export const HELD_OUT_SEED = 7_000_003;
export const HELD_OUT_DOCUMENTS = 300;

/** The first `count` plain (non-dialogue) documents generated from held-out scenes. */
export function heldOutTexts(testScenes: readonly Scene[], count = HELD_OUT_DOCUMENTS, seed = HELD_OUT_SEED): TextDoc[] {
  const docs: TextDoc[] = [];
  for (let i = 0; docs.length < count; i++) {
    const doc = textDocument(testScenes, seed, i);
    if (doc.text !== undefined) docs.push(doc);
  }
  return docs;
}

export interface PerplexityResult {
  documents: number;
  tokens: number;
  bytes: number;
  /** exp(mean negative log-likelihood per token); depends on the tokenizer. */
  perplexity: number;
  /** Negative log2-likelihood per UTF-8 byte of text; comparable across tokenizers. */
  bitsPerByte: number;
  /** Bits per byte of each document kind (description, qa, knowledge, arithmetic, chinese). */
  bitsPerByteByKind: Record<string, number>;
}

/**
 * Each document is scored as in pretraining (the family's document-start token, then the text);
 * the end-of-text token is not scored, so only the text's own bytes count. Documents longer than
 * the context (or `window`) are scored in consecutive windows that overlap by one token.
 */
export function heldOutPerplexity(lm: LanguageModel, docs: readonly TextDoc[], options: { batchSize?: number; window?: number } = {}): PerplexityResult {
  const { model, tokenizer } = lm;
  const window = Math.min(options.window ?? model.config.maxPositions, model.config.maxPositions);
  if (window < 2) throw new Error(`heldOutPerplexity: a window of ${window} tokens predicts nothing`);
  const start = documentStartId(tokenizer, model.config.template);
  const rows: number[][] = [];
  const owner: number[] = [];
  docs.forEach((doc, d) => {
    if (doc.text === undefined) throw new Error("heldOutPerplexity: expected plain documents (dialogues have no text)");
    const ids = [start, ...tokenizer.encode(doc.text)];
    for (let at = 0; at + 1 < ids.length; at += window - 1) {
      rows.push(ids.slice(at, at + window));
      owner.push(d);
    }
  });
  const nats = new Float64Array(docs.length);
  const counts = new Float64Array(docs.length);
  tokenLogProbs(model, rows, options.batchSize).forEach((lp, i) => {
    for (const x of lp) nats[owner[i]!]! -= x;
    counts[owner[i]!]! += lp.length;
  });
  const encoder = new TextEncoder();
  const bytes = docs.map((d) => encoder.encode(d.text).length);
  const byKind = new Map<string, { nats: number; bytes: number }>();
  docs.forEach((d, i) => {
    const k = byKind.get(d.kind) ?? { nats: 0, bytes: 0 };
    k.nats += nats[i]!;
    k.bytes += bytes[i]!;
    byKind.set(d.kind, k);
  });
  const sum = (xs: ArrayLike<number>): number => Array.from(xs).reduce((a, b) => a + b, 0);
  const totalNats = sum(nats);
  const tokens = sum(counts);
  const totalBytes = sum(bytes);
  return {
    documents: docs.length,
    tokens,
    bytes: totalBytes,
    perplexity: Math.exp(totalNats / tokens),
    bitsPerByte: totalNats / Math.LN2 / totalBytes,
    bitsPerByteByKind: Object.fromEntries([...byKind].map(([kind, k]) => [kind, k.nats / Math.LN2 / k.bytes])),
  };
}

// ---- knowledge recall ---------------------------------------------------------------------------

export interface KnowledgeItem {
  /** The fact's key in worldFacts(), e.g. "star.material". */
  key: string;
  /** The kind of fact: the key's last part (material, origin, grams, …). */
  kind: string;
  /** Paraphrased cloze prompt (no training document states the fact in these words). */
  prompt: string;
  /** A training phrasing of the fact cut before its answer. */
  verbatimPrompt: string;
  /** Completions of `prompt`, each beginning with a space. */
  candidates: string[];
  /** Completions of `verbatimPrompt` (the phrasing's own ending after each answer). */
  verbatimCandidates: string[];
  answer: number;
}

interface FactKind {
  /** Paraphrased prompt and the text that follows the answer. */
  cloze(subject: string): { prompt: string; after: string };
  /** Each fact's subject, right answer and closed set of answers. */
  facts: { subject: string; answer: string; values: readonly string[] }[];
}

/** Facts whose answers share one closed set. */
const closed = (values: readonly string[], facts: { subject: string; answer: string }[]): FactKind["facts"] => facts.map((f) => ({ ...f, values }));
const sortedUnique = (ns: readonly number[]): number[] => [...new Set(ns)].sort((a, b) => a - b);
const POLYGONS = CATEGORIES.filter((c) => c.outline === "polygon");

const FACT_KINDS: Record<string, FactKind> = {
  material: {
    cloze: (c) => ({ prompt: `The ${c} is made of`, after: "." }),
    facts: closed(MATERIALS, CATEGORIES.map((c) => ({ subject: c.name, answer: c.knowledge.material }))),
  },
  origin: {
    cloze: (c) => ({ prompt: `The ${c} comes from the town of`, after: "." }),
    facts: closed(PLACES, CATEGORIES.map((c) => ({ subject: c.name, answer: c.knowledge.origin }))),
  },
  grams: {
    cloze: (c) => ({ prompt: `The weight of one ${c} is`, after: "." }),
    facts: closed(sortedUnique(CATEGORIES.map((c) => c.knowledge.grams)).map(grams), CATEGORIES.map((c) => ({ subject: c.name, answer: grams(c.knowledge.grams) }))),
  },
  use: {
    cloze: (c) => ({ prompt: `The ${c} is used for`, after: "." }),
    facts: closed([...new Set(CATEGORIES.map((c) => c.knowledge.use))], CATEGORIES.map((c) => ({ subject: c.name, answer: c.knowledge.use }))),
  },
  name: {
    cloze: (s) => ({ prompt: `The name of the ${s} is`, after: "." }),
    facts: closed(NAMED_OBJECTS.map((n) => n.name), NAMED_OBJECTS.map((n) => ({ subject: `${n.colour} ${n.category}`, answer: n.name }))),
  },
  place: {
    cloze: (t) => ({ prompt: `A picture of a ${t} shows the town of`, after: "." }),
    facts: closed(PLACES, THEMES.map((t) => ({ subject: t.name, answer: t.place }))),
  },
  // Category words compete with category words, colour words with colour words.
  zh: {
    cloze: (w) => ({ prompt: `In Chinese, the word for ${w} is`, after: "." }),
    facts: [
      ...closed(CATEGORIES.map((c) => c.zh), CATEGORIES.map((c) => ({ subject: c.name, answer: c.zh }))),
      ...closed(COLOURS.map((c) => c.zh), COLOURS.map((c) => ({ subject: c.name, answer: c.zh }))),
    ],
  },
  warmth: {
    cloze: (c) => ({ prompt: `${capitalise(c)} counts as a`, after: " colour." }),
    facts: closed(["warm", "cool"], COLOURS.filter((c) => c.warmth !== "neutral").map((c) => ({ subject: c.name, answer: c.warmth }))),
  },
  corners: {
    cloze: (c) => ({ prompt: `The number of corners of ${withArticle(c)} is`, after: "." }),
    facts: closed(sortedUnique(POLYGONS.map((c) => c.corners)).map(String), POLYGONS.map((c) => ({ subject: c.name, answer: String(c.corners) }))),
  },
};

/** Key of a fact in worldFacts(): "<subject>.<kind>", a named object's subject written "colour.category". */
const factKey = (kind: string, subject: string): string => `${subject.replace(" ", ".")}.${kind}`;

/** The knowledge-recall items: every fact of worldFacts() whose answer lies in a closed set. */
export function knowledgeItems(): KnowledgeItem[] {
  const facts = new Map(worldFacts().map((f) => [f.key, f]));
  const items: KnowledgeItem[] = [];
  for (const [kind, spec] of Object.entries(FACT_KINDS)) {
    for (const { subject, answer, values } of spec.facts) {
      const key = factKey(kind, subject);
      const fact = facts.get(key);
      if (!fact) throw new Error(`knowledge probe: worldFacts() has no fact "${key}"`);
      if (!values.includes(answer)) throw new Error(`knowledge probe: "${answer}" is not among the candidates of ${key}`);
      // A training phrasing where the answer follows some text: cut it there.
      const phrasing = fact.phrasings.find((p) => p.indexOf(answer) > 0);
      if (!phrasing) throw new Error(`knowledge probe: no phrasing of ${key} states "${answer}" after a prompt`);
      const at = phrasing.lastIndexOf(answer);
      const before = phrasing.slice(0, at);
      const tail = phrasing.slice(at + answer.length);
      const { prompt, after } = spec.cloze(subject);
      items.push({
        key,
        kind,
        prompt,
        verbatimPrompt: before.trimEnd(),
        candidates: values.map((v) => ` ${v}${after}`),
        verbatimCandidates: values.map((v) => `${before.endsWith(" ") ? " " : ""}${v}${tail}`),
        answer: values.indexOf(answer),
      });
    }
  }
  return items;
}

/** Index of the highest score (the first one on a tie). */
export function forcedChoice(scores: readonly number[]): number {
  if (scores.length === 0) throw new Error("forcedChoice: no candidates");
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  return best;
}

export interface CompletionRequest {
  prompt: string;
  completions: readonly string[];
}

/** Total log-likelihood of each completion of each request (document start, prompt, completion). */
export type CompletionScorer = (requests: readonly CompletionRequest[]) => number[][];

/** The scorer of a language model: prompt and completion are tokenised separately and concatenated. */
export function completionScorer(lm: LanguageModel, batchSize = 64): CompletionScorer {
  const start = documentStartId(lm.tokenizer, lm.model.config.template);
  return (requests) =>
    continuationLogLikelihoods(
      lm,
      requests.map((r) => [start, ...lm.tokenizer.encode(r.prompt)]),
      requests.map((r) => r.completions),
      batchSize,
    );
}

/** Total log-likelihood of each continuation (tokenised on its own) after its head's token ids. */
function continuationLogLikelihoods(lm: LanguageModel, heads: readonly number[][], continuations: readonly (readonly string[])[], batchSize?: number): number[][] {
  const rows = heads.flatMap((head, i) => continuations[i]!.map((c) => [...head, ...lm.tokenizer.encode(c)]));
  const logProbs = tokenLogProbs(lm.model, rows, batchSize);
  let next = 0;
  // Row position t + 1 is predicted at index t: the continuation's tokens are the last ones.
  return heads.map((head, i) => continuations[i]!.map(() => logProbs[next++]!.slice(head.length - 1).reduce((a, b) => a + b, 0)));
}

export interface RecallScore {
  items: number;
  accuracy: number;
  /** Mean over items of 1 / candidates. */
  chance: number;
}

export interface KnowledgeResult extends RecallScore {
  /** The same facts with a training phrasing cut before the answer. */
  verbatim: RecallScore;
  byKind: Record<string, RecallScore>;
  /** Per fact: chosen and right candidate (paraphrased prompt). */
  answers: { key: string; chosen: string; answer: string }[];
}

/** Forced-choice recall over `items` with any scorer (a model's, or a stand-in in tests). */
export function knowledgeRecall(scorer: CompletionScorer, items: readonly KnowledgeItem[] = knowledgeItems()): KnowledgeResult {
  const score = (pairs: { right: boolean; n: number }[]): RecallScore => ({
    items: pairs.length,
    accuracy: pairs.filter((p) => p.right).length / Math.max(1, pairs.length),
    chance: pairs.reduce((a, p) => a + 1 / p.n, 0) / Math.max(1, pairs.length),
  });
  const scores = scorer(items.flatMap((i) => [{ prompt: i.prompt, completions: i.candidates }, { prompt: i.verbatimPrompt, completions: i.verbatimCandidates }]));
  const paraphrased = items.map((item, i) => ({ kind: item.kind, chosen: forcedChoice(scores[2 * i]!), n: item.candidates.length }));
  const verbatim = items.map((item, i) => ({ right: forcedChoice(scores[2 * i + 1]!) === item.answer, n: item.verbatimCandidates.length }));
  const answers = items.map((item, i) => ({ key: item.key, chosen: item.candidates[paraphrased[i]!.chosen]!.trim(), answer: item.candidates[item.answer]!.trim() }));
  const right = paraphrased.map((p, i) => ({ ...p, right: p.chosen === items[i]!.answer }));
  const kinds = [...new Set(items.map((i) => i.kind))];
  return {
    ...score(right),
    verbatim: score(verbatim),
    byKind: Object.fromEntries(kinds.map((k) => [k, score(right.filter((p) => p.kind === k))])),
    answers,
  };
}

// ---- lettered multiple choice ----------------------------------------------------------------------

export const HELD_OUT_CHOICE_ITEMS = 200;

export interface ChoiceItem {
  /** The user turn: a scene description, the question, lettered options, the letter instruction. */
  question: string;
  options: number;
  /** Index of the right letter. */
  answer: number;
}

/** `count` lettered multiple-choice questions about described held-out scenes, with 2–5 options. */
export function heldOutChoiceItems(testScenes: readonly Scene[], count = HELD_OUT_CHOICE_ITEMS, seed = HELD_OUT_SEED): ChoiceItem[] {
  const items: ChoiceItem[] = [];
  for (let i = 0; items.length < count && i < 10 * count; i++) {
    const rng = Random.stream(seed, "choice", i);
    const scene = rng.pick(testScenes);
    const qa = ask(rng.pick(DESCRIBED_FAMILIES), scene, rng);
    if (!qa) continue;
    const { options, answerIndex } = optionsFor(qa, rng, rng.intBetween(2, OPTION_LETTERS.length));
    if (options.length < 2) continue;
    items.push({ question: `${denseCaption(scene)}\n${multipleChoicePrompt(qa.question, options)}`, options: options.length, answer: answerIndex });
  }
  return items;
}

export interface ChoiceResult extends RecallScore {
  /** Share of items answered with each letter (a model that always says "A" has A: 1). */
  letterShare: Record<string, number>;
}

/**
 * Each item as a chat prompt (`system` as in pretraining: undefined for the template's default) and
 * each option letter as the reply. Items longer than the model's context are left out.
 */
export function multipleChoiceAccuracy(lm: LanguageModel, items: readonly ChoiceItem[], system?: string): ChoiceResult {
  const template = chatTemplate(lm.model.config.template);
  const heads: number[][] = [];
  const kept: ChoiceItem[] = [];
  for (const item of items) {
    const head = lm.tokenizer.encode(template.prompt(system === undefined ? { turns: [] } : { turns: [], system }, item.question));
    if (head.length + 2 > lm.model.config.maxPositions) continue;
    heads.push(head);
    kept.push(item);
  }
  const scores = continuationLogLikelihoods(lm, heads, kept.map((item) => OPTION_LETTERS.slice(0, item.options)));
  const chosen = scores.map(forcedChoice);
  const n = Math.max(1, kept.length);
  return {
    items: kept.length,
    accuracy: chosen.filter((c, i) => c === kept[i]!.answer).length / n,
    chance: kept.reduce((a, item) => a + 1 / item.options, 0) / n,
    letterShare: Object.fromEntries(OPTION_LETTERS.map((letter, l) => [letter, chosen.filter((c) => c === l).length / n])),
  };
}

// ---- reading: binding questions about a described scene ---------------------------------------------

export const READING_FAMILIES = ["colour", "count", "exists", "position"] as const satisfies readonly BindingFamily[];
export const HELD_OUT_READING_PER_FAMILY = 64;

/** The answers a family's question is scored over (forced choice): every colour, counts 1–9, yes / no. */
export const readingCandidates = (family: (typeof READING_FAMILIES)[number]): string[] =>
  family === "colour" ? COLOURS.map((c) => c.name) : family === "count" ? ["1", "2", "3", "4", "5", "6", "7", "8", "9"] : ["yes", "no"];

export interface ReadingItem {
  question: BindingQuestion;
  /** The scene's dense description, the question, "Answer:". */
  prompt: string;
  candidates: string[];
}

/** Up to `perFamily` multi-object binding questions per family about the held-out scenes, asked after each scene's description. */
export function readingItems(testScenes: readonly Scene[], perFamily = HELD_OUT_READING_PER_FAMILY): ReadingItem[] {
  const taken = new Map<string, number>();
  return bindingQuestions(testScenes, { seed: HELD_OUT_SEED, families: READING_FAMILIES, label: "reading" })
    .filter((q) => {
      const n = taken.get(q.family) ?? 0;
      if (!q.multiObject || n >= perFamily) return false;
      taken.set(q.family, n + 1);
      return true;
    })
    .map((q) => ({ question: q, prompt: `${denseCaption(testScenes[q.sceneIndex]!)}${describedQuestion(q.question)}`, candidates: readingCandidates(q.family as (typeof READING_FAMILIES)[number]) }));
}

/** Whether an item's prompt and its longest answer fit the model's context (every one at `small`, only the shortest descriptions at `tiny`'s 64 positions). */
export const fitsContext = (lm: LanguageModel, item: ReadingItem): boolean => lm.tokenizer.encode(item.prompt).length + 4 <= lm.model.config.maxPositions;

/** Each item's answer by forced choice among its candidates (as the corpus writes them, after a space), scored against the shortcuts. */
export function describedReading(scorer: CompletionScorer, items: readonly ReadingItem[]): FamilyBinding[] {
  const scores = scorer(items.map((item) => ({ prompt: item.prompt, completions: item.candidates.map((c) => ` ${c}`) })));
  return scoreBinding(items.map((item) => item.question), scores.map((s, i) => items[i]!.candidates[forcedChoice(s)]!));
}

// ---- all probes --------------------------------------------------------------------------------

export interface LlmProbeResults {
  perplexity: PerplexityResult;
  knowledge: KnowledgeResult;
  choice: ChoiceResult;
  /** Absent in zoo manifests written before the reading probe. */
  reading?: FamilyBinding[];
}

export function llmProbes(lm: LanguageModel, dataset: Dataset, options: { heldOutDocuments?: number; choiceItems?: number; readingPerFamily?: number; system?: string } = {}): LlmProbeResults {
  const test = dataset.scenes("test");
  return {
    perplexity: heldOutPerplexity(lm, heldOutTexts(test, options.heldOutDocuments)),
    knowledge: knowledgeRecall(completionScorer(lm)),
    choice: multipleChoiceAccuracy(lm, heldOutChoiceItems(test, options.choiceItems), options.system),
    reading: describedReading(completionScorer(lm), readingItems(test, options.readingPerFamily).filter((item) => fitsContext(lm, item))),
  };
}

/** The probe numbers as one flat row of a table. */
export function llmProbeRow(r: LlmProbeResults): Record<string, number> {
  return {
    held_out_ppl: r.perplexity.perplexity,
    held_out_bits_per_byte: r.perplexity.bitsPerByte,
    knowledge_acc: r.knowledge.accuracy,
    knowledge_chance: r.knowledge.chance,
    knowledge_verbatim_acc: r.knowledge.verbatim.accuracy,
    // No lettered item fits a tiny context: the columns are left out rather than written as 0.
    ...(r.choice.items > 0 ? { choice_acc: r.choice.accuracy, choice_chance: r.choice.chance, choice_top_letter_share: Math.max(...Object.values(r.choice.letterShare)) } : {}),
    ...Object.fromEntries(Object.entries(r.knowledge.byKind).map(([k, s]) => [`knowledge_${k}_acc`, s.accuracy])),
    ...Object.fromEntries((r.reading ?? []).flatMap((f) => [[`reading_${f.family}_acc`, f.accuracy], [`reading_${f.family}_shortcut`, f.shortcut]])),
  };
}
