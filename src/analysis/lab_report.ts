/**
 * The lab study's tables, figures and report: mean ± 95% interval per pairing and benchmark, each
 * paper comparison the grid covers beside its published delta, the runs' training facts — written
 * to figures/lab/ — and one page (figures/report.md and .html) linking every published and lab figure.
 */
import type { ColumnTable } from "arquero";
import { existsSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { type RunResult, pairingId, runWallSeconds } from "./run_record.js";
import { mean } from "../util/stats.js";
import { bindingMarkdown } from "./lab_binding.js";
import type { TopAnswer } from "../eval/results.js";
import { writeFileAtomic } from "../util/fs.js";
import { projectPath } from "../util/paths.js";
import { BENCHMARK_NAMES, compareBenchmarks } from "./benchmarks.js";
import { PAPER_COMPARISONS } from "./comparisons.js";
import { CHROMIUM_HINT, FigureRenderer, findChromium, writeFigureHtml, writeFiguresStatic } from "./export.js";
import { publishedFigures, type PlotlyFigure } from "./figures.js";
import { labScoresFigure, labVsPublishedFigure, meanText, type LabScoreReferences } from "./lab_figures.js";
import {
  LAB_COMPARISONS,
  interactionTest,
  welchInterval,
  type LabScoreRow,
  type LabSide,
  labComparisonSummary,
  formatP,
  type InteractionTest,
  describeLabComparison,
  labSideLabel,
  labVsPublished,
  labVsPublishedRows,
  seedSummary,
  type LabComparison,
  type LabVsPublishedRow,
  type SeedSummaryStats,
} from "./lab_stats.js";
import { loadPublishedScores } from "./published.js";
import { buildVariation, buildVariationCsv, buildVariationMarkdown, type BuildTable, type BuildVariationRow } from "./lab_builds.js";
import { beyondHabitEffects, beyondHabitSection } from "./lab_habits.js";
import { COLLAPSE_SHARE, aboveBaseline, aboveBaselineMarkdown, effectsCsv, formShares, formSharesMarkdown, labEffects, variablesMarkdown, type EffectRow, type TopAnswerShares } from "./lab_effects.js";
import { escapeHtml, markdownSection, tableToCsv, tableToHtml, tableToMarkdown, type TableView } from "./render.js";

export const defaultLabDir = (): string => projectPath("figures", "lab");

type SummaryRow = SeedSummaryStats & { llm: string; tower: string; resolution: string; captions: string };

/** Pairings as rows, benchmarks as columns, "mean ± half width" (n seeds) in the cells. */
export function labSummaryView(summary: ColumnTable, name = "lab_summary"): TableView {
  const rows = summary.objects() as SummaryRow[];
  const pairings = [...new Map(rows.map((r) => [labSideLabel(r), r])).values()];
  const benchmarks = BENCHMARK_NAMES.filter((b) => rows.some((r) => r.benchmark === b));
  return {
    name,
    title: "Lab scores: mean ± 95% interval half-width over seeds",
    columns: ["pairing", "seeds", ...benchmarks],
    rows: pairings.map((p) => {
      const mine = rows.filter((r) => labSideLabel(r) === labSideLabel(p));
      return [labSideLabel(p), Math.max(...mine.map((r) => r.n)), ...benchmarks.map((b) => {
        const hit = mine.find((r) => r.benchmark === b);
        return hit ? meanText(hit) : null;
      })];
    }),
  };
}

/** One paper comparison: per benchmark the published delta beside the lab delta and its interval. */
export function labVsPublishedView(comparison: LabComparison, rows: readonly LabVsPublishedRow[]): TableView {
  const paper = PAPER_COMPARISONS.find((c) => c.id === comparison.comparison)!;
  const signed = (x: number): string => (Number.isNaN(x) ? "n/a" : `${x > 0 ? "+" : ""}${x.toFixed(1)}`);
  return {
    name: `lab_vs_published_${comparison.comparison}`,
    title: `${paper.title}: published delta vs lab delta (a = ${labSideLabel(comparison.a)}, b = ${labSideLabel(comparison.b)})`,
    columns: ["benchmark", "published Δ", "lab a", "lab b", "lab Δ", "lab 95% CI", "same sign", "beyond noise"],
    rows: rows.map((r) => [
      r.benchmark,
      signed(r.published_delta),
      r.lab_a_mean.toFixed(1),
      r.lab_b_mean.toFixed(1),
      signed(r.lab_delta),
      Number.isNaN(r.lab_ci_low) ? "n/a" : `${signed(r.lab_ci_low)} … ${signed(r.lab_ci_high)}`,
      r.same_sign ? "yes" : "no",
      r.beyond_noise ? "yes" : "no",
    ]),
  };
}

/**
 * What the runs cost: wall time per pairing (mean over its seeds, and the range over every run), the
 * runs' total, and the backends they ran on. `gridSeconds` is the elapsed time of the grid when one
 * runner ran it (shorter than the total with several workers).
 */
export function runCostMarkdown(results: readonly RunResult[], gridSeconds?: number): string {
  if (results.length === 0) return "No finished runs.";
  const minutes = (s: number): string => (s / 60).toFixed(1);
  const byPairing = new Map<string, RunResult[]>();
  for (const r of results) {
    const pairing = pairingId(r.spec);
    byPairing.set(pairing, [...(byPairing.get(pairing) ?? []), r]);
  }
  const total = results.reduce((s, r) => s + runWallSeconds(r), 0);
  const all = results.map(runWallSeconds);
  const lines = [
    "| pairing | runs | wall time per run (min) | stage 1 (s) | stage 2 (s) | evaluation (s) | image gap (nats) |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...[...byPairing].map(([pairing, runs]) => {
      const meanOf = (f: (r: RunResult) => number): number => mean(runs.map(f));
      const gaps = runs.flatMap((r) => (r.imageReliance ? [r.imageReliance.gap] : []));
      const gap = gaps.length > 0 ? mean(gaps).toFixed(3) : "–";
      return `| ${pairing} | ${runs.length} | ${minutes(meanOf(runWallSeconds))} | ${meanOf((r) => r.stage1.seconds).toFixed(0)} | ${meanOf((r) => r.stage2.seconds).toFixed(0)} | ${meanOf((r) => r.eval.seconds).toFixed(0)} | ${gap} |`;
    }),
    "",
    `${results.length} run${results.length === 1 ? "" : "s"} of ${byPairing.size} pairing${byPairing.size === 1 ? "" : "s"}: ${minutes(total)} min of run time in all (${minutes(Math.min(...all))}–${minutes(Math.max(...all))} min per run)${gridSeconds !== undefined ? `, ${minutes(gridSeconds)} min elapsed for the grid` : ""}; backend: ${[...new Set(results.map((r) => r.backend))].join("; ")}.`,
    "",
    zooBuildsText(results),
  ];
  return lines.join("\n");
}

