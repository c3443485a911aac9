/**
 * Every published and lab figure is honest at a glance, checked from its spec: a caption; a title with
 * a unit on every numeric axis (or a shared, titled scale); ranges that hold zero and stay inside the
 * scale; every bar, marker and error bar inside its axis; bar labels that say what the bar shows in
 * the axis's units and fit their bar; the lab scores drawn against their image-blind references.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadPublishedScores } from "../src/analysis/published.js";
import { publishedFigures, type PlotlyFigure, type PlotlyTrace } from "../src/analysis/figures.js";
import { labFigures, labComparisons, writeReportPage } from "../src/analysis/lab_report.js";
import { labScoresFigure, labVsPublishedFigure } from "../src/analysis/lab_figures.js";
import { labTable, seedSummary, type LabScoreRow } from "../src/analysis/lab_stats.js";
import { normaliseScore, type BenchmarkName } from "../src/analysis/benchmarks.js";
import { FigureRenderer, findChromium, writeFigureHtml } from "../src/analysis/export.js";
import { requireTool, tempDir } from "./helpers.js";

const scores = loadPublishedScores();

// A lab table like the archive's quick study (two pairings, two seeds), with seed spreads so wide that
// a 95% interval runs past both ends of the scale, as the archive's do.
const LAB_BENCHMARKS: [BenchmarkName, number, number, number, number][] = [
  // benchmark, clip seed 0, clip seed 1, siglip seed 0, siglip seed 1 (README units)
  ["GQA", 38.5, 39.5, 33.5, 35.5],
  ["ScienceQA", 31, 33, 33, 34.6],
  ["TextVQA", 0, 0, 0, 0],
  ["AI2D", 14, 27.4, 16, 26.6],
  ["POPE", 50.5, 55.1, 32.7, 54.1],
  ["MME-P", 333, 471.4, 364.2, 400],
  ["MME-C", 50, 100, 100, 150],
  ["MMBench-En", 0, 0, 0, 0],
  ["MMBench-Cn", 0, 0, 0, 1.8],
  ["SEED-img", 20, 30, 25.5, 29.1],
  ["MMMU", 23.1, 23.5, 17.5, 18.5],
];
const labRows: LabScoreRow[] = LAB_BENCHMARKS.flatMap(([benchmark, ...values]) =>
  values.map((score, i) => {
    const tower = i < 2 ? "clip" : "siglip";
    const seed = i % 2;
    return {
      run: `llama3.1-8b__${tower}-1x__short__s${seed}`,
      llm: "llama3.1-8b",
      family: "llama3.1",
      size: "8b",
      llm_params: 8e9,
      tower,
      resolution: "1x",
      image_size: 224,
      s2: false,
      captions: "short",
      seed,
      benchmark,
      score,
    };
  }),
);
const labTableFixture = labTable(labRows);
const references = {
  prior: { GQA: 30, ScienceQA: 45, TextVQA: 2, AI2D: 30, POPE: 63, "MME-P": 700.9, "MME-C": 257.1, "MMBench-En": 32.1, "MMBench-Cn": 30.4, "SEED-img": 33.5, MMMU: 49 },
  chance: { GQA: 2, ScienceQA: 34, TextVQA: 0.5, AI2D: 26.7, POPE: 43, "MME-P": 690, "MME-C": 206, "MMBench-En": 5.3, "MMBench-Cn": 1.8, "SEED-img": 25, MMMU: 24.5 },
};
const summary = seedSummary(labTableFixture);
const comparisons = labComparisons(labTableFixture, scores);
const labSet = (): PlotlyFigure[] => labFigures(summary, comparisons, references);

type Axis = Record<string, unknown> & { title?: { text?: string }; range?: [number, number]; ticksuffix?: string; type?: string; matches?: string };

/** The units a numeric axis may be in; a score axis says which. */
const UNIT_IN_TITLE = /\((?:[^()]*; )?(% of max|points of max|billions)(?:;[^()]*)?\)/;

/** "x2" → "xaxis2"; "x" → "xaxis". */
const axisKey = (ref: string): string => `${ref[0]}axis${ref.slice(1)}`;
const titleOf = (axis: Axis): string => axis.title?.text ?? "";
const numbers = (xs: unknown): (number | null)[] => (Array.isArray(xs) ? xs.map((v) => (typeof v === "number" ? v : null)) : []);

