/**
 * lmms-eval's `exact_match` metric with `ignore_case: true, ignore_punctuation: true` (the GQA
 * and AI2D yamls): Hugging Face evaluate's exact_match lower-cases both strings, deletes the
 * ASCII punctuation of Python's string.punctuation, then compares. Quirk: nothing strips
 * whitespace, so "yes " does not match "yes"; non-ASCII punctuation ("。") is kept.
 */

const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

export function exactMatchNormalize(s: string): string {
  return s.toLowerCase().replace(ASCII_PUNCTUATION, "");
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
