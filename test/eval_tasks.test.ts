import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./helpers.js";
import { headlineScores, userText, type LmmsTask, type MetricValue } from "../src/eval/task.js";
import { getTask, TASKS, TASK_NAMES, type TaskName } from "../src/benchmarks/registry.js";
import { readPredictions, scorePredictionsFile } from "../src/eval/predictions.js";
import { writeResults } from "../src/eval/results.js";
import { isBenchmarkName } from "../src/analysis/benchmarks.js";

const fixture = (task: string) => join(import.meta.dirname, "fixtures", "predictions", `${task}.jsonl`);
const values = (ms: readonly MetricValue[]) => Object.fromEntries(ms.map((m) => [m.metric, m.value]));
const docs = (name: TaskName) => readPredictions(getTask(name), fixture(name)).records.map((r) => r.doc);
const docsOf = <D, L extends object>(task: LmmsTask<D, L>) => readPredictions(task, fixture(task.name)).records.map((r) => r.doc);
const promptOf = (name: TaskName, i: number) => getTask(name).prompt(docs(name)[i]);

/** Writes `lines` to a temp file and returns its path. */
const tempFile = (name: string, lines: string[]) => {
  const path = join(tempDir(), name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
};

test("the registry holds the ten tasks; unknown names list the valid ones", () => {
  assert.deepEqual(TASK_NAMES, ["gqa", "scienceqa_img", "textvqa_val", "ai2d", "pope", "mme", "mmbench_en_dev", "mmbench_cn_dev", "seedbench", "mmmu_val"]);
  for (const name of TASK_NAMES) {
    const task = TASKS[name];
    assert.equal(task.name, name);
    for (const b of [...task.benchmarks, ...Object.keys(task.headline)]) assert.ok(isBenchmarkName(b), `${name}: ${b}`);
  }
  assert.throws(() => getTask("vizwiz_vqa_val"), /unknown task "vizwiz_vqa_val"; expected one of gqa, scienceqa_img, .*mmmu_val/);
  const caps = Object.fromEntries(TASK_NAMES.map((n) => [n, TASKS[n].maxNewTokens]));
  // Task yamls; 1024 where the yaml sets none (the LLaVA model's default).
  assert.deepEqual(caps, {
    gqa: 16, scienceqa_img: 16, textvqa_val: 1024, ai2d: 16, pope: 128, mme: 16,
    mmbench_en_dev: 1024, mmbench_cn_dev: 256, seedbench: 1024, mmmu_val: 16,
  });
});

test("every fixture scores to its hand-computed values", () => {
  const score = (name: TaskName) => scorePredictionsFile(getTask(name), fixture(name));
  // GQA (plain layout): Red/red ✓, "left." ✓, "yes " ✗ (space kept), green ✗, tshirt/t-shirt ✓, No/no ✓ → 4/6.
  assert.deepEqual(values(score("gqa").metrics), { exact_match: 4 / 6 });
  // ScienceQA (log_samples, ids from doc_id): "A" ✓, "B. bird" ✓, "(A)" ✗, "c" ✗, "The answer is B" ✗, "A" ✓ → 3/6.
  assert.deepEqual(values(score("scienceqa_img").metrics), { exact_match: 0.5 });
  // TextVQA: "Two." vs 10×"2" → 1; 2 of 10 match → 0.6; "the stop sign" 3 of 10 → 0.9; "1,000" 1 of 10 → 0.3;
  // no match → 0. Mean (1 + 0.6 + 0.9 + 0.3 + 0) / 5 = 2.8 / 5, which is 0.5599999999999999 in floating point.
  assert.deepEqual(values(score("textvqa_val").metrics), { exact_match: 0.5599999999999999 });
  // AI2D (plain, HF answers as strings): B ✓, (A) ✓, c. ✓, "The answer is D" ✗, " A" ✗ → 3/5.
  assert.deepEqual(values(score("ai2d").metrics), { exact_match: 0.6 });
  // POPE: right 1,2,5,8 → acc 4/8; TP 2 (1,2), FN 1 (3), FP 1 (6); "yes, there is a dog." and "no." are neither;
  // precision = recall = 2/3, F1 = 2/3; yes-ratio = 4 yes labels / 8.
  assert.deepEqual(values(score("pope").metrics), {
    pope_accuracy: 0.5, pope_precision: 2 / 3, pope_recall: 2 / 3, pope_f1_score: 2 / 3, pope_yes_ratio: 0.5,
  });
  // MME: existence image 1 both right (200), image 2 one right (50) → 125; count: "Not sure" parses as no (✗), "no" ✓
  // → 50; perception 125 + 50 = 175. code_reasoning: "I think yes" → other ✗, "No." ✓ → 50 = cognition.
  assert.deepEqual(values(score("mme").metrics), { mme_perception_score: 175, mme_cognition_score: 50 });
  // MMBench-En: Q1 right in all 4 rotations ("A", "D. cat", "(C)", "The answer is B."); Q2 wrong in rotation 3;
  // Q3 right by option text in both rotations; Q4 unextracted → wrong. 2 of 4 → 50.
  const en = score("mmbench_en_dev");
  assert.deepEqual(en.metrics, [{ metric: "gpt_eval_score", value: 50, n: 4 }]);
  assert.deepEqual(en.notes, { judge: "none (rule-based extraction)" });
  // MMBench-Cn (plain): Q10 right in 3 of 3; Q11 right by text "狗" then wrong; Q12 right → (2/3)·100.
  assert.deepEqual(score("mmbench_cn_dev").metrics, [{ metric: "gpt_eval_score", value: (2 / 3) * 100, n: 3 }]);
  // SEED: A ✓, "B. dog" ✓, "(C)" ✗, "d" ✗, "  A  " ✓, "The answer is B" ✗ → 3/6; the video row is skipped.
  const seed = score("seedbench");
  assert.deepEqual(values(seed.metrics), { seed_image: 0.5, seed_all: 0.5 });
  assert.equal(seed.n, 6);
  assert.equal(seed.skipped, 1);
  // MMMU: Art_Theory 2/2 ("B", "(A) Rubens"); Math 1/2 ("The answer is 12." ✓, "about 4" vs 3.5 ✗);
  // Physics 1/2 (option text "30 N" ✓; "unclear" → seeded random B, answer A ✗) → 4/6 → round 3 → 0.667.
  assert.deepEqual(score("mmmu_val").metrics, [{ metric: "mmmu_acc", value: 0.667, n: 6 }]);
});

test("answered in form: per task, whether its scoring can credit the answer at all (hand-checked)", () => {
  const predictions = ["A", "A.", "(A)", "The answer is A", "yes", "No.", "maybe"];
  const inForm = (name: TaskName, doc = 0): Array<boolean | undefined> => {
    const task = getTask(name) as LmmsTask<unknown, object>;
    return predictions.map((p) => task.answeredInFormat?.(task.processResult(docs(name)[doc], p)));
  };
  // AI2D: exact match after lower-casing and dropping punctuation, so "(A)" → "a" is a letter too.
  assert.deepEqual(inForm("ai2d"), [true, true, true, false, false, false, false]);
  // ScienceQA: a lone capital letter or one followed by "."; "No." is "N" then "o".
  assert.deepEqual(inForm("scienceqa_img"), [true, true, false, false, false, false, false]);
  // SEED: the first character, A–D.
  assert.deepEqual(inForm("seedbench"), [true, true, false, false, false, false, false]);
  // POPE compares the lower-cased answer exactly: "no." is neither yes nor no.
  assert.deepEqual(inForm("pope"), [false, false, false, false, true, false, false]);
  // MME: full stops dropped, then yes/no within the first four characters.
  assert.deepEqual(inForm("mme"), [false, false, false, false, true, true, false]);
  // MMBench (options cat, dog, bird, fish): "A" in a sentence of more than 3 words may be the article.
  assert.deepEqual(inForm("mmbench_en_dev"), [true, true, true, false, false, false, false]);
  // MMMU multiple choice: "A " inside the sentence counts; no letter and ≤ 5 words is a random pick.
  assert.deepEqual(inForm("mmmu_val"), [true, true, true, true, false, false, false]);
  const open = docs("mmmu_val").findIndex((d) => (d as { questionType: string }).questionType === "open");
  assert.ok(open >= 0, "the MMMU fixture has an open question");
  assert.deepEqual(inForm("mmmu_val", open), predictions.map(() => undefined), "open questions have no form to miss");
  for (const name of ["gqa", "textvqa_val"] as const) assert.equal(getTask(name).answeredInFormat, undefined, `${name} has open answers`);
});

test("scored answers: equal to their truth exactly when the task scored the item right, on every fixture", () => {
  const extra = ["A", "B.", "(C)", "yes", "No.", "The answer is D", "red", "4"];
  for (const name of TASK_NAMES) {
    const task = getTask(name) as LmmsTask<unknown, Record<string, unknown>>;
    if (name === "textvqa_val") {
      assert.equal(task.scoredAnswer, undefined, "TextVQA scores against ten references");
      continue;
    }
    let scored = 0;
    for (const record of readPredictions(task, fixture(name)).records) {
      for (const prediction of [record.prediction, ...extra]) {
        const log = task.processResult(record.doc, prediction);
        const pair = task.scoredAnswer!(log);
        if (pair === undefined) {
          assert.equal(log["questionType"], "open", `${name}: only MMMU's open questions lack a scored answer`);
          continue;
        }
        scored++;
        const right = log["exact_match"] ?? log["correct"] ?? log["score"];
        assert.equal(pair.given === pair.truth, right === 1, `${name} ${record.where}: ${JSON.stringify(prediction)} → ${JSON.stringify(pair)}, scored ${String(right)}`);
      }
    }
    assert.ok(scored > 0, `${name}: some answers scored`);
  }
});

test("headline columns map to README units", () => {
  const pope = scorePredictionsFile(getTask("pope"), fixture("pope"));
  assert.deepEqual(headlineScores(TASKS.pope, pope.metrics), { POPE: (2 / 3) * 100 });
  const mme = scorePredictionsFile(getTask("mme"), fixture("mme"));
  assert.deepEqual(headlineScores(TASKS.mme, mme.metrics), { "MME-P": 175, "MME-C": 50 });
  const mmmu = scorePredictionsFile(getTask("mmmu_val"), fixture("mmmu_val"));
  assert.deepEqual(headlineScores(TASKS.mmmu_val, mmmu.metrics), { MMMU: 66.7 });
});

test("prompts are lmms-eval's strings", () => {
  const short = "\nAnswer the question using a single word or phrase.";
  const letter = "\nAnswer with the option's letter from the given choices directly.";
  assert.equal(promptOf("gqa", 0), `What color is the cube on the left?${short}`);
  assert.equal(promptOf("scienceqa_img", 0), `Which of these states is farthest north?\nA. West Virginia\nB. Louisiana\nC. Arizona\nD. Oklahoma${letter}`);
  assert.equal(promptOf("scienceqa_img", 1), `Context: Arctic hares live in the cold north.\nWhich animal's feet are also adapted for walking on snow?\nA. dog\nB. bird${letter}`);
  assert.equal(promptOf("textvqa_val", 1), `What brand is the drink?\nReference OCR token: Coca-Cola, classic${short}`);
  assert.equal(promptOf("textvqa_val", 4), `What word is above the door?\nReference OCR token: ${short}`);
  assert.equal(
    TASKS.textvqa_val.prompt({ questionId: "1", question: "what does the STOP sign say?", answers: ["stop"], ocrTokens: ["STOP"] }),
    `What does the stop sign say?\nReference OCR token: STOP${short}`,
  );
  assert.equal(promptOf("ai2d", 0), `Which stage comes after the egg?\nA. adult\nB. larva\nC. pupa\nD. egg${letter}`);
  assert.equal(promptOf("pope", 7), `Is there a cup in the image?${short}`);
  assert.equal(promptOf("mme", 0), `Is there a train in this image?${short}`);
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
  assert.equal(promptOf("seedbench", 0), `How many apples are on the table?\nA. one\nB. two\nC. three\nD. four${letter}`);
  assert.equal(
    promptOf("mmmu_val", 0),
    "Which style is shown in <image>?\nA. Baroque\nB. Rococo\nC. Gothic\nD. Renaissance\nAnswer with the option letter from the given choices directly.",
  );
  assert.equal(promptOf("mmmu_val", 2), `What is the area of the square in <image>?${short}`);
  // The LLaVA model puts the image first unless the prompt already places it (MMMU).
  assert.equal(userText(promptOf("gqa", 0)), `<image>\nWhat color is the cube on the left?${short}`);
  assert.equal(userText(promptOf("mmmu_val", 0)), promptOf("mmmu_val", 0));
});

test("HF field names map onto our doc types", () => {
  assert.deepEqual(docs("mme")[0], {
    questionId: "existence/000000006040.jpg::Is there a train in this image? Please answer yes or no.",
    imageId: "existence/000000006040.jpg",
    question: "Is there a train in this image? Please answer yes or no.",
    answer: "Yes",
    category: "existence",
  });
  assert.deepEqual(docs("mmmu_val")[0], {
    id: "validation_Art_Theory_1",
    question: "Which style is shown in <image 1>?",
    options: ["Baroque", "Rococo", "Gothic", "Renaissance"],
    answer: "B",
    questionType: "multiple-choice",
    subject: "Art_Theory",
  });
  assert.deepEqual(docs("mmbench_en_dev")[8], {
    index: 3, question: "What color is the ball?", hint: null, options: { A: "red", B: "blue" }, answer: "A",
    category: "attribute_recognition", l2Category: "finegrained_perception (instance-level)",
  });
  assert.equal(TASKS.scienceqa_img.docId(docsOf(TASKS.scienceqa_img)[2]!), "2"); // from doc_id
  assert.equal(TASKS.gqa.docId(docsOf(TASKS.gqa)[5]!), "201640619"); // from the plain layout's question_id
  assert.deepEqual(TASKS.ai2d.candidateAnswers(docsOf(TASKS.ai2d)[0]!), ["A", "B", "C", "D"]);
  assert.deepEqual(TASKS.pope.candidateAnswers(docsOf(TASKS.pope)[0]!), ["yes", "no"]);
  assert.deepEqual(TASKS.mmbench_en_dev.candidateAnswers(docsOf(TASKS.mmbench_en_dev)[8]!), ["A", "B"]);
  assert.deepEqual(TASKS.textvqa_val.candidateAnswers(docsOf(TASKS.textvqa_val)[1]!), ["coca cola", "coke"]);
});

test("the lmms-eval JSON document layout (logs array) scores like the JSON Lines one", () => {
  const logs = readFileSync(fixture("pope"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as unknown);
  const path = join(tempDir(), "pope.json");
  writeFileSync(path, JSON.stringify({ args: {}, model_configs: {}, logs }, null, 4));
  assert.deepEqual(scorePredictionsFile(getTask("pope"), path).metrics, scorePredictionsFile(getTask("pope"), fixture("pope")).metrics);
  writeFileSync(path, JSON.stringify({ args: {}, logs: [logs[0], { ...(logs[1] as object), doc: { question: "q" } }] }));
  assert.throws(() => scorePredictionsFile(getTask("pope"), path), new RegExp(`${path}: logs\\[1\\]: missing field "answer"`));
});

test("bad input: each error names the file and line", () => {
  const line = (doc: object, pred = "yes") => JSON.stringify({ doc_id: 0, doc, resps: [[pred]], filtered_resps: [pred] });
  const ok = { question_id: "1", question: "Is there a cat?", answer: "yes", category: "random" };

  const malformed = tempFile("m.jsonl", [line(ok), "{not json"]);
  assert.throws(() => readPredictions(TASKS.pope, malformed), new RegExp(`^Error: ${malformed}:2: malformed JSON`));

  const missing = tempFile("f.jsonl", [line(ok), "", line({ question_id: "2", answer: "no", category: "random" })]);
  assert.throws(() => readPredictions(TASKS.pope, missing), new RegExp(`${missing}:3: missing field "question"`));

  const wrongType = tempFile("t.jsonl", [line({ ...ok, answer: 5 })]);
  assert.throws(() => readPredictions(TASKS.pope, wrongType), new RegExp(`${wrongType}:1: field "answer": expected one of "yes", "no", found 5`));

  const dup = tempFile("d.jsonl", [line(ok), line({ ...ok, question: "Is there a dog?" })]);
  assert.throws(() => readPredictions(TASKS.pope, dup), new RegExp(`${dup}:2: duplicate question id "1" \\(first at ${dup}:1\\)`));

  const noDoc = tempFile("n.jsonl", [JSON.stringify({ doc_id: 0, filtered_resps: "yes", target: "yes" })]);
  assert.throws(() => readPredictions(TASKS.pope, noDoc), new RegExp(`${noDoc}:1: missing field "doc" \\(lmms-eval 0.4`));

  const noPred = tempFile("p.jsonl", [JSON.stringify({ question_id: "1", doc: ok })]);
  assert.throws(() => readPredictions(TASKS.pope, noPred), new RegExp(`${noPred}:1: missing field "prediction" \\(plain layout\\) or "filtered_resps"`));

  const badResp = tempFile("r.jsonl", [JSON.stringify({ doc_id: 0, doc: ok, filtered_resps: ["a", "b"] })]);
  assert.throws(() => readPredictions(TASKS.pope, badResp), new RegExp(`${badResp}:1: field "filtered_resps": expected a string or a one-element list`));

  const badPlain = tempFile("q.jsonl", [JSON.stringify({ question_id: "1", prediction: 3, doc: ok })]);
  assert.throws(() => readPredictions(TASKS.pope, badPlain), new RegExp(`${badPlain}:1: field "prediction": expected a string`));

  const badOpts = tempFile("o.jsonl", [JSON.stringify({ question_id: "x", prediction: "A", doc: { id: "validation_Art_1", question: "?", options: "['a', 'b'", answer: "A", question_type: "multiple-choice" } })]);
  assert.throws(() => readPredictions(TASKS.mmmu_val, badOpts), new RegExp(`${badOpts}:1: field "options": expected a list of strings`));

  const badIndex = tempFile("i.jsonl", [JSON.stringify({ question_id: "x", prediction: "A", doc: { index: 1, question: "?", hint: null, options: { A: "a", B: "b" }, answer: "C", category: "c", l2Category: "l" } })]);
  assert.throws(() => readPredictions(TASKS.mmbench_en_dev, badIndex), new RegExp(`${badIndex}:1: field "answer": option C is not given`));

  const empty = tempFile("e.jsonl", [""]);
  assert.throws(() => readPredictions(TASKS.pope, empty), new RegExp(`${empty}: no predictions for pope`));
  assert.throws(() => readPredictions(TASKS.pope, "/nonexistent/p.jsonl"), /\/nonexistent\/p\.jsonl: cannot read/);
});

test("results: lmms-eval-like results.json and per-sample JSONL, written atomically", () => {
  const dir = tempDir();
  const pope = scorePredictionsFile(getTask("pope"), fixture("pope"));
  const en = scorePredictionsFile(getTask("mmbench_en_dev"), fixture("mmbench_en_dev"));
  const paths = writeResults(dir, [pope, en], { model: "llava-more-tiny", seed: 0 });
  const results = JSON.parse(readFileSync(paths.results, "utf8")) as Record<string, Record<string, Record<string, unknown>>>;
  assert.equal(results["results"]?.["pope"]?.["pope_f1_score,none"], 2 / 3);
  assert.equal(results["results"]?.["pope"]?.["alias"], "pope");
  assert.equal(results["results"]?.["mmbench_en_dev"]?.["gpt_eval_score,none"], 50);
  assert.equal(results["results"]?.["mmbench_en_dev"]?.["judge"], "none (rule-based extraction)");
  assert.deepEqual(results["n-samples"]?.["mmbench_en_dev"], { original: 11, effective: 11 });
  assert.deepEqual(results["config"], { model: "llava-more-tiny", seed: 0 });
  const lines = readFileSync(join(dir, "samples_pope.jsonl"), "utf8").trim().split("\n");
  assert.equal(lines.length, 8);
  assert.deepEqual(JSON.parse(lines[3] as string), {
    doc_id: 3, questionId: "4", category: "popular", response: "Yes, there is a dog.", prediction: "yes, there is a dog.", ground_truth: "yes", score: 0,
  });

  // A result that cannot be written leaves the good files as they were.
  const before = readFileSync(paths.results, "utf8");
  const broken = { ...pope, metrics: [{ metric: "pope_f1_score", value: NaN, n: 8 }] };
  assert.throws(() => writeResults(dir, [broken]), /pope pope_f1_score is NaN, not a finite number/);
  assert.equal(readFileSync(paths.results, "utf8"), before);
  assert.ok(!existsSync(join(dir, `.results.json.${process.pid}.tmp`)));
});
