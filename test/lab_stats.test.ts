import { test } from "node:test";
import assert from "node:assert/strict";
import { loadPublishedScores } from "../src/analysis/published.js";
import { PAPER_COMPARISONS } from "../src/analysis/comparisons.js";
import {
  LAB_COMPARISONS,
  bootstrapInteraction,
  describeLabComparison,
  fCdf,
  fSurvival,
  interactionTest,
  labComparisonById,
  labComparisonSummary,
  labTable,
  labVsPublished,
  labVsPublishedRows,
  seedSummary,
  tCdf,
  tQuantile,
  twoWayAnova,
  welchInterval,
  type LabScoreRow,
} from "../src/analysis/lab_stats.js";
import { interactionHeatmap, labScoresFigure, labVsPublishedFigure } from "../src/analysis/lab_figures.js";
import { mean } from "../src/util/stats.js";

const published = loadPublishedScores();

const close = (actual: number, expected: number, tol = 1e-6, what = ""): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected}, got ${actual}`);

/** t(0.975) from the tables: df 2 and df 1.12451… (scipy.stats.t.ppf(0.975, 18.0625 / 16.0625)). */
const T2 = 4.302653;
const T_POPE = 9.819481;

const LLMS: Record<string, Pick<LabScoreRow, "family" | "size" | "llm_params">> = {
  "gemma2-2b": { family: "gemma2", size: "2b", llm_params: 2.6e7 },
  "gemma2-9b": { family: "gemma2", size: "9b", llm_params: 9.2e7 },
  "llama3.1-8b": { family: "llama3.1", size: "8b", llm_params: 8.0e7 },
};
const RESOLUTIONS: Record<string, Pick<LabScoreRow, "image_size" | "s2">> = {
  "1x": { image_size: 224, s2: false },
  "1x+S2": { image_size: 224, s2: true },
  "1.5x": { image_size: 336, s2: false },
};

function labRow(llm: string, tower: string, resolution: string, seed: number, benchmark: string, score: number, captions = "short"): LabScoreRow {
  return {
    run: `${llm}__${tower}-${resolution}__${captions}__s${seed}`,
    llm,
    ...LLMS[llm]!,
    tower,
    resolution,
    ...RESOLUTIONS[resolution]!,
    captions,
    seed,
    benchmark,
    score,
  };
}

// ───────────────────────────── distributions ─────────────────────────────

test("tQuantile matches the t table to 1e-6", () => {
  const table: [number, number][] = [[1, 12.706205], [2, 4.302653], [4, 2.776445], [9, 2.262157], [30, 2.042272], [1e6, 1.959966], [Infinity, 1.959964]];
  for (const [df, t] of table) close(tQuantile(0.975, df), t, 1e-6, `df ${df}:`);
  close(tQuantile(0.95, 5), 2.015048);
  close(tQuantile(0.995, 3), 5.840909);
  close(tQuantile(0.025, 9), -2.262157);
  assert.equal(tQuantile(0.5, 7), 0);
  close(tCdf(tQuantile(0.9, 3.5), 3.5), 0.9, 1e-12);
  // Cauchy (df 1) has a closed form: P(T ≤ t) = 1/2 + atan(t)/π.
  close(tCdf(2, 1), 0.5 + Math.atan(2) / Math.PI, 1e-12);
  assert.throws(() => tQuantile(1.2, 3), /p must lie in \[0, 1\]/);
  assert.throws(() => tQuantile(0.9, 0), /degrees of freedom must be positive/);
});

test("fSurvival gives the 5% points of the F table, and closed forms", () => {
  close(fSurvival(4.964603, 1, 10), 0.05);
  close(fSurvival(5.143253, 2, 6), 0.05);
  close(fSurvival(3.259167, 4, 12), 0.05);
  // With d1 = 2 the tail is (1 + 2x/d2)^(−d2/2): F(2, 6) at 18 → 7^−3 = 1/343, at 2 → (5/3)^−3 = 27/125.
  close(fSurvival(18, 2, 6), 1 / 343, 1e-12);
  close(fSurvival(2, 2, 6), 27 / 125, 1e-12);
  // F(1, d) is t²: P(F > 2.262157²) = P(|T₉| > 2.262157) = 0.05.
  close(fSurvival(2.262157 ** 2, 1, 9), 0.05);
  close(fCdf(3.7, 3, 8) + fSurvival(3.7, 3, 8), 1, 1e-12);
  assert.equal(fSurvival(0, 2, 6), 1);
  assert.equal(fSurvival(Infinity, 2, 6), 0);
});

// ───────────────────────────── lab table and seed summary ─────────────────────────────

test("labTable names the row and field of a bad value", () => {
  const good = labRow("llama3.1-8b", "clip", "1x", 0, "GQA", 50);
  assert.equal(labTable([good]).numRows(), 1);
  assert.deepEqual(labTable([]).columnNames().length, 13);
  const { score: _score, ...noScore } = good;
  assert.throws(() => labTable([good, noScore as LabScoreRow]), /^Error: lab row 1: missing field "score"$/);
  assert.throws(() => labTable([{ ...good, seed: "0" as unknown as number }]), /lab row 0: field "seed": expected a finite number, found "0"/);
  assert.throws(() => labTable([{ ...good, s2: 0 as unknown as boolean }]), /lab row 0: field "s2": expected a boolean, found 0/);
  assert.throws(() => labTable([{ ...good, score: NaN }]), /lab row 0: field "score": expected a finite number/);
  assert.throws(() => labTable([{ ...good, benchmark: "AI3D" }]), /lab row 0: field "benchmark": unknown benchmark "AI3D"; expected one of GQA, ScienceQA/);
  assert.throws(() => labTable([good, good]), /lab row 1: field "benchmark": run "llama3.1-8b__clip-1x__short__s0" already has a GQA score \(row 0\)/);
});

test("seedSummary: mean, sample sd and t interval per pairing × benchmark", () => {
  const lab = labTable([
    labRow("llama3.1-8b", "clip", "1x", 2, "GQA", 68),
    labRow("llama3.1-8b", "clip", "1x", 0, "GQA", 60),
    labRow("llama3.1-8b", "clip", "1x", 1, "GQA", 64),
    labRow("llama3.1-8b", "clip", "1x", 0, "MME-P", 1400),
    labRow("llama3.1-8b", "clip", "1x", 1, "MME-P", 1410),
    labRow("gemma2-2b", "clip", "1x", 0, "GQA", 55),
  ]);
  const rows = seedSummary(lab).objects() as Record<string, unknown>[];
  assert.deepEqual(rows.map((r) => [r["llm"], r["benchmark"], r["n"]]), [["llama3.1-8b", "GQA", 3], ["llama3.1-8b", "MME-P", 2], ["gemma2-2b", "GQA", 1]]);
  // 60, 64, 68: mean 64, sd √((16 + 0 + 16) / 2) = 4, half width t(0.975, 2) · 4 / √3.
  const gqa = rows[0]!;
  assert.equal(gqa["mean"], 64);
  assert.equal(gqa["sd"], 4);
  close(gqa["half_width"] as number, (T2 * 4) / Math.sqrt(3), 1e-5);
  close(gqa["half_width"] as number, 9.936551, 1e-5);
  close(gqa["ci_low"] as number, 64 - 9.936551, 1e-5);
  close(gqa["ci_high"] as number, 64 + 9.936551, 1e-5);
  assert.deepEqual(gqa["seeds"], [0, 1, 2]);
  assert.equal(gqa["tower"], "clip");
  assert.equal(gqa["image_size"], 224);
  // 1400, 1410: sd √50, half width t(0.975, 1) · √50 / √2 = 12.706205 · 5.
  close(rows[1]!["half_width"] as number, 12.706205 * 5, 1e-5);
  assert.ok(Number.isNaN(rows[2]!["sd"]) && Number.isNaN(rows[2]!["half_width"]) && Number.isNaN(rows[2]!["ci_low"]));
  // Lumping two LLMs that share seed 0 is refused, not silently counted as replicates.
  assert.throws(() => seedSummary(lab, ["tower"]), /seed 0 appears twice/);
  assert.throws(() => seedSummary(lab, ["nope"]), /no column "nope"/);
});

// ───────────────────────────── lab vs paper ─────────────────────────────

test("LAB_COMPARISONS: one lab pairing per paper comparison", () => {
  assert.deepEqual(LAB_COMPARISONS.map((c) => c.comparison), PAPER_COMPARISONS.map((c) => c.id));
  assert.deepEqual(labComparisonById("s2_vs_single_siglip"), {
    comparison: "s2_vs_single_siglip",
    a: { llm: "llama3.1-8b", tower: "siglip", resolution: "1x+S2", captions: "short" },
    b: { llm: "llama3.1-8b", tower: "siglip", resolution: "1x", captions: "short" },
  });
  assert.deepEqual(labComparisonById("phi4mini_vs_llava15").b.llm, "vicuna-7b");
  assert.throws(() => labComparisonById("nope"), /unknown comparison "nope"/);
});

const A = (seed: number, b: string, s: number) => labRow("llama3.1-8b", "siglip", "1x", seed, b, s);
const B = (seed: number, b: string, s: number) => labRow("llama3.1-8b", "clip", "1x", seed, b, s);
/** SigLIP (a) vs CLIP (b) on LLaMA-3.1-8B, 2 seeds a side except AI2D (1 seed on a). */
const SIGLIP_VS_CLIP: LabScoreRow[] = [
  A(0, "GQA", 60), A(1, "GQA", 62), B(0, "GQA", 50), B(1, "GQA", 52),
  A(0, "TextVQA", 41), A(1, "TextVQA", 43), B(0, "TextVQA", 40), B(1, "TextVQA", 42),
  A(0, "AI2D", 65), B(0, "AI2D", 60), B(1, "AI2D", 62),
  A(0, "POPE", 80), A(1, "POPE", 84), B(0, "POPE", 70), B(1, "POPE", 71),
  A(0, "MME-P", 1200), A(1, "MME-P", 1210), B(0, "MME-P", 1190), B(1, "MME-P", 1200),
  A(0, "MME-C", 300), A(1, "MME-C", 302), B(0, "MME-C", 310), B(1, "MME-C", 312),
  // Only side a has MMMU: left out.
  A(0, "MMMU", 30), A(1, "MMMU", 31),
  // Other pairings that must not leak in.
  labRow("llama3.1-8b", "clip", "1x+S2", 0, "GQA", 99), labRow("llama3.1-8b", "siglip", "1x", 0, "GQA", 0, "dense"),
];

test("labVsPublished: siglip_vs_clip on a synthetic lab table, every number by hand", () => {
  const comparison = labComparisonById("siglip_vs_clip");
  const rows = labVsPublishedRows(labVsPublished(labTable(SIGLIP_VS_CLIP), published, comparison)!);
  assert.deepEqual(rows.map((r) => r.benchmark), ["GQA", "TextVQA", "AI2D", "POPE", "MME-P", "MME-C"]);
  const at = (b: string) => rows.find((r) => r.benchmark === b)!;

  // Paper (README): SigLIP − CLIP = 64.6 − 63.6, 62.1 − 58.4, 63.6 − 61.8, 86.1 − 85.1, 1531.0 − 1531.5, 315.4 − 353.3.
  assert.deepEqual(rows.map((r) => r.published_delta), [1, 3.7, 1.8, 1, -0.5, -37.9]);
  assert.deepEqual(rows.map((r) => r.published_normalised), [1, 3.7, 1.8, 1, -0.025, -4.7375]);

  // GQA: means 61 and 51; variances 2 and 2, so se = √(2/2 + 2/2) = √2 and Welch df = 2² / (1²/1 + 1²/1) = 2.
  const gqa = at("GQA");
  assert.deepEqual([gqa.lab_a_mean, gqa.lab_b_mean, gqa.n_a, gqa.n_b, gqa.lab_delta, gqa.lab_normalised], [61, 51, 2, 2, 10, 10]);
  close(gqa.lab_ci_low, 10 - T2 * Math.SQRT2, 1e-5);
  close(gqa.lab_ci_high, 10 + T2 * Math.SQRT2, 1e-5);
  assert.deepEqual([gqa.same_sign, gqa.beyond_noise], [true, true]);

  // TextVQA: 42 − 41 = +1 ± 6.08: the paper's sign, inside the noise.
  const text = at("TextVQA");
  assert.equal(text.lab_delta, 1);
  close(text.lab_ci_low, 1 - T2 * Math.SQRT2, 1e-5);
  assert.deepEqual([text.same_sign, text.beyond_noise], [true, false]);

  // AI2D: one seed on side a, so no interval; 65 − 61 = +4.
  const ai2d = at("AI2D");
  assert.deepEqual([ai2d.n_a, ai2d.n_b, ai2d.lab_delta, ai2d.same_sign, ai2d.beyond_noise], [1, 2, 4, true, false]);
  assert.ok(Number.isNaN(ai2d.lab_ci_low) && Number.isNaN(ai2d.lab_ci_high));

  // POPE: 82 − 70.5 = 11.5; variances 8 and 0.5 → se² = 4 + 0.25 = 4.25, df = 4.25² / (4² + 0.25²) = 18.0625 / 16.0625.
  const pope = at("POPE");
  assert.equal(pope.lab_delta, 11.5);
  close(pope.lab_ci_high, 11.5 + T_POPE * Math.sqrt(4.25), 1e-5);
  close(pope.lab_ci_low, 11.5 - 20.243379, 1e-5);
  assert.deepEqual([pope.same_sign, pope.beyond_noise], [true, false]);

  // MME-P: 1205 − 1195 = +10 against the paper's −0.5; 10 / 2000 = 0.5 pp; se = √(25 + 25).
  const mmep = at("MME-P");
  assert.deepEqual([mmep.lab_delta, mmep.lab_normalised, mmep.same_sign, mmep.beyond_noise], [10, 0.5, false, false]);
  close(mmep.lab_ci_high, 10 + T2 * Math.sqrt(50), 1e-4);

  // MME-C: 301 − 311 = −10 (paper −37.9); −10 / 800 = −1.25 pp; CI −10 ± 6.08 excludes 0.
  const mmec = at("MME-C");
  assert.deepEqual([mmec.lab_delta, mmec.lab_normalised, mmec.same_sign, mmec.beyond_noise], [-10, -1.25, true, true]);
  close(mmec.lab_ci_high, -10 + T2 * Math.SQRT2, 1e-5);

  assert.deepEqual(labComparisonSummary(rows), { benchmarks: 6, sameSign: 5, beyondNoise: 2, sameSignBeyondNoise: 2 });
  assert.equal(
    describeLabComparison(comparison, rows),
    "SigLIP vs CLIP (LLaMA-3.1-8B): the paper's sign is reproduced on 5 of 6 benchmarks, 2 of them beyond the seed noise " +
      "(GQA +10.0, 95% CI +3.9…+16.1; MME-C −10.0, 95% CI −16.1…−3.9).",
  );
});

test("labVsPublished: undefined without both sides; sentences for no signal and the other way", () => {
  const onlyA = labTable(SIGLIP_VS_CLIP.filter((r) => r.tower === "siglip"));
  assert.equal(labVsPublished(onlyA, published, labComparisonById("siglip_vs_clip")), undefined);
  assert.equal(labVsPublished(labTable(SIGLIP_VS_CLIP), published, labComparisonById("siglip2_vs_clip")), undefined);

  const comparison = labComparisonById("siglip_vs_clip");
  const textOnly = labVsPublishedRows(labVsPublished(labTable(SIGLIP_VS_CLIP.filter((r) => r.benchmark === "TextVQA")), published, comparison)!);
  assert.equal(
    describeLabComparison(comparison, textOnly),
    "SigLIP vs CLIP (LLaMA-3.1-8B): the paper's sign is reproduced on 1 of 1 benchmark, none of them beyond the seed noise.",
  );
  const single = labVsPublishedRows(labVsPublished(labTable(SIGLIP_VS_CLIP.filter((r) => r.benchmark === "AI2D")), published, comparison)!);
  assert.match(describeLabComparison(comparison, single), /reproduced on 1 of 1 benchmark, but with a single seed on a side there is no estimate of the seed noise\.$/);

  // MME-P 1301 − 1191 = +110 against the paper's −0.5, well beyond the noise: said plainly.
  const against = labVsPublishedRows(
    labVsPublished(labTable([A(0, "MME-P", 1300), A(1, "MME-P", 1302), B(0, "MME-P", 1190), B(1, "MME-P", 1192)]), published, comparison)!,
  );
  assert.equal(
    describeLabComparison(comparison, against),
    "SigLIP vs CLIP (LLaMA-3.1-8B): the paper's sign is reproduced on 0 of 1 benchmark, none of them beyond the seed noise; " +
      "1 goes the other way beyond the noise (MME-P +110.0, 95% CI +103.9…+116.1).",
  );
});

test("welchInterval: equal spreads give df 2 for two seeds a side; no spread gives the point", () => {
  const w = welchInterval([1, 3], [0, 2]);
  assert.equal(w.delta, 1);
  close(w.df, 2, 1e-12);
  close(w.high - w.low, 2 * T2 * Math.SQRT2, 1e-5);
  // t = 1 / √2 with 2 df, whose two-sided tail is 1 − t / √(2 + t²) = 1 − 1 / √5.
  close(w.p, 1 - 1 / Math.sqrt(5), 1e-9);
  close(welchInterval([0, 2], [1, 3]).p, w.p, 1e-15);
  assert.deepEqual(welchInterval([5, 5], [4, 4]), { delta: 1, low: 1, high: 1, df: NaN, p: 0 });
  assert.equal(welchInterval([5, 5], [5, 5]).p, 1);
  assert.ok(Number.isNaN(welchInterval([5], [4, 4]).p));
});

// ───────────────────────────── interaction ─────────────────────────────

/**
 * A 2 × 3 design with 2 replicates (rows: size 2b, 9b; columns: resolution 1x, 1x+S2, 1.5x):
 *   2b:  4, 6 |  6,  8 |  8, 10   cell means 5,  7,  9   row mean 7
 *   9b:  5, 7 |  9, 11 | 13, 15   cell means 6, 10, 14   row mean 10
 * Grand mean 8.5; column means 5.5, 8.5, 11.5.
 *   SS_A  = 3·2·(1.5² + 1.5²) = 27                       df 1, MS 27
 *   SS_B  = 2·2·(3² + 0² + 3²) = 72                      df 2, MS 36
 *   SS_AB = 2·Σ(cell − row − col + grand)²
 *         = 2·(1² + 0² + 1² + 1² + 0² + 1²) = 8         df 2, MS 4
 *   SS_E  = 6 cells · (1² + 1²) = 12                     df 6, MS 2
 *   SS_T  = Σ(y − 8.5)² = 119 = 27 + 72 + 8 + 12
 * F_A = 13.5, F_B = 18, F_AB = 2. p(F(2,6) > 18) = 7^−3 = 1/343, p(F(2,6) > 2) = (5/3)^−3 = 0.216,
 * p(F(1,6) > 13.5) = P(|T₆| > √13.5): with tan θ = √(13.5/6) = 1.5, sin²θ = 9/13, cos²θ = 4/13,
 * p = 1 − sin θ (1 + cos²θ/2 + 3cos⁴θ/8) = 1 − (3/√13)(201/169) = 0.0104017…
 */
const TEXTBOOK = [
  [[4, 6], [6, 8], [8, 10]],
  [[5, 7], [9, 11], [13, 15]],
];

test("twoWayAnova reproduces the hand-computed textbook example", () => {
  const r = twoWayAnova(TEXTBOOK);
  assert.deepEqual([r.a.ss, r.b.ss, r.interaction.ss, r.residual.ss, r.total.ss], [27, 72, 8, 12, 119]);
  assert.deepEqual([r.a.df, r.b.df, r.interaction.df, r.residual.df, r.total.df], [1, 2, 2, 6, 11]);
  assert.deepEqual([r.a.ms, r.b.ms, r.interaction.ms, r.residual.ms], [27, 36, 4, 2]);
  assert.deepEqual([r.a.f, r.b.f, r.interaction.f], [13.5, 18, 2]);
  close(r.a.p, 1 - (3 / Math.sqrt(13)) * (201 / 169), 1e-12);
  close(r.b.p, 1 / 343, 1e-12);
  close(r.interaction.p, 0.216, 1e-12);
  assert.equal(r.grandMean, 8.5);
  assert.deepEqual(r.cellMeans, [[5, 7, 9], [6, 10, 14]]);
  assert.equal(r.replicates, 2);
  assert.throws(() => twoWayAnova([[[1, 2], [3]], [[1, 2], [3, 4]]]), /unbalanced design, cell \[0\]\[1\] has 1 replicates/);
  assert.throws(() => twoWayAnova([[[1], [3]], [[1], [3]]]), /at least 2 replicates/);
  assert.throws(() => twoWayAnova([[[1, 2], [3, 4]]]), /at least 2 levels of each factor, got 1 × 2/);
});

/** A crossed 2 × 2 (cell means 11, 21 / 21, 11): no main effects, interaction contrast 11 − 21 − 21 + 11 = −20. */
const CROSSED = [
  [[10, 12], [20, 22]],
  [[20, 22], [10, 12]],
];

test("bootstrapInteraction: the contrast, an interval derived by hand, and determinism", () => {
  // Each resampled cell mean is its mean −1, 0 or +1 with probability ¼, ½, ¼, so the contrast is
  // −20 + (Binomial(8, ½) − 4). P(≤ −24) = 1/256 < 2.5% < P(≤ −23) = 9/256, and symmetrically above:
  // the percentile interval is −23…−17.
  const b = bootstrapInteraction(CROSSED, { samples: 20000, seed: 7 });
  assert.deepEqual(b, { contrast: -20, ciLow: -23, ciHigh: -17, samples: 20000, seed: 7 });

  const noisy = [
    [[3.1, 4.7, 2.2, 5.0], [6.3, 7.9, 5.5]],
    [[4.4, 2.8, 3.9], [9.1, 12.6, 10.2, 11.0]],
  ];
  const x = bootstrapInteraction(noisy, { seed: 1 });
  assert.deepEqual(bootstrapInteraction(noisy, { seed: 1 }), x);
  assert.notDeepEqual(bootstrapInteraction(noisy, { seed: 2 }), x);
  assert.equal(x.samples, 2000);
  close(x.contrast, 3.75 - 6.5666666666666667 - 3.7 + 10.725, 1e-12);
  assert.ok(x.ciLow < x.contrast && x.contrast < x.ciHigh);
  // No spread within cells: every resample is the contrast itself.
  assert.deepEqual(bootstrapInteraction([[[1, 1], [2, 2]], [[3, 3], [7, 7]]]), { contrast: 3, ciLow: 3, ciHigh: 3, samples: 2000, seed: 0 });
  assert.throws(() => bootstrapInteraction(TEXTBOOK), /needs a 2 × 2 design/);
});

/** The textbook design as lab runs (gemma2 2b/9b × CLIP at 1.5x, 1x+S2, 1x), listed out of order. */
function textbookLab(extra: LabScoreRow[] = []): LabScoreRow[] {
  const resolutions = ["1x", "1x+S2", "1.5x"];
  const rows: LabScoreRow[] = [];
  for (const j of [2, 0, 1]) {
    for (const [i, llm] of [[1, "gemma2-9b"], [0, "gemma2-2b"]] as const) {
      TEXTBOOK[i]![j]!.forEach((score, seed) => rows.push(labRow(llm, "clip", resolutions[j]!, seed, "GQA", score)));
      rows.push(labRow(llm, "clip", resolutions[j]!, 0, "TextVQA", 50));
    }
  }
  return [...rows, ...extra];
}

test("interactionTest: size × resolution on GQA is the textbook ANOVA, levels in order", () => {
  const t = interactionTest(labTable(textbookLab()), "GQA", "size", "resolution");
  assert.deepEqual(t.rowLevels, ["2b", "9b"]);
  assert.deepEqual(t.colLevels, ["1x", "1x+S2", "1.5x"]);
  assert.deepEqual(t.cells, TEXTBOOK);
  assert.deepEqual([t.interaction.ss, t.interaction.df, t.interaction.f, t.residual.df], [8, 2, 2, 6]);
  assert.equal(t.note, undefined);
  assert.equal(t.verdict, "the size × resolution interaction on GQA is not larger than the seed noise: F(2, 6) = 2.00, p = 0.216.");

  const crossed: LabScoreRow[] = [];
  CROSSED.forEach((row, i) => row.forEach((cell, j) => cell.forEach((score, seed) => crossed.push(labRow(["gemma2-2b", "gemma2-9b"][i]!, "clip", ["1x", "1.5x"][j]!, seed, "GQA", score)))));
  // SS_AB = 2·4·5² = 200 (df 1), SS_E = 4·2 = 8 (df 4): F = 100, p = P(|T₄| > 10) = 1 − (5/√26)(53/52) = 0.00056.
  const c = interactionTest(labTable(crossed), "GQA", "size", "resolution");
  close(c.interaction.p, 1 - (5 / Math.sqrt(26)) * (53 / 52), 1e-12);
  assert.equal(c.verdict, "the size × resolution interaction on GQA is larger than the seed noise: F(1, 4) = 100.00, p < 0.001.");
});

test("interactionTest: unbalanced cells are cut and noted; missing cells, one seed and confounding are errors", () => {
  const extra = labRow("gemma2-9b", "clip", "1x+S2", 5, "GQA", 40);
  const t = interactionTest(labTable(textbookLab([extra])), "GQA", "size", "resolution");
  assert.deepEqual(t.cells, TEXTBOOK);
  assert.equal(t.note, "unbalanced design: cells hold 2 to 3 seeds; each cell was cut to its 2 lowest seeds (dropped: size = 9b, resolution = 1x+S2 seed 5)");

  const lab = labTable(textbookLab());
  const missing = labTable(textbookLab().filter((r) => !(r.size === "9b" && r.resolution === "1.5x")));
  assert.throws(() => interactionTest(missing, "GQA", "size", "resolution"), /^Error: interaction on GQA: no runs for size = 9b, resolution = 1.5x$/);
  assert.throws(() => interactionTest(lab, "TextVQA", "size", "resolution"), /the cell size = 2b, resolution = 1x has 1 seed/);
  assert.throws(() => interactionTest(lab, "MMMU", "size", "resolution"), /no MMMU scores/);
  assert.throws(() => interactionTest(lab, "GQA", "seed", "resolution"), /"seed" is not a design factor/);
  assert.throws(() => interactionTest(lab.select("run", "benchmark", "score"), "GQA", "size", "resolution"), /not a lab table \(missing columns llm, family/);
  const mixed = labTable(textbookLab([labRow("gemma2-2b", "siglip", "1x", 0, "GQA", 1)]));
  assert.throws(() => interactionTest(mixed, "GQA", "size", "resolution"), /cell size = 2b, resolution = 1x mixes tower = clip, siglip/);
  // Each cell has one tower, but the tower follows neither the size nor the resolution: confounded.
  const swapped = labTable(textbookLab().map((r) => (r.size === "9b" && r.resolution === "1.5x" ? { ...r, tower: "siglip", run: r.run.replace("clip", "siglip") } : r)));
  assert.throws(() => interactionTest(swapped, "GQA", "size", "resolution"), /tower \(clip, siglip\) varies across the cells independently of size and resolution/);
});

// ───────────────────────────── figures ─────────────────────────────

test("interactionHeatmap: mean and 'mean ± half width' per cell, factor names on the axes", () => {
  const summary = seedSummary(labTable(textbookLab()));
  const fig = interactionHeatmap(summary, "GQA", "size", "resolution");
  assert.equal(fig.name, "interaction_GQA_size_resolution");
  assert.equal(fig.data.length, 1);
  const trace = fig.data[0]!;
  assert.equal(trace.type, "heatmap");
  assert.deepEqual(trace["x"], ["1x", "1x+S2", "1.5x"]);
  assert.deepEqual(trace["y"], ["2b", "9b"]);
  assert.deepEqual(trace["z"], [[5, 7, 9], [6, 10, 14]]);
  // Two seeds 2 apart: sd √2, half width 12.706205 · √2 / √2.
  assert.deepEqual(trace["text"], [["5.0 ± 12.7", "7.0 ± 12.7", "9.0 ± 12.7"], ["6.0 ± 12.7", "10.0 ± 12.7", "14.0 ± 12.7"]]);
  const layout = fig.layout as { xaxis: { title: { text: string } }; yaxis: { title: { text: string } } };
  assert.equal(layout.xaxis.title.text, "resolution");
  assert.equal(layout.yaxis.title.text, "LLM size");
  assert.equal(interactionHeatmap(summary, "TextVQA", "size", "resolution", "custom").name, "custom");
  assert.deepEqual(interactionHeatmap(summary, "TextVQA", "size", "resolution").data[0]!["text"], [
    ["50.0 (1 seed)", "50.0 (1 seed)", "50.0 (1 seed)"],
    ["50.0 (1 seed)", "50.0 (1 seed)", "50.0 (1 seed)"],
  ]);
});

test("labVsPublishedFigure: the paper's and the lab's normalised deltas in two panels, lab CI as error bars", () => {
  const comparison = labComparisonById("siglip_vs_clip");
  const rows = labVsPublishedRows(labVsPublished(labTable(SIGLIP_VS_CLIP), published, comparison)!);
  const fig = labVsPublishedFigure(rows, comparison);
  assert.equal(fig.name, "lab_vs_published_siglip_vs_clip");
  const [paper, lab] = [fig.data[0]!, fig.data[1]!];
  assert.equal(paper["name"], "paper: SigLIP − CLIP");
  assert.equal(lab["name"], "lab: llama3.1-8b + siglip @ 1x, short captions − llama3.1-8b + clip @ 1x, short captions");
  const benchmarks = ["GQA", "TextVQA", "AI2D", "POPE", "MME-P", "MME-C"];
  assert.deepEqual(paper["x"], benchmarks);
  assert.deepEqual(lab["x"], benchmarks);
  assert.deepEqual(paper["y"], [1, 3.7, 1.8, 1, -0.025, -4.7375]);
  // Labels in the bars' units (points of max); benchmark units in the hover.
  assert.deepEqual(paper["text"], ["+1.0", "+3.7", "+1.8", "+1.0", "±0.0", "−4.7"]);
  assert.match((paper["customdata"] as string[])[5]!, /^−37\.9 in benchmark units$/);
  assert.notEqual(paper["yaxis"], lab["yaxis"]);
  assert.deepEqual(lab["y"], [10, 1, 4, 11.5, 0.5, -1.25]);
  assert.equal(lab["textposition"], "none");
  assert.match((lab["customdata"] as string[])[4]!, /^\+10\.0, 95% CI .* in benchmark units$/);
  const err = lab["error_y"] as { array: (number | null)[]; arrayminus: (number | null)[] };
  const expected = [T2 * Math.SQRT2, T2 * Math.SQRT2, null, T_POPE * Math.sqrt(4.25), (T2 * Math.sqrt(50)) / 20, (T2 * Math.SQRT2) / 8];
  expected.forEach((e, i) => {
    if (e === null) assert.ok(err.array[i] === null && err.arrayminus[i] === null);
    else {
      close(err.array[i]!, e, 1e-5, `error bar ${i}:`);
      close(err.arrayminus[i]!, e, 1e-5, `error bar ${i}:`);
    }
  });
});

test("labScoresFigure: one bar trace per pairing, means in % of max with half widths", () => {
  const summary = seedSummary(labTable(SIGLIP_VS_CLIP));
  const pairings = [
    { label: "CLIP", llm: "llama3.1-8b", tower: "clip", resolution: "1x", captions: "short" },
    { label: "SigLIP", llm: "llama3.1-8b", tower: "siglip", resolution: "1x", captions: "short" },
  ];
  const fig = labScoresFigure(summary, { pairings });
  assert.deepEqual(fig.data.map((t) => t.name), ["CLIP", "SigLIP"]);
  const [clip, siglip] = [fig.data[0]!, fig.data[1]!];
  const ticks = (fig.layout["xaxis"] as { ticktext: string[] }).ticktext;
  assert.deepEqual(ticks, ["GQA", "TextVQA", "AI2D", "POPE", "MME-P", "MME-C", "MMMU"]);
  assert.deepEqual((clip["x"] as number[]).map((i) => ticks[i]), ["GQA", "TextVQA", "AI2D", "POPE", "MME-P", "MME-C"]);
  assert.deepEqual(clip["y"], [51, 41, 61, 70.5, 59.75, 38.875]);
  assert.deepEqual((siglip["x"] as number[]).map((i) => ticks[i]), ["GQA", "TextVQA", "AI2D", "POPE", "MME-P", "MME-C", "MMMU"]);
  assert.deepEqual(siglip["y"], [61, 42, 65, 82, 60.25, 37.625, 30.5]);
  // Two seeds: half width t(0.975, 1) · |x₁ − x₂| / 2 (12.706205 for GQA's 60, 62; ÷ 20 for MME-P's 1200, 1210 → 3.18 pp).
  const err = (siglip["error_y"] as { array: (number | null)[] }).array;
  close(err[0]!, 12.706205, 1e-5);
  assert.equal(err[2], null);
  close(err[4]!, (12.706205 * 5) / 20, 1e-5);
  assert.deepEqual((siglip["customdata"] as string[]).slice(0, 3), ["61.0 ± 12.7 in benchmark units", "42.0 ± 12.7 in benchmark units", "65.0 (1 seed) in benchmark units"]);
  // Without pairings: every pairing in the summary, labelled in full.
  assert.deepEqual(labScoresFigure(summary).data.map((t) => t.name), [
    "llama3.1-8b + siglip @ 1x, short captions",
    "llama3.1-8b + clip @ 1x, short captions",
    "llama3.1-8b + clip @ 1x+S2, short captions",
    "llama3.1-8b + siglip @ 1x, dense captions",
  ]);
});

test("mean: the arithmetic mean, 0 for no values", () => {
  assert.equal(mean([1, 2, 6]), 3);
  assert.equal(mean([-1.5]), -1.5);
  assert.equal(mean([]), 0);
});
