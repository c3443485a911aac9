/**
 * How much each study variable moves each benchmark, in units of seed noise: the calibration target
 * of the lab tier (a variable matters at a scale when some benchmark moves by more than twice its
 * seed standard deviation, over at least three seeds). One row per contrast: two levels of a variable
 * with every other design factor equal, on one benchmark.
 */
import type { ColumnTable } from "arquero";
import { benchmarkOrder, compareBenchmarks } from "./benchmarks.js";
import { meanSd, welchInterval, type LabScoreRow } from "./lab_stats.js";
import { tableToCsv, type TableView } from "./render.js";
import type { AnswerHabit, TopAnswer } from "../eval/results.js";

/** A study variable: the design factor it varies, and which pairs of its levels are its contrasts. */
export interface StudyVariable {
  id: string;
  label: string;
  factor: "llm" | "tower" | "resolution" | "captions";
  contrasts(a: LabScoreRow, b: LabScoreRow): boolean;
}

/** The variables of the study, as the calibration issue names them. */
export const STUDY_VARIABLES: readonly StudyVariable[] = [
  { id: "llm_size", label: "LLM size (the 2B : 3.8B : 8B : 9B ladder)", factor: "llm", contrasts: (a, b) => a.size !== b.size },
  // The ladder above crosses families (Phi-4-mini 3.8B vs LLaMA 8B); this is size with the family held.
  { id: "llm_size_in_family", label: "LLM size within one family (Gemma-2 2B vs 9B)", factor: "llm", contrasts: (a, b) => a.size !== b.size && a.family === b.family },
  { id: "llm_family", label: "LLM family at equal size", factor: "llm", contrasts: (a, b) => a.size === b.size && a.family !== b.family },
  { id: "tower", label: "vision-tower objective", factor: "tower", contrasts: () => true },
  { id: "resolution", label: "resolution (native sides and S2)", factor: "resolution", contrasts: () => true },
  { id: "captions", label: "stage-1 caption set", factor: "captions", contrasts: () => true },
];

const PRIMARY = ["llm", "tower", "resolution", "captions"] as const;

/** One row of effects.csv: level_b's mean minus level_a's, over seeds, and that in seed SDs. */
export interface EffectRow {
  variable: string;
  level_a: string;
  level_b: string;
  benchmark: string;
  effect: number;
  /** √((sd_a² + sd_b²) / 2): the seed SD of one run, pooled over the two levels; NaN below two seeds. */
  seed_sd: number;
  /** The fewer seeds of the two levels. */
  n_seeds: number;
  /** effect / seed_sd. */
  z: number;
  /** Two-sided p of Welch's t test of the two levels' seed means (NaN below two seeds a level). */
  p_welch: number;
  /** The other factors, held equal ("llama3.1-8b, 1x, short captions"). */
  context: string;
  /** The two pairings compared (see `pairingLabel`; not columns of effects.csv). */
  pairing_a: string;
  pairing_b: string;
}

export const EFFECT_COLUMNS = ["variable", "level_a", "level_b", "benchmark", "effect", "seed_sd", "n_seeds", "z", "p_welch", "context"] as const;

/**
 * Every contrast of every variable in a lab table. Levels are ordered by LLM size for the LLM
 * variables and by first appearance otherwise; each pair once, a before b.
 */
