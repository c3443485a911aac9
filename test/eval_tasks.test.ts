import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./helpers.js";
import { getProfiledTask, getTask, taskUnderProfile, TASKS, TASK_NAMES } from "../src/benchmarks/registry.js";
import { firstInvalidUtf8, readPredictions, scorePredictionsFile } from "../src/eval/predictions.js";
import { choiceOf, PROFILES } from "../src/eval/profile.js";
import { driftMarkdown, profileDrift } from "../src/eval/drift.js";
import { writeResults } from "../src/eval/results.js";
import { benchmarkOrder, isBenchmarkName } from "../src/analysis/benchmarks.js";
import { fixture, tempFile } from "./benchmarks/checks.js";

// Generic: the registry, the predictions reader and the results writer. Each benchmark's own cases
// (its fixture's hand-computed scores, prompts, doc fields) are in test/benchmarks/<folder>.test.ts.

test("the registry's tasks are in the README's column order; unknown names list the valid ones", () => {
  for (const name of TASK_NAMES) {
    const task = TASKS[name];
    assert.equal(task.name, name);
    for (const b of [...task.benchmarks, ...Object.keys(task.headline)]) assert.ok(isBenchmarkName(b), `${name}: ${b}`);
  }
  // Each task's first README column, as the registry lists them: increasing (MME and SEED span several).
  const columns = TASK_NAMES.map((name) => Math.min(...Object.keys(TASKS[name].headline).map(benchmarkOrder)));
  for (let i = 1; i < columns.length; i++) assert.ok(columns[i]! > columns[i - 1]!, `${TASK_NAMES[i]} is registered after ${TASK_NAMES[i - 1]} but comes before it in the README`);
  assert.throws(() => getTask("vizwiz_vqa_val"), /unknown task "vizwiz_vqa_val"; expected one of gqa, scienceqa_img, .*mmmu_val/);
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

test("scoring profiles: the vendored build of every task is the registered task; every task scores and drifts under both", () => {
  for (const name of TASK_NAMES) {
    const profiled = getProfiledTask(name);
    const rebuilt = profiled.build(choiceOf(profiled.slots, "vendored"));
    assert.deepEqual(scorePredictionsFile(rebuilt, fixture(name)).metrics, scorePredictionsFile(getTask(name), fixture(name)).metrics, name);
    for (const lmmsEval of PROFILES) assert.ok(scorePredictionsFile(taskUnderProfile(name, { lmmsEval }), fixture(name)).metrics.length > 0, `${name} ${lmmsEval}`);
    const report = profileDrift(profiled, readPredictions(getTask(name), fixture(name)).records, { lmmsEval: "vendored" }, { lmmsEval: "current" });
    assert.deepEqual(report.rules.map((r) => r.slot), Object.keys(profiled.slots), name);
    assert.match(driftMarkdown(report), new RegExp(`^## ${name}: vendored → current`));
  }
  assert.throws(() => choiceOf(getProfiledTask("gqa").slots, "current", { open: "vendored" }), /no scoring rule "open"; expected one of tag/);
});

test("the drift report attributes each changed item to the rules that moved it, and each metric's change to its steps", () => {
  const file = join(import.meta.dirname, "fixtures", "drift", "mmmu_val.jsonl");
  const records = readPredictions(getTask("mmmu_val"), file).records;
  const report = profileDrift(getProfiledTask("mmmu_val"), records, { lmmsEval: "vendored" }, { lmmsEval: "current" });
  assert.deepEqual(report.metrics, [{ metric: "mmmu_acc", from: 0.5, to: 0.33333, difference: 0.33333 - 0.5, itemsChanged: 3 }]);
  assert.deepEqual(report.rules.map((r) => [r.slot, r.kind, r.items, r.examples.map((e) => [e.where.replace(/^.*:/, "line "), e.before, e.after])]), [
    ["tag", "tag", 1, [["line 2", 0, 1]]],
    ["open", "parse", 2, [["line 3", 1, 0], ["line 4", 1, 0]]],
    ["rounding", "rounding", 0, []],
  ]);
  assert.deepEqual(Object.keys(report.rules[2]!.moves), ["mmmu_acc"]);
  // MME's metrics each count only their own items.
  const mmeRecords = readPredictions(getTask("mme"), fixture("mme")).records;
  const y = mmeRecords.map((r) => ({ ...r, prediction: "y" }));
  const mme = profileDrift(getProfiledTask("mme"), y, { lmmsEval: "vendored" }, { lmmsEval: "current" });
  const changedYes = mmeRecords.filter((r) => (r.doc as { answer: string }).answer === "Yes").length;
  assert.equal(mme.metrics.reduce((sum, m) => sum + m.itemsChanged, 0), changedYes);
  assert.equal(mme.rules.find((r) => r.slot === "parse")!.items, changedYes);
});

test("a predictions file that is not valid UTF-8 is refused with its line and byte offset", () => {
  assert.equal(firstInvalidUtf8(Buffer.from("ascii, é, 猫, 😀")), -1);
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xff])), 1);
  assert.equal(firstInvalidUtf8(Buffer.from([0xc0, 0xaf])), 0); // overlong "/"
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80])), 1); // a surrogate
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xe7, 0x8c])), 2); // cut short
  const good = JSON.stringify({ question_id: "1", prediction: "Yes", doc: { question_id: "1", question: "Is there a cat?", answer: "yes", category: "random" } });
  const path = join(tempDir(), "bad.jsonl");
  writeFileSync(path, Buffer.concat([Buffer.from(`${good}\n{"question_id": "2", "prediction": "Yes`), Buffer.from([0xef, 0xbf]), Buffer.from('"}\n')]));
  const offset = Buffer.byteLength(good) + 1 + '{"question_id": "2", "prediction": "Yes'.length;
  assert.throws(() => readPredictions(getTask("pope"), path), new RegExp(`bad\\.jsonl:2: not valid UTF-8 at byte offset ${offset} \\(byte 39 of the line: ef bf 22 7d\\)`));
});