/** The unit an axis is read in ("% of max", "points of max", "billions"), from its title or tick suffix. */
function unitOf(axis: Axis): string | undefined {
  const fromTitle = UNIT_IN_TITLE.exec(titleOf(axis))?.[1];
  if (fromTitle) return fromTitle;
  if (axis.ticksuffix === "%") return "% of max";
  if (axis.ticksuffix === " pts") return "points of max";
  return undefined;
}

/** Every cartesian axis a trace draws on, with the values it puts there. */
function cartesianUse(figure: PlotlyFigure): Map<string, { axis: Axis; values: number[]; categorical: boolean; traces: PlotlyTrace[] }> {
  const used = new Map<string, { axis: Axis; values: number[]; categorical: boolean; traces: PlotlyTrace[] }>();
  for (const trace of figure.data) {
    if (trace.type === "scatterpolar") continue;
    for (const letter of ["x", "y"] as const) {
      const key = axisKey((trace[`${letter}axis`] as string | undefined) ?? letter);
      const axis = (figure.layout[key] ?? {}) as Axis;
      const raw = (trace[letter] as unknown[] | undefined) ?? [];
      const entry = used.get(key) ?? { axis, values: [], categorical: false, traces: [] };
      // Named ticks over numeric positions (the lab scores' benchmarks) are categories too.
      entry.categorical ||= axis.type === "category" || Array.isArray(axis["ticktext"]) || raw.some((v) => typeof v === "string");
      if (trace.type !== "heatmap") entry.values.push(...numbers(raw).filter((v): v is number => v !== null));
      entry.traces.push(trace);
      used.set(key, entry);
    }
  }
  return used;
}

const every = (): PlotlyFigure[] => [...publishedFigures(scores), ...labSet()];

test("every published and lab figure has a one-sentence caption", () => {
  for (const f of every()) {
    assert.equal(typeof f.caption, "string", `${f.name}: no caption`);
    const caption = f.caption!;
    assert.match(caption, /^[A-Z].{40,}\.$/s, `${f.name}: the caption is not one sentence: "${caption}"`);
    assert.ok(caption.length <= 420, `${f.name}: the caption runs to ${caption.length} characters`);
    assert.equal(caption.replace(/\b(?:vs|e\.g|i\.e)\./g, "").slice(0, -1).includes(". "), false, `${f.name}: more than one sentence: "${caption}"`);
  }
});

test("every axis has a title, numeric axes a unit (or the scale of a titled panel), and ranges from a meaningful zero inside the scale", () => {
  for (const f of every()) {
    const used = cartesianUse(f);
    for (const [key, { axis, values, categorical }] of used) {
      const where = `${f.name} ${key}`;
      if (categorical) {
        // Panels over the same categories (`matches`) may carry the title once.
        const ref = key.replace("axis", "");
        const twins = [...used.values()].filter((u) => u.axis.matches === ref || (axis.matches !== undefined && (u.axis === f.layout[axisKey(axis.matches)] || u.axis.matches === axis.matches)));
        assert.ok(titleOf(axis) !== "" || twins.some((u) => titleOf(u.axis) !== ""), `${where}: a category axis without a title`);
        continue;
      }
      // A panel of a grid may leave its title to a panel of the same letter, scale and unit.
      const sharedWith = [...used].find(([k, u]) => k !== key && k[0] === key[0] && unitOf(u.axis) && JSON.stringify(u.axis.range) === JSON.stringify(axis.range));
      const unit = unitOf(axis) ?? (sharedWith ? unitOf(sharedWith[1].axis) : undefined);
      assert.ok(unit, `${where}: numeric axis "${titleOf(axis)}" has no unit (expected "(% of max)", "(points of max)" or "(billions)")`);
      const range = axis.range;
      assert.ok(Array.isArray(range) && range.length === 2, `${where}: no explicit range`);
      const [lo, hi] = range!;
      assert.ok(lo <= 0 && hi >= 0, `${where}: range ${lo}…${hi} does not hold zero`);
      if (unit === "% of max") assert.ok(lo === 0 && hi <= 100, `${where}: a score axis runs ${lo}…${hi}, not from 0 within 0–100`);
      if (unit === "points of max") assert.ok(lo >= -100 && hi <= 100, `${where}: a difference axis runs ${lo}…${hi}, beyond ±100 points`);
      for (const v of values) assert.ok(v >= lo - 1e-9 && v <= hi + 1e-9, `${where}: value ${v} outside the range ${lo}…${hi}`);
    }
    const polar = (f.layout["polar"] as { radialaxis?: Axis } | undefined)?.radialaxis;
    if (polar) {
      const unit = unitOf(polar);
      assert.ok(unit, `${f.name}: radial axis without a unit`);
      const [lo, hi] = polar.range!;
      assert.ok(lo <= 0 && hi >= 0, `${f.name}: radial range ${lo}…${hi} does not hold zero`);
      if (unit === "% of max") assert.deepEqual([lo, hi], [0, 100], `${f.name}: a % of max radar must run 0–100`);
      for (const t of f.data) for (const r of numbers(t["r"])) assert.ok(r !== null && r >= lo && r <= hi, `${f.name}: r = ${r} outside ${lo}…${hi}`);
    }
    for (const t of f.data.filter((t) => t.type === "heatmap")) {
      const bar = t["colorbar"] as { title?: { text?: string } } | undefined;
      assert.match(bar?.title?.text ?? "", UNIT_IN_TITLE, `${f.name}: colour bar without a unit`);
    }
  }
});