export function labEffects(lab: ColumnTable, variables: readonly StudyVariable[] = STUDY_VARIABLES): EffectRow[] {
  const rows = lab.objects() as unknown as LabScoreRow[];
  const out: EffectRow[] = [];
  for (const variable of variables) {
    const others = PRIMARY.filter((f) => f !== variable.factor);
    // context → level → benchmark → scores, with one representative row per level.
    const contexts = new Map<string, { label: string; levels: Map<string, { row: LabScoreRow; scores: Map<string, number[]> }> }>();
    for (const row of rows) {
      const key = JSON.stringify(others.map((f) => row[f]));
      const context = contexts.get(key) ?? { label: others.map((f) => (f === "captions" ? `${row[f]} captions` : String(row[f]))).join(", "), levels: new Map() };
      contexts.set(key, context);
      const levelName = String(row[variable.factor]);
      const level = context.levels.get(levelName) ?? { row, scores: new Map<string, number[]>() };
      context.levels.set(levelName, level);
      const list = level.scores.get(row.benchmark) ?? [];
      list.push(row.score);
      level.scores.set(row.benchmark, list);
    }
    for (const context of contexts.values()) {
      const levels = [...context.levels.entries()];
      if (variable.factor === "llm") levels.sort((x, y) => x[1].row.llm_params - y[1].row.llm_params);
      for (let i = 0; i < levels.length; i++) {
        for (let j = i + 1; j < levels.length; j++) {
          const [nameA, a] = levels[i]!;
          const [nameB, b] = levels[j]!;
          if (!variable.contrasts(a.row, b.row)) continue;
          const benchmarks = [...a.scores.keys()].filter((k) => b.scores.has(k)).sort(compareBenchmarks);
          for (const benchmark of benchmarks) {
            const [xa, xb] = [a.scores.get(benchmark)!, b.scores.get(benchmark)!];
            const [sa, sb] = [meanSd(xa), meanSd(xb)];
            const seedSd = Math.sqrt((sa.sd ** 2 + sb.sd ** 2) / 2);
            const effect = sb.mean - sa.mean;
            const p = welchInterval(xb, xa).p;
            out.push({ variable: variable.id, level_a: nameA, level_b: nameB, benchmark, effect, seed_sd: seedSd, n_seeds: Math.min(sa.n, sb.n), z: effect / seedSd, p_welch: p, context: context.label, pairing_a: pairingLabel(a.row), pairing_b: pairingLabel(b.row) });
          }
        }
      }
    }
  }
  return out;
}

/** effects.csv as a table view (numbers to 3 decimals, p to 3 significant digits; NaN where a level has a single seed). */
export function effectsView(effects: readonly EffectRow[]): TableView {
  const cell = (e: EffectRow, c: (typeof EFFECT_COLUMNS)[number]): string | number => {
    const v = e[c];
    if (typeof v !== "number") return v;
    return c === "p_welch" ? Number(v.toPrecision(3)) : Number(v.toFixed(3));
  };
  return {
    name: "effects",
    title: "Effects of the study variables, in seed standard deviations",
    columns: [...EFFECT_COLUMNS],
    rows: effects.map((e) => EFFECT_COLUMNS.map((c) => cell(e, c))),
  };
}

export const effectsCsv = (effects: readonly EffectRow[]): string => tableToCsv(effectsView(effects));

export interface StrongestEffect {
  variable: StudyVariable;
  strongest: EffectRow | undefined;
  contrasts: number;
  /**
   * The strongest contrast's Welch p times the number of the variable's contrasts with a p (at most 1):
   * Bonferroni's correction for having picked the largest of many, each of which could be large by chance.
   */
  adjustedP: number;
}

/** Seeds a contrast needs for the calibration bar. */
export const BAR_SEEDS = 3;

/**
 * Whether contrast e ranks above `best` as a variable's strongest: one with the bar's seeds before one
 * without, then a finite z (a measured noise) before an infinite one (no spread in either level), then
 * the larger |z|. A half-run grid's two-seed contrast with identical seeds would otherwise take the row.
 */
const ranksAbove = (e: EffectRow, best: EffectRow): boolean => {
  const key = (r: EffectRow): [number, number, number] => [r.n_seeds >= BAR_SEEDS ? 1 : 0, Number.isFinite(r.z) ? 1 : 0, Math.abs(r.z)];
  const [a, b] = [key(e), key(best)];
  return a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2];
};

/** Per variable, its strongest contrast (see `ranksAbove`; a NaN z — one seed, or no change and no noise — counts as none). */
export function strongestEffects(effects: readonly EffectRow[], variables: readonly StudyVariable[] = STUDY_VARIABLES): StrongestEffect[] {
  return variables.map((variable) => {
    const own = effects.filter((e) => e.variable === variable.id);
    const scored = own.filter((e) => !Number.isNaN(e.z));
    const strongest = scored.reduce<EffectRow | undefined>((best, e) => (best === undefined || ranksAbove(e, best) ? e : best), undefined);
    const tested = own.filter((e) => !Number.isNaN(e.p_welch)).length;
    return { variable, strongest, contrasts: own.length, adjustedP: strongest === undefined ? NaN : Math.min(1, strongest.p_welch * tested) };
  });
}

