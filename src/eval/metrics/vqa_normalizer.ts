/**
 * The EvalAI answer normaliser and VQA accuracy as lmms-eval applies them to TextVQA
 * (lmms_eval/tasks/_task_utils/vqa_eval_metric.py, EvalAIAnswerProcessor, itself from MMF;
 * lmms_eval/tasks/textvqa/utils.py, textvqa_process_results). The tables below are data
 * transcribed from that file; the steps are re-implemented, quirks included:
 *
 * 1. word_tokenize: lower-case, delete every "," and "?", turn "'s" into " 's", strip.
 * 2. newlines and tabs become spaces, strip.
 * 3. punctuation: each symbol of PUNCTUATION is deleted when, in the text as it entered this
 *    step, the symbol stands next to a space or a digit-comma-digit occurs anywhere; else it is
 *    replaced by a space. Quirk: step 1 already deleted every comma, so the digit-comma-digit
 *    rule never fires and "1,000" becomes "1000".
 * 4. periods: the upstream pattern `(?!<=\d)(\.)(?!\d)` has a look-ahead where a look-behind was
 *    meant, so it removes every "." not followed by a digit ("2.5" keeps its point, "two." and
 *    "a.m." lose theirs); and `re.UNICODE` is passed as the `count` argument of `sub`, so at most
 *    32 periods are removed.
 * 5. words: lower-case, split on whitespace, number words none/zero…ten to digits, articles
 *    a/an/the dropped, then the contractions table ("dont" → "don't"). Quirk: the table's keys
 *    with capitals ("Im", "Ive", "Id've") never match lower-cased words, and it maps
 *    "somebody'd" to "somebodyd" (reversed in the original).
 */

import { exactMean, pySplit, pyStrip } from "./python.js";

export const VQA_CONTRACTIONS: Readonly<Record<string, string>> = {
  aint: "ain't", arent: "aren't", cant: "can't", couldve: "could've", couldnt: "couldn't",
  "couldn'tve": "couldn't've", "couldnt've": "couldn't've", didnt: "didn't", doesnt: "doesn't",
  dont: "don't", hadnt: "hadn't", "hadnt've": "hadn't've", "hadn'tve": "hadn't've", hasnt: "hasn't",
  havent: "haven't", hed: "he'd", "hed've": "he'd've", "he'dve": "he'd've", hes: "he's",
  howd: "how'd", howll: "how'll", hows: "how's", "Id've": "I'd've", "I'dve": "I'd've", Im: "I'm",
  Ive: "I've", isnt: "isn't", itd: "it'd", "itd've": "it'd've", "it'dve": "it'd've", itll: "it'll",
  "let's": "let's", maam: "ma'am", mightnt: "mightn't", "mightnt've": "mightn't've",
  "mightn'tve": "mightn't've", mightve: "might've", mustnt: "mustn't", mustve: "must've",
  neednt: "needn't", notve: "not've", oclock: "o'clock", oughtnt: "oughtn't",
  "ow's'at": "'ow's'at", "'ows'at": "'ow's'at", "'ow'sat": "'ow's'at", shant: "shan't",
  "shed've": "she'd've", "she'dve": "she'd've", "she's": "she's", shouldve: "should've",
  shouldnt: "shouldn't", "shouldnt've": "shouldn't've", "shouldn'tve": "shouldn't've",
  "somebody'd": "somebodyd", "somebodyd've": "somebody'd've", "somebody'dve": "somebody'd've",
  somebodyll: "somebody'll", somebodys: "somebody's", someoned: "someone'd",
  "someoned've": "someone'd've", "someone'dve": "someone'd've", someonell: "someone'll",
  someones: "someone's", somethingd: "something'd", "somethingd've": "something'd've",
  "something'dve": "something'd've", somethingll: "something'll", thats: "that's",
  thered: "there'd", "thered've": "there'd've", "there'dve": "there'd've", therere: "there're",
  theres: "there's", theyd: "they'd", "theyd've": "they'd've", "they'dve": "they'd've",
  theyll: "they'll", theyre: "they're", theyve: "they've", twas: "'twas", wasnt: "wasn't",
  "wed've": "we'd've", "we'dve": "we'd've", weve: "we've", werent: "weren't", whatll: "what'll",
  whatre: "what're", whats: "what's", whatve: "what've", whens: "when's", whered: "where'd",
  wheres: "where's", whereve: "where've", whod: "who'd", "whod've": "who'd've",
  "who'dve": "who'd've", wholl: "who'll", whos: "who's", whove: "who've", whyll: "why'll",
  whyre: "why're", whys: "why's", wont: "won't", wouldve: "would've", wouldnt: "wouldn't",
  "wouldnt've": "wouldn't've", "wouldn'tve": "wouldn't've", yall: "y'all", "yall'll": "y'all'll",
  "y'allll": "y'all'll", "yall'd've": "y'all'd've", "y'alld've": "y'all'd've",
  "y'all'dve": "y'all'd've", youd: "you'd", "youd've": "you'd've", "you'dve": "you'd've",
  youll: "you'll", youre: "you're", youve: "you've",
};

