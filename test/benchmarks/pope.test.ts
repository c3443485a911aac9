import { test } from "node:test";
import assert from "node:assert/strict";
import { Dataset } from "../../src/data/dataset.js";
import { headlineScores } from "../../src/eval/task.js";
import { getTask, TASKS } from "../../src/benchmarks/registry.js";
import { popeNegatives } from "../../src/benchmarks/pope/generate.js";
import type { WorldStatistics } from "../../src/benchmarks/generator.js";
import type { PopeDoc } from "../../src/benchmarks/pope/task.js";
import { evaluateBaseline } from "../../src/benchmarks/baselines.js";
import { scorePredictionsFile } from "../../src/eval/predictions.js";
import { CATEGORIES } from "../../src/world/vocabulary.js";
import { Random } from "../../src/util/random.js";
import { tinyDataset } from "../helpers.js";
import { benchmarkChecks, docs, docsOf, fixture, inForm, promptOf, score, short, values, withAndWithoutRule } from "./checks.js";

benchmarkChecks("pope");

test("pope: max_new_tokens is the task yaml's", () => {
  assert.equal(TASKS.pope.maxNewTokens, 128);
});

test("pope: the fixture scores to its hand-computed values", () => {
  // POPE: right 1,2,5,8 → acc 4/8; TP 2 (1,2), FN 1 (3), FP 1 (6); "yes, there is a dog." and "no." are neither;
  // precision = recall = 2/3, F1 = 2/3; yes-ratio = 4 yes labels / 8.
  assert.deepEqual(values(score("pope").metrics), {
    pope_accuracy: 0.5, pope_precision: 2 / 3, pope_recall: 2 / 3, pope_f1_score: 2 / 3, pope_yes_ratio: 0.5,
  });
});

test("pope: answered in form (hand-checked)", () => {
  // POPE compares the lower-cased answer exactly: "no." is neither yes nor no.
  assert.deepEqual(inForm("pope"), [false, false, false, false, true, false, false]);
});

test("pope: the headline column maps to README units", () => {
  const pope = scorePredictionsFile(getTask("pope"), fixture("pope"));
  assert.deepEqual(headlineScores(TASKS.pope, pope.metrics), { POPE: (2 / 3) * 100 });
});

test("pope: prompts are lmms-eval's strings", () => {
  assert.equal(promptOf("pope", 7), `Is there a cup in the image?${short}`);
});

test("pope: HF field names map onto its doc type", () => {
  assert.deepEqual(TASKS.pope.candidateAnswers(docsOf(TASKS.pope)[0]!), ["yes", "no"]);
});

test("POPE: balanced yes/no per split; popular and adversarial negatives follow the training statistics", async () => {
  const dataset = new Dataset(await tinyDataset());
  const docs = dataset.benchmark(getTask("pope")).items.map((it) => it.doc as PopeDoc);
  for (const split of ["random", "popular", "adversarial"] as const) {
    const inSplit = docs.filter((d) => d.category === split);
    assert.equal(inSplit.filter((d) => d.answer === "yes").length, inSplit.filter((d) => d.answer === "no").length, split);
  }
  const names = CATEGORIES.map((c) => c.name);
  const frequency = new Map(names.map((n, i) => [n, i])); // "arrow" (last) is the most frequent
  const cooccurrence = new Map(names.map((a) => [a, new Map(names.map((b) => [b, 0]))]));
  cooccurrence.get("star")!.set("moon", 9);
  cooccurrence.get("star")!.set("heart", 5);
  const stats: WorldStatistics = { frequency, cooccurrence };
  const rng = Random.stream(0, "t");
  assert.deepEqual(popeNegatives("popular", ["star", "arrow"], stats, rng, 2), ["ring", "moon"]);
  assert.deepEqual(popeNegatives("adversarial", ["star"], stats, rng, 2), ["moon", "heart"]);
  assert.ok(popeNegatives("random", ["star"], stats, rng, 3).every((c) => c !== "star"));
});

test("baselines: POPE always-yes is 50% accurate (F1 66.7)", async () => {
  const dataset = new Dataset(await tinyDataset());
  const pope = evaluateBaseline("always-yes", dataset, "pope");
  assert.equal(pope.metrics.find((m) => m.metric === "pope_accuracy")!.value, 0.5);
  assert.ok(Math.abs(pope.headline["POPE"]! - 200 / 3) < 1e-9);
});

test("pope: profile current: the reasoning-tag step (hand-made case)", () => {
  assert.deepEqual(withAndWithoutRule("pope", "tag", docs("pope")[0], "<analysis>a board is visible</analysis>Yes"), { current: 1, without: 0 });
});
