/**
 * Statistics of the lab study: seed noise per pairing, the lab analogues of the paper's comparisons
 * (does the lab reproduce the published sign, and is the difference beyond the seed noise?), and
 * the two-factor interaction test (LLM size × resolution). The distributions (Student t, F) are
 * computed here from the regularized incomplete beta function, so no statistics package is needed.
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import { BENCHMARK_NAMES, benchmarkOrder, isBenchmarkName, normaliseScore, type BenchmarkName } from "./benchmarks.js";
import { comparisonById, comparisonDeltas, deltaRows, formatDelta } from "./comparisons.js";
import { Random } from "../util/random.js";

// ───────────────────────────── lab table ─────────────────────────────

/** One lab score: a run (pairing × seed) on one benchmark. */
export interface LabScoreRow {
  run: string;
  llm: string;
  family: string;
  size: string;
  llm_params: number;
  tower: string;
  resolution: string;
  image_size: number;
  s2: boolean;
  captions: string;
  seed: number;
  /** A README column name; the lab has no SEED-vid / SEED-all. */
  benchmark: string;
  /** In the README's units (MME-P out of 2000, MME-C out of 800, others out of 100). */
  score: number;
}

const LAB_FIELDS = {
  run: "string",
  llm: "string",
  family: "string",
  size: "string",
  llm_params: "number",
  tower: "string",
  resolution: "string",
  image_size: "number",
  s2: "boolean",
  captions: "string",
  seed: "number",
  benchmark: "string",
  score: "number",
} as const satisfies Record<keyof LabScoreRow, "string" | "number" | "boolean">;

export const LAB_COLUMNS = Object.keys(LAB_FIELDS) as (keyof LabScoreRow)[];

/** The fields that describe a pairing (everything but run, seed, benchmark and score). */
export const DESIGN_FACTORS = ["llm", "family", "size", "llm_params", "tower", "resolution", "image_size", "s2", "captions"] as const;
export type DesignFactor = (typeof DESIGN_FACTORS)[number];
export type FactorValue = string | number | boolean;

/** An arquero table with the given columns, built column-wise so an empty table keeps its columns. */
function tableOf(rows: readonly Record<string, unknown>[], columns: readonly string[]): ColumnTable {
  return aq.table(Object.fromEntries(columns.map((c) => [c, rows.map((r) => r[c])])));
}

const rowsOf = <T>(table: ColumnTable): T[] => table.objects() as unknown as T[];

/** The rows of a lab table, after checking it has the lab columns. */
function labRowsOf(lab: ColumnTable, where: string): LabScoreRow[] {
  const missing = LAB_COLUMNS.filter((c) => !lab.columnNames().includes(c));
  if (missing.length > 0) throw new Error(`${where}: not a lab table (missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}); build it with labTable`);
  return rowsOf<LabScoreRow>(lab);
}

/** The lab results as an arquero table, after checking every field of every row. */
export function labTable(rows: readonly LabScoreRow[]): ColumnTable {
  const firstSeen = new Map<string, number>();
  rows.forEach((row, i) => {
    const r = row as unknown as Record<string, unknown>;
    for (const [field, type] of Object.entries(LAB_FIELDS)) {
      const v = r[field];
      if (v === undefined || v === null) throw new Error(`lab row ${i}: missing field "${field}"`);
      if (typeof v !== type || (type === "number" && !Number.isFinite(v))) {
        throw new Error(`lab row ${i}: field "${field}": expected a ${type === "number" ? "finite number" : type}, found ${JSON.stringify(v)}`);
      }
    }
    if (!isBenchmarkName(row.benchmark)) {
      throw new Error(`lab row ${i}: field "benchmark": unknown benchmark "${row.benchmark}"; expected one of ${BENCHMARK_NAMES.join(", ")}`);
    }
    const key = `${row.run}\u0000${row.benchmark}`;
    const j = firstSeen.get(key);
    if (j !== undefined) throw new Error(`lab row ${i}: field "benchmark": run "${row.run}" already has a ${row.benchmark} score (row ${j})`);
    firstSeen.set(key, i);
  });
  return tableOf(rows as unknown as Record<string, unknown>[], LAB_COLUMNS);
}

