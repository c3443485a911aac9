import { test } from "node:test";
import assert from "node:assert/strict";
import { Dataset } from "../src/data/dataset.js";
import { BENCHMARK_TASKS, benchmarkGenerator, getTask, TASK_NAMES } from "../src/benchmarks/registry.js";
import { fitQuestionPrior } from "../src/benchmarks/baselines.js";
import { evaluateTask, type BatchedModel } from "../src/eval/runner.js";
import { tinyDataset } from "./helpers.js";

// Generic: the registry's generators, the question prior and the runner. Each benchmark's own cases
// (its generated files, its baselines) are in test/benchmarks/<folder>.test.ts.

test("every registered task is generated, in the registry's order; SEED-vid is not", () => {
  assert.deepEqual(BENCHMARK_TASKS, TASK_NAMES);
  assert.throws(() => benchmarkGenerator("seedbench_video"), /unknown benchmark "seedbench_video".*SEED-vid needs video/);
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
