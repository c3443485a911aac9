import { test } from "node:test";
import assert from "node:assert/strict";
import { TASKS } from "../../src/benchmarks/registry.js";
import { benchmarkChecks, docs, docsOf, inForm, itemScoreUnder, letter, promptOf, score, values, withAndWithoutRule } from "./checks.js";

benchmarkChecks("ai2d");

test("ai2d: max_new_tokens is the task yaml's", () => {
  assert.equal(TASKS.ai2d.maxNewTokens, 16);
});

test("ai2d: the fixture scores to its hand-computed values", () => {
  // AI2D (plain, HF answers as strings): B ✓, (A) ✓, c. ✓, "The answer is D" ✗, " A" ✓ (stripped
  // first, as lmms-eval's ConfigurableTask.process_results) → 4/5.
  assert.deepEqual(values(score("ai2d").metrics), { exact_match: 0.8 });
});

test("ai2d: answered in form (hand-checked)", () => {
  // AI2D: exact match after lower-casing and dropping punctuation, so "(A)" → "a" is a letter too.
  assert.deepEqual(inForm("ai2d"), [true, true, true, false, false, false, false]);
});

test("ai2d: prompts are lmms-eval's strings", () => {
  assert.equal(promptOf("ai2d", 0), `Which stage comes after the egg?\nA. adult\nB. larva\nC. pupa\nD. egg${letter}`);
});

test("ai2d: HF field names map onto its doc type", () => {
  assert.deepEqual(TASKS.ai2d.candidateAnswers(docsOf(TASKS.ai2d)[0]!), ["A", "B", "C", "D"]);
});

test("ai2d: profile current: flexible-extract filter, then the reasoning tags (hand-made cases)", () => {
  const doc = docs("ai2d")[0]; // answer B (larva)
  assert.deepEqual(withAndWithoutRule("ai2d", "filter", doc, "B. larva"), { current: 1, without: 0 });
  assert.deepEqual(withAndWithoutRule("ai2d", "filter", doc, " B. larva"), { current: 1, without: 0 });
  assert.deepEqual(withAndWithoutRule("ai2d", "tag", doc, "<think>not A</think>B"), { current: 1, without: 0 });
  // The filter reads the raw response, before the tags go: a block in front hides "B." from it.
  assert.equal(itemScoreUnder("ai2d", "current", doc, "<think>hmm</think>B. larva"), 0);
  // Its regex is case-sensitive: "b. larva" stays whole (and is wrong under both profiles).
  assert.equal(itemScoreUnder("ai2d", "current", doc, "b. larva"), 0);
  assert.equal(itemScoreUnder("ai2d", "vendored", doc, "B. larva"), 0);
});
