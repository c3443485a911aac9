/**
 * Plotly figure builders for the lab tier, in the style of figures.ts: pure functions from the lab
 * statistics (lab_stats.ts) to Plotly specs.
 */
import type { ColumnTable } from "arquero";
import { BENCHMARK_NAMES, normaliseScore, type BenchmarkName } from "./benchmarks.js";
import { comparisonById } from "./comparisons.js";
import { PERCENT_NOTE, PERCENT_OF_MAX, POINTS_OF_MAX, baseLayout, colour, pointsText, type PlotlyFigure, type PlotlyTrace } from "./figures.js";
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

/** A value clipped to [low, high]. */
const clip = (v: number, low: number, high: number): number => Math.min(high, Math.max(low, v));
/** The symmetric range ±limit, `limit` the largest |value| rounded up to `step` (at least one step). */
const symmetricRange = (values: readonly number[], step: number): [number, number] => {
  const limit = Math.max(step, Math.ceil(Math.max(0, ...values.filter(Number.isFinite).map(Math.abs)) / step) * step);
  return [-limit, limit];
};

/**
 * Paper and lab deltas (a − b, points of max) in two panels over the same benchmarks, each on its own
 * scale from zero: the paper's 1–4 point bars on top, the lab's bars with their 95% intervals (clipped
 * to ±100, the widest a difference of two scores can be) below. Lab bars whose interval clears zero
 * are solid, the rest faded.
 */