/**
 * Whether the runs share their zoo weights: an entry built twice (another machine, another session)
 * has other weights, and a contrast between runs of two builds measures that difference too.
 */
export function zooBuildsText(results: readonly RunResult[]): string {
  const builds = new Map<string, Set<string>>();
  for (const r of results) {
    if (!r.zooWeights) continue;
    for (const [name, hash] of [[r.spec.llm, r.zooWeights.llm], [r.spec.tower, r.zooWeights.tower]] as const) builds.set(name, (builds.get(name) ?? new Set()).add(hash));
  }
  const unrecorded = results.filter((r) => !r.zooWeights).length;
  const twice = [...builds].filter(([, hashes]) => hashes.size > 1).map(([name, hashes]) => `${name} (${hashes.size} builds)`);
  const unrecordedText = unrecorded > 0 ? ` ${unrecorded} run${unrecorded === 1 ? "" : "s"} did not record ${unrecorded === 1 ? "its" : "their"} zoo weights.` : "";
  if (builds.size === 0) return "Zoo weights: not recorded by these runs.";
  return twice.length === 0
    ? `Zoo weights: every run of a zoo entry started from the same weights (one build of each of ${builds.size} entries).${unrecordedText}`
    : `Zoo weights: **built more than once** among these runs — ${twice.join(", ")}; a contrast between runs of two builds also measures the builds' difference.${unrecordedText}`;
}

