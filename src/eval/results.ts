/**
 * Results in an lmms-eval-like layout: `results.json` with
 * `{"results": {<task>: {"alias": <task>, "<metric>,none": value, …}}, "n-samples": {<task>:
 * {"original": n, "effective": n}}, "config": {…}}` (lmms-eval 0.2+ field names; the filter key
 * is always "none"), and per task `samples_<task>.jsonl`, one sample log per line with its
 * position as `doc_id`. Everything is serialised and checked before anything is written; each
 * file is replaced atomically and results.json is written last, so a reader never sees a partial
 * file and a results.json never describes samples that are not on disk.
 */

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../util/fs.js";
import { readJsonl } from "../util/jsonl.js";
import type { AnyTask, MetricValue, ScoredAnswer } from "./task.js";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface TaskScores {
  task: string;
  metrics: readonly MetricValue[];
  n: number;
  logs: readonly object[];
  /** String facts shown next to the metrics (e.g. the MMBench judge). */
  notes?: Readonly<Record<string, string>>;
}

export interface ResultsJson {
  results: Record<string, Record<string, string | number>>;
  "n-samples": Record<string, { original: number; effective: number }>;
  config: { [key: string]: JsonValue };
}

export function resultsJson(scores: readonly TaskScores[], config: { [key: string]: JsonValue } = {}): ResultsJson {
  const out: ResultsJson = { results: {}, "n-samples": {}, config };
  for (const s of scores) {
    if (out.results[s.task]) throw new Error(`results: task "${s.task}" given twice`);
    const entry: Record<string, string | number> = { alias: s.task };
    for (const m of s.metrics) {
      if (!Number.isFinite(m.value)) throw new Error(`results: ${s.task} ${m.metric} is ${m.value}, not a finite number`);
      entry[`${m.metric},none`] = m.value;
    }
    Object.assign(entry, s.notes ?? {});
    out.results[s.task] = entry;
    out["n-samples"][s.task] = { original: s.n, effective: s.n };
  }
  return out;
}

export function samplesJsonl(logs: readonly object[]): string {
  return logs.map((log, i) => `${JSON.stringify({ doc_id: i, ...log })}\n`).join("");
}

/** Writes samples_<task>.jsonl for every task, then results.json, into `dir`; returns the paths. */
export function writeResults(
  dir: string,
  scores: readonly TaskScores[],
  config: { [key: string]: JsonValue } = {},
): { results: string; samples: string[] } {
  const results = `${JSON.stringify(resultsJson(scores, config), null, 2)}\n`;
  const samples = scores.map((s) => {
    if (!/^[\w.-]+$/.test(s.task)) throw new Error(`results: task name "${s.task}" cannot name a file`);
    return { path: join(dir, `samples_${s.task}.jsonl`), text: samplesJsonl(s.logs) };
  });
  for (const s of samples) writeFileAtomic(s.path, s.text);
  const resultsPath = join(dir, "results.json");
  writeFileAtomic(resultsPath, results);
  return { results: resultsPath, samples: samples.map((s) => s.path) };
}

/** A benchmark's most frequent answer in one evaluation and its share of the items. */
export interface TopAnswer {
  answer: string;
  share: number;
  n: number;
  /**
   * Share of the items answered in the benchmark's form (the task's `answeredInFormat`: a yes or a no,
   * an option letter), over the items that have one; absent for open-answer benchmarks.
   */
  inFormat?: number;
  /** The run's accuracy against its answers shuffled over the same items (see `answerHabit`); absent where the task has no `scoredAnswer`. */
  habit?: AnswerHabit;
}

/** Accuracy on the items with one scored answer, and what the same answers score dealt out at random. */
export interface AnswerHabit {
  items: number;
  /** Share of the items whose scored answer equals their truth. */
  accuracy: number;
  /**
   * The expected accuracy of the run's own answers shuffled over the items: Σ_k n_given(k) n_truth(k) / n².
   * A run that answers independently of the item (always "A", or A and B at a fixed ratio) scores it.
   */
  shuffled: number;
}

