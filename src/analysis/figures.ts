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
  /** One sentence saying what to look at: printed under the figure in the report, its HTML page and notebooks. */
  caption?: string;
  data: PlotlyTrace[];
  layout: Record<string, unknown>;
  /** Size of the static export in CSS pixels. */
  size: { width: number; height: number };
}

const FONT = { family: "DejaVu Sans, Arial, sans-serif", size: 12 };
/** Plotly's default qualitative palette, extended to 10+ models. */
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
export const colour = (i: number): string => PALETTE[i % PALETTE.length]!;

/** The units of every score axis: MME-P and MME-C are divided by their maxima (2000, 800), the rest are already out of 100. */
export const PERCENT_OF_MAX = "% of max";
export const POINTS_OF_MAX = "points of max";
export const PERCENT_NOTE = "MME-P / 2000, MME-C / 800";

export function baseLayout(title: string): Record<string, unknown> {
  return { title: { text: title }, font: FONT, paper_bgcolor: "white", plot_bgcolor: "white", margin: { t: 70, l: 60, r: 30, b: 60 } };
}

/** [low, high] covering 0 and every value, widened by `pad` of the span (room for bar labels), rounded out to `step`. */
export function rangeFromZero(values: readonly number[], pad = 0.15, step = 1): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v));
  const lo = Math.min(0, ...finite);
  const hi = Math.max(0, ...finite);
  const room = (hi - lo || 1) * pad;
  return [lo < 0 ? -Math.ceil((-lo + room) / step) * step : 0, hi > 0 ? Math.ceil((hi + room) / step) * step : 0];
}

/** A signed value in points of max, one decimal, as bar labels print it. */
export const pointsText = (value: number): string => formatDelta(value, 1);

/** Grouped bars of deltas in points of each benchmark's maximum, legend below, y range from the bars (and 0). */
export function deltaBarsLayout(title: string, bottomMargin: number, yRange: [number, number]): Record<string, unknown> {
  return {
    ...baseLayout(title),
    barmode: "group",
    bargap: 0.12,
    bargroupgap: 0.04,
    xaxis: { title: { text: "benchmark" }, type: "category", tickangle: -30 },
    yaxis: { title: { text: `Δ score (${POINTS_OF_MAX})` }, range: yRange, zeroline: true, zerolinecolor: "#444", gridcolor: "#eee" },
    legend: { orientation: "h", y: -0.25 },
    margin: { t: 70, l: 70, r: 30, b: bottomMargin },
  };
}

export type RadarScale = "normalised" | "relative";

/**
 * (a) Radar of models over benchmarks. `normalised`: % of each benchmark's maximum on its full 0–100
 * scale; `relative`: points of max behind the best model on each benchmark, one scale for every spoke
 * (the rim is the best model), so that a benchmark where the models barely differ looks like one.
 */
