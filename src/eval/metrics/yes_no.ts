/** Yes/no answer parsing of POPE and MME. */

import { cpLength, cpSlice, pyStrip } from "./python.js";

/**
 * POPE (lmms_eval/tasks/pope/utils.py, pope_process_results): the prediction lower-cased and
 * stripped, kept verbatim. Only the exact strings "yes" and "no" count as answers: accuracy
 * compares the whole string with the ground truth, and precision / recall skip anything else.
 */
export function popeNormalize(prediction: string): string {
  return pyStrip(prediction.toLowerCase());
}

export type MmeLabel = "yes" | "no" | "other";

/**
 * MME (lmms_eval/tasks/mme/utils.py, parse_pred_ans, "brought from Otter"): lower-case, strip,
 * delete every "."; exactly "yes"/"no" is that answer; else "yes" anywhere in the first four
 * characters means yes, else "no" there means no ("Not sure" → no, "None" → no), else other.
 * lmms-eval 75571cfe also maps a lone "y"/"n" (parseMmeAnswerSingleLetter); the vendored copy does not.
 */
export function parseMmeAnswer(prediction: string): MmeLabel {
  const s = pyStrip(prediction.toLowerCase()).replaceAll(".", "");
  if (s === "yes" || s === "no") return s;
  const head = cpSlice(s, 0, 4);
  if (head.includes("yes")) return "yes";
  if (head.includes("no")) return "no";
  return "other";
}

/**
 * MME at lmms-eval 75571cfe (lmms_eval/tasks/mme/utils.py, parse_pred_ans): as parseMmeAnswer, but a
 * one-character answer (after lower-casing, stripping and deleting ".") is "yes" when it is "y", "no"
 * when it is "n", else other: "Y." and "n" now count.
 */
export function parseMmeAnswerSingleLetter(prediction: string): MmeLabel {
  const s = pyStrip(prediction.toLowerCase()).replaceAll(".", "");
  if (cpLength(s) === 1) return s === "y" ? "yes" : s === "n" ? "no" : "other";
  return parseMmeAnswer(prediction);
}