/** The calibration bar: some benchmark moves by more than 2 seed SDs, over at least 3 seeds. */
export const meetsBar = (e: EffectRow | undefined): boolean => e !== undefined && Math.abs(e.z) > 2 && e.n_seeds >= BAR_SEEDS;

const pCell = (p: number): string => (Number.isNaN(p) ? "–" : p < 0.001 ? "< 0.001" : p.toFixed(3));

/**
 * Markdown: for each variable, where it matters most and whether it clears the calibration bar; with
 * `inForm` (see `formShares`), also the share of each level's answers in the benchmark's form, a → b.
 */
export function variablesMarkdown(effects: readonly EffectRow[], inForm?: FormShares): string {
  const formColumn = inForm !== undefined;
  const lines = [
    `| variable | contrasts | where it matters most | effect | seed SD | seeds | z | clears \\|z\\| > 2 with ≥ 3 seeds | Welch p | p × contrasts |${formColumn ? " answered in form, a → b |" : ""}`,
    `|---|---:|---|---:|---:|---:|---:|---|---:|---:|${formColumn ? "---:|" : ""}`,
  ];
  for (const { variable, strongest: s, contrasts, adjustedP } of strongestEffects(effects)) {
    if (!s) {
      lines.push(`| ${variable.label} | ${contrasts} | ${contrasts === 0 ? "not varied in these runs" : "no seed noise estimate (one seed)"} | | | | | no | | |${formColumn ? " |" : ""}`);
      continue;
    }
    const [fa, fb] = [inForm?.get(s.pairing_a)?.get(s.benchmark), inForm?.get(s.pairing_b)?.get(s.benchmark)];
    const form = fa === undefined || fb === undefined ? "–" : `${fa.toFixed(2)} → ${fb.toFixed(2)}`;
    lines.push(`| ${variable.label} | ${contrasts} | ${s.benchmark}: ${s.level_b} vs ${s.level_a} (${s.context}) | ${s.effect.toFixed(1)} | ${s.seed_sd.toFixed(1)} | ${s.n_seeds} | ${s.z.toFixed(2)} | ${meetsBar(s) ? "yes" : "no"} | ${pCell(s.p_welch)} | ${pCell(adjustedP)} |${formColumn ? ` ${form} |` : ""}`);
  }
  return lines.join("\n");
}

/** One pairing on one benchmark beside the image-blind question prior of the same items. */
export interface AboveBaselineRow {
  /** The pairing: every design factor but the seed ("llama3.1-8b, clip, 1x, short captions"). */
  pairing: string;
  benchmark: string;
  mean: number;
  sd: number;
  n_seeds: number;
  prior: number;
  /** Runs of the pairing that gave one answer to ≥ 95% of the benchmark's items (0 without sample logs). */
  collapsed: number;
  /**
   * Learned above the prior: the seed mean beats it by more than two seed SDs (by anything with one
   * seed), and no run answered one way — POPE's F1 of always "yes" (66.7) would otherwise pass.
   */
  above: boolean;
}

export const pairingLabel = (r: LabScoreRow): string => `${r.llm}, ${r.tower}, ${r.resolution}, ${r.captions} captions`;

/** Share of a task's items a run must answer one way to count as collapsed. */
export const COLLAPSE_SHARE = 0.95;

/**
 * Run id → benchmark (README column) → share of the run's most frequent answer, and of its answers in
 * the benchmark's form where it has one (see `topAnswers`).
 */
export type TopAnswerShares = Readonly<Record<string, Readonly<Record<string, Pick<TopAnswer, "share" | "inFormat"> & { habit?: Pick<AnswerHabit, "accuracy" | "shuffled"> }>>>>;