export const VQA_NUMBER_WORDS: Readonly<Record<string, string>> = {
  none: "0", zero: "0", one: "1", two: "2", three: "3", four: "4", five: "5",
  six: "6", seven: "7", eight: "8", nine: "9", ten: "10",
};

export const VQA_ARTICLES: readonly string[] = ["a", "an", "the"];

/** In upstream order; "." is handled separately, and ' : * # $ % & ^ | ~ are kept. */
export const VQA_PUNCTUATION: readonly string[] = [
  ";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!",
];

const has = (table: Readonly<Record<string, string>>, key: string): boolean => Object.hasOwn(table, key);

function processPunctuation(input: string): string {
  let out = input;
  const digitCommaDigit = /(?<=\d),+(?=\d)/.test(input);
  for (const p of VQA_PUNCTUATION) {
    const deleteIt = input.includes(`${p} `) || input.includes(` ${p}`) || digitCommaDigit;
    out = out.replaceAll(p, deleteIt ? "" : " ");
  }
  let removed = 0;
  return out.replace(/\.(?!\d)/g, (dot) => (removed++ < 32 ? "" : dot));
}

function processDigitArticle(input: string): string {
  const words: string[] = [];
  for (const raw of pySplit(input.toLowerCase())) {
    const word = has(VQA_NUMBER_WORDS, raw) ? (VQA_NUMBER_WORDS[raw] as string) : raw;
    if (!VQA_ARTICLES.includes(word)) words.push(word);
  }
  return words.map((w) => (has(VQA_CONTRACTIONS, w) ? (VQA_CONTRACTIONS[w] as string) : w)).join(" ");
}

/** EvalAIAnswerProcessor.__call__. */
export function normalizeVqaAnswer(answer: string): string {
  let s = answer.toLowerCase().replaceAll(",", "").replaceAll("?", "").replaceAll("'s", " 's");
  s = pyStrip(s);
  s = pyStrip(s.replaceAll("\n", " ").replaceAll("\t", " "));
  return processDigitArticle(processPunctuation(s));
}

/**
 * VQA accuracy of one prediction: the prediction and every reference are normalised; for each
 * reference left out in turn, min(1, matches among the others / 3); the mean of those
 * (Python's statistics.mean, exactly rounded) is the sample's score.
 */
export function vqaAccuracy(prediction: string, references: readonly string[]): number {
  if (references.length === 0) throw new Error("VQA accuracy needs at least one reference answer");
  const pred = normalizeVqaAnswer(prediction);
  const refs = references.map(normalizeVqaAnswer);
  const matches = refs.filter((r) => r === pred).length;
  const perLeftOut = refs.map((r) => Math.min(1, (matches - (r === pred ? 1 : 0)) / 3));
  return exactMean(perLeftOut);
}