// ───────────────────────────── distributions ─────────────────────────────

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) (Lanczos, g = 7). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const EPS = 1e-15;
const TINY = 1e-300;
const MAX_ITER = 100_000;
const notTiny = (v: number): number => (Math.abs(v) < TINY ? TINY : v);

/** Continued fraction of the incomplete beta function (Numerical Recipes' betacf, modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 / notTiny(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= MAX_ITER; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 / notTiny(1 + even * d);
    c = notTiny(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 / notTiny(1 + odd * d);
    c = notTiny(1 + odd / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < EPS) return h;
  }
  throw new Error(`incomplete beta: continued fraction did not converge (x = ${x}, a = ${a}, b = ${b})`);
}

/** The regularized incomplete beta function I_x(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`incomplete beta: a and b must be positive (a = ${a}, b = ${b})`);
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The fraction converges fast only below the mean; above it use I_x(a, b) = 1 − I_{1−x}(b, a).
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(x, a, b)) / a : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Upper regularized incomplete gamma Q(a, x) (series below a + 1, continued fraction above). */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - lnGamma(a));
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n <= MAX_ITER && Math.abs(term) > Math.abs(sum) * EPS; n++) {
      term *= x / (a + n);
      sum += term;
    }
    return 1 - sum * front;
  }
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = 1 / notTiny(an * d + b);
    c = notTiny(b + an / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < EPS) break;
  }
  return front * h;
}

/** Beyond this many degrees of freedom the t distribution is taken as the standard normal. */
const NORMAL_DF = 1e7;

/** P(T > t) for t ≥ 0. */
function tUpperTail(t: number, df: number): number {
  if (df > NORMAL_DF) return 0.5 * gammaQ(0.5, (t * t) / 2);
  return 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
}