test("error bars end inside their axis range", () => {
  for (const f of every()) {
    for (const [key, { axis, traces }] of cartesianUse(f)) {
      if (key[0] !== "y") continue;
      for (const t of traces) {
        const error = t["error_y"] as { array?: unknown; arrayminus?: unknown; symmetric?: boolean } | undefined;
        if (!error) continue;
        assert.ok(axis.range, `${f.name} ${key}: error bars on an axis without an explicit range (autorange stretches to the longest whisker)`);
        const [lo, hi] = axis.range!;
        const y = numbers(t["y"]);
        const up = numbers(error.array);
        const down = error.symmetric === false ? numbers(error.arrayminus) : up;
        y.forEach((v, i) => {
          if (v === null) return;
          if (up[i] != null) assert.ok(v + up[i]! <= hi + 1e-9, `${f.name} ${t.name}: error bar to ${v + up[i]!} above ${hi}`);
          if (down[i] != null) assert.ok(v - down[i]! >= lo - 1e-9, `${f.name} ${t.name}: error bar to ${v - down[i]!} below ${lo}`);
        });
      }
    }
  }
});

/** "+3.7", "−4.7", "±0.0" → the number. */
const labelValue = (text: string): number => Number(text.replace("−", "-").replace("±", "").replace("+", ""));

test("bar labels are the bar's value in the axis's units, and fit their bar", () => {
  for (const f of every()) {
    const bars = f.data.filter((t) => t.type === "bar");
    const labelled = bars.filter((t) => Array.isArray(t["text"]) && t["textposition"] !== "none");
    for (const t of labelled) {
      const y = numbers(t["y"]);
      (t["text"] as string[]).forEach((text, i) => {
        assert.ok(Math.abs(labelValue(text) - y[i]!) <= 0.051, `${f.name} ${t.name}: label "${text}" on a bar of ${y[i]}`);
      });
    }
    if (labelled.length === 0) continue;
    // Grouped bars: width of one bar from the plot width, the categories, the gaps and the traces per axis.
    const margin = f.layout["margin"] as { l: number; r: number };
    const plotWidth = f.size.width - margin.l - margin.r;
    const perAxis = new Map<string, PlotlyTrace[]>();
    for (const t of bars) perAxis.set((t["xaxis"] as string | undefined) ?? "x", [...(perAxis.get((t["xaxis"] as string | undefined) ?? "x") ?? []), t]);
    for (const group of perAxis.values()) {
      const categories = new Set(group.flatMap((t) => t["x"] as unknown[])).size;
      const gap = (f.layout["bargap"] as number | undefined) ?? 0.2;
      const groupGap = (f.layout["bargroupgap"] as number | undefined) ?? 0;
      const barWidth = ((plotWidth / categories) * (1 - gap) * (1 - groupGap)) / group.length;
      for (const t of group.filter((t) => labelled.includes(t))) {
        const fontSize = (t["textfont"] as { size?: number } | undefined)?.size ?? 12;
        for (const text of t["text"] as string[]) {
          // DejaVu Sans digits are 0.64 em wide and its minus sign 0.84 em: 0.7 em a character, 2 px apart.
          const width = text.length * fontSize * 0.7 + 2;
          assert.ok(width <= barWidth, `${f.name} ${t.name}: label "${text}" (~${width.toFixed(0)} px) is wider than its bar (~${barWidth.toFixed(0)} px): labels of neighbouring bars collide`);
        }
      }
    }
  }
});

