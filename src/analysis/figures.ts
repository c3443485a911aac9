/**
 * Plotly figure builders for the published tier. Each is a pure function from the scores table to a
 * Plotly spec ({ data, layout }), so it can be tested without a browser and rendered anywhere.
 */
import type { ColumnTable } from "arquero";
import { PAPER_COMPARISONS, comparisonDeltas, deltaRows, formatDelta, type Comparison, type ComparisonVariable } from "./comparisons.js";
import { normaliseScore, type BenchmarkName } from "./benchmarks.js";
import { benchmarksIn, publishedModels, scoreLookup, type PublishedModel } from "./tables.js";

export interface PlotlyTrace {
  type: "scatterpolar" | "scatter" | "bar" | "heatmap";
  name?: string;
  [attribute: string]: unknown;
}

export interface PlotlyFigure {
  /** File stem under figures/. */
  name: string;
  title: string;
  data: PlotlyTrace[];
  layout: Record<string, unknown>;
  /** Size of the static export in CSS pixels. */
  size: { width: number; height: number };
}

const FONT = { family: "DejaVu Sans, Arial, sans-serif", size: 12 };
/** Plotly's default qualitative palette, extended to 10+ models. */
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
export const colour = (i: number): string => PALETTE[i % PALETTE.length]!;

export function baseLayout(title: string): Record<string, unknown> {
  return { title: { text: title }, font: FONT, paper_bgcolor: "white", plot_bgcolor: "white", margin: { t: 70, l: 60, r: 30, b: 60 } };
}

/** Grouped bars of deltas in percentage points of each benchmark's maximum, legend below. */
export function deltaBarsLayout(title: string, bottomMargin: number): Record<string, unknown> {
  return {
    ...baseLayout(title),
    barmode: "group",
    yaxis: { title: { text: "Δ score (percentage points of max)" }, zeroline: true, zerolinecolor: "#444", gridcolor: "#eee" },
    legend: { orientation: "h", y: -0.18 },
    margin: { t: 70, l: 70, r: 30, b: bottomMargin },
  };
}

export type RadarScale = "normalised" | "relative";

/**
 * (a) Radar of models over benchmarks. `normalised`: % of each benchmark's maximum;
 * `relative`: each benchmark's range over the models stretched to 0–100, which shows the ordering
 * on every axis at the cost of absolute level.
 */
export function radarFigure(scores: ColumnTable, options: { scale?: RadarScale; models?: string[] } = {}): PlotlyFigure {
  const scale = options.scale ?? "normalised";
  const lookup = scoreLookup(scores);
  const benchmarks = benchmarksIn(scores);
  const models = publishedModels(scores).filter((m) => !options.models || options.models.includes(m.model_id));
  const value = (m: PublishedModel, b: BenchmarkName): number => normaliseScore(b, lookup.get(m.model_id)?.get(b)?.score ?? NaN);
  const ranges = new Map(
    benchmarks.map((b) => {
      const vs = models.map((m) => value(m, b));
      return [b, { min: Math.min(...vs), max: Math.max(...vs) }] as const;
    }),
  );
  const r = (m: PublishedModel, b: BenchmarkName): number => {
    const v = value(m, b);
    if (scale === "normalised") return v;
    const { min, max } = ranges.get(b)!;
    return max > min ? (100 * (v - min)) / (max - min) : 50;
  };
  const closed = <T,>(xs: T[]): T[] => [...xs, xs[0]!];
  const all = models.flatMap((m) => benchmarks.map((b) => value(m, b)));
  return {
    name: scale === "normalised" ? "radar" : "radar_relative",
    title: "Models over benchmarks",
    size: { width: 900, height: 760 },
    data: models.map((m, i) => ({
      type: "scatterpolar",
      name: m.model_name,
      r: closed(benchmarks.map((b) => r(m, b))),
      theta: closed([...benchmarks]),
      customdata: closed(benchmarks.map((b) => lookup.get(m.model_id)?.get(b)?.score_text ?? "")),
      hovertemplate: "%{theta}: %{customdata}<extra>%{fullData.name}</extra>",
      mode: "lines+markers",
      line: { color: colour(i), width: 2 },
      marker: { size: 4 },
    })),
    layout: {
      ...baseLayout(
        scale === "normalised"
          ? "LLaVA-MORE models over 13 benchmarks (% of maximum; MME-P / 2000, MME-C / 800)"
          : "LLaVA-MORE models over 13 benchmarks (each axis: worst model = 0, best = 100)",
      ),
      polar: {
        radialaxis: scale === "normalised" ? { range: [Math.floor(Math.min(...all) / 10) * 10, 100] } : { range: [0, 100] },
      },
      legend: { orientation: "h", y: -0.08 },
    },
  };
}

/** The models that isolate the LLM: the baseline CLIP ViT-L/14 at a single scale. */
export const SCALE_ANALYSIS = { vision_encoder: "CLIP ViT-L/14", s2: false } as const;

