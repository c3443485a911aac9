/**
 * The evaluation runner: any model that answers `generate(image, prompt)` — one request at a time
 * or in batches — run over a benchmark or all of them, with a progress bar, scored by the task's
 * own lmms-eval rules. Prompts are built as lmms-eval's LLaVA model builds them (`userText`).
 */
import type { Dataset, LoadedItem } from "../data/dataset.js";
import { progressBar } from "../util/progress.js";
import type { RawImage } from "../world/render.js";
import { writeResults, type JsonValue, type TaskScores } from "./results.js";
import { headlineScores, scoreTask, userText, type AnyTask } from "./task.js";

export interface GenerationRequest {
  /** The item's image path in the dataset's image folder (e.g. "test-000012.png"). */
  imagePath: string;
  /** Decodes the image (models that work on cached features never call it). */
  image(): Promise<RawImage>;
  /** The first user turn: `<image>\n` then the task's prompt. */
  prompt: string;
  maxNewTokens: number;
}

/** One request at a time... */
export type GenerateFn = (image: RawImage, prompt: string, options: { maxNewTokens: number }) => string | Promise<string>;
/** ...or batches of them, when the model can pad and run several at once. */
export interface BatchedModel {
  batchSize: number;
  generateBatch(requests: readonly GenerationRequest[]): Promise<string[]>;
}
export type ModelUnderTest = GenerateFn | BatchedModel;

export interface TaskEvaluation extends TaskScores {
  /** README column -> score in the README's units. */
  headline: Record<string, number>;
  predictions: string[];
  seconds: number;
}

export interface EvaluateOptions {
  /** Evaluate about `limit` items of each task, spread over the file (see `spreadSubset`). */
  limit?: number;
  progress?: boolean;
  /** Where a task's items come from: the dataset's benchmark files unless given (the validation split). */
  items?: (task: string) => { task: AnyTask; items: LoadedItem[] };
}

/** Scores ready-made predictions (one per item, same order) with the task's rules. */
export function scoreItems(task: AnyTask, items: readonly LoadedItem[], predictions: readonly string[], seconds = 0): TaskEvaluation {
  const { logs, metrics } = scoreTask(task, items.map((it) => it.doc), predictions);
  return { task: task.name, metrics, n: items.length, logs, notes: task.notes, headline: headlineScores(task, metrics), predictions: [...predictions], seconds };
}

/**
 * About `limit` items spread evenly over a benchmark file, so every category is represented (files
 * list categories in blocks: POPE's splits, MME's subtasks). Consecutive items about one image form a
 * group that is kept whole — MME's yes/no pair (acc+), MMBench's rotations (circular evaluation) — so
 * the subset may exceed `limit` by less than one group. Deterministic: same file, same subset.
 */
export function spreadSubset<T extends { image: string }>(items: readonly T[], limit: number): T[] {
  const groups: T[][] = [];
  for (const item of items) {
    const last = groups[groups.length - 1];
    if (last && last[0]!.image === item.image) last.push(item);
    else groups.push([item]);
  }
  if (items.length <= limit) return [...items];
  const size = items.length / groups.length;
  const take = Math.max(1, Math.min(groups.length, Math.round(limit / size)));
  return [...Array(take).keys()].flatMap((i) => groups[Math.floor((i * groups.length) / take)]!);
}

/** Evaluates `model` on one benchmark: the caller gives its task (src/benchmarks/registry.ts, `getTask`). */
export async function evaluateTask(dataset: Dataset, benchmark: AnyTask, model: ModelUnderTest, options: EvaluateOptions = {}): Promise<TaskEvaluation> {
  const started = Date.now();
  const { task, items: all } = options.items ? options.items(benchmark.name) : dataset.benchmark(benchmark);
  const items = options.limit !== undefined ? spreadSubset(all, options.limit) : all;
  const bar = progressBar(task.name, items.length, { silent: options.progress === false });
  const batchSize = typeof model === "function" ? 1 : Math.max(1, model.batchSize);
  const predictions: string[] = [];
  for (let start = 0; start < items.length; start += batchSize) {
    const batch = items.slice(start, start + batchSize);
    const requests = batch.map((it): GenerationRequest => ({ imagePath: it.image, image: () => dataset.image(it.image), prompt: userText(task.prompt(it.doc)), maxNewTokens: task.maxNewTokens }));
    const answers =
      typeof model === "function" ? [await model(await requests[0]!.image(), requests[0]!.prompt, { maxNewTokens: requests[0]!.maxNewTokens })] : await model.generateBatch(requests);
    if (answers.length !== batch.length) throw new Error(`${task.name}: the model returned ${answers.length} answers for ${batch.length} requests`);
    predictions.push(...answers);
    bar.tick(batch.length);
  }
  bar.done();
  return scoreItems(task, items, predictions, (Date.now() - started) / 1000);
}

export async function evaluateAll(dataset: Dataset, model: ModelUnderTest, tasks: readonly AnyTask[], options: EvaluateOptions = {}): Promise<TaskEvaluation[]> {
  const out: TaskEvaluation[] = [];
  for (const t of tasks) out.push(await evaluateTask(dataset, t, model, options));
  return out;
}

/** Writes results.json and samples_<task>.jsonl (lmms-eval-like layout) into `dir`. */
export function saveEvaluation(dir: string, evaluations: readonly TaskEvaluation[], config: { [key: string]: JsonValue } = {}): { results: string; samples: string[] } {
  return writeResults(dir, evaluations, config);
}
