/**
 * MMMU answer parsing and checking as lmms-eval runs it (lmms_eval/tasks/mmmu/utils.py, itself
 * from the official MMMU eval_utils.py): parse_multi_choice_response, parse_open_response,
 * eval_multi_choice, eval_open. Regexes use ASCII digits and word boundaries where Python's
 * are Unicode-aware.
 */

import { cpLength, pyFloat, pyRound, pySplit, pyStrip } from "./python.js";
import { seededChoice } from "./rng.js";

export interface McParse {
  letter: string;
  /** Which rule gave the letter. */
  via: "bracket" | "letter-space" | "letter-period" | "option-text" | "random";
}

/**
 * parse_multi_choice_response, in order:
 * 1. strip each of , . ! ? ; : ' from both ends, one character kind after the other (so "A.'"
 *    ends as "A."), then pad with a space on each side;
 * 2. candidates "(X)"; else "X " anywhere (quirk: any word ending in a capital letter followed by
 *    a space counts, "DNA " proposes A); else "X.";
 * 3. else, only when the response has more than 5 words, options whose text occurs in it
 *    (case-insensitive);
 * 4. none: a random letter. Upstream draws from Python's global `random` (seeded 0 by the
 *    evaluator, so the pick depends on the order of samples); here the draw is seeded by `seed`
 *    and the sample's key, so it is reproducible and order-independent (but not the same pick);
 * 5. several: the one whose "(X)" / " X " / option text occurs last (rfind; first on ties).
 */
export function parseMultiChoice(response: string, options: readonly string[], seed: number, key: string): McParse {
  let r = response;
  for (const ch of [",", ".", "!", "?", ";", ":", "'"]) r = pyStrip(r, ch);
  r = ` ${r} `;
  const letters = options.map((_, i) => String.fromCharCode(65 + i));
  let cands = letters.filter((c) => r.includes(`(${c})`));
  let via: McParse["via"] = "bracket";
  if (cands.length === 0) [cands, via] = [letters.filter((c) => r.includes(`${c} `)), "letter-space"];
  if (cands.length === 0) [cands, via] = [letters.filter((c) => r.includes(`${c}.`)), "letter-period"];
  if (cands.length === 0 && pySplit(r).length > 5) {
    [cands, via] = [letters.filter((_, i) => r.toLowerCase().includes((options[i] as string).toLowerCase())), "option-text"];
  }
  if (cands.length === 0) return { letter: seededChoice(letters, seed, key), via: "random" };
  if (cands.length === 1) return { letter: cands[0] as string, via };
  const position = (c: string): number => {
    if (via === "bracket") return r.lastIndexOf(`(${c})`);
    if (via === "option-text") return r.toLowerCase().lastIndexOf((options[letters.indexOf(c)] as string).toLowerCase());
    return r.lastIndexOf(` ${c} `);
  };
  let best = cands[0] as string;
  for (const c of cands) if (position(c) > position(best)) best = c;
  return { letter: best, via };
}

/** A normalised open answer: a number rounded to 2 decimals, or a lower-cased string. */
export type OpenValue = number | string;

/** normalize_str: a number (commas removed, Python float(), round 2) or the lower-cased text, padded with a space when one character long. */
export function normalizeOpen(s: string): OpenValue[] {
  const t = pyStrip(s);
  const num = pyFloat(t.replaceAll(",", ""));
  if (num !== undefined) return [pyRound(num, 2)];
  const lower = t.toLowerCase();
  return cpLength(lower) === 1 ? [` ${lower}`, `${lower} `] : [lower];
}

/** extract_numbers: numbers with thousands commas, in scientific notation, and plain. */
export function extractNumbers(s: string): string[] {
  const withCommas = s.match(/-?\b\d{1,3}(?:,\d{3})+\b/g) ?? [];
  const scientific = s.match(/-?\d+(?:\.\d+)?[eE][+-]?\d+/g) ?? [];
  const simple = s.match(/-?(?:\d+\.\d+|\.\d+|\d+\b)(?![eE][+-]?\d+)(?![,\d])/g) ?? [];
  return [...withCommas, ...scientific, ...simple];
}

const KEY_INDICATORS = ["could be ", "so ", "is ", "thus ", "therefore ", "final ", "answer ", "result "];
const TRIVIAL = [":", ",", ".", "!", "?", ";", "'"];

/**
 * parse_open_response: lower-case the stripped response (dots stripped from its ends) and split
 * it into lines (quirk: the sentence split `\.\s(?=[A-Z])` runs after lower-casing, so only
 * newlines split); from each line keep the shortest tail after an indicator ("is ", "so ", …;
 * "=" too on the last line; an empty first tail is replaced by the next one, as upstream's
 * `if not shortest`), or the whole response when no line has one; add every number found in
 * those tails; normalise all; de-duplicate.
 */
export function parseOpen(response: string): OpenValue[] {
  const resp = pyStrip(pyStrip(response), ".").toLowerCase();
  const lines = resp.split(/\.\s(?=[A-Z])|\n/);
  const keys: string[] = [];
  lines.forEach((line, i) => {
    const indicators = i === lines.length - 1 ? [...KEY_INDICATORS, "="] : KEY_INDICATORS;
    let shortest: string | null = null;
    for (const ind of indicators) {
      if (!line.includes(ind)) continue;
      const tail = pyStrip(line.slice(line.lastIndexOf(ind) + ind.length));
      if (!shortest || cpLength(tail) < cpLength(shortest)) shortest = tail;
    }
    if (shortest && !TRIVIAL.includes(pyStrip(shortest))) keys.push(shortest);
  });
  const tails = keys.length > 0 ? keys : [resp];
  const all = [...tails, ...tails.flatMap(extractNumbers)].flatMap(normalizeOpen);
  return [...new Set(all)];
}

/**
 * eval_open: the gold answer normalised the same way; a string prediction is right when it
 * contains a string gold form, a number prediction when it equals a number gold form.
 */
export function openCorrect(gold: string, preds: readonly OpenValue[]): boolean {
  const golds = normalizeOpen(gold);
  return preds.some((p) =>
    typeof p === "string" ? golds.some((g) => typeof g === "string" && p.includes(g)) : golds.some((g) => g === p),
  );
}

/** Python's str() of a parsed open candidate: "0.5", "3.0" for a whole float, the string itself. */
export function pyStrOpen(v: OpenValue): string {
  if (typeof v === "string") return v;
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  return String(v);
}

/**
 * Open questions at lmms-eval 75571cfe (lmms_eval/tasks/mmmu/utils.py): mmmu_process_results keeps
 * only `str(parsed_pred[0])` of parse_open_response's candidates, and evaluate_mmmu hands that string
 * to eval_open, which iterates over it character by character: right only when a string gold form
 * occurs in a single character, which no non-empty gold form does (lmms-eval issue #1436, fixed after
 * this commit by pull request #1471). Upstream's first candidate is the first of a Python set, whose
 * order varies from run to run; the score does not depend on it (only whether it is empty does, and an
 * empty candidate only comes alone), so the first in `preds`' order is taken.
 */
export function openCorrectFirstCandidate(gold: string, preds: readonly OpenValue[]): boolean {
  const kept = preds.length > 0 ? pyStrOpen(preds[0] as OpenValue) : "";
  const golds = normalizeOpen(gold).filter((g): g is string => typeof g === "string");
  return Array.from(kept).some((ch) => golds.some((g) => ch.includes(g)));
}
