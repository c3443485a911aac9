/**
 * Plotly figure builders for the lab tier, in the style of figures.ts: pure functions from the lab
 * statistics (lab_stats.ts) to Plotly specs.
 */
import type { ColumnTable } from "arquero";
import { BENCHMARK_NAMES, normaliseScore, type BenchmarkName } from "./benchmarks.js";
import { comparisonById, formatDelta } from "./comparisons.js";
import { baseLayout, colour, deltaBarsLayout, type PlotlyFigure, type PlotlyTrace } from "./figures.js";
import { factorLevels, labSideLabel, type FactorValue, type LabComparison, type LabSide, type LabVsPublishedRow, type SeedSummaryStats } from "./lab_stats.js";

/** Axis titles for the design factors. */
export const FACTOR_TITLES: Readonly<Record<string, string>> = {
  llm: "LLM",
  family: "LLM family",
  size: "LLM size",
  llm_params: "LLM parameters",
  tower: "vision tower",
  resolution: "resolution",
  image_size: "input side (px)",
  s2: "S2 multi-scale",
  captions: "stage-1 captions",
};
const factorTitle = (f: string): string => FACTOR_TITLES[f] ?? f;

/** A row of `seedSummary` (design columns plus the statistics). */
type SummaryRow = SeedSummaryStats & Record<string, unknown>;
const summaryRows = (summary: ColumnTable): SummaryRow[] => summary.objects() as unknown as SummaryRow[];

/** NaN is not JSON: Plotly gets null (no bar, no error bar). */
const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** "64.0 ± 9.9", or "64.0 (1 seed)" when there is no interval. */
export const meanText = (r: Pick<SeedSummaryStats, "mean" | "half_width" | "n">): string =>
  Number.isNaN(r.half_width) ? `${r.mean.toFixed(1)} (${r.n} seed${r.n === 1 ? "" : "s"})` : `${r.mean.toFixed(1)} ± ${r.half_width.toFixed(1)}`;

/** Mean score of one benchmark over two factors (rows × columns), cell text "mean ± half width". */
export function interactionHeatmap(summary: ColumnTable, benchmark: string, rowFactor: string, colFactor: string, name?: string): PlotlyFigure {
  for (const f of [rowFactor, colFactor]) {
    if (!summary.columnNames().includes(f)) throw new Error(`interaction heatmap: the summary has no column "${f}"`);
  }
  const rows = summaryRows(summary).filter((r) => r.benchmark === benchmark);
  if (rows.length === 0) throw new Error(`interaction heatmap: the summary has no ${benchmark} rows`);
  const rowLevels = factorLevels(rows, rowFactor);
  const colLevels = factorLevels(rows, colFactor);
  const cell = (rl: FactorValue, cl: FactorValue): SummaryRow | undefined => {
    const hits = rows.filter((r) => r[rowFactor] === rl && r[colFactor] === cl);
    if (hits.length > 1) throw new Error(`interaction heatmap: ${hits.length} summary rows for ${rowFactor} = ${rl}, ${colFactor} = ${cl} on ${benchmark}; filter the summary so other factors are fixed`);
    return hits[0];
  };
  const title = `${benchmark}: ${factorTitle(rowFactor)} × ${factorTitle(colFactor)} (mean over seeds ± 95% CI half width)`;
  return {
    name: name ?? `interaction_${benchmark}_${rowFactor}_${colFactor}`,
    title,
    size: { width: 160 + 130 * colLevels.length, height: 200 + 70 * rowLevels.length },
    data: [
      {
        type: "heatmap",
        name: benchmark,
        x: colLevels.map(String),
        y: rowLevels.map(String),
        z: rowLevels.map((rl) => colLevels.map((cl) => cell(rl, cl)?.mean ?? null)),
        text: rowLevels.map((rl) => colLevels.map((cl) => {
          const c = cell(rl, cl);
          return c ? meanText(c) : "";
        })),
        texttemplate: "%{text}",
        hovertemplate: `${rowFactor} %{y}, ${colFactor} %{x}: %{text}<extra></extra>`,
        colorscale: "Viridis",
        colorbar: { title: { text: benchmark } },
      },
    ],
    layout: {
      ...baseLayout(title),
      xaxis: { title: { text: factorTitle(colFactor) }, type: "category" },
      yaxis: { title: { text: factorTitle(rowFactor) }, type: "category", autorange: "reversed" },
    },
  };
}

