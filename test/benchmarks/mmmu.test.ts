import { test } from "node:test";
import assert from "node:assert/strict";
import { headlineScores, userText } from "../../src/eval/task.js";
import { getTask, taskUnderProfile, TASKS } from "../../src/benchmarks/registry.js";
import { readPredictions, scorePredictionsFile } from "../../src/eval/predictions.js";
import { benchmarkChecks, docs, fixture, inForm, itemScoreUnder, predictions, promptOf, score, short, tempFile, withAndWithoutRule } from "./checks.js";

benchmarkChecks("mmmu_val");

test("mmmu_val: max_new_tokens is the task yaml's", () => {
  assert.equal(TASKS.mmmu_val.maxNewTokens, 16);
});

test("mmmu_val: the fixture scores to its hand-computed values", () => {
  // MMMU: Art_Theory 2/2 ("B", "(A) Rubens"); Math 1/2 ("The answer is 12." ✓, "about 4" vs 3.5 ✗);
  // Physics 1/2 (option text "30 N" ✓; "unclear" → seeded random B, answer A ✗) → 4/6 → round 3 → 0.667.
  assert.deepEqual(score("mmmu_val").metrics, [{ metric: "mmmu_acc", value: 0.667, n: 6 }]);
});

test("mmmu_val: answered in form (hand-checked)", () => {
  // MMMU multiple choice: "A " inside the sentence counts; no letter and ≤ 5 words is a random pick.
  assert.deepEqual(inForm("mmmu_val"), [true, true, true, true, false, false, false]);
  const open = docs("mmmu_val").findIndex((d) => (d as { questionType: string }).questionType === "open");
  assert.ok(open >= 0, "the MMMU fixture has an open question");
  assert.deepEqual(inForm("mmmu_val", open), predictions.map(() => undefined), "open questions have no form to miss");
});

test("mmmu_val: the headline column maps to README units", () => {
  const mmmu = scorePredictionsFile(getTask("mmmu_val"), fixture("mmmu_val"));
  assert.deepEqual(headlineScores(TASKS.mmmu_val, mmmu.metrics), { MMMU: 66.7 });
});

test("mmmu_val: prompts are lmms-eval's strings, the image where the prompt places it", () => {
  assert.equal(
    promptOf("mmmu_val", 0),
    "Which style is shown in <image>?\nA. Baroque\nB. Rococo\nC. Gothic\nD. Renaissance\nAnswer with the option letter from the given choices directly.",
  );
  assert.equal(promptOf("mmmu_val", 2), `What is the area of the square in <image>?${short}`);
  // The LLaVA model puts the image first unless the prompt already places it (MMMU).
  assert.equal(userText(promptOf("mmmu_val", 0)), promptOf("mmmu_val", 0));
});

test("mmmu_val: HF field names map onto its doc type", () => {
  assert.deepEqual(docs("mmmu_val")[0], {
    id: "validation_Art_Theory_1",
    question: "Which style is shown in <image 1>?",
    options: ["Baroque", "Rococo", "Gothic", "Renaissance"],
    answer: "B",
    questionType: "multiple-choice",
    subject: "Art_Theory",
  });
});

test("mmmu_val: bad input: options that are not a list name the file and line", () => {
  const badOpts = tempFile("o.jsonl", [JSON.stringify({ question_id: "x", prediction: "A", doc: { id: "validation_Art_1", question: "?", options: "['a', 'b'", answer: "A", question_type: "multiple-choice" } })]);
  assert.throws(() => readPredictions(TASKS.mmmu_val, badOpts), new RegExp(`${badOpts}:1: field "options": expected a list of strings`));
});

test("mmmu_val: profile current: open questions through the first candidate's characters (issue #1436), 5-decimal rounding", () => {
  const [mc, open] = docs("mmmu_val").filter((_, i) => i === 0 || i === 2); // MC answer B; open answer "12"
  assert.deepEqual(withAndWithoutRule("mmmu_val", "open", open, "The answer is 12."), { current: 0, without: 1 });
  assert.deepEqual(withAndWithoutRule("mmmu_val", "open", open, "12"), { current: 0, without: 1 });
  // A multiple-choice answer is parsed the same way under both.
  assert.equal(itemScoreUnder("mmmu_val", "current", mc, "(B)"), 1);
  // With a reasoning block, the vendored parse sees " C " and picks C; the current one sees "B".
  assert.deepEqual(withAndWithoutRule("mmmu_val", "tag", mc, "<think>Maybe C or D? </think>B"), { current: 1, without: 0 });
  // Rounding: 1 right of 3 → 0.333 (vendored, 3 decimals) and 0.33333 (current, 5 decimals).
  const three = [mc, mc, mc].map((d, i) => ({ ...(d as object), id: `validation_Art_Theory_${i + 10}` }));
  const accuracy = (profile: "vendored" | "current") => {
    const task = taskUnderProfile("mmmu_val", { lmmsEval: profile });
    return task.aggregate(three.map((d, i) => task.processResult(d, i === 0 ? "B" : "A")))[0]!.value;
  };
  assert.deepEqual([accuracy("vendored"), accuracy("current")], [0.333, 0.33333]);
});
