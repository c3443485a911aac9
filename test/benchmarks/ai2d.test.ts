import { test } from "node:test";
import assert from "node:assert/strict";
import { TASKS } from "../../src/benchmarks/registry.js";
import { benchmarkChecks, docsOf, inForm, letter, promptOf, score, values } from "./checks.js";

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
