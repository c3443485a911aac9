/**
 * The LLM size × image resolution explorer: for one benchmark at a time (a dropdown), a grid of LLMs
 * (rows, by parameter count) × tower resolutions (columns), each cell the mean over seeds ± the 95%
 * t-interval half width. Colour is the difference from the reference cell, and only where its 95%
 * Welch interval excludes 0; a difference inside the seed noise is grey and hatched, a cell without
 * runs reads "not run". A pure function from a seed summary (`seedSummary`) to a Plotly spec.
 */
import type { ColumnTable } from "arquero";
import type { CaptionStyle } from "../data/captions.js";
import { LLM_SIZES } from "../models/llm/definition.js";
import { ZOO_LLMS, type ZooLlmName } from "../models/llm/registry.js";
import type { VisionFamily } from "../models/vision/config.js";
import { visionConfig } from "../models/vision/registry.js";
import { S2_SCALES, imageTokens, inputSide, resolutionLabel, type ResolutionSpec } from "../models/vision/resolution.js";
import type { Preset } from "../presets.js";
import { BENCHMARK_NAMES, publishedBenchmark, type BenchmarkName } from "./benchmarks.js";
import { baseLayout, type PlotlyFigure, type PlotlyTrace } from "./figures.js";
import { welchIntervalOf, type SeedSummaryStats, type WelchInterval } from "./lab_stats.js";

/** The cells to draw: every LLM × resolution at one tower and caption set, and the cell the others are compared with. */
export interface SizeResolutionDesign {
  /** Sizes the tower's input side and token count in the column labels. */
  preset: Preset;
  llms: readonly ZooLlmName[];
  resolutions: readonly ResolutionSpec[];
  tower: VisionFamily;
  captions: CaptionStyle;
  reference: { llm: ZooLlmName; resolution: ResolutionSpec };
}

/**
 * What a cell shows: the reference itself; a difference from it whose 95% Welch interval excludes 0
 * (`beyond noise`) or contains it (`inside noise`); `no interval` where either side has one seed or
 * the reference has no runs; `not run`.
 */
export type CellVerdict = "reference" | "beyond noise" | "inside noise" | "no interval" | "not run";

export interface SizeResolutionCell {
  llm: ZooLlmName;
  resolution: string;
  verdict: CellVerdict;
  /** The seed summary of the cell; absent when not run. */
  stats?: SeedSummaryStats;
  /** This cell minus the reference cell; absent for the reference and for cells not run. */
  vsReference?: WelchInterval;
}

/** The rows of a seed summary, with the columns the explorer reads. */
type SummaryRow = SeedSummaryStats & { llm: string; tower: string; resolution: string; captions: string; llm_params?: number };

const REQUIRED = ["llm", "tower", "resolution", "captions", "benchmark", "n", "mean", "sd", "half_width"] as const;

function summaryRows(summary: ColumnTable): SummaryRow[] {
  const missing = REQUIRED.filter((c) => !summary.columnNames().includes(c));
  if (missing.length > 0) throw new Error(`size × resolution explorer: the summary has no column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}; build it with seedSummary`);
  return summary.objects() as unknown as SummaryRow[];
}

const rungOf = (llm: ZooLlmName): number => {
  const entry = ZOO_LLMS.find((z) => z.name === llm);
  if (!entry) throw new Error(`size × resolution explorer: unknown LLM "${llm}"; expected one of ${ZOO_LLMS.map((z) => z.name).join(", ")}`);
  return LLM_SIZES.indexOf(entry.size);
};

/** The design's LLMs by parameter count (their rung on the size ladder), the design's order among equals. */
export const llmsBySize = (design: Pick<SizeResolutionDesign, "llms">): ZooLlmName[] =>
  [...design.llms].map((llm, i) => ({ llm, i })).sort((a, b) => rungOf(a.llm) - rungOf(b.llm) || a.i - b.i).map((x) => x.llm);

/** The benchmarks (README order) that at least one of the design's cells has scores on. */
export function explorerBenchmarks(summary: ColumnTable, design: SizeResolutionDesign): BenchmarkName[] {
  const rows = designRows(summaryRows(summary), design);
  return BENCHMARK_NAMES.filter((b) => rows.some((r) => r.benchmark === b));
}

function designRows(rows: readonly SummaryRow[], design: SizeResolutionDesign): SummaryRow[] {
  const labels = new Set(design.resolutions.map(resolutionLabel));
  return rows.filter((r) => r.tower === design.tower && r.captions === design.captions && (design.llms as readonly string[]).includes(r.llm) && labels.has(r.resolution));
}