/** Student t cumulative distribution P(T ≤ t). */
export function tCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`t distribution: degrees of freedom must be positive, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  return t >= 0 ? 1 - tUpperTail(t, df) : tUpperTail(-t, df);
}

/** The p-quantile of Student's t with df degrees of freedom (df may be fractional, as in Welch's test). */
export function tQuantile(p: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`t quantile: degrees of freedom must be positive, got ${df}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`t quantile: p must lie in [0, 1], got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  const tail = 1 - p;
  let lo = 0;
  let hi = 1;
  while (tUpperTail(hi, df) > tail) {
    lo = hi;
    hi *= 2;
  }
  // Bisection: the tail is monotone, and 200 halvings reach the spacing of doubles.
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tUpperTail(mid, df) > tail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** F distribution P(X ≤ x) with d1 and d2 degrees of freedom. */
export function fCdf(x: number, d1: number, d2: number): number {
  if (!(d1 > 0 && d2 > 0)) throw new RangeError(`F distribution: degrees of freedom must be positive (${d1}, ${d2})`);
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x === Infinity) return 1;
  return regularizedBeta((d1 * x) / (d1 * x + d2), d1 / 2, d2 / 2);
}

/** F distribution P(X > x): the p-value of an F statistic. Computed directly, not as 1 − cdf, to keep small p exact. */
export function fSurvival(x: number, d1: number, d2: number): number {
  if (!(d1 > 0 && d2 > 0)) throw new RangeError(`F distribution: degrees of freedom must be positive (${d1}, ${d2})`);
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return regularizedBeta(d2 / (d2 + d1 * x), d2 / 2, d1 / 2);
}

// ───────────────────────────── seed noise ─────────────────────────────

export interface MeanSd {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); NaN below two values. */
  sd: number;
}

export function meanSd(values: readonly number[]): MeanSd {
  const n = values.length;
  const mean = n === 0 ? NaN : values.reduce((s, v) => s + v, 0) / n;
  const sd = n < 2 ? NaN : Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return { n, mean, sd };
}

/** Half width of the 95% t interval of a mean: t(0.975, n − 1) · sd / √n; NaN below two values. */
export function halfWidth95(n: number, sd: number): number {
  return n < 2 ? NaN : (tQuantile(0.975, n - 1) * sd) / Math.sqrt(n);
}

/** One row of `seedSummary`: the design columns of `by`, then these. */
export interface SeedSummaryStats {
  benchmark: string;
  n: number;
  mean: number;
  sd: number;
  half_width: number;
  ci_low: number;
  ci_high: number;
  /** The seeds of the group, ascending. */
  seeds: number[];
}

export const SUMMARY_BY: readonly string[] = DESIGN_FACTORS;

/**
 * Mean over seeds with a 95% t interval, per group of `by` × benchmark. Groups keep the order of the
 * input; benchmarks follow the README. A seed twice in a group means `by` lumps distinct pairings.
 */
export function seedSummary(table: ColumnTable, by: readonly string[] = SUMMARY_BY): ColumnTable {
  const names = table.columnNames();
  for (const c of [...by, "benchmark", "seed", "score"]) if (!names.includes(c)) throw new Error(`seed summary: the table has no column "${c}"`);
  const groups = new Map<string, { key: Record<string, unknown>; seeds: number[]; scores: number[] }>();
  for (const row of rowsOf<Record<string, unknown>>(table)) {
    const key = Object.fromEntries([...by, "benchmark"].map((c) => [c, row[c]]));
    const id = JSON.stringify(Object.values(key));
    const group = groups.get(id) ?? { key, seeds: [], scores: [] };
    groups.set(id, group);
    if (group.seeds.includes(row["seed"] as number)) {
      throw new Error(`seed summary: seed ${String(row["seed"])} appears twice in group ${id}; add the column that tells those runs apart to \`by\``);
    }
    group.seeds.push(row["seed"] as number);
    group.scores.push(row["score"] as number);
  }
  const groupOrder = new Map<string, number>();
  const out = [...groups.values()].map(({ key, seeds, scores }) => {
    const { n, mean, sd } = meanSd(scores);
    const hw = halfWidth95(n, sd);
    const designId = JSON.stringify(by.map((c) => key[c]));
    if (!groupOrder.has(designId)) groupOrder.set(designId, groupOrder.size);
    const stats: SeedSummaryStats = {
      benchmark: key["benchmark"] as string,
      n,
      mean,
      sd,
      half_width: hw,
      ci_low: mean - hw,
      ci_high: mean + hw,
      seeds: [...seeds].sort((x, y) => x - y),
    };
    return { ...key, ...stats, order: [groupOrder.get(designId)!, benchmarkOrder(stats.benchmark)] as const };
  });
  out.sort((x, y) => x.order[0] - y.order[0] || x.order[1] - y.order[1]);
  return tableOf(out, [...by, "benchmark", "n", "mean", "sd", "half_width", "ci_low", "ci_high", "seeds"]);
}

export interface WelchInterval {
  /** mean(a) − mean(b). */
  delta: number;
  low: number;
  high: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value of Welch's t test of mean(a) = mean(b). */
  p: number;
}

/**
 * 95% Welch two-sample t interval for mean(a) − mean(b), and the test's two-sided p; NaN bounds and p
 * when either side has fewer than two values. When both sides have no spread at all the interval is
 * the point itself (p 1 for equal means, 0 otherwise).
 */
export function welchInterval(a: readonly number[], b: readonly number[], level = 0.95): WelchInterval {
  return welchIntervalOf(meanSd(a), meanSd(b), level);
}

/** `welchInterval` from each side's count, mean and SD (a `seedSummary` row holds them) instead of the scores. */
export function welchIntervalOf(x: MeanSd, y: MeanSd, level = 0.95): WelchInterval {
  const delta = x.mean - y.mean;
  if (x.n < 2 || y.n < 2) return { delta, low: NaN, high: NaN, df: NaN, p: NaN };
  const va = x.sd ** 2 / x.n;
  const vb = y.sd ** 2 / y.n;
  if (va + vb === 0) return { delta, low: delta, high: delta, df: NaN, p: delta === 0 ? 1 : 0 };
  const df = (va + vb) ** 2 / (va ** 2 / (x.n - 1) + vb ** 2 / (y.n - 1));
  const se = Math.sqrt(va + vb);
  const half = tQuantile(1 - (1 - level) / 2, df) * se;
  return { delta, low: delta - half, high: delta + half, df, p: 2 * tUpperTail(Math.abs(delta) / se, df) };
}

