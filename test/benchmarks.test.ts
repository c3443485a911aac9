import { test } from "node:test";
import assert from "node:assert/strict";
import { Dataset } from "../src/data/dataset.js";
import { BENCHMARK_TASKS, benchmarkGenerator, getTask } from "../src/benchmarks/registry.js";
import { popeNegatives } from "../src/benchmarks/pope/generate.js";
import type { WorldStatistics } from "../src/benchmarks/generator.js";
import { MME_SUBTASKS } from "../src/benchmarks/mme/generate.js";
import { baselinePredictions, evaluateBaseline, fitQuestionPrior } from "../src/benchmarks/baselines.js";
import { evaluateTask, scoreItems, type BatchedModel } from "../src/eval/runner.js";
import type { MmbenchDoc } from "../src/benchmarks/mmbench/task.js";
import type { MmeDoc } from "../src/benchmarks/mme/task.js";
import type { PopeDoc } from "../src/benchmarks/pope/task.js";
import { CATEGORIES } from "../src/world/vocabulary.js";
import { Random } from "../src/util/random.js";
import { tinyDataset } from "./helpers.js";

function groupBy<T>(items: readonly T[], key: (item: T) => string | number): Map<string | number, T[]> {
  const groups = new Map<string | number, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

test("every benchmark's docs pass its task's parser, and its own targets score full marks", async () => {
  const dataset = new Dataset(await tinyDataset());
  assert.deepEqual(BENCHMARK_TASKS, ["gqa", "scienceqa_img", "textvqa_val", "ai2d", "pope", "mme", "mmbench_en_dev", "mmbench_cn_dev", "seedbench", "mmmu_val"]);
  for (const name of BENCHMARK_TASKS) {
    const { task, items } = dataset.benchmark(getTask(name));
    assert.ok(items.length > 0, name);
    for (const it of items) assert.ok(task.prompt(it.doc).length > 0);
    const oracle = scoreItems(task, items, items.map((it) => it.target));
    for (const [column, value] of Object.entries(oracle.headline)) assert.equal(value, column.startsWith("MME-P") ? 2000 : column.startsWith("MME-C") ? 800 : 100, `${name} ${column}`);
  }
  assert.throws(() => benchmarkGenerator("seedbench_video"), /unknown benchmark "seedbench_video".*SEED-vid needs video/);
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

test("MME: two questions per image, one Yes and one No, in every subtask; MMBench: one doc per rotation", async () => {
  const dataset = new Dataset(await tinyDataset());
  const mme = dataset.benchmark(getTask("mme")).items.map((it) => it.doc as MmeDoc);
  assert.deepEqual([...new Set(mme.map((d) => d.category))].sort(), [...MME_SUBTASKS].sort());
  const byImage = groupBy(mme, (d) => d.imageId);
  for (const [image, pair] of byImage) {
    assert.deepEqual(pair.map((d) => d.answer).sort(), ["No", "Yes"], String(image));
    for (const d of pair) assert.ok(d.question.endsWith(" Please answer yes or no."));
  }
  for (const task of ["mmbench_en_dev", "mmbench_cn_dev"]) {
    const docs = dataset.benchmark(getTask(task)).items.map((it) => it.doc as MmbenchDoc);
    const byQuestion = groupBy(docs, (d) => d.index % 1_000_000);
    for (const [, rotations] of byQuestion) {
      const options = Object.keys(rotations[0]!.options).length;
      assert.equal(rotations.length, options);
      const answerTexts = new Set(rotations.map((d) => d.options[d.answer]));
      assert.equal(answerTexts.size, 1, "the right option's text is the same in every rotation");
    }
  }
  const cn = dataset.benchmark(getTask("mmbench_cn_dev")).items.map((it) => it.doc as MmbenchDoc);
  assert.ok(cn.every((d) => /[\u4e00-\u9fff]/.test(d.question)));
});

test("baselines: POPE always-yes is 50% accurate (F1 66.7), MME always-yes scores 50 per subtask", async () => {
  const dataset = new Dataset(await tinyDataset());
  const pope = evaluateBaseline("always-yes", dataset, "pope");
  assert.equal(pope.metrics.find((m) => m.metric === "pope_accuracy")!.value, 0.5);
  assert.ok(Math.abs(pope.headline["POPE"]! - 200 / 3) < 1e-9);
  const mme = evaluateBaseline("always-yes", dataset, "mme");
  assert.equal(mme.headline["MME-P"], 500);
  assert.equal(mme.headline["MME-C"], 200);
  const { task, items } = dataset.benchmark(getTask("seedbench"));
  const random = baselinePredictions("random-option", task, items, dataset);
  assert.ok(random.every((p) => ["A", "B", "C", "D"].includes(p)));
  assert.deepEqual(random, baselinePredictions("random-option", task, items, dataset), "seeded");
});

test("the question prior learns answers by question text and maps them to option letters", () => {
  const task = getTask("scienceqa_img");
  const doc = (question: string, choices: string[], answer: number) => ({ questionId: question + choices.join(), question, choices, hint: "", answer });
  const train = [
    { doc: doc("What is it made of?", ["wood", "metal"], 1), target: "B", answerText: "metal" },
    { doc: doc("What is it made of?", ["metal", "glass"], 0), target: "A", answerText: "metal" },
    { doc: doc("Where?", ["Vell", "Orin"], 0), target: "A", answerText: "Vell" },
  ];
  const predict = fitQuestionPrior(task, train);
  const test1 = { sceneId: "s", image: "s.png", doc: doc("What is it made of?", ["glass", "clay", "metal"], 2), target: "C" };
  assert.equal(predict(test1), "C");
  // An unseen question falls back to the most common answer overall ("metal"), absent here -> most common letter.
  assert.equal(predict({ ...test1, doc: doc("Unseen?", ["x", "y"], 0) }), "A");
});

test("the runner drives any generate(image, prompt) — one at a time or batched — and scores with the task", async () => {
  const dataset = new Dataset(await tinyDataset());
  const { task, items } = dataset.benchmark(getTask("gqa"));
  const answers = new Map(items.map((it) => [`<image>\n${task.prompt(it.doc)}`, it.target]));
  const seen: number[] = [];
  const perfect = (image: { width: number }, prompt: string) => {
    seen.push(image.width);
    return answers.get(prompt) ?? "?";
  };
  const single = await evaluateTask(dataset, getTask("gqa"), perfect, { progress: false });
  assert.equal(single.headline["GQA"], 100);
  assert.equal(seen.length, items.length);
  const batched: BatchedModel = { batchSize: 5, generateBatch: async (requests) => requests.map((r) => answers.get(r.prompt) ?? "?") };
  assert.deepEqual((await evaluateTask(dataset, getTask("gqa"), batched, { progress: false })).predictions, single.predictions);
  const wrong = await evaluateTask(dataset, getTask("gqa"), () => "purple elephant", { progress: false, limit: 3 });
  assert.equal(wrong.n, 3);
  assert.equal(wrong.headline["GQA"], 0);
  const broken: BatchedModel = { batchSize: 4, generateBatch: async () => ["only one"] };
  await assert.rejects(evaluateTask(dataset, getTask("gqa"), broken, { progress: false }), /returned 1 answers for 4 requests/);
});