/** `AnswerHabit` of a list of scored answers; undefined for none. */
export function answerHabit(answers: readonly ScoredAnswer[]): AnswerHabit | undefined {
  const n = answers.length;
  if (n === 0) return undefined;
  const given = new Map<string, number>();
  const truth = new Map<string, number>();
  let right = 0;
  for (const a of answers) {
    given.set(a.given, (given.get(a.given) ?? 0) + 1);
    truth.set(a.truth, (truth.get(a.truth) ?? 0) + 1);
    if (a.given === a.truth) right++;
  }
  let matches = 0;
  for (const [k, c] of given) matches += c * (truth.get(k) ?? 0);
  return { items: n, accuracy: right / n, shuffled: matches / (n * n) };
}

/**
 * For each README column in an evaluation folder's `samples_<task>.jsonl` files (MME's samples split
 * into MME-P and MME-C by the task's `benchmarkOf`; a file of an unknown task keeps its task name):
 * the most frequent `prediction` (trimmed, lower-cased) and its share, and the share answered in the
 * benchmark's form. A top share near 1 is a collapse to one answer ("yes" to every POPE item, "A" to
 * every lettered question); an in-form share below 1 is answers the scoring cannot credit. An absent
 * folder gives none. `tasks`: the known tasks by name (src/benchmarks/registry.ts, `TASKS`).
 */
export function topAnswers(dir: string, tasks: Readonly<Record<string, AnyTask>>): Record<string, TopAnswer> {
  if (!existsSync(dir)) return {};
  const counts = new Map<string, Map<string, number>>();
  const form = new Map<string, { inFormat: number; judged: number }>();
  const scored = new Map<string, ScoredAnswer[]>();
  for (const file of readdirSync(dir).filter((f) => /^samples_[\w.-]+\.jsonl(\.gz)?$/.test(f)).sort()) {
    const name = file.slice("samples_".length).replace(/\.jsonl(\.gz)?$/, "");
    const task = Object.hasOwn(tasks, name) ? tasks[name] : undefined;
    for (const { line, value } of readJsonl(join(dir, file))) {
      const prediction = (value as { prediction?: unknown }).prediction;
      if (typeof prediction !== "string") throw new Error(`${join(dir, file)}:${line}: expected a "prediction" string`);
      const benchmark = task === undefined ? name : (task.benchmarkOf?.(value as object) ?? task.benchmarks[0]!);
      const answers = counts.get(benchmark) ?? new Map<string, number>();
      counts.set(benchmark, answers);
      const answer = prediction.trim().toLowerCase();
      answers.set(answer, (answers.get(answer) ?? 0) + 1);
      const pair = task?.scoredAnswer?.(value as object);
      // A log without the fields (not written by this workbench's scoring) has no scored answer.
      if (pair !== undefined && typeof pair.given === "string" && typeof pair.truth === "string") {
        const list = scored.get(benchmark) ?? [];
        scored.set(benchmark, list);
        list.push(pair);
      }
      const verdict = task?.answeredInFormat?.(value as object);
      if (verdict !== undefined) {
        const f = form.get(benchmark) ?? { inFormat: 0, judged: 0 };
        form.set(benchmark, { inFormat: f.inFormat + (verdict ? 1 : 0), judged: f.judged + 1 });
      }
    }
  }
  const out: Record<string, TopAnswer> = {};
  for (const [benchmark, answers] of counts) {
    const n = [...answers.values()].reduce((a, b) => a + b, 0);
    const [answer, count] = [...answers].reduce((best, c) => (c[1] > best[1] ? c : best));
    const f = form.get(benchmark);
    const habit = answerHabit(scored.get(benchmark) ?? []);
    out[benchmark] = { answer, share: count / n, n, ...(f ? { inFormat: f.inFormat / f.judged } : {}), ...(habit ? { habit } : {}) };
  }
  return out;
}