// ───────────────────────────── lab vs paper ─────────────────────────────

/** A lab pairing, as far as a comparison needs to name it (all seeds of it are pooled). */
export interface LabSide {
  llm: string;
  tower: string;
  resolution: string;
  captions: string;
}

export interface LabComparison {
  /** Id of the paper's comparison in PAPER_COMPARISONS. */
  comparison: string;
  /** The pairing under test; deltas are a − b. */
  a: LabSide;
  b: LabSide;
}

const side = (llm: string, tower: string, resolution = "1x"): LabSide => ({ llm, tower, resolution, captions: "short" });

/** The lab pairing that stands in for each of the paper's 9 comparisons. */
export const LAB_COMPARISONS: readonly LabComparison[] = [
  { comparison: "llama31_vs_llava15", a: side("llama3.1-8b", "clip"), b: side("vicuna-7b", "clip") },
  { comparison: "phi4mini_vs_llava15", a: side("phi4-mini-3.8b", "clip"), b: side("vicuna-7b", "clip") },
  { comparison: "gemma2_vs_llama31", a: side("gemma2-9b", "clip"), b: side("llama3.1-8b", "clip") },
  { comparison: "siglip_vs_clip", a: side("llama3.1-8b", "siglip"), b: side("llama3.1-8b", "clip") },
  { comparison: "siglip2_vs_clip", a: side("gemma2-9b", "siglip2"), b: side("gemma2-9b", "clip") },
  { comparison: "s2_vs_single_clip", a: side("llama3.1-8b", "clip", "1x+S2"), b: side("llama3.1-8b", "clip") },
  { comparison: "s2_vs_single_siglip", a: side("llama3.1-8b", "siglip", "1x+S2"), b: side("llama3.1-8b", "siglip") },
  { comparison: "r1distill_vs_llama31", a: side("r1-distill-llama-8b", "clip"), b: side("llama3.1-8b", "clip") },
  { comparison: "llama31_vs_llama3", a: side("llama3.1-8b", "clip"), b: side("llama3-8b", "clip") },
];

export function labComparisonById(id: string): LabComparison {
  const c = LAB_COMPARISONS.find((x) => x.comparison === id);
  if (!c) throw new Error(`unknown comparison "${id}"; expected one of ${LAB_COMPARISONS.map((x) => x.comparison).join(", ")}`);
  return c;
}

/** One row of `labVsPublished`. */
export interface LabVsPublishedRow {
  benchmark: BenchmarkName;
  /** Paper a − b in README units, and in percentage points of the benchmark's maximum. */
  published_delta: number;
  published_normalised: number;
  lab_a_mean: number;
  lab_b_mean: number;
  n_a: number;
  n_b: number;
  /** Lab a − b in README units with its 95% Welch interval (NaN when a side has one seed). */
  lab_delta: number;
  lab_ci_low: number;
  lab_ci_high: number;
  lab_normalised: number;
  same_sign: boolean;
  beyond_noise: boolean;
}

const LAB_VS_PUBLISHED_COLUMNS: readonly (keyof LabVsPublishedRow)[] = [
  "benchmark", "published_delta", "published_normalised", "lab_a_mean", "lab_b_mean", "n_a", "n_b",
  "lab_delta", "lab_ci_low", "lab_ci_high", "lab_normalised", "same_sign", "beyond_noise",
];

/** "llama3.1-8b + clip @ 1x, short captions". */
export const labSideLabel = (s: LabSide): string => `${s.llm} + ${s.tower} @ ${s.resolution}, ${s.captions} captions`;

/** Scores of one lab pairing by benchmark. */
function sideScores(rows: readonly LabScoreRow[], s: LabSide): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of rows) {
    if (r.llm !== s.llm || r.tower !== s.tower || r.resolution !== s.resolution || r.captions !== s.captions) continue;
    out.set(r.benchmark, [...(out.get(r.benchmark) ?? []), r.score]);
  }
  return out;
}