/** Training and evaluation facts of each run. */
export function labRunsView(results: readonly RunResult[]): TableView {
  return {
    name: "lab_runs",
    title: "Runs: stage losses (mean of the first and last 5 steps), wall times and throughput",
    columns: ["run", "stage-1 loss", "stage-2 loss", "image gap (nats)", "stage 1 (s)", "stage 2 (s)", "eval (s)", "total (min)", "stage-2 tokens/s", "backend"],
    rows: results.map((r) => [
      r.id,
      `${r.stage1.firstLoss.toFixed(2)} → ${r.stage1.finalLoss.toFixed(2)}`,
      `${r.stage2.firstLoss.toFixed(2)} → ${r.stage2.finalLoss.toFixed(2)}`,
      r.imageReliance ? Number(r.imageReliance.gap.toFixed(3)) : "",
      Math.round(r.stage1.seconds),
      Math.round(r.stage2.seconds),
      Math.round(r.eval.seconds),
      Number((r.seconds / 60).toFixed(1)),
      Math.round(r.stage2.tokensPerSecond),
      r.backend.split(" ")[0]!,
    ]),
  };
}

export interface LabComparisonResult {
  comparison: LabComparison;
  rows: LabVsPublishedRow[];
  sentence: string;
}

/** Every paper comparison whose two pairings the lab table holds. */
export function labComparisons(table: ColumnTable, published: ColumnTable = loadPublishedScores()): LabComparisonResult[] {
  return LAB_COMPARISONS.flatMap((comparison) => {
    const t = labVsPublished(table, published, comparison);
    if (!t || t.numRows() === 0) return [];
    const rows = labVsPublishedRows(t);
    return [{ comparison, rows, sentence: describeLabComparison(comparison, rows) }];
  });
}

/**
 * Whether the lab reproduces a paper finding, in one word: `reproduced` (the paper's sign on at least
 * half of the shared benchmarks, at least one of them beyond the seed noise, none the other way
 * beyond it), `contradicted` (beyond the noise only the other way), `inside the noise` (nothing
 * beyond it), `mixed` otherwise; `no noise estimate` with a single seed.
 */
export type FindingVerdict = "reproduced" | "contradicted" | "inside the noise" | "mixed" | "no noise estimate";

export function findingVerdict(rows: readonly LabVsPublishedRow[]): FindingVerdict {
  if (rows.every((r) => Number.isNaN(r.lab_ci_low))) return "no noise estimate";
  const s = labComparisonSummary(rows);
  const against = rows.filter((r) => !r.same_sign && r.beyond_noise).length;
  if (s.beyondNoise === 0) return "inside the noise";
  if (s.sameSignBeyondNoise > 0 && against === 0 && 2 * s.sameSign >= s.benchmarks) return "reproduced";
  if (s.sameSignBeyondNoise === 0 && against > 0) return "contradicted";
  return "mixed";
}

/** Markdown: each paper finding the study covers, its verdict and the sentence behind it. */
export function findingsMarkdown(comparisons: readonly LabComparisonResult[]): string {
  if (comparisons.length === 0) return "No paper comparison has both of its pairings in this study.";
  return comparisons
    .map((c) => {
      const paper = PAPER_COMPARISONS.find((p) => p.id === c.comparison.comparison)!;
      return `- **Finding ${paper.finding} — ${findingVerdict(c.rows)}.** ${c.sentence}`;
    })
    .join("\n");
}

/**
 * figures/lab/findings.md: each published finding (data/paper/PROTOCOL.md §7b, one per paper comparison) with
 * the lab's verdict, numbers and intervals, or why the runs cannot say; then, per study variable, the
 * benchmark where it matters most in seed standard deviations (from effects.csv).
 */
