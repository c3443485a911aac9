import { test } from "node:test";
import assert from "node:assert/strict";
import { Dataset } from "../../src/data/dataset.js";
import { getTask, taskUnderProfile, TASKS } from "../../src/benchmarks/registry.js";
import { MMBENCH_STATIC, type MmbenchDoc } from "../../src/benchmarks/mmbench/task.js";
import { readPredictions } from "../../src/eval/predictions.js";
import { tinyDataset } from "../helpers.js";
import { benchmarkChecks, docs, docsOf, groupBy, inForm, letter, promptOf, score, tempFile, withAndWithoutRule } from "./checks.js";

benchmarkChecks("mmbench_en_dev");
benchmarkChecks("mmbench_cn_dev");

test("mmbench_en_dev, mmbench_cn_dev: max_new_tokens is the task yamls'", () => {
  // 1024 where the yaml sets none (the LLaVA model's default).
  assert.equal(TASKS.mmbench_en_dev.maxNewTokens, 1024);
  assert.equal(TASKS.mmbench_cn_dev.maxNewTokens, 256);
});

test("mmbench_en_dev, mmbench_cn_dev: the fixtures score to their hand-computed values", () => {
  // MMBench-En: Q1 right in all 4 rotations ("A", "D. cat", "(C)", "The answer is B."); Q2 wrong in rotation 3;
  // Q3 right by option text in both rotations; Q4 unextracted → wrong. 2 of 4 → 50.
  const en = score("mmbench_en_dev");
  assert.deepEqual(en.metrics, [{ metric: "gpt_eval_score", value: 50, n: 4 }]);
  assert.deepEqual(en.notes, { judge: "none (rule-based extraction)" });
  // MMBench-Cn (plain): Q10 right in 3 of 3; Q11 right by text "狗" then wrong; Q12 right → (2/3)·100.
  assert.deepEqual(score("mmbench_cn_dev").metrics, [{ metric: "gpt_eval_score", value: (2 / 3) * 100, n: 3 }]);
});

test("mmbench_en_dev: answered in form (hand-checked)", () => {
  // MMBench (options cat, dog, bird, fish): "A" in a sentence of more than 3 words may be the article.
  assert.deepEqual(inForm("mmbench_en_dev"), [true, true, true, false, false, false, false]);
});

test("mmbench_en_dev, mmbench_cn_dev: prompts are lmms-eval's strings", () => {
  assert.equal(
    promptOf("mmbench_en_dev", 0),
    `Look at the living room. What animal is on the sofa? There are several options:\nA. cat\nB. dog\nC. bird\nD. fish\n${letter}`,
  );
  assert.equal(promptOf("mmbench_en_dev", 8), `What color is the ball? There are several options:\nA. red\nB. blue\n${letter}`);
  assert.equal(
    promptOf("mmbench_cn_dev", 0),
    "请看图片。 图中是什么动物？ There are several options:\nA. 猫\nB. 狗\nC. 鸟\n\n请直接使用所提供的选项字母作为答案回答。",
  );
  const nanHint = { ...docsOf(TASKS.mmbench_en_dev)[8]!, hint: "nan" };
  assert.ok(TASKS.mmbench_en_dev.prompt(nanHint).startsWith("What color"));
  assert.ok(TASKS.mmbench_cn_dev.prompt(nanHint).startsWith("nan What color"));
});

test("mmbench_en_dev: HF field names map onto its doc type", () => {
  assert.deepEqual(docs("mmbench_en_dev")[8], {
    index: 3, question: "What color is the ball?", hint: null, options: { A: "red", B: "blue" }, answer: "A",
    category: "attribute_recognition", l2Category: "finegrained_perception (instance-level)",
  });
  assert.deepEqual(TASKS.mmbench_en_dev.candidateAnswers(docsOf(TASKS.mmbench_en_dev)[8]!), ["A", "B"]);
});

test("mmbench_en_dev: bad input: an answer outside the options names the file and line", () => {
  const badIndex = tempFile("i.jsonl", [JSON.stringify({ question_id: "x", prediction: "A", doc: { index: 1, question: "?", hint: null, options: { A: "a", B: "b" }, answer: "C", category: "c", l2Category: "l" } })]);
  assert.throws(() => readPredictions(TASKS.mmbench_en_dev, badIndex), new RegExp(`${badIndex}:1: field "answer": option C is not given`));
});

test("MMBench: one doc per rotation", async () => {
  const dataset = new Dataset(await tinyDataset());
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

test("mmbench_en_dev: profile current: static mode asks extract_mcq_answer where can_infer gives nothing (hand-made cases)", () => {
  const doc = docs("mmbench_en_dev")[0]; // answer A (cat)
  // can_infer: "A" with more than 3 words may be the article, and no option text occurs: unsettled.
  assert.deepEqual(withAndWithoutRule("mmbench_en_dev", "unsettled", doc, "The answer is A"), { current: 1, without: 0 });
  assert.deepEqual(withAndWithoutRule("mmbench_en_dev", "unsettled", doc, "I pick A for this one"), { current: 1, without: 0 });
  // can_infer settles the raw text on the lone "B" inside the block.
  assert.deepEqual(withAndWithoutRule("mmbench_en_dev", "tag", doc, "<think>not B </think>A"), { current: 1, without: 0 });
  const task = taskUnderProfile("mmbench_en_dev", { lmmsEval: "current" });
  assert.equal(task.notes?.["judge"], MMBENCH_STATIC);
});

test("mmbench_cn_dev: profile current: an unsettled rotation waits on a judge, and the score becomes judge-free bounds", () => {
  const rows = docs("mmbench_cn_dev") as MmbenchDoc[];
  const question = rows.filter((d) => d.index % 1_000_000 === 10);
  const answers = question.map((d, i) => (i === 0 ? "我不确定" : d.answer));
  assert.deepEqual(withAndWithoutRule("mmbench_cn_dev", "unsettled", question[0], answers[0]!), { current: null, without: 0 });
  const scored = (profile: "vendored" | "current") => {
    const task = taskUnderProfile("mmbench_cn_dev", { lmmsEval: profile });
    return task.aggregate(question.map((d, i) => task.processResult(d, answers[i]!))).map((m) => [m.metric, m.value]);
  };
  assert.deepEqual(scored("vendored"), [["gpt_eval_score", 0]]);
  assert.deepEqual(scored("current"), [["gpt_eval_score_lower", 0], ["gpt_eval_score_upper", 100]]);
  // A settled rotation that is wrong decides the question without the judge.
  const wrong = answers.map((a, i) => (i === 1 ? "A" === a ? "B" : "A" : a));
  const task = taskUnderProfile("mmbench_cn_dev", { lmmsEval: "current" });
  assert.deepEqual(task.aggregate(question.map((d, i) => task.processResult(d, wrong[i]!))).map((m) => [m.metric, m.value]), [["gpt_eval_score", 0]]);
});
