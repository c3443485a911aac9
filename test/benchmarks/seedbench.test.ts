import { test } from "node:test";
import assert from "node:assert/strict";
import { Dataset } from "../../src/data/dataset.js";
import { getTask, TASKS } from "../../src/benchmarks/registry.js";
import { baselinePredictions } from "../../src/benchmarks/baselines.js";
import { tinyDataset } from "../helpers.js";
import type { SeedDoc } from "../../src/benchmarks/seedbench/task.js";
import { benchmarkChecks, docs, docsOf, inForm, itemScoreUnder, letter, promptOf, score, values, withAndWithoutRule } from "./checks.js";

benchmarkChecks("seedbench");

test("seedbench: max_new_tokens is the task yaml's", () => {
  // 1024 where the yaml sets none (the LLaVA model's default).
  assert.equal(TASKS.seedbench.maxNewTokens, 1024);
});

test("seedbench: the fixture scores to its hand-computed values", () => {
  // SEED images: A ✓, "B. dog" ✓, "(C)" ✗, "d" ✗, "  A  " ✓, "The answer is B" ✗ → 3/6; the video
  // row "A" ✓ → 1/1; seed_all counts every row, as lmms-eval's seed_process_result → 4/7.
  const seed = score("seedbench");
  assert.deepEqual(seed.metrics, [
    { metric: "seed_image", value: 0.5, n: 6 },
    { metric: "seed_video", value: 1, n: 1 },
    { metric: "seed_all", value: 4 / 7, n: 7 },
  ]);
  assert.equal(seed.n, 7);
  assert.equal(seed.skipped, 0);
});

test("seedbench: seed_all is never seed_image under another name; a metric without rows is not reported", () => {
  const task = TASKS.seedbench;
  const docs: SeedDoc[] = docsOf(task);
  const [image, video] = [docs.find((d) => d.dataType === "image")!, docs.find((d) => d.dataType === "video")!];
  assert.equal(video.dataType, "video");
  const wrongVideo = [task.processResult(image, "A"), task.processResult(video, "B")];
  assert.deepEqual(values(task.aggregate(wrongVideo)), { seed_image: 1, seed_video: 0, seed_all: 0.5 });
  assert.deepEqual(values(task.aggregate([task.processResult(image, "A")])), { seed_image: 1, seed_all: 1 });
  assert.deepEqual(values(task.aggregate([task.processResult(video, " A\n")])), { seed_video: 1, seed_all: 1 });
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

test("seedbench: profile current: case-insensitive comparison (hand-made cases)", () => {
  const doc = docs("seedbench")[0]; // answer A
  assert.deepEqual(withAndWithoutRule("seedbench", "case", doc, "a"), { current: 1, without: 0 });
  assert.deepEqual(withAndWithoutRule("seedbench", "case", doc, "a) one"), { current: 1, without: 0 });
  assert.equal(itemScoreUnder("seedbench", "current", doc, "b"), 0);
  assert.deepEqual(withAndWithoutRule("seedbench", "tag", doc, "<think>Two? No.</think>A"), { current: 1, without: 0 });
});