export function labVsPublishedFigure(rows: readonly LabVsPublishedRow[], comparison: LabComparison): PlotlyFigure {
  const paper = comparisonById(comparison.comparison);
  const x = rows.map((r) => r.benchmark);
  const pp = (r: LabVsPublishedRow, v: number): number => Math.round(normaliseScore(r.benchmark, v) * 1e6) / 1e6;
  const low = rows.map((r) => (Number.isNaN(r.lab_ci_low) ? NaN : clip(pp(r, r.lab_ci_low), -100, 100)));
  const high = rows.map((r) => (Number.isNaN(r.lab_ci_high) ? NaN : clip(pp(r, r.lab_ci_high), -100, 100)));
  const labSide = `${labSideLabel(comparison.a)} − ${labSideLabel(comparison.b)}`;
  const title = `${paper.title}: paper (top) vs lab (bottom), Δ in ${POINTS_OF_MAX}`;
  const paperRange = symmetricRange(rows.map((r) => r.published_normalised * 1.25), 1);
  const labRange = symmetricRange([...low, ...high, ...rows.map((r) => r.lab_normalised)], 5);
  const beyond = rows.filter((r) => r.beyond_noise);
  const agree = beyond.filter((r) => r.same_sign).length;
  const panelTitle = (text: string, y: number): Record<string, unknown> => ({ text, xref: "paper", yref: "paper", x: 0, xanchor: "left", y, yanchor: "bottom", showarrow: false, font: { size: 12 } });
  return {
    name: `lab_vs_published_${comparison.comparison}`,
    title,
    caption: `Top: the paper's ${paper.a.label} − ${paper.b.label}; bottom: the lab's, with 95% intervals, each panel on its own scale in ${POINTS_OF_MAX}: a solid lab bar has an interval that clears zero (${beyond.length} of ${rows.length} benchmarks, ${agree} of them with the paper's sign), a faded one is inside the seed noise.`,
    size: { width: 1100, height: 720 },
    data: [
      {
        type: "bar",
        name: `paper: ${paper.a.label} − ${paper.b.label}`,
        x,
        y: rows.map((r) => r.published_normalised),
        xaxis: "x",
        yaxis: "y",
        text: rows.map((r) => pointsText(r.published_normalised)),
        textposition: "outside",
        cliponaxis: false,
        customdata: rows.map((r) => `${pointsText(r.published_delta)} in benchmark units`),
        hovertemplate: `%{x}: %{y:+.2f} ${POINTS_OF_MAX} (%{customdata})<extra>paper</extra>`,
        marker: { color: colour(0) },
      },
      {
        type: "bar",
        name: `lab: ${labSide}`,
        x,
        y: rows.map((r) => orNull(r.lab_normalised)),
        xaxis: "x2",
        yaxis: "y2",
        textposition: "none",
        customdata: rows.map((r) => (Number.isNaN(r.lab_ci_low) ? `${pointsText(r.lab_delta)} (one seed: no interval)` : `${pointsText(r.lab_delta)}, 95% CI ${pointsText(r.lab_ci_low)} … ${pointsText(r.lab_ci_high)}`) + " in benchmark units"),
        hovertemplate: `%{x}: %{y:+.2f} ${POINTS_OF_MAX} (%{customdata})<extra>lab</extra>`,
        error_y: {
          type: "data",
          symmetric: false,
          array: rows.map((r, i) => orNull(high[i]! - r.lab_normalised)),
          arrayminus: rows.map((r, i) => orNull(r.lab_normalised - low[i]!)),
          color: "#333",
          thickness: 1.5,
          width: 6,
        },
        marker: { color: colour(1), opacity: rows.map((r) => (r.beyond_noise ? 1 : 0.35)) },
      },
    ],
    layout: {
      ...baseLayout(title),
      title: { text: title, font: { size: 14 } },
      showlegend: false,
      bargap: 0.35,
      xaxis: { type: "category", anchor: "y", showticklabels: true },
      yaxis: { domain: [0.6, 0.93], range: paperRange, title: { text: `paper Δ (${POINTS_OF_MAX})` }, zeroline: true, zerolinecolor: "#444", gridcolor: "#eee" },
      xaxis2: { type: "category", anchor: "y2", matches: "x", title: { text: "benchmark" } },
      yaxis2: { domain: [0, 0.42], range: labRange, title: { text: `lab Δ (${POINTS_OF_MAX})` }, zeroline: true, zerolinecolor: "#444", gridcolor: "#eee" },
      annotations: [
        panelTitle(`<b>paper</b>: ${paper.a.label} − ${paper.b.label} (bar labels in ${POINTS_OF_MAX})`, 0.95),
        panelTitle(`<b>lab</b>: ${labSide}, mean over seeds with 95% interval (solid: interval clears zero)`, 0.44),
      ],
      margin: { t: 60, l: 80, r: 30, b: 70 },
    },
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

/** Per benchmark (README column), an image-blind score on the same items as the runs: the lab scores' reference lines. */
export interface LabScoreReferences {
  /** The text-only question prior (the answer most often right for the question about training scenes). */
  prior?: Readonly<Record<string, number>>;
  /** A random answer among the item's options (or the benchmark's answers, for open questions). */
  chance?: Readonly<Record<string, number>>;
}

const REFERENCE_LINES = [
  { key: "prior", name: "text-only prior (same items)", line: { color: "#000", width: 2, dash: "dash" } },
  { key: "chance", name: "chance: a random answer (same items)", line: { color: "#777", width: 2, dash: "dot" } },
] as const;

/**
 * Grouped bars: per benchmark, each pairing's mean over seeds (% of max, 0–100) with its 95% interval
 * clipped to the scale, and the image-blind references (text-only prior, chance) as short lines across
 * each benchmark's group. The x axis is numeric (one unit per benchmark) so that those lines can span it.
 */
export function labScoresFigure(
  summary: ColumnTable,
  options: { pairings?: readonly LabPairingLabel[]; name?: string; title?: string; references?: LabScoreReferences } = {},
): PlotlyFigure {
  for (const c of ["llm", "tower", "resolution", "captions"]) {
    if (!summary.columnNames().includes(c)) throw new Error(`lab scores figure: the summary has no column "${c}"`);
  }
  const rows = summaryRows(summary);
  const pairings = options.pairings ?? summaryPairings(summary);
  if (pairings.length === 0) throw new Error("lab scores figure: no pairings to draw");
  const present = new Set(rows.map((r) => r.benchmark));
  const benchmarks = BENCHMARK_NAMES.filter((b) => present.has(b));
  const position = new Map(benchmarks.map((b, i) => [b, i]));
  const pct = (b: BenchmarkName, v: number): number => Math.round(normaliseScore(b, v) * 1e6) / 1e6;
  let above = 0;
  let drawn = 0;
  const bars: PlotlyTrace[] = pairings.map((p, i) => {
    const hits = benchmarks.flatMap((b) => {
      const found = rows.filter((r) => r.benchmark === b && r["llm"] === p.llm && r["tower"] === p.tower && r["resolution"] === p.resolution && r["captions"] === p.captions);
      if (found.length > 1) throw new Error(`lab scores figure: ${found.length} summary rows for "${p.label}" on ${b}; summarise by llm, tower, resolution and captions`);
      return found.map((r) => ({ ...r, benchmark: b as BenchmarkName }));
    });
    for (const r of hits) {
      const prior = options.references?.prior?.[r.benchmark];
      if (prior === undefined) continue;
      drawn++;
      if (r.mean > prior) above++;
    }
    const mean = hits.map((r) => clip(pct(r.benchmark, r.mean), 0, 100));
    const interval = (r: (typeof hits)[number], side: 1 | -1): number | null => (Number.isNaN(r.half_width) ? null : clip(pct(r.benchmark, r.mean + side * r.half_width), 0, 100));
    return {
      type: "bar",
      name: p.label,
      x: hits.map((r) => position.get(r.benchmark)!),
      y: mean,
      error_y: {
        type: "data",
        symmetric: false,
        array: hits.map((r, k) => {
          const top = interval(r, 1);
          return top === null ? null : Math.round((top - mean[k]!) * 1e6) / 1e6;
        }),
        arrayminus: hits.map((r, k) => {
          const bottom = interval(r, -1);
          return bottom === null ? null : Math.round((mean[k]! - bottom) * 1e6) / 1e6;
        }),
        color: "#333",
        thickness: 1.5,
        width: 4,
      },
      customdata: hits.map((r) => `${meanText(r)} in benchmark units`),
      textposition: "none",
      hovertemplate: `%{y:.1f}${PERCENT_OF_MAX} (%{customdata})<extra>%{fullData.name}</extra>`,
      marker: { color: colour(i) },
    };
  });
  const groupHalfWidth = 0.45;
  const references: PlotlyTrace[] = REFERENCE_LINES.flatMap(({ key, name, line }) => {
    const values = options.references?.[key];
    const at = benchmarks.filter((b) => values?.[b] !== undefined);
    if (!values || at.length === 0) return [];
    return [
      {
        type: "scatter",
        mode: "lines",
        name,
        x: at.flatMap((b) => [position.get(b)! - groupHalfWidth, position.get(b)! + groupHalfWidth, null]),
        y: at.flatMap((b) => [pct(b, values[b]!), pct(b, values[b]!), null]),
        customdata: at.flatMap((b) => [values[b]!, values[b]!, null]),
        hovertemplate: `${name}: %{y:.1f}${PERCENT_OF_MAX} (%{customdata:.1f} in benchmark units)<extra></extra>`,
        line,
      },
    ];
  });
  const title = options.title ?? `Lab scores: mean over seeds with 95% interval (clipped to 0–100), against image-blind baselines`;
  const [fewest, most] = [Math.min(...rows.map((r) => r.n)), Math.max(...rows.map((r) => r.n))];
  const seeds = fewest === most ? `${most} seed${most === 1 ? "" : "s"}` : `${fewest}–${most} seeds`;
  const referenceText = drawn > 0
    ? `${above} of ${drawn} bars stand above the dashed text-only prior (answering from the question alone; dotted: a random answer), and a bar below it shows nothing learned from the images`
    : "no image-blind baseline was given for these runs, so no bar can be read as learned from the images";
  return {
    name: options.name ?? "lab_scores",
    title,
    caption: `Bars are each pairing's mean over ${seeds} in ${PERCENT_OF_MAX} (95% intervals clipped to 0–100): ${referenceText}.`,
    size: { width: 1150, height: 600 },
    data: [...bars, ...references],
    layout: {
      ...baseLayout(title),
      title: { text: title, font: { size: 14 } },
      barmode: "group",
      bargap: 0.1,
      xaxis: { title: { text: "benchmark" }, tickvals: benchmarks.map((_, i) => i), ticktext: [...benchmarks], range: [-0.5, benchmarks.length - 0.5], zeroline: false, showgrid: false },
      yaxis: { title: { text: `score (${PERCENT_OF_MAX}; ${PERCENT_NOTE})` }, range: [0, 100], dtick: 20, gridcolor: "#eee" },
      legend: { orientation: "h", y: -0.18 },
      margin: { t: 70, l: 70, r: 30, b: 130 },
    },
  };
}
