import { test } from "node:test";
import assert from "node:assert/strict";
import { TASKS } from "../../src/benchmarks/registry.js";
import { benchmarkChecks, docs, docsOf, inForm, itemScoreUnder, letter, promptOf, score, values, withAndWithoutRule } from "./checks.js";

benchmarkChecks("scienceqa_img");

test("scienceqa_img: max_new_tokens is the task yaml's", () => {
  assert.equal(TASKS.scienceqa_img.maxNewTokens, 16);
});

test("scienceqa_img: the fixture scores to its hand-computed values", () => {
  // ScienceQA (log_samples, ids from doc_id): "A" ✓, "B. bird" ✓, "(A)" ✗, "c" ✗, "The answer is B" ✗, "A" ✓ → 3/6.
  assert.deepEqual(values(score("scienceqa_img").metrics), { exact_match: 0.5 });
});

test("scienceqa_img: answered in form (hand-checked)", () => {
  // ScienceQA: a lone capital letter or one followed by "."; "No." is "N" then "o".
  assert.deepEqual(inForm("scienceqa_img"), [true, true, false, false, false, false, false]);
});

test("scienceqa_img: prompts are lmms-eval's strings", () => {
  assert.equal(promptOf("scienceqa_img", 0), `Which of these states is farthest north?\nA. West Virginia\nB. Louisiana\nC. Arizona\nD. Oklahoma${letter}`);
  assert.equal(promptOf("scienceqa_img", 1), `Context: Arctic hares live in the cold north.\nWhich animal's feet are also adapted for walking on snow?\nA. dog\nB. bird${letter}`);
});

test("scienceqa_img: HF field names map onto its doc type", () => {
  assert.equal(TASKS.scienceqa_img.docId(docsOf(TASKS.scienceqa_img)[2]!), "2"); // from doc_id
});

test("scienceqa_img: profile current: case-insensitive comparison (hand-made cases)", () => {
  const doc = docs("scienceqa_img")[1]; // target B
  assert.deepEqual(withAndWithoutRule("scienceqa_img", "case", doc, "b"), { current: 1, without: 0 });
  // "b." still fails: the "X." rule wants an upper-case first character.
  assert.equal(itemScoreUnder("scienceqa_img", "current", doc, "b. bird"), 0);
  assert.equal(itemScoreUnder("scienceqa_img", "current", doc, "B. bird"), 1);
  assert.deepEqual(withAndWithoutRule("scienceqa_img", "tag", doc, "<think>birds have feet</think>B"), { current: 1, without: 0 });
});