export function findingsDocument(
  table: ColumnTable,
  effects: readonly EffectRow[] = labEffects(table),
  options: FindingsOptions = {},
  { builds, habits }: FindingsRows = findingsRows(table, options),
): string {
  const published = options.published ?? loadPublishedScores();
  const covered = new Map(labComparisons(table, published).map((c) => [c.comparison.comparison, c]));
  const findings = [...PAPER_COMPARISONS]
    .sort((x, y) => x.finding - y.finding)
    .map((paper) => {
      const lab = LAB_COMPARISONS.find((l) => l.comparison === paper.id);
      const result = covered.get(paper.id);
      if (!result) return `- **Finding ${paper.finding} — not in these runs.** ${paper.title}: the lab stands in ${lab ? `${labSideLabel(lab.a)} vs ${labSideLabel(lab.b)}` : "no pairing"}; run both (with seeds) to test it.`;
      return `- **Finding ${paper.finding} — ${findingVerdict(result.rows)}.** ${result.sentence}`;
    });
  const rows = table.objects() as unknown as LabScoreRow[];
  const seeds = new Set(rows.map((r) => r.seed)).size;
  const inForm = options.answers ? formShares(table, options.answers) : undefined;
  const hasForm = inForm !== undefined && inForm.size > 0;
  return [
    "# Lab findings",
    "",
    `From ${rows.length} scores of ${new Set(rows.map((r) => r.run)).size} runs (${seeds} seed${seeds === 1 ? "" : "s"}). Regenerate with \`npx llava-more findings\`.`,
    "",
    "## The paper's findings",
    "",
    "A finding is *reproduced* when the lab shows the paper's sign on at least half of the shared benchmarks, at least one of them beyond the seed noise (95% Welch interval excluding 0) and none the other way beyond it; *contradicted* when only the other way clears the noise; *inside the noise* when nothing does.",
    "",
    ...findings,
    "",
    ...markdownSection(
      "Where each variable matters most",
      `z = effect / seed SD, the seed SD pooled over the two levels of a contrast (every other factor equal); the calibration bar is |z| > 2 over at least 3 seeds. z is ±Infinity where both levels scored the same on every seed (no spread at all: with two seeds, a weak noise estimate). The row of a variable is the largest |z| of many contrasts (those with 3 seeds a side and some spread first), and with three seeds a side one of eleven benchmarks can pass |z| > 2 by chance: Welch p is that contrast's two-sided t test, and p × contrasts (Bonferroni) below 0.05 says the largest effect is unlikely to be the luckiest of them. All contrasts are in \`effects.csv\` (with \`p_welch\`).${hasForm ? " Answered in form: the share of each level's answers that the benchmark's scoring can credit at all (a yes or a no, an option letter; – for open answers); where the levels differ in it, the effect is at least partly one of answer format rather than of what the model sees." : ""}`,
      variablesMarkdown(effects, hasForm ? inForm : undefined),
    ),
    ...(options.prior ? aboveBaselineSection(table, options.prior, options.answers) : []),
    ...(options.answers && Object.keys(options.answers).length > 0
      ? markdownSection(
          "Do the runs answer more than one way?",
          "A run that gives one answer to every item of a benchmark scores that answer's share of the items, whatever the image shows: POPE's \"yes\" scores 50% accuracy, MME's \"yes\" 50% accuracy and no accuracy+ (50 points a subtask), a lettered benchmark's \"A\" scores the items whose answer is A (and 0 under MMBench's circular evaluation).",
          answerCollapseMarkdown(options.answers),
        )
      : []),
    ...(hasForm
      ? markdownSection(
          "Do the runs answer in the benchmark's form?",
          "The share of a pairing's answers (mean over its runs) that its benchmark's scoring can credit at all: MME and POPE a yes or a no (MME's \"other\" is wrong whatever the truth), AI2D, ScienceQA and SEED a lone option letter, MMBench an answer that names one option, MMMU's multiple-choice questions a letter or an option's text (else a seeded random letter). A score that moves with this share moves with the answer format.",
          formSharesMarkdown(inForm),
        )
      : []),
    ...beyondHabitSection(habits),
    ...bindingSection(options.results),
    ...buildSection(builds, effects),
    ...(options.results
      ? markdownSection(
          "What the runs cost, and whether they look",
          "Image gap: the stage-2 loss on conversations about validation scenes with another scene's image minus that with their own (mean over seeds; 0 = the model answers from the question alone).",
          runCostMarkdown(options.results),
        )
      : []),
  ].join("\n");
}

function bindingSection(results: readonly RunResult[] | undefined): string[] {
  const table = results && bindingMarkdown(results);
  if (table === undefined) return [];
  return markdownSection(
    "Do the models bind what they see?",
    "Per question family, accuracy on multi-object validation scenes against the best binding-free strategy on the same questions (a colour present in the scene, the number of objects, both attributes present on some objects, the majority answer) and the text-only prior; binding shows as accuracy above both by more than the seed spread (src/probes/binding.ts).",
    table,
  );
}