/** (b) LLM parameters vs score, one panel per benchmark (the 3.8B vs 7–9B scale analysis). */
export function scaleFigure(scores: ColumnTable, selection: { vision_encoder: string; s2: boolean } = SCALE_ANALYSIS): PlotlyFigure {
  const lookup = scoreLookup(scores);
  const benchmarks = benchmarksIn(scores);
  const models = publishedModels(scores).filter((m) => m.vision_encoder === selection.vision_encoder && m.s2 === selection.s2);
  if (models.length === 0) throw new Error(`scale figure: no model uses ${selection.vision_encoder} with s2=${selection.s2}`);
  const cols = 4;
  const rows = Math.ceil(benchmarks.length / cols);
  const layout: Record<string, unknown> = {
    ...baseLayout(`LLM size vs score (${selection.vision_encoder}, single scale)`),
    grid: { rows, columns: cols, pattern: "independent", xgap: 0.12, ygap: 0.28 },
    showlegend: false,
    annotations: [] as unknown[],
  };
  const data: PlotlyTrace[] = benchmarks.map((b, i) => {
    const axis = i === 0 ? "" : String(i + 1);
    layout[`xaxis${axis}`] = { title: { text: i >= benchmarks.length - cols ? "LLM parameters (B)" : "" }, range: [3, 10], dtick: 1, gridcolor: "#eee" };
    layout[`yaxis${axis}`] = { gridcolor: "#eee" };
    (layout["annotations"] as unknown[]).push({
      text: `<b>${b}</b>`,
      xref: `x${axis} domain`,
      yref: `y${axis} domain`,
      x: 0.5,
      y: 1.18,
      showarrow: false,
    });
    return {
      type: "scatter",
      name: b,
      mode: "markers",
      xaxis: `x${axis}`,
      yaxis: `y${axis}`,
      x: models.map((m) => m.llm_params_b),
      y: models.map((m) => lookup.get(m.model_id)?.get(b)?.score ?? null),
      text: models.map((m) => m.llm),
      hovertemplate: "%{text}: %{y}<extra>" + b + "</extra>",
      marker: { size: 9, color: models.map((_, k) => colour(k)), line: { width: 1, color: "#333" } },
    };
  });
  // A legend for the marker colours: one annotation line naming each LLM in its colour.
  (layout["annotations"] as unknown[]).push({
    text: models.map((m, k) => `<span style="color:${colour(k)}">●</span> ${m.llm} (${m.llm_params_b}B)`).join("   "),
    xref: "paper",
    yref: "paper",
    x: 0.5,
    y: -0.12,
    showarrow: false,
  });
  layout["margin"] = { t: 90, l: 50, r: 30, b: 110 };
  return { name: "llm_scale", title: "LLM size vs score", size: { width: 1200, height: 1000 }, data, layout };
}

/** Grouped bars of a − b per benchmark for a set of comparisons, in % of each benchmark's maximum. */
export function deltaBarsFigure(scores: ColumnTable, comparisons: readonly Comparison[], name: string, title: string): PlotlyFigure {
  if (comparisons.length === 0) throw new Error(`figure ${name}: no comparisons to draw`);
  const data: PlotlyTrace[] = comparisons.map((c, i) => {
    const rows = deltaRows(comparisonDeltas(scores, c));
    return {
      type: "bar",
      name: c.title,
      x: rows.map((r) => r.benchmark),
      y: rows.map((r) => r.normalised_delta),
      text: rows.map((r) => formatDelta(r.delta)),
      textposition: "outside",
      hovertemplate: `%{x}: ${c.a.label} − ${c.b.label} = %{text} (%{y:.2f} pp)<extra></extra>`,
      marker: { color: colour(i) },
    };
  });
  return {
    name,
    title,
    size: { width: 1100, height: 560 },
    data,
    layout: deltaBarsLayout(title, 120),
  };
}

const comparisonsOf = (variable: ComparisonVariable): Comparison[] => PAPER_COMPARISONS.filter((c) => c.variable === variable);

/** (c) Visual backbone: SigLIP vs CLIP (LLaMA-3.1-8B), SigLIP2 vs CLIP (Gemma-2-9B). */
export const backboneDeltaFigure = (scores: ColumnTable): PlotlyFigure =>
  deltaBarsFigure(scores, comparisonsOf("vision"), "backbone_deltas", "Visual backbone: change in score against CLIP ViT-L/14 (bar labels: benchmark units)");

/** (d) Resolution: S2 multi-scale vs single scale, with CLIP and with SigLIP. */
export const resolutionDeltaFigure = (scores: ColumnTable): PlotlyFigure =>
  deltaBarsFigure(scores, comparisonsOf("resolution"), "s2_deltas", "S2 multi-scale input: change in score against single scale (bar labels: benchmark units)");

/** (e) Model × benchmark heatmap of normalised scores, printed scores as cell text. */
export function heatmapFigure(scores: ColumnTable): PlotlyFigure {
  const lookup = scoreLookup(scores);
  const benchmarks = benchmarksIn(scores);
  const models = publishedModels(scores);
  const cell = (m: PublishedModel, b: BenchmarkName) => lookup.get(m.model_id)?.get(b);
  return {
    name: "heatmap",
    title: "Normalised scores",
    size: { width: 1200, height: 620 },
    data: [
      {
        type: "heatmap",
        name: "normalised score",
        x: [...benchmarks],
        y: models.map((m) => m.model_name),
        z: models.map((m) => benchmarks.map((b) => {
          const s = cell(m, b);
          return s ? normaliseScore(b, s.score) : null;
        })),
        text: models.map((m) => benchmarks.map((b) => cell(m, b)?.score_text ?? "")),
        texttemplate: "%{text}",
        hovertemplate: "%{y}<br>%{x}: %{text} (%{z:.1f}% of max)<extra></extra>",
        colorscale: "Viridis",
        colorbar: { title: { text: "% of max" } },
      },
    ],
    layout: {
      ...baseLayout("Model × benchmark (colour: % of maximum; text: published score)"),
      yaxis: { autorange: "reversed", automargin: true },
      xaxis: { tickangle: -30 },
      margin: { t: 70, l: 230, r: 30, b: 90 },
    },
  };
}

/** Every published-tier figure, in the order the notebook tells the story. */
export function publishedFigures(scores: ColumnTable): PlotlyFigure[] {
  return [
    radarFigure(scores),
    radarFigure(scores, { scale: "relative" }),
    scaleFigure(scores),
    backboneDeltaFigure(scores),
    resolutionDeltaFigure(scores),
    heatmapFigure(scores),
  ];
}
