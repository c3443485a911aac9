import { test } from "node:test";
import assert from "node:assert/strict";
import { Dataset } from "../../src/data/dataset.js";
import { headlineScores } from "../../src/eval/task.js";
import { getTask, TASKS } from "../../src/benchmarks/registry.js";
import { MME_SUBTASKS } from "../../src/benchmarks/mme/generate.js";
import type { MmeDoc } from "../../src/benchmarks/mme/task.js";
import { evaluateBaseline } from "../../src/benchmarks/baselines.js";
import { scorePredictionsFile } from "../../src/eval/predictions.js";
import { tinyDataset } from "../helpers.js";
import { benchmarkChecks, docs, fixture, groupBy, inForm, itemScoreUnder, promptOf, score, short, values, withAndWithoutRule } from "./checks.js";

benchmarkChecks("mme");

test("mme: max_new_tokens is the task yaml's", () => {
  assert.equal(TASKS.mme.maxNewTokens, 16);
});

test("mme: the fixture scores to its hand-computed values", () => {
  // MME: existence image 1 both right (200), image 2 one right (50) → 125; count: "Not sure" parses as no (✗), "no" ✓
  // → 50; perception 125 + 50 = 175. code_reasoning: "I think yes" → other ✗, "No." ✓ → 50 = cognition.
  assert.deepEqual(values(score("mme").metrics), { mme_perception_score: 175, mme_cognition_score: 50 });
});

test("mme: answered in form (hand-checked)", () => {
  // MME: full stops dropped, then yes/no within the first four characters.
  assert.deepEqual(inForm("mme"), [false, false, false, false, true, true, false]);
});

test("mme: the headline columns map to README units", () => {
  const mme = scorePredictionsFile(getTask("mme"), fixture("mme"));
  assert.deepEqual(headlineScores(TASKS.mme, mme.metrics), { "MME-P": 175, "MME-C": 50 });
});

test("mme: prompts are lmms-eval's strings", () => {
  assert.equal(promptOf("mme", 0), `Is there a train in this image?${short}`);
});

test("mme: HF field names map onto its doc type", () => {
  assert.deepEqual(docs("mme")[0], {
    questionId: "existence/000000006040.jpg::Is there a train in this image? Please answer yes or no.",
    imageId: "existence/000000006040.jpg",
    question: "Is there a train in this image? Please answer yes or no.",
    answer: "Yes",
    category: "existence",
  });
});

test("MME: two questions per image, one Yes and one No, in every subtask", async () => {
  const dataset = new Dataset(await tinyDataset());
  const mme = dataset.benchmark(getTask("mme")).items.map((it) => it.doc as MmeDoc);
  assert.deepEqual([...new Set(mme.map((d) => d.category))].sort(), [...MME_SUBTASKS].sort());
  const byImage = groupBy(mme, (d) => d.imageId);
  for (const [image, pair] of byImage) {
    assert.deepEqual(pair.map((d) => d.answer).sort(), ["No", "Yes"], String(image));
    for (const d of pair) assert.ok(d.question.endsWith(" Please answer yes or no."));
  }
});

test("baselines: MME always-yes scores 50 per subtask", async () => {
  const dataset = new Dataset(await tinyDataset());
  const mme = evaluateBaseline("always-yes", dataset, "mme");
  assert.equal(mme.headline["MME-P"], 500);
  assert.equal(mme.headline["MME-C"], 200);
});

test("mme: profile current: a one-letter y / n answers (hand-made cases)", () => {
  const [yes, no] = [docs("mme")[0], docs("mme")[1]]; // answers Yes, No
  assert.deepEqual(withAndWithoutRule("mme", "parse", yes, "y"), { current: 1, without: 0 });
  assert.deepEqual(withAndWithoutRule("mme", "parse", no, "N."), { current: 1, without: 0 });
  assert.equal(itemScoreUnder("mme", "current", yes, "x"), 0);
  assert.deepEqual(withAndWithoutRule("mme", "tag", no, "<think>yes or no</think>No"), { current: 1, without: 0 });
});