/**
 * The paper's deltas next to the lab's, per benchmark both have (README order); undefined when the
 * lab table lacks either pairing.
 */
export function labVsPublished(lab: ColumnTable, published: ColumnTable, labComparison: LabComparison): ColumnTable | undefined {
  const rows = labRowsOf(lab, `lab vs published (${labComparison.comparison})`);
  const a = sideScores(rows, labComparison.a);
  const b = sideScores(rows, labComparison.b);
  if (a.size === 0 || b.size === 0) return undefined;
  const out: LabVsPublishedRow[] = [];
  for (const p of deltaRows(comparisonDeltas(published, comparisonById(labComparison.comparison)))) {
    const sa = a.get(p.benchmark);
    const sb = b.get(p.benchmark);
    if (!sa || !sb) continue;
    const w = welchInterval(sa, sb);
    out.push({
      benchmark: p.benchmark,
      published_delta: p.delta,
      published_normalised: p.normalised_delta,
      lab_a_mean: meanSd(sa).mean,
      lab_b_mean: meanSd(sb).mean,
      n_a: sa.length,
      n_b: sb.length,
      lab_delta: w.delta,
      lab_ci_low: w.low,
      lab_ci_high: w.high,
      lab_normalised: normaliseScore(p.benchmark, w.delta),
      same_sign: Math.sign(w.delta) === Math.sign(p.delta),
      beyond_noise: w.low > 0 || w.high < 0,
    });
  }
  return tableOf(out as unknown as Record<string, unknown>[], LAB_VS_PUBLISHED_COLUMNS);
}

export const labVsPublishedRows = (table: ColumnTable): LabVsPublishedRow[] => rowsOf<LabVsPublishedRow>(table);

export interface LabComparisonSummary {
  benchmarks: number;
  /** Lab delta has the paper's sign (a published tie counts as no sign to reproduce). */
  sameSign: number;
  /** The lab's 95% interval excludes 0, whatever the sign. */
  beyondNoise: number;
  sameSignBeyondNoise: number;
}

export function labComparisonSummary(rows: readonly LabVsPublishedRow[]): LabComparisonSummary {
  return {
    benchmarks: rows.length,
    sameSign: rows.filter((r) => r.same_sign).length,
    beyondNoise: rows.filter((r) => r.beyond_noise).length,
    sameSignBeyondNoise: rows.filter((r) => r.same_sign && r.beyond_noise).length,
  };
}

const withCi = (r: LabVsPublishedRow): string =>
  `${r.benchmark} ${formatDelta(r.lab_delta)}, 95% CI ${formatDelta(r.lab_ci_low)}…${formatDelta(r.lab_ci_high)}`;

/** One plain sentence: how many of the paper's signs the lab reproduces, and which beyond the seed noise. */
export function describeLabComparison(comparison: LabComparison, rows: readonly LabVsPublishedRow[]): string {
  const title = comparisonById(comparison.comparison).title;
  if (rows.length === 0) return `${title}: the lab and the paper have no benchmark in common.`;
  const s = labComparisonSummary(rows);
  const head = `${title}: the paper's sign is reproduced on ${s.sameSign} of ${s.benchmarks} benchmark${s.benchmarks === 1 ? "" : "s"}`;
  if (rows.every((r) => Number.isNaN(r.lab_ci_low))) {
    return `${head}, but with a single seed on a side there is no estimate of the seed noise.`;
  }
  const agree = rows.filter((r) => r.same_sign && r.beyond_noise);
  const against = rows.filter((r) => !r.same_sign && r.beyond_noise);
  let text = agree.length === 0 ? `${head}, none of them beyond the seed noise` : `${head}, ${agree.length} of them beyond the seed noise (${agree.map(withCi).join("; ")})`;
  if (against.length > 0) {
    text += `; ${against.length} go${against.length === 1 ? "es" : ""} the other way beyond the noise (${against.map(withCi).join("; ")})`;
  }
  return `${text}.`;
}