/** Pairing (see `pairingLabel`) → benchmark → share of its answers in the benchmark's form, mean over its runs. */
export type FormShares = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** The in-form shares of the table's runs, per pairing and benchmark (benchmarks with an answer form only). */
export function formShares(lab: ColumnTable, answers: TopAnswerShares): FormShares {
  const shares = new Map<string, Map<string, number[]>>();
  for (const r of lab.objects() as unknown as LabScoreRow[]) {
    const share = answers[r.run]?.[r.benchmark]?.inFormat;
    if (share === undefined) continue;
    const byBenchmark = shares.get(pairingLabel(r)) ?? new Map<string, number[]>();
    shares.set(pairingLabel(r), byBenchmark);
    byBenchmark.set(r.benchmark, [...(byBenchmark.get(r.benchmark) ?? []), share]);
  }
  return new Map([...shares].map(([pairing, byBenchmark]) => [pairing, new Map([...byBenchmark].map(([b, xs]) => [b, meanSd(xs).mean]))]));
}

/** Markdown: one row per pairing, one column per benchmark with an answer form (README order). */
export function formSharesMarkdown(shares: FormShares): string {
  const benchmarks = [...new Set([...shares.values()].flatMap((m) => [...m.keys()]))].sort(compareBenchmarks);
  const rows = [...shares].sort((x, y) => x[0].localeCompare(y[0])).map(([pairing, byBenchmark]) => `| ${pairing} | ${benchmarks.map((b) => byBenchmark.get(b)?.toFixed(2) ?? "").join(" | ")} |`);
  return [`| pairing | ${benchmarks.join(" | ")} |`, `|---|${benchmarks.map(() => "---:|").join("")}`, ...rows].join("\n");
}

/** Per pairing × benchmark with a prior: seed mean and SD against the prior, and runs that collapsed. */
export function aboveBaseline(lab: ColumnTable, prior: Readonly<Record<string, number>>, answers: TopAnswerShares = {}): AboveBaselineRow[] {
  const groups = new Map<string, Map<string, { scores: number[]; collapsed: number }>>();
  for (const r of lab.objects() as unknown as LabScoreRow[]) {
    if (prior[r.benchmark] === undefined) continue;
    const byBenchmark = groups.get(pairingLabel(r)) ?? new Map<string, { scores: number[]; collapsed: number }>();
    groups.set(pairingLabel(r), byBenchmark);
    const group = byBenchmark.get(r.benchmark) ?? { scores: [], collapsed: 0 };
    byBenchmark.set(r.benchmark, group);
    group.scores.push(r.score);
    if ((answers[r.run]?.[r.benchmark]?.share ?? 0) >= COLLAPSE_SHARE) group.collapsed++;
  }
  const out: AboveBaselineRow[] = [];
  for (const [pairing, byBenchmark] of groups) {
    for (const [benchmark, { scores, collapsed }] of byBenchmark) {
      const { mean, sd, n } = meanSd(scores);
      const p = prior[benchmark]!;
      out.push({ pairing, benchmark, mean, sd, n_seeds: n, prior: p, collapsed, above: collapsed === 0 && mean - p > (n > 1 ? 2 * sd : 0) });
    }
  }
  return out.sort((x, y) => benchmarkOrder(x.benchmark) - benchmarkOrder(y.benchmark) || y.mean - x.mean);
}

/** Markdown: per benchmark, the prior, how many pairings clear it, and the best pairing. */
export function aboveBaselineMarkdown(rows: readonly AboveBaselineRow[]): string {
  const lines = ["| benchmark | text-only prior | pairings above it | best pairing | its mean ± seed SD | its runs answering one way |", "|---|---:|---:|---|---:|---:|"];
  const benchmarks = [...new Set(rows.map((r) => r.benchmark))];
  for (const b of benchmarks) {
    const own = rows.filter((r) => r.benchmark === b);
    const best = own[0]!;
    lines.push(`| ${b} | ${best.prior.toFixed(1)} | ${own.filter((r) => r.above).length} of ${own.length} | ${best.pairing} | ${best.mean.toFixed(1)} ± ${Number.isNaN(best.sd) ? "–" : best.sd.toFixed(1)} | ${best.collapsed} of ${best.n_seeds} |`);
  }
  return lines.join("\n");
}
