import { pyStrip } from "./python.js";

/** [start tag, end tag] pairs. */
export type TagPairs = ReadonlyArray<readonly [string, string]>;

/** lmms-eval's CLI default `--reasoning_tags` at commit 75571cfe (lmms_eval/__main__.py). */
export const DEFAULT_REASONING_TAGS: TagPairs = [
  ["<think>", "</think>"],
  ["<analysis>", "</analysis>"],
];

/**
 * strip_reasoning_tags (lmms_eval/api/reasoning.py at 75571cfe), which the evaluator applies to every
 * filtered response before process_results when reasoning tags are configured (the CLI default). Per
 * pair, in order: while both tags occur, cut from the first start tag to the first end tag after it
 * (stop when no end tag follows a start tag); then, when the end tag still occurs and the start tag does
 * not (a template that put the start tag in the prompt), keep only what follows the last end tag. Tags
 * are case-sensitive; an unclosed start tag stays. The result is stripped (Python's str.strip()).
 */
export function stripReasoningTags(text: string, pairs: TagPairs): string {
  let result = text;
  for (const [start, end] of pairs) {
    while (result.includes(start) && result.includes(end)) {
      const a = result.indexOf(start);
      const b = result.indexOf(end, a);
      if (b === -1) break;
      result = result.slice(0, a) + result.slice(b + end.length);
    }
    if (result.includes(end) && !result.includes(start)) result = result.slice(result.lastIndexOf(end) + end.length);
  }
  return pyStrip(result);
}