export function radarFigure(scores: ColumnTable, options: { scale?: RadarScale; models?: string[] } = {}): PlotlyFigure {
  const scale = options.scale ?? "normalised";
  const lookup = scoreLookup(scores);
  const benchmarks = benchmarksIn(scores);
  const models = publishedModels(scores).filter((m) => !options.models || options.models.includes(m.model_id));
  const value = (m: PublishedModel, b: BenchmarkName): number => normaliseScore(b, lookup.get(m.model_id)?.get(b)?.score ?? NaN);
  const spread = new Map(
    benchmarks.map((b) => {
      const vs = models.map((m) => value(m, b)).filter(Number.isFinite);
      return [b, { min: Math.min(...vs), max: Math.max(...vs) }] as const;
    }),
  );
  const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
  const r = (m: PublishedModel, b: BenchmarkName): number => (scale === "normalised" ? value(m, b) : round6(value(m, b) - spread.get(b)!.max));
  const closed = <T,>(xs: T[]): T[] => [...xs, xs[0]!];
  const widths = benchmarks.map((b) => ({ b, width: spread.get(b)!.max - spread.get(b)!.min })).sort((x, y) => x.width - y.width);
  const depth = Math.ceil(widths[widths.length - 1]!.width / 2) * 2;
  const narrowest = widths[0]!;
  const widest = widths[widths.length - 1]!;
  const hardest = benchmarks.map((b) => ({ b, best: spread.get(b)!.max })).sort((x, y) => x.best - y.best)[0]!;
  const normalised = scale === "normalised";
  const title = normalised
    ? `LLaVA-MORE models over ${benchmarks.length} benchmarks: score (${PERCENT_OF_MAX}; ${PERCENT_NOTE})`
    : `LLaVA-MORE models over ${benchmarks.length} benchmarks: ${POINTS_OF_MAX} behind the best model (rim = best, same scale on every spoke)`;
  return {
    name: normalised ? "radar" : "radar_relative",
    title: normalised ? "Models over benchmarks (% of max)" : "Models over benchmarks (points behind the best)",
    caption: normalised
      ? `Every spoke runs from 0 to 100% of the benchmark's maximum: the ten models nearly overlap everywhere, and the spokes where all of them sit low are the hard benchmarks (lowest best score: ${hardest.b}, ${hardest.best.toFixed(1)}%).`
      : `The rim of each spoke is the best model on that benchmark and the centre is ${depth} points of max below it, the same scale on every spoke: a model that hugs the rim everywhere is best overall, and a small spread stays small (${narrowest.b}: ${narrowest.width.toFixed(1)} points from worst to best; ${widest.b}: ${widest.width.toFixed(1)}).`,
    size: { width: 900, height: 800 },
    data: models.map((m, i) => ({
      type: "scatterpolar",
      name: m.model_name,
      r: closed(benchmarks.map((b) => r(m, b))),
      theta: closed([...benchmarks]),
      customdata: closed(benchmarks.map((b) => lookup.get(m.model_id)?.get(b)?.score_text ?? "")),
      hovertemplate: normalised
        ? `%{theta}: %{customdata} (%{r:.1f}${PERCENT_OF_MAX})<extra>%{fullData.name}</extra>`
        : `%{theta}: %{customdata} (%{r:.1f} ${POINTS_OF_MAX} from the best)<extra>%{fullData.name}</extra>`,
      mode: "lines+markers",
      line: { color: colour(i), width: 2 },
      marker: { size: 4 },
    })),
    layout: {
      ...baseLayout(title),
      title: { text: title, font: { size: 14 } },
      polar: {
        // Tick labels carry the unit (a title along the axis would sit on the lines), drawn between the last spoke and the first.
        radialaxis: normalised
          ? { range: [0, 100], dtick: 20, ticksuffix: "%", angle: -180 / benchmarks.length, tickangle: 0 }
          : { range: [-depth, 0], dtick: 4, ticksuffix: " pts", angle: -180 / benchmarks.length, tickangle: 0 },
      },
      legend: { orientation: "h", y: -0.08 },
    },
  };
}

/** The models that isolate the LLM: the baseline CLIP ViT-L/14 at a single scale. */
export const SCALE_ANALYSIS = { vision_encoder: "CLIP ViT-L/14", s2: false } as const;
/** The zero line of the scale figure: LLaVA-1.5-7B (Vicuna-7B), the model the paper's LLMs are compared with. */
export const SCALE_REFERENCE = "llava-1.5-7b";

/**
 * (b) LLM parameters vs score, one panel per benchmark (the 3.8B vs 7–9B scale analysis): points of
 * max above or below LLaVA-1.5-7B, on one y scale shared by every panel and an x axis from 0.
 */
