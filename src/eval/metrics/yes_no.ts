/** Yes/no answer parsing of POPE and MME. */

import { cpSlice, pyStrip } from "./python.js";

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
 * Today's lmms-eval also maps a lone "y"/"n"; the vendored copy LLaVA-MORE used does not.
 */
export function parseMmeAnswer(prediction: string): MmeLabel {
  const s = pyStrip(prediction.toLowerCase()).replaceAll(".", "");
  if (s === "yes" || s === "no") return s;
  const head = cpSlice(s, 0, 4);
  if (head.includes("yes")) return "yes";
  if (head.includes("no")) return "no";
  return "other";
}
