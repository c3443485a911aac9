/**
 * The lmms-eval-compatible task layer: one object per benchmark task with the prompt, the
 * per-sample scoring and the aggregation exactly as lmms-eval implements them.
 *
 * Reference: the copy of lmms-eval that LLaVA-MORE vendored and evaluated with
 * (aimagelab/LLaVA-MORE, src/lmms_eval/, commit 2460d39), the LLaVA model class `llava` with
 * each task's `default` prompt kwargs. Scoring can instead follow lmms-eval at commit 75571cfe:
 * each task file lists its rule slots with both versions' rules (./profile.ts, the `current`
 * profile; docs/scoring_profiles.md). Nothing here is copied from lmms-eval: every rule is re-implemented from a
 * description of its behaviour, and each quirk is kept and documented next to the code.
 */

import { IMAGE_PLACEHOLDER } from "../models/templates/template.js";
import { stripReasoningTags, type TagPairs } from "./metrics/reasoning.js";

/** A task's lmms-eval filter (its yaml's filter_list), applied to the raw response first. */
export type Filter = (raw: string) => string;
/** lmms-eval's default filter ("none", take_first): the response as generated. */
export const NO_FILTER: Filter = (raw) => raw;

/**
 * The answer a task's scoring reads: the task's filter on the raw response, then the reasoning tags
 * removed (`tags`: none in the vendored copy; lmms-eval 75571cfe's evaluator does it after filtering,
 * lmms_eval/api/reasoning.py), then stripped: lmms-eval's `ConfigurableTask.process_results`
 * (lmms_eval/api/task.py, both versions) runs `results[0].strip()` for every `generate_until` task
 * (all of ours) before the task's own process_results or its yaml metric sees the answer. The
 * evaluator hands it a fresh list, so the samples log keeps `resps` and `filtered_resps` unstripped.
 * Every task's `processResult` starts here and logs the raw prediction beside what it scored;
 * `answeredInFormat` and `scoredAnswer` re-apply it to a log's raw `prediction`.
 */
export function generatedAnswer(raw: string, tags: TagPairs = [], filter: Filter = NO_FILTER): string {
  // With no tag pairs stripReasoningTags only strips: the vendored pipeline.
  return stripReasoningTags(filter(raw), tags);
}

export interface MetricValue {
  metric: string;
  value: number;
  /** Scored units behind the value: samples, except MMBench, where it is circular questions. */
  n: number;
}

/** One item's answer as its scoring read it, and the truth it was compared with. */
export interface ScoredAnswer {
  given: string;
  truth: string;
}

export interface LmmsTask<Doc, SampleLog extends object = object> {
  /** lmms-eval task name. */
  name: string;
  /** README columns (src/analysis/benchmarks.ts names) this task produces. */
  benchmarks: string[];
  /** Generation cap: the task yaml's max_new_tokens, else the LLaVA model's default of 1024. */
  maxNewTokens: number;
  docId(doc: Doc): string;
  /**
   * The user text as lmms-eval's doc_to_text builds it. The LLaVA model class puts
   * `<image>\n` before it unless it already contains `<image>` (MMMU): see `userText`.
   */
  prompt(doc: Doc): string;
  /**
   * Per-sample record, what `--log_samples` keeps: raw and parsed answer, correctness, ids. Takes
   * the raw prediction; scores `generatedAnswer(prediction)` (stripped, as lmms-eval's
   * ConfigurableTask.process_results) and logs the raw string as lmms-eval's `resps`.
   */
  processResult(doc: Doc, prediction: string): SampleLog;
  /**
   * A log's own score as the task's aggregation reads it (1/0, or TextVQA's VQA accuracy); null for an
   * item whose score an API judge would decide (MMBench-Cn under the current profile).
   */
  itemScore(log: SampleLog): number | null;
  /** The metrics a log counts in (MME: perception or cognition; SEED: its data type's and seed_all); every metric of the task when absent. */
  metricScope?(log: SampleLog): readonly string[];
  /** Every metric lmms-eval reports for the task, in lmms-eval's units (see `headlineScale`). */
  aggregate(logs: SampleLog[]): MetricValue[];
  /** README column -> metric name in aggregate(). */
  headline: Record<string, string>;
  /** README column -> factor from lmms-eval's unit to the README's (100 for 0–1 fractions). */
  headlineScale: Record<string, number>;
  /** The README column a sample counts towards where the task has several (MME: perception or cognition); else its only one. */
  benchmarkOf?(log: SampleLog): string;
  /**
   * Whether a logged answer has the benchmark's answer form as the scoring reads it (a yes or a no, an
   * option letter) rather than falling through to "other", a random pick or no option at all; false
   * also for a log that lacks the fields; undefined for an item with an open answer (MMMU's open
   * questions). Absent for open-answer tasks (GQA, TextVQA).
   */
  answeredInFormat?(log: SampleLog): boolean | undefined;
  /**
   * The answer the scoring compared with the item's truth, and that truth, as compared: equal exactly
   * when the item was scored right. Undefined for an item scored another way (MMMU's open questions);
   * absent for tasks with several references per item (TextVQA). Read by `topAnswers` (see
   * `answerHabit`), which skips a pair whose fields are not both strings (a log that lacks them).
   */
  scoredAnswer?(log: SampleLog): ScoredAnswer | undefined;
  /** Validates a doc read from a file (our field names or the HF dataset's); errors name `where`. */
  parseDoc(raw: unknown, where: string): Doc;
  /** Answers a baseline may choose from: option letters, "yes"/"no", or the doc's references. */
  candidateAnswers(doc: Doc): string[];
  /** Why a raw doc is outside this task's scope (it is then skipped, not an error), if it is. */
  outOfScope?(raw: unknown): string | undefined;
  /** Facts about how the task was scored that belong in the results file (e.g. the MMBench judge). */
  notes?: Record<string, string>;
}

/** A task with its doc and log types erased, for code that handles any of them. */
export type AnyTask = LmmsTask<unknown, object>;

/**
 * The first user turn as lmms-eval's LLaVA model builds it (models/llava.py, generate_until):
 * the prompt as is when it already holds `<image>`, else one `<image>` per image joined by
 * spaces, a newline, then the prompt.
 */
export function userText(prompt: string, images = 1): string {
  if (images === 0 || prompt.includes(IMAGE_PLACEHOLDER)) return prompt;
  return `${Array.from({ length: images }, () => IMAGE_PLACEHOLDER).join(" ")}\n${prompt}`;
}

/** The README-unit value of each headline column found among `metrics`. */
export function headlineScores<D, L extends object>(task: LmmsTask<D, L>, metrics: readonly MetricValue[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [column, metric] of Object.entries(task.headline)) {
    const m = metrics.find((v) => v.metric === metric);
    if (m) out[column] = m.value * (task.headlineScale[column] ?? 1);
  }
  return out;
}

/** Scores predictions for docs (same order) with a task: the per-sample logs and the metrics. */
export function scoreTask<D, L extends object>(
  task: LmmsTask<D, L>,
  docs: readonly D[],
  predictions: readonly string[],
): { logs: L[]; metrics: MetricValue[] } {
  if (docs.length !== predictions.length) {
    throw new Error(`${task.name}: ${docs.length} docs but ${predictions.length} predictions`);
  }
  const logs = docs.map((doc, i) => task.processResult(doc, predictions[i] as string));
  return { logs, metrics: task.aggregate(logs) };
}