export function scaleFigure(scores: ColumnTable, selection: { vision_encoder: string; s2: boolean } = SCALE_ANALYSIS): PlotlyFigure {
  const lookup = scoreLookup(scores);
  const benchmarks = benchmarksIn(scores);
  const models = publishedModels(scores).filter((m) => m.vision_encoder === selection.vision_encoder && m.s2 === selection.s2);
  if (models.length === 0) throw new Error(`scale figure: no model uses ${selection.vision_encoder} with s2=${selection.s2}`);
  const reference = models.find((m) => m.model_id === SCALE_REFERENCE);
  if (!reference) throw new Error(`scale figure: the reference model ${SCALE_REFERENCE} does not use ${selection.vision_encoder} with s2=${selection.s2}`);
  const gain = (m: PublishedModel, b: BenchmarkName): number | null => {
    const s = lookup.get(m.model_id)?.get(b)?.score;
    const r = lookup.get(reference.model_id)?.get(b)?.score;
    return s === undefined || r === undefined ? null : Math.round((normaliseScore(b, s) - normaliseScore(b, r)) * 1e6) / 1e6;
  };
  const gains = models.flatMap((m) => benchmarks.map((b) => gain(m, b) ?? 0));
  const limit = Math.ceil((Math.max(...gains.map(Math.abs)) + 0.5) / 2) * 2;
  const cols = 4;
  const rows = Math.ceil(benchmarks.length / cols);
  const title = `LLM size vs score (${selection.vision_encoder}, single scale): ${POINTS_OF_MAX} above or below ${reference.llm} (LLaVA-1.5-7B)`;
  const layout: Record<string, unknown> = {
    ...baseLayout(title),
    title: { text: title, font: { size: 14 } },
    grid: { rows, columns: cols, pattern: "independent", xgap: 0.1, ygap: 0.35 },
    showlegend: false,
    annotations: [] as unknown[],
  };
  const data: PlotlyTrace[] = benchmarks.map((b, i) => {
    const axis = i === 0 ? "" : String(i + 1);
    // One x and one y scale for every panel: titles on the bottom panel of each column and the first of each row.
    const bottom = i + cols >= benchmarks.length;
    const first = i % cols === 0;
    layout[`xaxis${axis}`] = { title: { text: bottom ? "LLM parameters (billions)" : "" }, range: [0, 10], dtick: 2, gridcolor: "#eee" };
    layout[`yaxis${axis}`] = { title: { text: first ? `Δ (${POINTS_OF_MAX})` : "" }, range: [-limit, limit], zeroline: true, zerolinecolor: "#444", gridcolor: "#eee" };
    (layout["annotations"] as unknown[]).push({
      text: `<b>${b}</b>`,
      xref: `x${axis} domain`,
      yref: `y${axis} domain`,
      x: 0.5,
      y: 1.12,
      showarrow: false,
    });
    return {
      type: "scatter",
      name: b,
      mode: "markers",
      xaxis: `x${axis}`,
      yaxis: `y${axis}`,
      x: models.map((m) => m.llm_params_b),
      y: models.map((m) => gain(m, b)),
      text: models.map((m) => m.llm),
      customdata: models.map((m) => lookup.get(m.model_id)?.get(b)?.score_text ?? ""),
      hovertemplate: `%{text}: %{customdata} (%{y:+.1f} ${POINTS_OF_MAX} vs ${reference.llm})<extra>${b}</extra>`,
      marker: { size: 9, color: models.map((_, k) => colour(k)), line: { width: 1, color: "#333" } },
    };
  });
  // A legend for the marker colours: one annotation line naming each LLM in its colour.
  (layout["annotations"] as unknown[]).push({
    text: models.map((m, k) => `<span style="color:${colour(k)}">●</span> ${m.llm} (${m.llm_params_b}B)`).join("   "),
    xref: "paper",
    yref: "paper",
    x: 0.5,
    y: -0.13,
    showarrow: false,
  });
  layout["margin"] = { t: 90, l: 70, r: 30, b: 130 };
  return {
    name: "llm_scale",
    title: "LLM size vs score",
    caption: `Each panel is one benchmark and each dot one LLM with the same CLIP tower, placed at its size and at its gain over ${reference.llm} (the zero line) in ${POINTS_OF_MAX}, on one scale for every panel: look at whether the dots rise from 3.8B to 9B and how far above zero they sit.`,
    size: { width: 1200, height: 1000 },
    data,
    layout,
  };
}

/** Grouped bars of a − b per benchmark for a set of comparisons, in points of each benchmark's maximum (bars and their labels). */
export function deltaBarsFigure(scores: ColumnTable, comparisons: readonly Comparison[], name: string, title: string, lead?: string): PlotlyFigure {
  if (comparisons.length === 0) throw new Error(`figure ${name}: no comparisons to draw`);
  const series = comparisons.map((c) => ({ c, rows: deltaRows(comparisonDeltas(scores, c)) }));
  const data: PlotlyTrace[] = series.map(({ c, rows }, i) => ({
    type: "bar",
    name: c.title,
    x: rows.map((r) => r.benchmark),
    y: rows.map((r) => r.normalised_delta),
    text: rows.map((r) => pointsText(r.normalised_delta)),
    textposition: "outside",
    textfont: { size: 11 },
    cliponaxis: false,
    customdata: rows.map((r) => `${r.score_text_a} vs ${r.score_text_b}, ${formatDelta(r.delta)} in benchmark units`),
    hovertemplate: `%{x}: ${c.a.label} − ${c.b.label} = %{y:+.2f} ${POINTS_OF_MAX} (%{customdata})<extra></extra>`,
    marker: { color: colour(i) },
  }));
  const bars = series.flatMap(({ c, rows }) => rows.map((r) => ({ c, r })));
  const sorted = [...bars].sort((x, y) => x.r.normalised_delta - y.r.normalised_delta);
  const extreme = ({ c, r }: (typeof bars)[number]): string => `${r.benchmark} ${pointsText(r.normalised_delta)} for ${c.title}`;
  const within = bars.filter(({ r }) => Math.abs(r.normalised_delta) <= 2).length;
  const facts = `${within} of ${bars.length} bars are within ±2 points, the largest gain is ${extreme(sorted[sorted.length - 1]!)} and the largest loss ${extreme(sorted[0]!)}`;
  const fullTitle = `${title} (${POINTS_OF_MAX}; hover for benchmark units)`;
  return {
    name,
    title,
    caption: `${lead ?? "Compare the bars"} (bars and labels: a − b in ${POINTS_OF_MAX}): ${facts}.`,
    size: { width: 1300, height: 600 },
    data,
    layout: deltaBarsLayout(fullTitle, 130, rangeFromZero(bars.map(({ r }) => r.normalised_delta))),
  };
}

