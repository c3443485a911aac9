/**
 * The normalised-score table of the published tier, on a danfo DataFrame. Kept apart from tables.ts
 * so that only what renders this table loads danfo: a large module graph on the heap slows every
 * later TF.js training step in the same process (V8's garbage collector marks it again and again).
 */
import * as dfd from "danfojs-node";
import type { ColumnTable } from "arquero";
import { normaliseScore, type BenchmarkName } from "./benchmarks.js";
import type { TableView } from "./render.js";
import { benchmarksIn, columnMaxima, publishedModels, scoreLookup, type PublishedModel } from "./tables.js";

/**
 * Scores as a percentage of each benchmark's maximum (MME-P / 2000, MME-C / 800) in a danfo
 * DataFrame indexed by model_id. Values are divided in JavaScript doubles: danfo's own arithmetic
 * runs on float32 tensors (62.4 would become 62.400001525878906); its reductions are exact.
 */
export function normalisedScoreFrame(scores: ColumnTable): { models: PublishedModel[]; benchmarks: BenchmarkName[]; frame: dfd.DataFrame } {
  const lookup = scoreLookup(scores);
  const benchmarks = benchmarksIn(scores);
  const models = publishedModels(scores);
  const frame = new dfd.DataFrame(
    models.map((m) => benchmarks.map((b) => normaliseScore(b, lookup.get(m.model_id)?.get(b)?.score ?? NaN))),
    { columns: benchmarks, index: models.map((m) => m.model_id) },
  );
  return { models, benchmarks, frame };
}

export function normalisedTable(scores: ColumnTable): TableView {
  const { models, benchmarks, frame } = normalisedScoreFrame(scores);
  const means = frame.mean({ axis: 1 }).values as number[];
  const matrix = (frame.values as number[][]).map((row, i) => [...row, means[i] ?? NaN]);
  return {
    name: "normalised_scores",
    title: "Normalised scores (% of maximum; MME-P / 2000, MME-C / 800) and their mean",
    columns: ["Model Name", ...benchmarks, "Mean"],
    rows: models.map((m, i) => [m.model_name, ...(matrix[i] ?? [])]),
    bold: columnMaxima(matrix).map((row) => [false, ...row]),
    decimals: [undefined, ...benchmarks.map(() => 1), 1],
  };
}