/** Paper and lab deltas (a − b, % of maximum) side by side per benchmark; the lab's bars carry the 95% CI. */
export function labVsPublishedFigure(rows: readonly LabVsPublishedRow[], comparison: LabComparison): PlotlyFigure {
  const paper = comparisonById(comparison.comparison);
  const x = rows.map((r) => r.benchmark);
  const pp = (r: LabVsPublishedRow, v: number): number | null => orNull(normaliseScore(r.benchmark, v));
  const title = `${paper.title}: paper vs lab (Δ in percentage points of max; bar labels: benchmark units)`;
  return {
    name: `lab_vs_published_${comparison.comparison}`,
    title,
    size: { width: 1000, height: 520 },
    data: [
      {
        type: "bar",
        name: `paper: ${paper.a.label} − ${paper.b.label}`,
        x,
        y: rows.map((r) => r.published_normalised),
        text: rows.map((r) => formatDelta(r.published_delta)),
        textposition: "outside",
        marker: { color: colour(0) },
      },
      {
        type: "bar",
        name: `lab: ${labSideLabel(comparison.a)} − ${labSideLabel(comparison.b)}`,
        x,
        y: rows.map((r) => r.lab_normalised),
        text: rows.map((r) => formatDelta(r.lab_delta)),
        textposition: "outside",
        error_y: {
          type: "data",
          symmetric: false,
          array: rows.map((r) => pp(r, r.lab_ci_high - r.lab_delta)),
          arrayminus: rows.map((r) => pp(r, r.lab_delta - r.lab_ci_low)),
          color: "#333",
        },
        marker: { color: colour(1) },
      },
    ],
    layout: deltaBarsLayout(title, 110),
  };
}

/** A pairing to draw, with its legend label. */
export interface LabPairingLabel extends LabSide {
  label: string;
}

/** Every pairing in a summary, labelled by labSideLabel, in order of appearance. */
export function summaryPairings(summary: ColumnTable): LabPairingLabel[] {
  const seen = new Map<string, LabPairingLabel>();
  for (const r of summaryRows(summary)) {
    const s: LabSide = { llm: String(r["llm"]), tower: String(r["tower"]), resolution: String(r["resolution"]), captions: String(r["captions"]) };
    seen.set(labSideLabel(s), { ...s, label: labSideLabel(s) });
  }
  return [...seen.values()];
}

/** Grouped bars: per benchmark, each pairing's mean over seeds (% of max) with its 95% CI as error bar. */
export function labScoresFigure(
  summary: ColumnTable,
  options: { pairings?: readonly LabPairingLabel[]; name?: string; title?: string } = {},
): PlotlyFigure {
  for (const c of ["llm", "tower", "resolution", "captions"]) {
    if (!summary.columnNames().includes(c)) throw new Error(`lab scores figure: the summary has no column "${c}"`);
  }
  const rows = summaryRows(summary);
  const pairings = options.pairings ?? summaryPairings(summary);
  if (pairings.length === 0) throw new Error("lab scores figure: no pairings to draw");
  const present = new Set(rows.map((r) => r.benchmark));
  const benchmarks = BENCHMARK_NAMES.filter((b) => present.has(b));
  const data: PlotlyTrace[] = pairings.map((p, i) => {
    const hits = benchmarks.flatMap((b) => {
      const found = rows.filter((r) => r.benchmark === b && r["llm"] === p.llm && r["tower"] === p.tower && r["resolution"] === p.resolution && r["captions"] === p.captions);
      if (found.length > 1) throw new Error(`lab scores figure: ${found.length} summary rows for "${p.label}" on ${b}; summarise by llm, tower, resolution and captions`);
      return found.map((r) => ({ ...r, benchmark: b as BenchmarkName }));
    });
    return {
      type: "bar",
      name: p.label,
      x: hits.map((r) => r.benchmark),
      y: hits.map((r) => normaliseScore(r.benchmark, r.mean)),
      error_y: { type: "data", array: hits.map((r) => orNull(normaliseScore(r.benchmark, r.half_width))), color: "#333" },
      text: hits.map(meanText),
      textposition: "none",
      hovertemplate: "%{x}: %{text}<extra>%{fullData.name}</extra>",
      marker: { color: colour(i) },
    };
  });
  const title = options.title ?? "Lab scores: mean over seeds with 95% CI (% of each benchmark's maximum)";
  return {
    name: options.name ?? "lab_scores",
    title,
    size: { width: 1100, height: 560 },
    data,
    layout: {
      ...baseLayout(title),
      barmode: "group",
      yaxis: { title: { text: "score (% of max)" }, gridcolor: "#eee" },
      legend: { orientation: "h", y: -0.18 },
      margin: { t: 70, l: 70, r: 30, b: 120 },
    },
  };
}
