/**
 * Baselines that never look at the image, for every benchmark: they show what a benchmark can be
 * answered without vision (POPE always-yes ≈ 50% accuracy; knowledge questions that name their
 * object fall to a text-only prior).
 * - `always-yes`: answers "Yes" to everything;
 * - `random-option`: a uniformly random candidate answer of the task (option letter, yes/no, or
 *   one of the doc's reference answers), seeded;
 * - `question-prior`: text only — the answer most often right for the same question in benchmark
 *   items generated from the training scenes, mapped to its option letter when the question has
 *   options; otherwise the answer most often right overall;
 * - `oracle`: the generator's own target answers: a check that targets and scorers agree.
 */
import type { Dataset, LoadedItem } from "../data/dataset.js";
import { worldStatistics } from "./generator.js";
import { Random } from "../util/random.js";
import { scoreItems, spreadSubset, type TaskEvaluation } from "../eval/runner.js";
import type { AnyTask } from "../eval/task.js";
import { benchmarkGenerator, getTask, TASK_NAMES } from "./registry.js";

export const BASELINES = ["always-yes", "random-option", "question-prior", "oracle"] as const;
export type Baseline = (typeof BASELINES)[number];

const stem = (prompt: string): string => prompt.split("\n")[0]!.trim();

/** Option lines of a prompt ("A. text", "(A) text"): letter -> text. */
function promptOptions(prompt: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const line of prompt.split("\n")) {
    const m = /^\(?([A-E])[.)]\s*(.*)$/.exec(line.trim());
    if (m) options.set(m[2]!.trim(), m[1]!);
  }
  return options;
}

const isYesNo = (answers: readonly string[]): boolean => answers.length === 2 && answers.every((a) => /^(yes|no)$/i.test(a));

const mostCommon = (counts: Map<string, number>): string | undefined => [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];

/** The text-only question prior fitted on items from the training scenes. */
export function fitQuestionPrior(task: AnyTask, trainItems: readonly { doc: unknown; target: string; answerText?: string }[]): (item: LoadedItem) => string {
  const byStem = new Map<string, Map<string, number>>();
  const overall = new Map<string, number>();
  const overallTarget = new Map<string, number>();
  for (const it of trainItems) {
    const answer = it.answerText ?? it.target;
    const s = stem(task.prompt(it.doc));
    const counts = byStem.get(s) ?? new Map<string, number>();
    counts.set(answer, (counts.get(answer) ?? 0) + 1);
    byStem.set(s, counts);
    overall.set(answer, (overall.get(answer) ?? 0) + 1);
    overallTarget.set(it.target, (overallTarget.get(it.target) ?? 0) + 1);
  }
  return (item) => {
    const prompt = task.prompt(item.doc);
    const options = promptOptions(prompt);
    const answer = mostCommon(byStem.get(stem(prompt)) ?? new Map()) ?? mostCommon(overall) ?? "";
    if (options.size > 0) return options.get(answer) ?? mostCommon(overallTarget) ?? "A";
    return answer;
  };
}

/** Predictions of one baseline for the items of a task. */
export function baselinePredictions(baseline: Baseline, task: AnyTask, items: readonly LoadedItem[], dataset: Dataset, seed = 0): string[] {
  switch (baseline) {
    case "always-yes":
      return items.map(() => "Yes");
    case "random-option": {
      // Closed questions pick among their own options; open ones among every answer of the benchmark.
      const rng = Random.stream(seed, "random-option", task.name);
      const vocabulary = [...new Set(items.flatMap((it) => task.candidateAnswers(it.doc)))].sort();
      return items.map((it) => rng.pick(promptOptions(task.prompt(it.doc)).size > 0 || isYesNo(task.candidateAnswers(it.doc)) ? task.candidateAnswers(it.doc) : vocabulary));
    }
    case "oracle":
      return items.map((it) => it.target);
    case "question-prior": {
      const train = dataset.scenes("train");
      const generator = benchmarkGenerator(task.name);
      const trainItems = generator.generate({ scenes: train, stats: worldStatistics(train), seed: seed + 1, allowFewer: true }, Math.max(200, 4 * items.length));
      const predict = fitQuestionPrior(task, trainItems);
      return items.map(predict);
    }
  }
}

/** A baseline on a benchmark's items: all of them, or the `limit` subset a quick evaluation scores (`spreadSubset`). */
export function evaluateBaseline(baseline: Baseline, dataset: Dataset, taskName: string, seed = 0, limit?: number): TaskEvaluation {
  const started = Date.now();
  const { task, items: all } = dataset.benchmark(getTask(taskName));
  const items = limit !== undefined ? spreadSubset(all, limit) : all;
  return scoreItems(task, items, baselinePredictions(baseline, task, items, dataset, seed), (Date.now() - started) / 1000);
}

/** README column -> baseline -> headline score, for every task of the dataset (on the `limit` subset when given). */
export function baselineTable(dataset: Dataset, tasks: readonly string[], seed = 0, limit?: number): { column: string; task: string; scores: Record<Baseline, number> }[] {
  const rows: { column: string; task: string; scores: Record<Baseline, number> }[] = [];
  for (const taskName of tasks) {
    const perBaseline = BASELINES.map((b) => [b, evaluateBaseline(b, dataset, taskName, seed, limit).headline] as const);
    for (const column of Object.keys(perBaseline[0]![1])) {
      rows.push({ column, task: taskName, scores: Object.fromEntries(perBaseline.map(([b, h]) => [b, h[column]!])) as Record<Baseline, number> });
    }
  }
  return rows;
}

/** README column -> a baseline's score, on every benchmark's items (or their `limit` subset). */
export function baselineScores(baseline: Baseline, dataset: Dataset, limit?: number, tasks: readonly string[] = TASK_NAMES): Record<string, number> {
  return Object.assign({}, ...tasks.map((task) => evaluateBaseline(baseline, dataset, task, 0, limit).headline)) as Record<string, number>;
}

/** README column -> the question prior's score, on every benchmark's items (or their `limit` subset). */
export const questionPrior = (dataset: Dataset, limit?: number, tasks: readonly string[] = TASK_NAMES): Record<string, number> => baselineScores("question-prior", dataset, limit, tasks);
