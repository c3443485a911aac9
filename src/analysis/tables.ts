/** The published-tier tables: README results, comparison deltas, normalised scores and average ranks. */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import { PUBLISHED_BENCHMARKS, publishedBenchmark, type BenchmarkName } from "./benchmarks.js";
import {
  PAPER_COMPARISONS,
  comparisonDeltas,
  deltaRows,
  summariseDeltas,
  type Comparison,
} from "./comparisons.js";
import type { ModelConfig, PublishedScore } from "./published.js";
import type { Cell, TableView } from "./render.js";

export interface PublishedModel {
  model_id: string;
  model_name: string;
  is_llava_more: boolean;
  llm: string;
  llm_params_b: number;
  vision_encoder: string;
  resolution: string;
  s2: boolean;
}

export const scoreRows = (scores: ColumnTable): PublishedScore[] => scores.objects() as unknown as PublishedScore[];

/** The models of the table, in the order they first appear in the source file. */
export function publishedModels(scores: ColumnTable): PublishedModel[] {
  return scores
    .dedupe("model_id")
    .select("model_id", "model_name", "is_llava_more", "llm", "llm_params_b", "vision_encoder", "resolution", "s2")
    .objects() as unknown as PublishedModel[];
}

/** Benchmarks present in the scores, in README column order. */
export function benchmarksIn(scores: ColumnTable): BenchmarkName[] {
  const present = new Set(scores.array("benchmark") as Iterable<string>);
  return PUBLISHED_BENCHMARKS.map((b) => b.name).filter((name) => present.has(name));
}

/** model_id -> benchmark -> score row. */
export function scoreLookup(scores: ColumnTable): Map<string, Map<BenchmarkName, PublishedScore>> {
  const lookup = new Map<string, Map<BenchmarkName, PublishedScore>>();
  for (const row of scoreRows(scores)) {
    let byBenchmark = lookup.get(row.model_id);
    if (!byBenchmark) lookup.set(row.model_id, (byBenchmark = new Map()));
    byBenchmark.set(row.benchmark, row);
  }
  return lookup;
}

/** For each column, whether a cell holds that column's maximum (ties all marked). */
export function columnMaxima(matrix: (number | null)[][]): boolean[][] {
  const cols = matrix[0]?.length ?? 0;
  const best = Array.from({ length: cols }, (_, c) =>
    Math.max(...matrix.map((row) => row[c] ?? Number.NEGATIVE_INFINITY)),
  );
  return matrix.map((row) => row.map((v, c) => v !== null && v === best[c]));
}

/** The README results table: one row per model, one column per benchmark, each column's best in bold. */
export function resultsTable(scores: ColumnTable): TableView {
  const lookup = scoreLookup(scores);
  const benchmarks = benchmarksIn(scores);
  const models = publishedModels(scores);
  const values = models.map((m) => benchmarks.map((b) => lookup.get(m.model_id)?.get(b)?.score ?? null));
  const bold = columnMaxima(values).map((row) => [false, ...row]);
  return {
    name: "readme_results",
    title: "LLaVA-MORE README results (best of each column in bold)",
    columns: ["Model Name", ...benchmarks.map((b) => publishedBenchmark(b).readmeHeader)],
    rows: models.map((m) => [m.model_name, ...benchmarks.map((b) => lookup.get(m.model_id)?.get(b)?.score_text ?? null)]),
    bold,
    notes: ["* TextVQA is computed with the OCR tokens in the prompt (README footnote)."],
  };
}

/** One comparison's per-benchmark scores and deltas. */
export function comparisonTable(scores: ColumnTable, comparison: Comparison): TableView {
  const rows = deltaRows(comparisonDeltas(scores, comparison));
  const s = summariseDeltas(rows);
  return {
    name: `delta_${comparison.id}`,
    title: `${comparison.title}: ${comparison.a.label} − ${comparison.b.label}`,
    columns: ["Benchmark", comparison.a.label, comparison.b.label, "Δ", "Δ (% of max)"],
    rows: rows.map((r): Cell[] => [r.benchmark, r.score_text_a, r.score_text_b, r.delta, r.normalised_delta]),
    decimals: [undefined, undefined, undefined, 1, 2],
    bold: rows.map((r) => [false, r.delta > 0, r.delta < 0, false, false]),
    notes: [
      `${comparison.a.label} ahead on ${s.wins}, behind on ${s.losses}, tied on ${s.ties} of ${s.total} benchmarks (data/paper/PROTOCOL.md §7b, finding ${comparison.finding}).`,
    ],
  };
}

