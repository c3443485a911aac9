/**
 * What every benchmark's test file (test/benchmarks/<folder>.test.ts, one per folder of
 * src/benchmarks/, which adds the benchmark's own cases) shares: its fixture of predictions
 * (test/fixtures/predictions/<name>.jsonl) and the checks every registered benchmark passes
 * (`benchmarkChecks`). test/benchmark_registry.test.ts fails when a registered benchmark has no such file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir, tinyDataset } from "../helpers.js";
import type { LmmsTask, MetricValue } from "../../src/eval/task.js";
import { getTask, taskUnderProfile, type TaskName } from "../../src/benchmarks/registry.js";
import type { Profile } from "../../src/eval/profile.js";
import { readPredictions, scorePredictionsFile } from "../../src/eval/predictions.js";
import { scoreItems } from "../../src/eval/runner.js";
import { Dataset } from "../../src/data/dataset.js";

export const fixture = (task: string) => join(import.meta.dirname, "..", "fixtures", "predictions", `${task}.jsonl`);
export const values = (ms: readonly MetricValue[]) => Object.fromEntries(ms.map((m) => [m.metric, m.value]));
export const docs = (name: TaskName) => readPredictions(getTask(name), fixture(name)).records.map((r) => r.doc);
export const docsOf = <D, L extends object>(task: LmmsTask<D, L>) => readPredictions(task, fixture(task.name)).records.map((r) => r.doc);
export const promptOf = (name: TaskName, i: number) => getTask(name).prompt(docs(name)[i]);
/** The task's fixture scored. */
export const score = (name: TaskName) => scorePredictionsFile(getTask(name), fixture(name));

/** Writes `lines` to a temp file and returns its path. */
export const tempFile = (name: string, lines: string[]) => {
  const path = join(tempDir(), name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
};

/** lmms-eval's prompt suffixes: short answers and option letters. */
export const short = "\nAnswer the question using a single word or phrase.";
export const letter = "\nAnswer with the option's letter from the given choices directly.";

/** Answered in form: per task, whether its scoring can credit each of these answers at all. */
export const predictions = ["A", "A.", "(A)", "The answer is A", "yes", "No.", "maybe"];
export const inForm = (name: TaskName, doc = 0): Array<boolean | undefined> => {
  const task = getTask(name) as LmmsTask<unknown, object>;
  return predictions.map((p) => task.answeredInFormat?.(task.processResult(docs(name)[doc], p)));
};

export function groupBy<T>(items: readonly T[], key: (item: T) => string | number): Map<string | number, T[]> {
  const groups = new Map<string | number, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

export interface BenchmarkCheckOptions {
  /** Why the task has no scored answer (it scores against several references), where it has none. */
  noScoredAnswer?: string;
}

/** The checks every registered benchmark passes: its generated files and its fixture. */
export function benchmarkChecks(name: TaskName, options: BenchmarkCheckOptions = {}): void {
  test(`${name}: its generated docs pass its task's parser, and its own targets score full marks`, async () => {
    const dataset = new Dataset(await tinyDataset());
    const { task, items } = dataset.benchmark(getTask(name));
    assert.ok(items.length > 0, name);
    for (const it of items) assert.ok(task.prompt(it.doc).length > 0);
    const oracle = scoreItems(task, items, items.map((it) => it.target));
    for (const [column, value] of Object.entries(oracle.headline)) assert.equal(value, column.startsWith("MME-P") ? 2000 : column.startsWith("MME-C") ? 800 : 100, `${name} ${column}`);
  });

  test(`${name}: scored answers equal their truth exactly when the task scored the item right, on its fixture`, () => {
    const extra = ["A", "B.", "(C)", "yes", "No.", "The answer is D", "red", "4"];
    const task = getTask(name) as LmmsTask<unknown, Record<string, unknown>>;
    if (options.noScoredAnswer !== undefined) {
      assert.equal(task.scoredAnswer, undefined, options.noScoredAnswer);
      return;
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
  });

  test(`${name}: an answer is scored stripped (lmms-eval's ConfigurableTask.process_results) and logged raw`, () => {
    // Padding with Python whitespace (newline, tab, U+0085, U+3000) changes no scored field, its
    // form or its scored answer; the raw prediction field keeps the padding, as lmms-eval's `resps`.
    const task = getTask(name) as LmmsTask<unknown, Record<string, unknown>>;
    const rawField = (log: Record<string, unknown>) => ("response" in log ? "response" : "prediction");
    for (const record of readPredictions(task, fixture(name)).records) {
      for (const answer of [record.prediction, "A", "B.", "yes", "No", "red"]) {
        const padded = `\n\t\u0085${answer}\u3000 \n`;
        const plain = task.processResult(record.doc, answer);
        const log = task.processResult(record.doc, padded);
        // MMBench logs the stripped response, as upstream's mmbench_process_results; the others the raw one.
        const raw = name.startsWith("mmbench") ? undefined : rawField(log);
        if (raw !== undefined) assert.equal(log[raw], padded, `${name}: the raw answer is logged`);
        const drop = (l: Record<string, unknown>) => Object.fromEntries(Object.entries(l).filter(([k]) => k !== raw));
        assert.deepEqual(drop(log), drop(plain), `${name} ${record.where}: ${JSON.stringify(answer)}`);
        assert.deepEqual(task.answeredInFormat?.(log), task.answeredInFormat?.(plain));
        assert.deepEqual(task.scoredAnswer?.(log), task.scoredAnswer?.(plain));
      }
    }
  });
}

/**
 * One item under the current profile, and the same with only `slot` taking the vendored rule: a rule's
 * hand-made case is one where the two differ, so the case fails without the rule.
 */
export function withAndWithoutRule(name: TaskName, slot: string, doc: unknown, prediction: string): { current: number | null; without: number | null } {
  const scoreUnder = (overrides: Record<string, Profile>) => {
    const task = taskUnderProfile(name, { lmmsEval: "current", overrides });
    return task.itemScore(task.processResult(doc, prediction));
  };
  return { current: scoreUnder({}), without: scoreUnder({ [slot]: "vendored" }) };
}

/** One item's score under a profile. */
export function itemScoreUnder(name: TaskName, lmmsEval: Profile, doc: unknown, prediction: string): number | null {
  const task = taskUnderProfile(name, { lmmsEval });
  return task.itemScore(task.processResult(doc, prediction));
}