function buildSection(rows: readonly BuildVariationRow[], effects: readonly EffectRow[]): string[] {
  if (rows.length === 0) return [];
  return markdownSection(
    "Does the variable matter more than a rebuild of the backbones?",
    "The seed SD above holds the model zoo fixed: every run starts from one build of each tower and LLM. Here the same pairings were also run on zoos built again with other seeds (`npx llava-more zoo --seed N`, runs in runs/<preset>-zooN): the build SD is the spread across builds at one run seed. A contrast of two towers or two LLMs is also a contrast of two builds, so the last table measures each variable's strongest effect against one run's whole noise, √(seed SD² + build SD²).",
    buildVariationMarkdown(rows, effects),
  );
}

function aboveBaselineSection(table: ColumnTable, prior: Readonly<Record<string, number>>, answers?: TopAnswerShares): string[] {
  return markdownSection(
    "Learned above the text-only baseline?",
    "The question prior answers every item from its question alone (the answer most often right for that question about training scenes); a pairing has learned a benchmark above it when its seed mean beats the prior, on the same items, by more than two seed SDs, and none of its runs gave one answer to ≥ 95% of the items (always \"yes\" has a POPE F1 of 66.7).",
    aboveBaselineMarkdown(aboveBaseline(table, prior, answers)),
  );
}

export interface FindingsOptions {
  published?: ColumnTable;
  /** README column → the image-blind question prior's score on the items the runs were scored on. */
  prior?: Readonly<Record<string, number>>;
  /** README column → a random answer's score on the same items (the lab scores figure's chance line). */
  chance?: Readonly<Record<string, number>>;
  /** The runs behind the table, for what they cost. */
  results?: readonly RunResult[];
  /** Run id → task → its most frequent answer, for the answer-collapse section. */
  answers?: Readonly<Record<string, Readonly<Record<string, TopAnswer>>>>;
  /** The runs on other zoo builds (zoo seed ≠ 0), for the backbone-build section and builds.csv. */
  builds?: readonly BuildTable[];
}

/** What findings.md shares with the CSVs beside it, computed once by `writeFindings`. */
interface FindingsRows {
  /** The table's runs (zoo seed 0) with those of the other builds, compared pairing by pairing. */
  builds: readonly BuildVariationRow[];
  /** The study's contrasts on the runs' accuracy above their answer habits. */
  habits: EffectRow[];
}

const findingsRows = (table: ColumnTable, options: FindingsOptions): FindingsRows => ({
  builds: options.builds && options.builds.length > 0 ? buildVariation([{ zooSeed: 0, table }, ...options.builds]) : [],
  habits: options.answers ? beyondHabitEffects(table, options.answers) : [],
});

/** Per benchmark (README order): how many runs gave one answer to (nearly) every item, and which answers those were. */
export function answerCollapseMarkdown(answers: Readonly<Record<string, Readonly<Record<string, TopAnswer>>>>): string {
  const benchmarks = [...new Set(Object.values(answers).flatMap((byBenchmark) => Object.keys(byBenchmark)))].sort(compareBenchmarks);
  const rows = benchmarks.map((benchmark) => {
    const tops = Object.values(answers).flatMap((byBenchmark) => (byBenchmark[benchmark] ? [byBenchmark[benchmark]!] : []));
    const collapsed = tops.filter((t) => t.share >= COLLAPSE_SHARE);
    const which = [...new Set(collapsed.map((t) => `"${t.answer}"`))].join(", ");
    const meanShare = tops.reduce((a, t) => a + t.share, 0) / tops.length;
    return `| ${benchmark} | ${tops.length} | ${collapsed.length}${which ? ` (${which})` : ""} | ${meanShare.toFixed(2)} |`;
  });
  return [`| benchmark | runs | runs giving one answer to ≥ ${100 * COLLAPSE_SHARE}% of items | mean share of a run's most frequent answer |`, "|---|---:|---|---:|", ...rows].join("\n");
}

/** What `writeFindings` wrote, with the contrasts it computed for it. */
export interface WrittenFindings {
  files: string[];
  /** effects.csv's rows. */
  effects: EffectRow[];
  /** habit_effects.csv's rows (none without the runs' answers). */
  habits: EffectRow[];
}