const comparisonsOf = (variable: ComparisonVariable): Comparison[] => PAPER_COMPARISONS.filter((c) => c.variable === variable);

/** (c) Visual backbone: SigLIP vs CLIP (LLaMA-3.1-8B), SigLIP2 vs CLIP (Gemma-2-9B). */
export const backboneDeltaFigure = (scores: ColumnTable): PlotlyFigure =>
  deltaBarsFigure(
    scores,
    comparisonsOf("vision"),
    "backbone_deltas",
    "Visual backbone: change in score against CLIP ViT-L/14",
    "Look for benchmarks where SigLIP and SigLIP2 both beat their CLIP twins",
  );

/** (d) Resolution: S2 multi-scale vs single scale, with CLIP and with SigLIP. */
export const resolutionDeltaFigure = (scores: ColumnTable): PlotlyFigure =>
  deltaBarsFigure(
    scores,
    comparisonsOf("resolution"),
    "s2_deltas",
    "S2 multi-scale input: change in score against single scale",
    "Look for benchmarks where both towers gain from S2 over their single-scale twins",
  );

/**
 * (e) Model × benchmark heatmap. The colour is each model's distance from the benchmark's median
 * model in points of max, one diverging scale for every column: it says which model is ahead on
 * a benchmark and by how much (a benchmark where models barely differ stays pale), not which
 * benchmark is hard. The cell text is the published score.
 */
export function heatmapFigure(scores: ColumnTable): PlotlyFigure {
  const lookup = scoreLookup(scores);
  const benchmarks = benchmarksIn(scores);
  const models = publishedModels(scores);
  const cell = (m: PublishedModel, b: BenchmarkName) => lookup.get(m.model_id)?.get(b);
  const median = new Map(
    benchmarks.map((b) => {
      const vs = models.flatMap((m) => {
        const s = cell(m, b);
        return s ? [normaliseScore(b, s.score)] : [];
      });
      return [b, medianOf(vs)] as const;
    }),
  );
  const z = models.map((m) =>
    benchmarks.map((b) => {
      const s = cell(m, b);
      return s ? Math.round((normaliseScore(b, s.score) - median.get(b)!) * 1e6) / 1e6 : null;
    }),
  );
  const limit = Math.ceil(Math.max(...z.flat().map((v) => Math.abs(v ?? 0))));
  const title = `Model × benchmark: colour = ${POINTS_OF_MAX} above (blue) or below (red) the benchmark's median model; text = published score`;
  return {
    name: "heatmap",
    title: "Models against each benchmark's median",
    caption: `Read down a column: blue cells beat that benchmark's median model and red ones trail it, in ${POINTS_OF_MAX} on one colour scale for every column (pale columns such as POPE are benchmarks where the models barely differ); the text is the published score.`,
    size: { width: 1200, height: 640 },
    data: [
      {
        type: "heatmap",
        name: "points of max vs the median model",
        x: [...benchmarks],
        y: models.map((m) => m.model_name),
        z,
        zmin: -limit,
        zmax: limit,
        zmid: 0,
        text: models.map((m) => benchmarks.map((b) => cell(m, b)?.score_text ?? "")),
        texttemplate: "%{text}",
        hovertemplate: `%{y}<br>%{x}: %{text} (%{z:+.1f} ${POINTS_OF_MAX} vs the median model)<extra></extra>`,
        colorscale: [
          [0, "#b2182b"],
          [0.25, "#ef8a62"],
          [0.5, "#f7f7f7"],
          [0.75, "#67a9cf"],
          [1, "#2166ac"],
        ],
        colorbar: { title: { text: `vs median (${POINTS_OF_MAX})`, side: "right" } },
      },
    ],
    layout: {
      ...baseLayout(title),
      title: { text: title, font: { size: 14 } },
      yaxis: { title: { text: "model" }, type: "category", autorange: "reversed", automargin: true },
      xaxis: { title: { text: "benchmark" }, type: "category", tickangle: -30 },
      margin: { t: 70, l: 230, r: 30, b: 100 },
    },
  };
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
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
