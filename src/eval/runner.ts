/**
 * The evaluation runner: any model that answers `generate(image, prompt)` — one request at a time
 * or in batches — run over a benchmark or all of them, with a progress bar, scored by the task's
 * own lmms-eval rules. Prompts are built as lmms-eval's LLaVA model builds them (`userText`).
 */
import type { Dataset, LoadedItem } from "../data/dataset.js";
import { progressBar } from "../util/progress.js";
import type { RawImage } from "../world/render.js";
import { writeResults, type JsonValue, type TaskScores } from "./results.js";
import { headlineScores, scoreTask, userText } from "./task.js";
import type { AnyTask } from "./tasks/registry.js";

export interface GenerationRequest {
  image: RawImage;
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
  /** Evaluate only the first `limit` items of each task. */
  limit?: number;
  progress?: boolean;
}

/** Scores ready-made predictions (one per item, same order) with the task's rules. */
export function scoreItems(task: AnyTask, items: readonly LoadedItem[], predictions: readonly string[], seconds = 0): TaskEvaluation {
  const { logs, metrics } = scoreTask(task, items.map((it) => it.doc), predictions);
  return { task: task.name, metrics, n: items.length, logs, notes: task.notes, headline: headlineScores(task, metrics), predictions: [...predictions], seconds };
}

export async function evaluateTask(dataset: Dataset, taskName: string, model: ModelUnderTest, options: EvaluateOptions = {}): Promise<TaskEvaluation> {
  const started = Date.now();
  const { task, items: all } = dataset.benchmark(taskName);
  const items = options.limit !== undefined ? all.slice(0, options.limit) : all;
  const bar = progressBar(task.name, items.length, { silent: options.progress === false });
  const batchSize = typeof model === "function" ? 1 : Math.max(1, model.batchSize);
  const predictions: string[] = [];
  for (let start = 0; start < items.length; start += batchSize) {
    const batch = items.slice(start, start + batchSize);
    const requests = await Promise.all(
      batch.map(async (it): Promise<GenerationRequest> => ({ image: await dataset.image(it.image), prompt: userText(task.prompt(it.doc)), maxNewTokens: task.maxNewTokens })),
    );
    const answers = typeof model === "function" ? [await model(requests[0]!.image, requests[0]!.prompt, { maxNewTokens: requests[0]!.maxNewTokens })] : await model.generateBatch(requests);
    if (answers.length !== batch.length) throw new Error(`${task.name}: the model returned ${answers.length} answers for ${batch.length} requests`);
    predictions.push(...answers);
    bar.tick(batch.length);
  }
  bar.done();
  return scoreItems(task, items, predictions, (Date.now() - started) / 1000);
}

export async function evaluateAll(dataset: Dataset, model: ModelUnderTest, tasks: readonly string[], options: EvaluateOptions = {}): Promise<TaskEvaluation[]> {
  const out: TaskEvaluation[] = [];
  for (const t of tasks) out.push(await evaluateTask(dataset, t, model, options));
  return out;
}

/** Writes results.json and samples_<task>.jsonl (lmms-eval-like layout) into `dir`. */
export function saveEvaluation(dir: string, evaluations: readonly TaskEvaluation[], config: { [key: string]: JsonValue } = {}): { results: string; samples: string[] } {
  return writeResults(dir, evaluations, config);
}