/** Writes effects.csv and findings.md (and habit_effects.csv, builds.csv when there is data for them) into `outDir`, atomically. */
export function writeFindings(table: ColumnTable, outDir: string = defaultLabDir(), options: FindingsOptions = {}): WrittenFindings {
  const effects = labEffects(table);
  const rows = findingsRows(table, options);
  const { builds, habits } = rows;
  const files = [join(outDir, "effects.csv"), join(outDir, "findings.md")];
  writeFileAtomic(files[0]!, effectsCsv(effects));
  writeFileAtomic(files[1]!, findingsDocument(table, effects, options, rows));
  // The optional files are removed when there is nothing to write, so none is left from other runs.
  const optional: [string, string | undefined][] = [
    ["habit_effects.csv", habits.length > 0 ? effectsCsv(habits) : undefined],
    ["builds.csv", builds.length > 0 ? buildVariationCsv(builds) : undefined],
  ];
  for (const [name, text] of optional) {
    const file = join(outDir, name);
    if (text === undefined) rmSync(file, { force: true });
    else {
      writeFileAtomic(file, text);
      files.push(file);
    }
  }
  return { files, effects, habits };
}

/**
 * A lab-only contrast (no published counterpart): per benchmark, the mean of pairing a minus that of
 * b over seeds with a 95% Welch interval; undefined when the table lacks either pairing.
 */
export function labContrastView(table: ColumnTable, a: LabSide, b: LabSide, name: string): TableView | undefined {
  const rows = table.objects() as unknown as LabScoreRow[];
  const of = (side: LabSide, benchmark: string): number[] =>
    rows.filter((r) => r.benchmark === benchmark && r.llm === side.llm && r.tower === side.tower && r.resolution === side.resolution && r.captions === side.captions).map((r) => r.score);
  const benchmarks = BENCHMARK_NAMES.filter((bm) => of(a, bm).length > 0 && of(b, bm).length > 0);
  if (benchmarks.length === 0) return undefined;
  const signed = (x: number): string => (Number.isNaN(x) ? "n/a" : `${x > 0 ? "+" : ""}${x.toFixed(1)}`);
  return {
    name,
    title: `${labSideLabel(a)} minus ${labSideLabel(b)} (lab only: the paper has no numbers for this contrast)`,
    columns: ["benchmark", "a", "b", "Δ", "95% CI", "beyond noise"],
    rows: benchmarks.map((bm) => {
      const [xa, xb] = [of(a, bm), of(b, bm)];
      const w = welchInterval(xa, xb);
      const mean = (xs: number[]): number => xs.reduce((u, v) => u + v, 0) / xs.length;
      const beyond = !Number.isNaN(w.low) && (w.low > 0 || w.high < 0);
      return [bm, mean(xa).toFixed(1), mean(xb).toFixed(1), signed(w.delta), Number.isNaN(w.low) ? "n/a" : `${signed(w.low)} … ${signed(w.high)}`, beyond ? "yes" : "no"];
    }),
  };
}

/** The interaction test of two factors on every benchmark the table holds. */
export function interactionTests(table: ColumnTable, rowFactor: keyof LabScoreRow, colFactor: keyof LabScoreRow): InteractionTest[] {
  const rows = table.objects() as unknown as LabScoreRow[];
  // A partial grid (an archive that lacks some cells) has no crossed design to test: no tests.
  const levels = (f: keyof LabScoreRow): string[] => [...new Set(rows.map((r) => String(r[f])))];
  const cells = new Set(rows.map((r) => `${String(r[rowFactor])}\u0000${String(r[colFactor])}`));
  if (levels(rowFactor).length < 2 || levels(colFactor).length < 2 || cells.size < levels(rowFactor).length * levels(colFactor).length) return [];
  const present = new Set(rows.map((r) => r.benchmark));
  return BENCHMARK_NAMES.filter((b) => present.has(b)).map((b) => interactionTest(table, b, rowFactor, colFactor));
}

/** One row per benchmark: the interaction F test and its verdict. */
export function interactionView(tests: readonly InteractionTest[], name = "lab_interactions"): TableView {
  const first = tests[0];
  return {
    name,
    title: first ? `${first.rowFactor} × ${first.colFactor} interaction per benchmark (two-way ANOVA over seeds)` : "interaction tests: none (the runs do not cover every cell of the grid)",
    columns: ["benchmark", "F (interaction)", "df", "p", "larger than seed noise", "note"],
    rows: tests.map((t) => [
      t.benchmark,
      Number.isFinite(t.interaction.f) ? t.interaction.f.toFixed(2) : "n/a",
      `${t.interaction.df}, ${t.residual.df}`,
      formatP(t.interaction.p),
      t.residual.ms === 0 ? "untestable" : t.interaction.p < 0.05 ? "yes" : "no",
      t.note ?? "",
    ]),
  };
}

