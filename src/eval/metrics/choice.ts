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
