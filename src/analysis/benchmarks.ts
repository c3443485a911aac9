/** The 13 benchmark columns of the LLaVA-MORE README table, in the README's order. */

export const BENCHMARK_NAMES = [
  "GQA",
  "ScienceQA",
  "TextVQA",
  "AI2D",
  "POPE",
  "MME-P",
  "MME-C",
  "MMBench-En",
  "MMBench-Cn",
  "SEED-all",
  "SEED-img",
  "SEED-vid",
  "MMMU",
] as const;

export type BenchmarkName = (typeof BENCHMARK_NAMES)[number];

export interface PublishedBenchmark {
  name: BenchmarkName;
  /** Column header as printed in the LLaVA-MORE README. */
  readmeHeader: string;
  /** Highest possible score: 100 for accuracies, 2000 for MME perception, 800 for MME cognition. */
  maxScore: number;
  /** The grouping used by the paper's summaries (data/paper/PROTOCOL.md §6). */
  group: "VQA" | "MLLM";
  /** What the number is, as lmms-eval computes it. */
  metric: string;
}

export const PUBLISHED_BENCHMARKS: readonly PublishedBenchmark[] = [
  { name: "GQA", readmeHeader: "GQA", maxScore: 100, group: "VQA", metric: "exact match, testdev-balanced" },
  { name: "ScienceQA", readmeHeader: "Science-QA", maxScore: 100, group: "VQA", metric: "option-letter accuracy, ScienceQA-IMG test" },
  { name: "TextVQA", readmeHeader: "Text-VQA*", maxScore: 100, group: "VQA", metric: "VQA soft accuracy, OCR tokens in the prompt" },
  { name: "AI2D", readmeHeader: "AI2D", maxScore: 100, group: "VQA", metric: "option-letter accuracy" },
  { name: "POPE", readmeHeader: "POPE", maxScore: 100, group: "MLLM", metric: "accuracy or F1 (the README does not say which)" },
  { name: "MME-P", readmeHeader: "MME-P", maxScore: 2000, group: "MLLM", metric: "sum of 10 perception subtasks, acc + acc+ each" },
  { name: "MME-C", readmeHeader: "MME-C", maxScore: 800, group: "MLLM", metric: "sum of 4 cognition subtasks, acc + acc+ each" },
  { name: "MMBench-En", readmeHeader: "MMBench-En", maxScore: 100, group: "MLLM", metric: "circular multiple-choice accuracy, dev" },
  { name: "MMBench-Cn", readmeHeader: "MMBench-Cn", maxScore: 100, group: "MLLM", metric: "circular multiple-choice accuracy, dev" },
  { name: "SEED-all", readmeHeader: "SEED-all", maxScore: 100, group: "MLLM", metric: "multiple-choice accuracy, all questions" },
  { name: "SEED-img", readmeHeader: "SEED-img", maxScore: 100, group: "MLLM", metric: "multiple-choice accuracy, image questions" },
  { name: "SEED-vid", readmeHeader: "SEED-vid", maxScore: 100, group: "MLLM", metric: "multiple-choice accuracy, video questions" },
  { name: "MMMU", readmeHeader: "MMMU", maxScore: 100, group: "MLLM", metric: "multiple-choice accuracy, validation" },
];

const byName = new Map<string, PublishedBenchmark>(PUBLISHED_BENCHMARKS.map((b) => [b.name, b]));

/** A column's place in the README's order, for sorting; names outside it come last. */
export function benchmarkOrder(name: string): number {
  const i = BENCHMARK_NAMES.indexOf(name as BenchmarkName);
  return i < 0 ? BENCHMARK_NAMES.length : i;
}

/** Sorts columns into the README's order, names outside it last and alphabetically. */
export const compareBenchmarks = (a: string, b: string): number => benchmarkOrder(a) - benchmarkOrder(b) || a.localeCompare(b);

export function isBenchmarkName(name: string): name is BenchmarkName {
  return byName.has(name);
}

export function publishedBenchmark(name: BenchmarkName): PublishedBenchmark {
  const b = byName.get(name);
  if (!b) throw new Error(`unknown benchmark "${name}"; expected one of ${BENCHMARK_NAMES.join(", ")}`);
  return b;
}

/** Score as a percentage of the benchmark's maximum (MME-P / 2000, MME-C / 800; others unchanged). */
export function normaliseScore(benchmark: BenchmarkName, score: number): number {
  return (100 * score) / publishedBenchmark(benchmark).maxScore;
}