export interface LabReportOptions {
  table: ColumnTable;
  results: readonly RunResult[];
  title: string;
  preset: string;
  outDir?: string;
  staticImages?: boolean;
  log?: (line: string) => void;
  /** The runs' wall time, summed over the runs (each run's training and evaluation), for the report. */
  seconds?: number;
  /** Folder of the report page (default figures/). */
  reportDir?: string;
  /** What effects.csv and findings.md are written from: every finished run of the preset, say (default: `table`). */
  findings?: { table: ColumnTable } & FindingsOptions;
  /** Figures built elsewhere (the size × resolution explorer), written and listed with the lab's own. */
  extraFigures?: readonly PlotlyFigure[];
}

/** Writes the lab tables and figures into figures/lab/ and the one-page report; returns every path. */
export async function writeLabReport(options: LabReportOptions): Promise<{ written: string[]; report: string[] }> {
  const outDir = options.outDir ?? defaultLabDir();
  const log = options.log ?? (() => {});
  const written: string[] = [];
  const note = (paths: string[]): void => {
    for (const p of paths) log(`wrote ${p}`);
    written.push(...paths);
  };
  const summary = seedSummary(options.table);
  const comparisons = labComparisons(options.table);
  const tables = [labSummaryView(summary), labRunsView(options.results), ...comparisons.map((c) => labVsPublishedView(c.comparison, c.rows))];
  for (const table of tables) {
    const csv = join(outDir, "tables", `${table.name}.csv`);
    const md = join(outDir, "tables", `${table.name}.md`);
    writeFileAtomic(csv, tableToCsv(table));
    writeFileAtomic(md, tableToMarkdown(table));
    note([csv, md]);
  }
  note(writeFindings(options.findings?.table ?? options.table, outDir, options.findings ?? {}).files);
  const references = { ...(options.findings?.prior ? { prior: options.findings.prior } : {}), ...(options.findings?.chance ? { chance: options.findings.chance } : {}) };
  const figures = [...labFigures(summary, comparisons, references), ...(options.extraFigures ?? [])];
  for (const figure of figures) note(writeFigureHtml(figure, outDir));
  let staticNote: string | undefined;
  const executable = options.staticImages === false ? undefined : findChromium();
  if (executable) {
    const renderer = await FigureRenderer.open(executable);
    try {
      note(await writeFiguresStatic(renderer, figures, outDir));
    } finally {
      await renderer.close();
    }
  } else {
    staticNote = options.staticImages === false ? "static export turned off" : CHROMIUM_HINT;
  }
  const report = writeReportPage({ ...(options.reportDir ? { dir: options.reportDir } : {}), lab: { ...options, outDir, summary: labSummaryView(summary), comparisons, figures, ...(staticNote ? { staticNote } : {}) } });
  note(report);
  return { written, report };
}

/** The lab report's figures: the scores of every pairing against the image-blind references, then one per paper comparison. */
export const labFigures = (summary: ColumnTable, comparisons: readonly LabComparisonResult[], references: LabScoreReferences = {}): PlotlyFigure[] => [
  labScoresFigure(summary, { references }),
  ...comparisons.map((c) => labVsPublishedFigure(c.rows, c.comparison)),
];

export interface ReportPageInput {
  /** The lab study, when one ran; without it the page says why not (`labMissing`). */
  lab?: LabReportOptions & { outDir: string; summary: TableView; comparisons: LabComparisonResult[]; figures: PlotlyFigure[]; staticNote?: string };
  labMissing?: string;
  /** Folder of the report page, holding published/ and lab/ (default figures/). */
  dir?: string;
}

/** One figure on the report page: its interactive page, its PNG when one was rendered, and what to look at. */
interface FigureLink {
  name: string;
  caption: string;
  html: string;
  png?: string;
}

