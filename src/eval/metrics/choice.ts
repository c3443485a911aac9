/** Option letters in prompts and the answer-extraction rules of each multiple-choice task. */

import { cpLength, cpSlice, pyIsUpper, pySplit, pyStrip } from "./python.js";

/** "A", "B", … for n options. */
export function optionLetters(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String.fromCharCode(65 + i));
}

/** "A. first\nB. second": the option block of the ScienceQA, AI2D, SEED and MMMU prompts. */
export function optionBlock(options: readonly string[]): string {
  return options.map((o, i) => `${String.fromCharCode(65 + i)}. ${o}`).join("\n");
}

/**
 * ScienceQA (lmms_eval/tasks/scienceqa/utils.py, sqa_process_results, "how llava parses it"):
 * right when the raw prediction equals the letter, or starts with an upper-case letter then "."
 * and that letter is the target. Nothing is stripped or lower-cased: "A" and "A. cat" count,
 * "a", " A", "(A)" and "The answer is A" do not. (Today's lmms-eval strips and ignores case.)
 */
export function scienceqaCorrect(prediction: string, target: string): boolean {
  return prediction === target || scienceqaScoredLetter(prediction) === target;
}

/** What scienceqaCorrect compares with the target letter: the letter of an "X." answer, else the answer itself. */
export function scienceqaScoredLetter(prediction: string): string {
  const chars = Array.from(prediction);
  return chars.length >= 2 && pyIsUpper(chars[0] as string) && chars[1] === "." ? (chars[0] as string) : prediction;
}

/**
 * SEED-Bench (lmms_eval/tasks/seedbench/utils.py, seed_process_result): strip, then keep only
 * the first character when longer than one. "A", "A.", "A) cat" give "A"; "(A)" gives "(" and
 * "The answer is A" gives "T" (wrong); "a" stays "a" and is wrong (compared case-sensitively).
 */
export function seedExtract(prediction: string): string {
  const s = pyStrip(prediction);
  return cpLength(s) > 1 ? cpSlice(s, 0, 1) : s;
}

/**
 * MMBench's rule-based answer extraction (lmms_eval/tasks/mmbench/mmbench_evals.py,
 * can_infer_option then can_infer_text), with the candidate letters A–E as upstream calls it:
 * 1. Split on whitespace. If exactly one of A–E stands alone as a word, that letter — unless
 *    "A" is one of the words and there are more than 3 words ("A" may be the article), in which
 *    case this step gives nothing.
 * 2. Else the first of the wrappings x. x, x: x) x). (x) (x). :x :x, :x. :x) :x). that matches
 *    exactly one letter as a whole word gives that letter (no article guard here: "is A." → A).
 * 3. Else the option whose text (lower-cased) occurs in the lower-cased prediction, when exactly
 *    one does (plain substring test: "12" contains both "1" and "12", so neither).
 * A prediction containing "Failed to obtain answer via API" skips steps 1–2.
 */
export function mmbenchExtract(
  prediction: string,
  options: Readonly<Record<string, string | undefined>>,
): { letter: string; via: "option" | "text" } | null {
  const letter = mmbenchInferOption(prediction);
  if (letter) return { letter, via: "option" };
  const text = mmbenchInferText(prediction, options);
  return text ? { letter: text, via: "text" } : null;
}

const MMBENCH_CHOICES = ["A", "B", "C", "D", "E"];
const MMBENCH_WRAPS: ReadonlyArray<readonly [string, string]> = [
  ["", "."], ["", ","], ["", ":"], ["", ")"], ["", ")."], ["(", ")"], ["(", ")."],
  [":", ""], [":", ","], [":", "."], [":", ")"], [":", ")."],
];

function mmbenchInferOption(answer: string): string | null {
  if (answer.includes("Failed to obtain answer via API")) return null;
  const words = pySplit(answer);
  const count = (pre: string, suf: string) => MMBENCH_CHOICES.filter((c) => words.includes(pre + c + suf)).length;
  if (count("", "") === 1 && !(words.includes("A") && words.length > 3)) {
    const c = MMBENCH_CHOICES.find((ch) => words.includes(ch));
    if (c) return c;
  }
  for (const [pre, suf] of MMBENCH_WRAPS) {
    if (count(pre, suf) === 1) return MMBENCH_CHOICES.find((c) => words.includes(pre + c + suf)) ?? null;
  }
  return null;
}

function mmbenchInferText(answer: string, options: Readonly<Record<string, string | undefined>>): string | null {
  const lower = answer.toLowerCase();
  const hits = ["A", "B", "C", "D"].filter((k) => {
    const text = options[k];
    return text !== undefined && lower.includes(text.toLowerCase());
  });
  return hits.length === 1 ? (hits[0] as string) : null;
}

/**
 * ScienceQA at lmms-eval 75571cfe (lmms_eval/tasks/scienceqa/utils.py, sqa_process_results): the
 * target lower-cased; right when the stripped prediction lower-cased equals it, or starts with an
 * upper-case letter then "." and that letter lower-cased is the target. "a" now counts; "a." still
 * does not (its first character is not upper case).
 */
export function scienceqaCorrectCaseless(prediction: string, target: string): boolean {
  const pred = pyStrip(prediction);
  const t = pyStrip(target).toLowerCase();
  if (pred.toLowerCase() === t) return true;
  const chars = Array.from(pred);
  return chars.length >= 2 && pyIsUpper(chars[0] as string) && chars[1] === "." && (chars[0] as string).toLowerCase() === t;
}