/** Every comparison on one page: rows are comparisons, cells are a − b in the benchmark's own units. */
export function deltaOverviewTable(
  scores: ColumnTable,
  comparisons: readonly Comparison[] = PAPER_COMPARISONS,
): TableView {
  const benchmarks = benchmarksIn(scores);
  const rows: Cell[][] = [];
  const bold: boolean[][] = [];
  for (const c of comparisons) {
    const deltas = new Map(deltaRows(comparisonDeltas(scores, c)).map((r) => [r.benchmark, r]));
    const s = summariseDeltas([...deltas.values()]);
    rows.push([c.title, ...benchmarks.map((b) => deltas.get(b)?.delta ?? null), `${s.wins}/${s.losses}/${s.ties}`]);
    bold.push([false, ...benchmarks.map((b) => (deltas.get(b)?.delta ?? 0) > 0), false]);
  }
  return {
    name: "deltas",
    title: "Per-benchmark deltas of the paper's comparisons (a − b, benchmark units)",
    columns: ["Comparison (a vs b)", ...benchmarks, "ahead/behind/tied"],
    rows,
    bold,
    decimals: [undefined, ...benchmarks.map(() => 1), undefined],
    notes: ["Positive (bold) means the first-named model scores higher."],
  };
}

export interface ModelRank {
  model_id: string;
  model_name: string;
  mean_rank: number;
  firsts: number;
  benchmarks: number;
}

/**
 * Rank of each model on each benchmark (1 = best; ties share the average rank), then the mean
 * over benchmarks. Every one of the 13 README columns counts once, SEED-all included.
 */
export function benchmarkRanks(scores: ColumnTable): ColumnTable {
  return scores
    .groupby("benchmark")
    .orderby(aq.desc("score"))
    .derive({ rank: "() => op.avg_rank()" })
    .ungroup();
}

export function averageRanks(scores: ColumnTable): ModelRank[] {
  return benchmarkRanks(scores)
    .groupby("model_id", "model_name")
    .rollup({
      mean_rank: "d => op.mean(d.rank)",
      firsts: "d => op.sum(d.rank === 1 ? 1 : 0)",
      benchmarks: "() => op.count()",
    })
    .orderby("mean_rank")
    .objects() as unknown as ModelRank[];
}

export function averageRankTable(scores: ColumnTable): TableView {
  const benchmarks = benchmarksIn(scores);
  const ranks = new Map(
    (benchmarkRanks(scores).objects() as unknown as (PublishedScore & { rank: number })[]).map((r) => [
      `${r.model_id}\u0000${r.benchmark}`,
      r.rank,
    ]),
  );
  const models = averageRanks(scores);
  return {
    name: "average_rank",
    title: "Rank per benchmark (1 = best, ties averaged) and mean rank",
    columns: ["Model Name", "Mean rank", "Firsts", ...benchmarks],
    rows: models.map((m) => [
      m.model_name,
      m.mean_rank,
      m.firsts,
      ...benchmarks.map((b) => ranks.get(`${m.model_id}\u0000${b}`) ?? null),
    ]),
    bold: models.map((m) => [false, false, false, ...benchmarks.map((b) => ranks.get(`${m.model_id}\u0000${b}`) === 1)]),
    decimals: [undefined, 2, 0, ...benchmarks.map(() => 1)],
  };
}

/** The model configurations, for reading alongside the scores. */
export function modelConfigTable(configs: readonly ModelConfig[]): TableView {
  const columns: (keyof ModelConfig)[] = [
    "model_id",
    "llm",
    "llm_params_b",
    "vision_encoder",
    "input_resolution",
    "visual_tokens_per_image",
    "s2_scales",
    "mm_projector",
    "conv_template",
    "pretrain_data",
    "in_readme_table",
  ];
  return {
    name: "model_configs",
    title: "Model configurations (data/paper/model_configs.csv)",
    columns,
    rows: configs.map((c) => columns.map((k) => (typeof c[k] === "boolean" ? (c[k] ? "yes" : "no") : (c[k] as string | number)))),
  };
}