// ───────────────────────────── interaction ─────────────────────────────

export interface AnovaTerm {
  ss: number;
  df: number;
  ms: number;
  f: number;
  p: number;
}

export interface TwoWayAnova {
  /** Row factor, column factor, and their interaction. */
  a: AnovaTerm;
  b: AnovaTerm;
  interaction: AnovaTerm;
  residual: { ss: number; df: number; ms: number };
  total: { ss: number; df: number };
  grandMean: number;
  cellMeans: number[][];
  /** Replicates per cell. */
  replicates: number;
}

const mean = (xs: readonly number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;

/** Two-way ANOVA with interaction for a balanced design: cells[i][j] holds the replicates of level i × level j. */
export function twoWayAnova(cells: readonly (readonly (readonly number[])[])[]): TwoWayAnova {
  const na = cells.length;
  const nb = cells[0]?.length ?? 0;
  if (na < 2 || nb < 2) throw new Error(`two-way ANOVA: need at least 2 levels of each factor, got ${na} × ${nb}`);
  if (cells.some((row) => row.length !== nb)) throw new Error(`two-way ANOVA: every row needs ${nb} cells`);
  const r = cells[0]![0]!.length;
  cells.forEach((row, i) =>
    row.forEach((cell, j) => {
      if (cell.length !== r) throw new Error(`two-way ANOVA: unbalanced design, cell [${i}][${j}] has ${cell.length} replicates, cell [0][0] has ${r}`);
    }),
  );
  if (r < 2) throw new Error(`two-way ANOVA: need at least 2 replicates per cell, got ${r}`);
  const cellMeans = cells.map((row) => row.map(mean));
  const rowMeans = cellMeans.map(mean);
  const colMeans = cellMeans[0]!.map((_, j) => mean(cellMeans.map((row) => row[j]!)));
  const grand = mean(rowMeans);
  const sq = (v: number): number => v * v;
  const ssA = nb * r * rowMeans.reduce((s, m) => s + sq(m - grand), 0);
  const ssB = na * r * colMeans.reduce((s, m) => s + sq(m - grand), 0);
  let ssAB = 0;
  let ssE = 0;
  let ssT = 0;
  cells.forEach((row, i) =>
    row.forEach((cell, j) => {
      ssAB += r * sq(cellMeans[i]![j]! - rowMeans[i]! - colMeans[j]! + grand);
      for (const y of cell) {
        ssE += sq(y - cellMeans[i]![j]!);
        ssT += sq(y - grand);
      }
    }),
  );
  const dfE = na * nb * (r - 1);
  const msE = ssE / dfE;
  const term = (ss: number, df: number): AnovaTerm => {
    const ms = ss / df;
    const f = ms / msE;
    return { ss, df, ms, f, p: fSurvival(f, df, dfE) };
  };
  return {
    a: term(ssA, na - 1),
    b: term(ssB, nb - 1),
    interaction: term(ssAB, (na - 1) * (nb - 1)),
    residual: { ss: ssE, df: dfE, ms: msE },
    total: { ss: ssT, df: na * nb * r - 1 },
    grandMean: grand,
    cellMeans,
    replicates: r,
  };
}

export interface BootstrapInteraction {
  /** c11 − c12 − c21 + c22 over the cell means. */
  contrast: number;
  /** Percentile bootstrap 95% interval. */
  ciLow: number;
  ciHigh: number;
  samples: number;
  seed: number;
}

/** Linear-interpolation quantile of sorted values (R's type 7). */
function sortedQuantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The 2 × 2 interaction contrast with a percentile bootstrap interval (replicates resampled within cells). */
export function bootstrapInteraction(
  cells: readonly (readonly (readonly number[])[])[],
  options: { samples?: number; seed?: number } = {},
): BootstrapInteraction {
  const samples = options.samples ?? 2000;
  const seed = options.seed ?? 0;
  if (cells.length !== 2 || cells.some((row) => row.length !== 2)) throw new Error("bootstrap interaction: needs a 2 × 2 design");
  const flat = [cells[0]![0]!, cells[0]![1]!, cells[1]![0]!, cells[1]![1]!];
  if (flat.some((c) => c.length === 0)) throw new Error("bootstrap interaction: every cell needs at least one replicate");
  if (!(Number.isInteger(samples) && samples >= 1)) throw new Error(`bootstrap interaction: samples must be a positive integer, got ${samples}`);
  const contrastOf = (m: readonly number[]): number => m[0]! - m[1]! - m[2]! + m[3]!;
  const random = Random.stream(seed, "bootstrap-interaction");
  const draws: number[] = [];
  for (let s = 0; s < samples; s++) {
    draws.push(contrastOf(flat.map((cell) => mean(cell.map(() => cell[random.int(cell.length)]!)))));
  }
  draws.sort((x, y) => x - y);
  return { contrast: contrastOf(flat.map(mean)), ciLow: sortedQuantile(draws, 0.025), ciHigh: sortedQuantile(draws, 0.975), samples, seed };
}

/**
 * The levels of a factor in a sensible order: sizes and LLMs by parameter count, resolutions by input
 * side then S2, numbers ascending, false before true, other strings in order of appearance.
 */
export function factorLevels(rows: readonly Record<string, unknown>[], factor: string): FactorValue[] {
  const info = new Map<FactorValue, { first: number; params: number; side: number; s2: number; scale: number }>();
  rows.forEach((r, i) => {
    const v = r[factor] as FactorValue;
    if (info.has(v)) return;
    const num = (c: string): number => (typeof r[c] === "number" ? (r[c] as number) : Infinity);
    info.set(v, { first: i, params: num("llm_params"), side: num("image_size"), s2: r["s2"] === true ? 1 : 0, scale: Number.parseFloat(String(v)) });
  });
  const levels = [...info.keys()];
  const by = (f: (v: FactorValue) => number) => (x: FactorValue, y: FactorValue) => f(x) - f(y);
  const get = (v: FactorValue) => info.get(v)!;
  const sorters: Record<string, (x: FactorValue, y: FactorValue) => number> = {
    size: (x, y) => by((v) => get(v).params)(x, y) || by((v) => get(v).first)(x, y),
    llm: (x, y) => by((v) => get(v).params)(x, y) || by((v) => get(v).first)(x, y),
    resolution: (x, y) =>
      by((v) => get(v).side)(x, y) || by((v) => get(v).s2)(x, y) || by((v) => get(v).scale)(x, y) || by((v) => get(v).first)(x, y),
  };
  const sorter =
    sorters[factor] ??
    (levels.every((v) => typeof v === "number" || typeof v === "boolean") ? by(Number) : by((v) => get(v).first));
  return levels.sort(sorter);
}

export interface InteractionTest extends TwoWayAnova {
  benchmark: string;
  rowFactor: DesignFactor;
  colFactor: DesignFactor;
  rowLevels: FactorValue[];
  colLevels: FactorValue[];
  /** The replicates used, cells[i][j] for rowLevels[i] × colLevels[j], ascending seed. */
  cells: number[][][];
  /** Set when cells were cut to a common number of seeds. */
  note?: string;
  verdict: string;
}

export const formatP = (p: number): string => (Number.isNaN(p) ? "p = n/a" : p < 0.001 ? "p < 0.001" : `p = ${p.toFixed(3)}`);

/** Checks that every other design factor is fixed within cells and explained by the row or the column level. */
function checkConfounding(cells: LabScoreRow[][][], rowFactor: DesignFactor, colFactor: DesignFactor, where: string): void {
  for (const f of DESIGN_FACTORS) {
    if (f === rowFactor || f === colFactor) continue;
    const values = (rs: readonly LabScoreRow[]): FactorValue[] => [...new Set(rs.map((r) => r[f]))];
    const all = values(cells.flat(2));
    if (all.length === 1) continue;
    cells.forEach((row) =>
      row.forEach((cell) => {
        const vs = values(cell);
        if (vs.length > 1) {
          throw new Error(`${where}: the cell ${rowFactor} = ${cell[0]![rowFactor]}, ${colFactor} = ${cell[0]![colFactor]} mixes ${f} = ${vs.join(", ")}; filter the lab table to one ${f} first`);
        }
      }),
    );
    const byRow = cells.every((row) => values(row.flat()).length === 1);
    const byCol = cells[0]!.every((_, j) => values(cells.flatMap((row) => row[j]!)).length === 1);
    if (!byRow && !byCol) throw new Error(`${where}: ${f} (${all.join(", ")}) varies across the cells independently of ${rowFactor} and ${colFactor}; filter the lab table first`);
  }
}

/**
 * Two-way ANOVA of one benchmark's scores over two design factors, with a plain verdict on the
 * interaction. Unequal seed counts are cut to the smallest (lowest seeds kept), and `note` says so.
 */
export function interactionTest(lab: ColumnTable, benchmark: string, rowFactor: keyof LabScoreRow, colFactor: keyof LabScoreRow): InteractionTest {
  const where = `interaction on ${benchmark}`;
  for (const f of [rowFactor, colFactor]) {
    if (!(DESIGN_FACTORS as readonly string[]).includes(f)) throw new Error(`${where}: "${f}" is not a design factor; expected one of ${DESIGN_FACTORS.join(", ")}`);
  }
  if (rowFactor === colFactor) throw new Error(`${where}: the two factors must differ (both are ${rowFactor})`);
  const rf = rowFactor as DesignFactor;
  const cf = colFactor as DesignFactor;
  const rows = labRowsOf(lab, where).filter((r) => r.benchmark === benchmark);
  if (rows.length === 0) throw new Error(`${where}: the lab table has no ${benchmark} scores`);
  const rowLevels = factorLevels(rows as unknown as Record<string, unknown>[], rf);
  const colLevels = factorLevels(rows as unknown as Record<string, unknown>[], cf);
  if (rowLevels.length < 2 || colLevels.length < 2) {
    throw new Error(`${where}: needs at least 2 levels of each factor, found ${rf} = ${rowLevels.join(", ")} and ${cf} = ${colLevels.join(", ")}`);
  }
  const runCells = rowLevels.map((rl) =>
    colLevels.map((cl) => {
      const cell = rows.filter((r) => r[rf] === rl && r[cf] === cl).sort((x, y) => x.seed - y.seed);
      if (cell.length === 0) throw new Error(`${where}: no runs for ${rf} = ${rl}, ${cf} = ${cl}`);
      return cell;
    }),
  );
  checkConfounding(runCells, rf, cf, where);
  const counts = runCells.flat().map((c) => c.length);
  const r = Math.min(...counts);
  const smallest = runCells.flat().find((c) => c.length === r)!;
  if (r < 2) throw new Error(`${where}: the cell ${rf} = ${smallest[0]![rf]}, ${cf} = ${smallest[0]![cf]} has 1 seed; the test needs at least 2 per cell`);
  let note: string | undefined;
  if (Math.max(...counts) > r) {
    const dropped = runCells.flat().flatMap((c) => c.slice(r)).map((x) => `${rf} = ${x[rf]}, ${cf} = ${x[cf]} seed ${x.seed}`);
    note = `unbalanced design: cells hold ${r} to ${Math.max(...counts)} seeds; each cell was cut to its ${r} lowest seeds (dropped: ${dropped.join("; ")})`;
  }
  const cells = runCells.map((row) => row.map((cell) => cell.slice(0, r).map((x) => x.score)));
  const anova = twoWayAnova(cells);
  const { f, df, p } = anova.interaction;
  const verdict =
    anova.residual.ms === 0
      ? `the ${rf} × ${cf} interaction on ${benchmark} cannot be tested: the seeds agree exactly within every cell, so there is no seed noise to compare it with.`
      : `the ${rf} × ${cf} interaction on ${benchmark} is ${p < 0.05 ? "" : "not "}larger than the seed noise: F(${df}, ${anova.residual.df}) = ${f.toFixed(2)}, ${formatP(p)}.`;
  return { ...anova, benchmark, rowFactor: rf, colFactor: cf, rowLevels, colLevels, cells, ...(note ? { note } : {}), verdict };
}