test("lab scores are drawn against the text-only prior and chance, each at the benchmark's own value", () => {
  const fig = labSet().find((f) => f.name === "lab_scores")!;
  const prior = fig.data.find((t) => /text-only prior/.test(t.name ?? ""));
  const chance = fig.data.find((t) => /chance/.test(t.name ?? ""));
  assert.ok(prior && chance, "no reference lines for the text-only prior and chance");
  const ticks = (fig.layout["xaxis"] as { ticktext: string[] }).ticktext;
  for (const [trace, values] of [[prior, references.prior], [chance, references.chance]] as const) {
    const x = numbers(trace["x"]);
    const y = numbers(trace["y"]);
    for (const [benchmark, value] of Object.entries(values)) {
      const i = ticks.indexOf(benchmark);
      const at = x.findIndex((v, k) => v !== null && Math.abs(v - i) < 0.5 && y[k] !== null);
      assert.ok(at >= 0, `${trace.name}: no line at ${benchmark}`);
      assert.ok(Math.abs(y[at]! - normaliseScore(benchmark as BenchmarkName, value)) < 1e-6, `${trace.name} at ${benchmark}: ${y[at]}`);
    }
  }
  // Without references the figure says so rather than drawing lines it does not have.
  const bare = labScoresFigure(summary);
  assert.equal(bare.data.some((t) => t.type === "scatter"), false);
  assert.match(bare.caption ?? "", /no image-blind baseline/);
});

test("lab vs published: the paper's bars and the lab's intervals each fill a panel of their own", () => {
  const c = comparisons.find((x) => x.comparison.comparison === "siglip_vs_clip")!;
  const fig = labVsPublishedFigure(c.rows, c.comparison);
  const paper = fig.data.find((t) => /^paper/.test(t.name ?? ""))!;
  const lab = fig.data.find((t) => /^lab/.test(t.name ?? ""))!;
  const span = (t: PlotlyTrace): number => {
    const r = (fig.layout[axisKey((t["yaxis"] as string | undefined) ?? "y")] as Axis).range!;
    return r[1] - r[0];
  };
  const tallest = Math.max(...numbers(paper["y"]).map((v) => Math.abs(v ?? 0)));
  assert.ok(tallest / span(paper) >= 0.25, `the paper's tallest bar (${tallest}) fills ${(100 * tallest / span(paper)).toFixed(0)}% of its axis`);
  assert.notEqual(paper["yaxis"] ?? "y", lab["yaxis"] ?? "y", "paper and lab share one y axis");
});

test("the report page puts each figure's caption under it", () => {
  const root = tempDir();
  const published = publishedFigures(scores);
  for (const f of published) writeFigureHtml(f, join(root, "published"));
  const [md] = writeReportPage({ dir: root, labMissing: "test" });
  const text = readFileSync(md!, "utf8");
  for (const f of published) assert.ok(text.includes(f.caption!), `report.md lacks the caption of ${f.name}`);
});

const chromium = findChromium();
test(
  "the lab scores figure renders through Chromium with its reference lines in the legend",
  { skip: requireTool(chromium !== undefined, "Chromium not found (apt-get install chromium)"), timeout: 120_000 },
  async () => {
    const fig = labSet().find((f) => f.name === "lab_scores")!;
    const renderer = await FigureRenderer.open(chromium);
    try {
      const svg = Buffer.from(await renderer.render(fig, "svg")).toString("utf8");
      assert.match(svg, />text-only prior \(same items\)</);
      assert.match(svg, />chance: a random answer \(same items\)</);
      assert.match(svg, />score \(% of max; MME-P \/ 2000, MME-C \/ 800\)</);
      const png = Buffer.from(await renderer.render(fig, "png"));
      assert.equal(png.readUInt32BE(16), fig.size.width * 2);
      assert.equal(png.readUInt32BE(20), fig.size.height * 2);
    } finally {
      await renderer.close();
    }
  },
);