/** figures/report.md and figures/report.html: the published tier's figures, then the lab study's. */
export function writeReportPage(page: ReportPageInput): string[] {
  const root = page.dir ?? projectPath("figures");
  const publishedDir = join(root, "published");
  const rel = (p: string): string => relative(root, p);
  // A figure's links (its PNG when one was rendered) and its caption, in the order the figures tell the story.
  const link = (figure: PlotlyFigure, dir: string): FigureLink => {
    const png = join(dir, `${figure.name}.png`);
    return { name: figure.name, caption: figure.caption ?? figure.title, html: rel(join(dir, `${figure.name}.html`)), ...(existsSync(png) ? { png: rel(png) } : {}) };
  };
  const published = publishedFigures(loadPublishedScores())
    .filter((f) => existsSync(join(publishedDir, `${f.name}.html`)))
    .map((f) => link(f, publishedDir));
  const input = page.lab;
  const lab = (input?.figures ?? []).map((f) => link(f, input!.outDir));
  const figureItem = (f: FigureLink): string => `- **${f.name}** ([interactive](${f.html})${f.png ? `, [PNG](${f.png})` : ""}): ${f.caption}`;
  const minutes = input?.seconds !== undefined ? ` (${(input.seconds / 60).toFixed(1)} minutes of run time)` : "";
  const labMd = input
    ? [
        `## Lab study: ${input.title}`,
        "",
        `${input.results.length} runs at the \`${input.preset}\` preset${minutes}, every pairing trained with the same protocol. Mean ± 95% interval half-width over seeds:`,
        "",
        tableToMarkdown(input.summary).trim(),
        "",
        "### Lab vs published",
        "",
        findingsMarkdown(input.comparisons),
        "",
        "### Figures",
        "",
        ...lab.map(figureItem),
        ...(input.staticNote ? ["", `PNG/SVG not written: ${input.staticNote}`] : []),
        "",
        `Tables: \`lab/tables/\` (lab_summary, lab_runs, lab_vs_published_*).`,
      ]
    : ["## Lab study", "", `Not run: ${page.labMissing ?? "no lab results"}.`];
  const md = [
    "# LLaVA-MORE workbench report",
    "",
    "## Published tier",
    "",
    `The paper's README numbers: tables in \`published/tables/\`, findings in [published/findings.md](published/findings.md).`,
    "",
    ...published.map(figureItem),
    "",
    ...labMd,
    "",
  ].join("\n");
  const img = (f: FigureLink): string =>
    f.png ? `<a href="${escapeHtml(f.html)}"><img src="${escapeHtml(f.png)}" alt="${escapeHtml(f.name)}" style="max-width:100%"></a>` : `<a href="${escapeHtml(f.html)}">${escapeHtml(f.name)}</a>`;
  const figureHtml = (f: FigureLink): string => `<figure>${img(f)}<figcaption><b>${escapeHtml(f.name)}</b>: ${escapeHtml(f.caption)}</figcaption></figure>`;
  const html = [
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>LLaVA-MORE workbench report</title>",
    "<style>body{font-family:DejaVu Sans,Arial,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}figure{margin:1em 0}</style></head><body>",
    "<h1>LLaVA-MORE workbench report</h1>",
    "<h2>Published tier</h2>",
    `<p>Findings: <a href="published/findings.md">published/findings.md</a>; tables in <code>published/tables/</code>.</p>`,
    ...published.map(figureHtml),
    ...(input
      ? [
          `<h2>Lab study: ${escapeHtml(input.title)}</h2>`,
          `<p>${input.results.length} runs at the <code>${escapeHtml(input.preset)}</code> preset${escapeHtml(minutes)}, every pairing trained with the same protocol. Mean ± 95% interval half-width over seeds:</p>`,
          tableToHtml(input.summary),
          "<h3>Lab vs published</h3><ul>",
          ...(input.comparisons.length > 0
            ? input.comparisons.map((c) => `<li><b>Finding ${PAPER_COMPARISONS.find((p) => p.id === c.comparison.comparison)!.finding} — ${findingVerdict(c.rows)}.</b> ${escapeHtml(c.sentence)}</li>`)
            : ["<li>No paper comparison has both of its pairings in this study.</li>"]),
          "</ul>",
          ...lab.map(figureHtml),
        ]
      : ["<h2>Lab study</h2>", `<p>Not run: ${escapeHtml(page.labMissing ?? "no lab results")}.</p>`]),
    "</body></html>",
    "",
  ].join("\n");
  const mdFile = join(root, "report.md");
  const htmlFile = join(root, "report.html");
  writeFileAtomic(mdFile, md);
  writeFileAtomic(htmlFile, html);
  return [mdFile, htmlFile];
}