/** The cells of one benchmark: rows are the LLMs by size, columns the design's resolutions. */
export function sizeResolutionCells(summary: ColumnTable, design: SizeResolutionDesign, benchmark: string): SizeResolutionCell[][] {
  const rows = designRows(summaryRows(summary), design).filter((r) => r.benchmark === benchmark);
  const find = (llm: string, resolution: string): SummaryRow | undefined => {
    const hits = rows.filter((r) => r.llm === llm && r.resolution === resolution);
    if (hits.length > 1) throw new Error(`size × resolution explorer: ${hits.length} summary rows for ${llm} + ${design.tower} @ ${resolution}, ${design.captions} captions on ${benchmark}; summarise by llm, tower, resolution and captions`);
    return hits[0];
  };
  const referenceLabel = resolutionLabel(design.reference.resolution);
  const reference = find(design.reference.llm, referenceLabel);
  return llmsBySize(design).map((llm) =>
    design.resolutions.map((spec) => {
      const resolution = resolutionLabel(spec);
      const stats = find(llm, resolution);
      if (!stats) return { llm, resolution, verdict: "not run" };
      if (llm === design.reference.llm && resolution === referenceLabel) return { llm, resolution, verdict: "reference", stats };
      if (!reference) return { llm, resolution, verdict: "no interval", stats };
      const vsReference = welchIntervalOf(stats, reference);
      const verdict: CellVerdict = Number.isNaN(vsReference.low) ? "no interval" : vsReference.low > 0 || vsReference.high < 0 ? "beyond noise" : "inside noise";
      return { llm, resolution, verdict, stats, vsReference };
    }),
  );
}

/** "0.75×<br>48 px · 36 tokens"; with S2 the scales' sides too. */
export function resolutionText(spec: ResolutionSpec, tower: VisionFamily, preset: Preset): string {
  const config = visionConfig(tower, preset);
  const side = inputSide(config, spec);
  const name = resolutionLabel(spec).replace("x", "×");
  const sides = spec.s2 === true ? S2_SCALES.map((s) => s * side).join(" + ") : String(side);
  return `${name}<br>${sides} px · ${imageTokens(config, spec)} tokens`;
}

const llmText = (llm: ZooLlmName, params: number | undefined): string => {
  const size = ZOO_LLMS.find((z) => z.name === llm)!.size.toUpperCase();
  return `<b>${size}</b> · ${llm}${params !== undefined ? `<br>lab: ${(params / 1e6).toFixed(2)} M params` : ""}`;
};

const signed = (x: number, digits: number): string => `${x > 0 ? "+" : x < 0 ? "−" : "±"}${Math.abs(x).toFixed(digits)}`;

/** The text inside a cell: mean ± half width and seeds, then the difference from the reference and its interval. */
export function cellText(cell: SizeResolutionCell): string {
  if (!cell.stats) return "<i>not run</i>";
  const { mean, half_width: hw, n } = cell.stats;
  const head = `<b>${mean.toFixed(1)}${Number.isNaN(hw) ? "" : ` ± ${hw.toFixed(1)}`}</b><br>n = ${n} seed${n === 1 ? "" : "s"}`;
  if (cell.verdict === "reference") return `${head}<br><b>reference</b>`;
  const w = cell.vsReference;
  if (!w) return `${head}<br>no reference to compare`;
  if (Number.isNaN(w.low)) return `${head}<br>Δ ${signed(w.delta, 1)}: no interval (1 seed)`;
  return `${head}<br>Δ ${signed(w.delta, 1)} [${signed(w.low, 1)}, ${signed(w.high, 1)}]<br>${cell.verdict}`;
}

/** The figure's fixed geometry in CSS pixels: what keeps the title, the menu and the plot apart. */
export const EXPLORER_LAYOUT = {
  width: 1280,
  height: 780,
  margin: { t: 112, b: 176, l: 200, r: 170 },
  /** Top of the title and of the benchmark menu, from the top of the figure. */
  titleTop: 14,
  titleFont: 18,
  menuTop: 54,
  menuHeight: 28,
} as const;

const plotHeight = (): number => EXPLORER_LAYOUT.height - EXPLORER_LAYOUT.margin.t - EXPLORER_LAYOUT.margin.b;
/** A position `px` below the top of the figure, in paper coordinates (1 = the top of the plot area). */
const paperY = (px: number): number => 1 + (EXPLORER_LAYOUT.margin.t - px) / plotHeight();

const GREY = "#d0d0d0";
const HATCH = "#9a9a9a";
/** Red below the reference, blue above; no shade near white (not run) or grey (noise), none too dark for black text. */
const DIVERGING: [number, string][] = [[0, "#d6604d"], [0.4999, "#f9cdbf"], [0.5001, "#c4dcee"], [1, "#4393c3"]];
const TEXT = "#111";
const flat = (colour: string): [number, string][] => [[0, colour], [1, colour]];

