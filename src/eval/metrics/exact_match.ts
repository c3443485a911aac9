import { cpLength, cpSlice } from "./python.js";

/**
 * lmms-eval's `exact_match` metric (lmms_eval/api/metrics.py, `evaluate.load("exact_match")`) with
 * `ignore_case: true, ignore_punctuation: true` (the GQA and AI2D yamls). Hugging Face evaluate's
 * ExactMatch._compute puts each string in a numpy array (`np.asarray`), lower-cases it with
 * `np.char.lower`, deletes the ASCII punctuation of Python's string.punctuation with
 * `np.char.translate`, then compares the arrays with `==`. What the numpy steps add:
 * - fixed-width string arrays drop trailing NUL characters, so "yes\x00" equals "yes" (and so
 *   does "yes\x00!", whose NUL trails once "!" is deleted); a NUL anywhere else counts;
 * - `np.char.lower` writes into an array as wide as the input, so a lower case longer than its
 *   character is cut there ("İ" lower-cases to "i̇", two code points, and is kept as "i").
 * Nothing strips whitespace here ("yes " ≠ "yes"): the task pipeline strips the answer before the
 * metric (generatedAnswer in ../task.ts); non-ASCII punctuation ("。") is kept.
 */

const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

const dropTrailingNul = (s: string): string => s.replace(/\0+$/, "");

/** One string as it reaches the comparison: lower-cased to its own width, punctuation deleted, trailing NULs dropped. */
export function exactMatchNormalize(s: string): string {
  const width = cpLength(s);
  const lower = cpSlice(dropTrailingNul(s).toLowerCase(), 0, width);
  return dropTrailingNul(lower.replace(ASCII_PUNCTUATION, ""));
}

export function exactMatch(prediction: string, reference: string): boolean {
  return exactMatchNormalize(prediction) === exactMatchNormalize(reference);
}

/** lmms-eval's `mean` aggregation: a plain left-to-right sum divided by the count. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error("no samples to aggregate");
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
