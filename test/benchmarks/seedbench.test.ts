import { test } from "node:test";
import assert from "node:assert/strict";
import { Dataset } from "../../src/data/dataset.js";
import { getTask, TASKS } from "../../src/benchmarks/registry.js";
import { baselinePredictions } from "../../src/benchmarks/baselines.js";
import { tinyDataset } from "../helpers.js";
import { benchmarkChecks, inForm, letter, promptOf, score, values } from "./checks.js";

benchmarkChecks("seedbench");

test("seedbench: max_new_tokens is the task yaml's", () => {
  // 1024 where the yaml sets none (the LLaVA model's default).
  assert.equal(TASKS.seedbench.maxNewTokens, 1024);
});

test("seedbench: the fixture scores to its hand-computed values", () => {
  // SEED: A ✓, "B. dog" ✓, "(C)" ✗, "d" ✗, "  A  " ✓, "The answer is B" ✗ → 3/6; the video row is skipped.
  const seed = score("seedbench");
  assert.deepEqual(values(seed.metrics), { seed_image: 0.5, seed_all: 0.5 });
  assert.equal(seed.n, 6);
  assert.equal(seed.skipped, 1);
});

test("seedbench: answered in form (hand-checked)", () => {
  // SEED: the first character, A–D.
  assert.deepEqual(inForm("seedbench"), [true, true, false, false, false, false, false]);
});

test("seedbench: prompts are lmms-eval's strings", () => {
  assert.equal(promptOf("seedbench", 0), `How many apples are on the table?\nA. one\nB. two\nC. three\nD. four${letter}`);
});

test("baselines: SEED random-option picks a letter, seeded", async () => {
  const dataset = new Dataset(await tinyDataset());
  const { task, items } = dataset.benchmark(getTask("seedbench"));
  const random = baselinePredictions("random-option", task, items, dataset);
  assert.ok(random.every((p) => ["A", "B", "C", "D"].includes(p)));
  assert.deepEqual(random, baselinePredictions("random-option", task, items, dataset), "seeded");
});