/** Diagonal strokes in two corners of a cell (data coordinates of category axes), clear of its centred text. */
function hatchShapes(row: number, column: number): Record<string, unknown>[] {
  const [x0, y0] = [column - 0.49, row - 0.49];
  const [x1, y1] = [column + 0.49, row + 0.49];
  const strokes = [0.05, 0.1, 0.15, 0.2];
  const line = (xa: number, ya: number, xb: number, yb: number): Record<string, unknown> => ({ type: "line", xref: "x", yref: "y", x0: xa, y0: ya, x1: xb, y1: yb, line: { color: HATCH, width: 1.5 }, layer: "above" });
  return strokes.flatMap((d) => [line(x0, y0 + d * 2, x0 + d, y0), line(x1 - d, y1, x1, y1 - d * 2)]);
}

/**
 * The explorer: one set of heatmap traces per benchmark (coloured differences, grey noise, the
 * reference, cells not run), a dropdown that shows one benchmark's set, the first benchmark shown.
 */
export function sizeResolutionFigure(summary: ColumnTable, design: SizeResolutionDesign, name = "size_resolution"): PlotlyFigure {
  const benchmarks = explorerBenchmarks(summary, design);
  if (benchmarks.length === 0) {
    throw new Error(`size × resolution explorer: the summary holds no run of ${design.llms.join(", ")} + ${design.tower} at ${design.resolutions.map(resolutionLabel).join(", ")} with ${design.captions} captions`);
  }
  const llms = llmsBySize(design);
  const params = new Map(summaryRows(summary).filter((r) => typeof r.llm_params === "number").map((r) => [r.llm, r.llm_params!]));
  const y = llms.map((llm) => llmText(llm, params.get(llm)));
  const x = design.resolutions.map((spec) => resolutionText(spec, design.tower, design.preset));
  const referenceName = `${design.reference.llm} + ${design.tower}, ${resolutionLabel(design.reference.resolution).replace("x", "×")}`;
  const referenceRow = llms.indexOf(design.reference.llm);
  const referenceColumn = design.resolutions.findIndex((r) => resolutionLabel(r) === resolutionLabel(design.reference.resolution));
  const referenceBox = referenceRow >= 0 && referenceColumn >= 0
    ? [{ type: "rect", xref: "x", yref: "y", x0: referenceColumn - 0.5, x1: referenceColumn + 0.5, y0: referenceRow - 0.5, y1: referenceRow + 0.5, line: { color: "#111", width: 3 }, layer: "above" }]
    : [];

  const data: PlotlyTrace[] = [];
  const owner: number[] = [];
  const shapes: Record<string, unknown>[][] = [];
  benchmarks.forEach((benchmark, b) => {
    const cells = sizeResolutionCells(summary, design, benchmark);
    const max = publishedBenchmark(benchmark).maxScore;
    const units = `points of ${max}`;
    const text = cells.map((row) => row.map(cellText));
    const where = (keep: (c: SizeResolutionCell) => boolean, value: (c: SizeResolutionCell) => number): (number | null)[][] =>
      cells.map((row) => row.map((c) => (keep(c) ? value(c) : null)));
    const layer = (label: string, keep: (c: SizeResolutionCell) => boolean, value: (c: SizeResolutionCell) => number, style: Record<string, unknown>): void => {
      if (!cells.some((row) => row.some(keep))) return;
      data.push({
        type: "heatmap",
        name: `${benchmark}: ${label}`,
        x,
        y,
        z: where(keep, value),
        // Only this layer's cells: a heatmap prints its text on empty cells too.
        text: cells.map((row, i) => row.map((c, j) => (keep(c) ? text[i]![j]! : ""))),
        texttemplate: "%{text}",
        hovertemplate: `${benchmark} (${units})<br>%{y}<br>%{x}<br>%{text}<extra></extra>`,
        hoverongaps: false,
        xgap: 4,
        ygap: 4,
        visible: b === 0,
        ...style,
      });
      owner.push(b);
    };
    // The colour scale spans the largest difference of any compared cell, so one cell beyond the noise is not painted at full strength by default.
    const compared = cells.flat().flatMap((c) => (c.vsReference ? [Math.abs(c.vsReference.delta)] : []));
    const span = Math.max(...compared, 0) || 1;
    layer("beyond the noise", (c) => c.verdict === "beyond noise", (c) => c.vsReference!.delta, {
      colorscale: DIVERGING,
      zmin: -span,
      zmax: span,
      textfont: { size: 13, color: TEXT },
      colorbar: { title: { text: `Δ vs reference<br>(${benchmark},<br>${units})`, side: "top" }, x: 1.02, len: 1, thickness: 16 },
    });
    layer("inside the noise", (c) => c.verdict === "inside noise" || c.verdict === "no interval", () => 0, { colorscale: flat(GREY), showscale: false, textfont: { size: 13, color: TEXT } });
    layer("reference", (c) => c.verdict === "reference", () => 0, { colorscale: flat("#ffffff"), showscale: false, textfont: { size: 13, color: TEXT } });
    layer("not run", (c) => c.verdict === "not run", () => 0, { colorscale: flat("#f7f7f7"), showscale: false, textfont: { size: 13, color: "#666" } });
    shapes.push([...referenceBox, ...cells.flatMap((row, i) => row.flatMap((c, j) => (c.verdict === "inside noise" || c.verdict === "no interval" ? hatchShapes(i, j) : [])))]);
  });

  const grids = benchmarks.map((benchmark) => sizeResolutionCells(summary, design, benchmark));
  const all = grids.flatMap((cells) => cells.flat());
  const count = (verdict: SizeResolutionCell["verdict"]) => all.filter((c) => c.verdict === verdict).length;
  const pairings = grids[0]!.flatMap((row, i) => row.map((_, j) => grids.every((cells) => cells[i]![j]!.verdict === "not run")));
  const caption =
    `Look for coloured cells: only they differ from ${referenceName} beyond the seed noise. Over the ${benchmarks.length} benchmark${benchmarks.length === 1 ? "" : "s"}, ` +
    `${count("beyond noise")} of ${count("beyond noise") + count("inside noise") + count("no interval")} compared cells do, ` +
    `and ${pairings.filter(Boolean).length} of the ${pairings.length} pairings are not run yet.`;
  const L = EXPLORER_LAYOUT;
  const title = `LLM size × image resolution (${design.tower}, ${design.captions} captions): mean ± 95% CI over seeds`;
  const legend = [
    `<b>Cell</b>: mean score over seeds ± 95% t-interval half width, n = seeds; Δ = this cell minus the reference (${referenceName}, outlined) with its 95% Welch interval.`,
    `<b>Colour</b>: Δ, blue above the reference and red below, only where the Welch interval excludes 0. <b>Grey, hatched</b>: inside the seed noise (the interval contains 0) or no interval (one seed).`,
    `<b>"not run"</b>: the archive holds no run of that pairing: npx llava-more study --grid sizeResolution trains them. Scores in the benchmark's units (MME-P of 2000, MME-C of 800, the rest of 100).`,
  ];
  return {
    name,
    title,
    caption,
    size: { width: L.width, height: L.height },
    data,
    layout: {
      ...baseLayout(title),
      title: { text: title, font: { size: L.titleFont }, x: 0.012, xanchor: "left", xref: "container", y: 1 - L.titleTop / L.height, yanchor: "top", yref: "container" },
      margin: { ...L.margin, pad: 0 },
      xaxis: { title: { text: "image resolution: multiple of the tower's input side, then the sides in pixels and the image tokens the LLM sees", standoff: 12 }, type: "category", side: "bottom", showgrid: false, zeroline: false, tickfont: { size: 13 } },
      yaxis: { title: { text: "LLM, by parameter count (paper size · zoo entry)", standoff: 10 }, type: "category", autorange: "reversed", showgrid: false, zeroline: false, tickfont: { size: 13 } },
      shapes: shapes[0],
      annotations: [
        { text: "<b>benchmark</b>", xref: "paper", yref: "paper", x: 0, xanchor: "right", xshift: -10, y: paperY(L.menuTop + L.menuHeight / 2), yanchor: "middle", showarrow: false, font: { size: 14 } },
        { text: legend.join("<br>"), xref: "paper", yref: "paper", x: 0, xshift: 16 - L.margin.l, xanchor: "left", align: "left", y: paperY(L.height - 62), yanchor: "top", showarrow: false, font: { size: 12, color: "#333" } },
      ],
      updatemenus: [
        {
          type: "dropdown",
          direction: "down",
          showactive: true,
          x: 0,
          xanchor: "left",
          y: paperY(L.menuTop),
          yanchor: "top",
          pad: { t: 0, b: 0, l: 0, r: 0 },
          font: { size: 14 },
          active: 0,
          buttons: benchmarks.map((benchmark, b) => ({ label: benchmark, method: "update", args: [{ visible: owner.map((o) => o === b) }, { shapes: shapes[b] }] })),
        },
      ],
    },
  };
}