/** SEED-Bench's comparison of the extracted character with the answer letter (seed_aggregation_result). */
export type SeedCompare = (pred: string, answer: string) => boolean;
/** The vendored copy: `result["pred"] == result["answer"]`. */
export const seedSameCase: SeedCompare = (pred, answer) => pred === answer;
/** lmms-eval 75571cfe: `pred.lower().strip() == answer.lower().strip()`, so "a" answers A. */
export const seedCaseless: SeedCompare = (pred, answer) => pyStrip(pred.toLowerCase()) === pyStrip(answer.toLowerCase());

/**
 * AI2D's `flexible-extract` filter at lmms-eval 75571cfe (lmms_eval/tasks/ai2d/ai2d.yaml filter_list,
 * utils.py MultiChoiceRegexFilter.apply): on the raw response, `^\s*([A-Z])\.` gives the letter ("A.
 * cat" → "A", "  B." → "B"); anything else is kept as it is ("a. cat", "(A)", "The answer is A").
 * Python's `\s` also matches U+001C–U+001F, which JavaScript's does not.
 */
export function ai2dFlexibleExtract(response: string): string {
  const m = /^[\s\x1c-\x1f]*([A-Z])\./.exec(response);
  return m ? (m[1] as string) : response;
}

const MCQ_DEFAULT_CHOICES = ["A", "B", "C", "D", "E", "F", "G", "H"];
const MCQ_PHRASES = [
  "the answer is", "answer is", "the correct answer is", "correct answer is", "the best answer is", "best answer is",
  "the correct option is", "correct option is", "the best option is", "best option is", "the choice is", "choice is",
  "the correct choice is", "correct choice is", "i choose", "i select", "i pick", "my answer is", "my choice is",
  "옵션", "정답은", "답은", "답:", "答案是", "答案为", "选", "答えは",
];
const MCQ_PRIORITY = { start: 10, end: 9, phrase: 7, parentheses: 6, period: 5, colon: 4, right_paren: 3, space: 2, fallback: 0 } as const;
const isAlpha = (c: string | undefined): boolean => c !== undefined && /^\p{L}$/u.test(c);

/**
 * extract_mcq_answer (lmms_eval/tasks/_task_utils/mcq_extract.py at 75571cfe), which MMBench's static
 * mode (mmbench_en_dev_static) asks for a rotation the rule-based can_infer did not settle. The
 * response stripped, then each of , . ! ? ; : ' " stripped from its ends in turn, padded with a space;
 * candidates "(X)", "X.", "X:", "X)", "X " (last occurrence of each), a letter after an answer phrase
 * ("the answer is", "答案是", …), a standalone letter at the start or at the end; with none of those,
 * any occurrence. The highest-priority format wins (start 10, end 9, phrase 7, parentheses 6, period
 * 5, colon 4, right paren 3, space 2, fallback 0), the later position within one. "" when none.
 * Positions are UTF-16 offsets where upstream counts code points: only their order matters.
 */
export function extractMcqAnswer(response: string, choices: readonly string[] = MCQ_DEFAULT_CHOICES): string {
  if (pyStrip(response) === "") return "";
  const all = choices.length > 0 ? choices : MCQ_DEFAULT_CHOICES;
  let body = pyStrip(response);
  for (const ch of [",", ".", "!", "?", ";", ":", "'", '"']) body = pyStrip(body, ch);
  const text = ` ${body} `;
  const cands: Array<{ letter: string; at: number; format: keyof typeof MCQ_PRIORITY }> = [];
  const wrapped: Array<[keyof typeof MCQ_PRIORITY, string, string]> = [["parentheses", "(", ")"], ["period", "", "."], ["colon", "", ":"], ["right_paren", "", ")"], ["space", "", " "]];
  for (const [format, pre, suf] of wrapped) {
    for (const ch of all) if (text.includes(pre + ch + suf)) cands.push({ letter: ch, at: text.lastIndexOf(pre + ch + suf), format });
  }
  const lower = text.toLowerCase();
  for (const phrase of MCQ_PHRASES) {
    const idx = lower.indexOf(phrase);
    if (idx === -1) continue;
    for (const ch of all) {
      const at = text.indexOf(ch, idx + phrase.length);
      if (at !== -1) cands.push({ letter: ch, at, format: "phrase" });
    }
  }
  const stripped = Array.from(pyStrip(text));
  for (const ch of all) {
    const s = stripped.join("");
    if (s.startsWith(ch) && (stripped.length === 1 || !isAlpha(stripped[1]))) cands.push({ letter: ch, at: 0, format: "start" });
  }
  for (const ch of all) {
    const s = stripped.join("");
    if (s.endsWith(ch) && (stripped.length === 1 || !isAlpha(stripped[stripped.length - 2]))) cands.push({ letter: ch, at: text.length - 1, format: "end" });
  }
  if (cands.length === 0) for (const ch of all) if (text.includes(ch)) cands.push({ letter: ch, at: text.lastIndexOf(ch), format: "fallback" });
  if (cands.length === 0) return "";
  // Python's stable sort on (priority, position) reversed: the first of equal keys stays first.
  let best = cands[0]!;
  for (const c of cands) {
    const [p, q] = [MCQ_PRIORITY[c.format], MCQ_PRIORITY[best.format]];
    if (p > q || (p === q && c.at > best.at)) best = c;
  }
  return best.letter;
}
