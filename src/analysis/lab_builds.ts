/**
 * Backbone builds: how far a pairing moves when its zoo is built again with another seed
 * (`npx llava-more zoo --seed N`: the same recipes, another draw of the world's data and weights),
 * beside how far it moves with the run seed. effects.csv's seed SD holds the zoo fixed, yet a
 * contrast of two towers or two LLMs is also a contrast of two builds: the build SD is the noise
 * that z leaves out.
 */
import type { ColumnTable } from "arquero";
import { compareBenchmarks } from "./benchmarks.js";
import { pairingLabel, strongestEffects, type EffectRow } from "./lab_effects.js";
import { meanSd, type LabScoreRow } from "./lab_stats.js";
import { tableToCsv } from "./render.js";

/** The lab table of the runs on one zoo build. */
export interface BuildTable {
  zooSeed: number;
  table: ColumnTable;
}

/** One pairing on one benchmark over the zoo builds it was run on. */
export interface BuildVariationRow {
  /** Every design factor but the seed ("llama3.1-8b, clip, 1x, short captions"). */
  pairing: string;
  benchmark: string;
  /** The run seeds every compared build has a run of. */
  seeds: number[];
  /** The scores at those seeds, one list per build, builds by zoo seed. */
  scores: { zooSeed: number; values: number[] }[];
  /** SD across builds at one run seed, pooled over the shared seeds. */
  build_sd: number;
  n_builds: number;
  /** SD across run seeds within one build, pooled over the builds with two or more seeds. */
  seed_sd: number;
  n_seeds: number;
}

export const BUILD_COLUMNS = ["pairing", "benchmark", "zoo_seeds", "run_seeds", "scores", "build_sd", "n_builds", "seed_sd", "n_seeds", "ratio"] as const;

const pooledSd = (groups: readonly (readonly number[])[]): number => {
  const variances = groups.filter((g) => g.length >= 2).map((g) => meanSd(g).sd ** 2);
  return variances.length === 0 ? NaN : Math.sqrt(variances.reduce((a, v) => a + v, 0) / variances.length);
};

/** Every pairing × benchmark that two or more builds have a run of at one run seed. */
export function buildVariation(builds: readonly BuildTable[]): BuildVariationRow[] {
  // pairing → benchmark → zoo seed → run seed → score
  const cells = new Map<string, Map<string, Map<number, Map<number, number>>>>();
  for (const { zooSeed, table } of builds) {
    for (const row of table.objects() as unknown as LabScoreRow[]) {
      const byBenchmark = cells.get(pairingLabel(row)) ?? new Map<string, Map<number, Map<number, number>>>();
      cells.set(pairingLabel(row), byBenchmark);
      const byBuild = byBenchmark.get(row.benchmark) ?? new Map<number, Map<number, number>>();
      byBenchmark.set(row.benchmark, byBuild);
      const bySeed = byBuild.get(zooSeed) ?? new Map<number, number>();
      byBuild.set(zooSeed, bySeed);
      bySeed.set(row.seed, row.score);
    }
  }
  const out: BuildVariationRow[] = [];
  for (const [pairing, byBenchmark] of [...cells].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [benchmark, byBuild] of [...byBenchmark].sort(([a], [b]) => compareBenchmarks(a, b))) {
      const zooSeeds = [...byBuild.keys()].sort((a, b) => a - b);
      if (zooSeeds.length < 2) continue;
      const seeds = [...byBuild.get(zooSeeds[0]!)!.keys()].filter((s) => zooSeeds.every((z) => byBuild.get(z)!.has(s))).sort((a, b) => a - b);
      if (seeds.length === 0) continue;
      const withinBuilds = zooSeeds.map((z) => [...byBuild.get(z)!.values()]);
      out.push({
        pairing,
        benchmark,
        seeds,
        scores: zooSeeds.map((z) => ({ zooSeed: z, values: seeds.map((s) => byBuild.get(z)!.get(s)!) })),
        build_sd: pooledSd(seeds.map((s) => zooSeeds.map((z) => byBuild.get(z)!.get(s)!))),
        n_builds: zooSeeds.length,
        seed_sd: pooledSd(withinBuilds),
        n_seeds: Math.max(...withinBuilds.map((g) => g.length)),
      });
    }
  }
  return out;
}

const num = (x: number, digits = 1): string => (Number.isNaN(x) ? "n/a" : x.toFixed(digits));
const scoresText = (row: BuildVariationRow): string => row.scores.map((s) => `zoo ${s.zooSeed}: ${s.values.map((v) => v.toFixed(1)).join(" / ")}`).join("; ");

export function buildVariationCsv(rows: readonly BuildVariationRow[]): string {
  return tableToCsv({
    name: "builds",
    title: "spread across zoo builds and across run seeds",
    columns: [...BUILD_COLUMNS],
    rows: rows.map((r) => [r.pairing, r.benchmark, r.scores.map((s) => s.zooSeed).join(" "), r.seeds.join(" "), scoresText(r), r.build_sd, r.n_builds, r.seed_sd, r.n_seeds, r.build_sd / r.seed_sd]),
  });
}

/**
 * Markdown: the spread across builds beside the spread across seeds, per pairing and benchmark; then
 * each variable's strongest effect (effects.csv) in units of one run's whole noise,
 * √(seed SD² + build SD²), with the build SD of that benchmark pooled over the pairings measured.
 */
export function buildVariationMarkdown(rows: readonly BuildVariationRow[], effects: readonly EffectRow[]): string {
  const table = [
    "| pairing | benchmark | scores by zoo build (run seeds " + [...new Set(rows.flatMap((r) => r.seeds))].join(", ") + ") | build SD | builds | seed SD | seeds | build SD / seed SD |",
    "|---|---|---|---:|---:|---:|---:|---:|",
    ...rows.map((r) => `| ${r.pairing} | ${r.benchmark} | ${scoresText(r)} | ${num(r.build_sd)} | ${r.n_builds} | ${num(r.seed_sd)} | ${r.n_seeds} | ${num(r.build_sd / r.seed_sd, 2)} |`),
  ];
  const buildSdOf = (benchmark: string): number => {
    const sds = rows.filter((r) => r.benchmark === benchmark && !Number.isNaN(r.build_sd)).map((r) => r.build_sd);
    return sds.length === 0 ? NaN : Math.sqrt(sds.reduce((a, sd) => a + sd * sd, 0) / sds.length);
  };
  const strongest = strongestEffects(effects).flatMap(({ variable, strongest: s }) => (s ? [{ variable, s }] : []));
  const whole = [
    "| variable | where it matters most | effect | seed SD | build SD | z (seed SD) | z with the builds' noise |",
    "|---|---|---:|---:|---:|---:|---:|",
    ...strongest.map(({ variable, s }) => {
      const build = buildSdOf(s.benchmark);
      const zWhole = s.effect / Math.sqrt(s.seed_sd ** 2 + build ** 2);
      return `| ${variable.label} | ${s.benchmark}: ${s.level_b} vs ${s.level_a} | ${num(s.effect)} | ${num(s.seed_sd)} | ${num(build)} | ${num(s.z, 2)} | ${num(zWhole, 2)} |`;
    }),
  ];
  return [...table, "", ...(strongest.length > 0 ? whole : [])].join("\n");
}
