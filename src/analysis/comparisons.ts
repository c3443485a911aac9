/**
 * The paper's pairwise comparisons (data/paper/PROTOCOL.md §7b) as data, and the per-benchmark deltas they imply.
 * Adding a comparison means adding one entry to PAPER_COMPARISONS.
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import { PUBLISHED_BENCHMARKS, type BenchmarkName } from "./benchmarks.js";

/** What the two models of a comparison differ in. */
export type ComparisonVariable = "llm" | "vision" | "resolution";

export interface ComparisonSide {
  model_id: string;
  label: string;
}

export interface Comparison {
  id: string;
  title: string;
  variable: ComparisonVariable;
  /** The model under test; deltas are a − b. */
  a: ComparisonSide;
  /** The reference model. */
  b: ComparisonSide;
  /** Number of the finding in data/paper/PROTOCOL.md §7b that rests on this comparison. */
  finding: number;
}

const LLAVA_15 = { model_id: "llava-1.5-7b", label: "LLaVA-1.5-7B" };
const LLAMA31_CLIP = { model_id: "llava-more-llama3.1-8b-clip", label: "LLaMA-3.1-8B" };
const LLAMA31_SIGLIP = { model_id: "llava-more-llama3.1-8b-siglip", label: "LLaMA-3.1-8B + SigLIP" };
const GEMMA2_CLIP = { model_id: "llava-more-gemma2-9b-clip", label: "Gemma-2-9B + CLIP" };

export const PAPER_COMPARISONS: readonly Comparison[] = [
  { id: "llama31_vs_llava15", title: "LLaMA-3.1-8B vs LLaVA-1.5-7B (CLIP)", variable: "llm", a: LLAMA31_CLIP, b: LLAVA_15, finding: 1 },
  { id: "phi4mini_vs_llava15", title: "Phi-4-mini-3.8B vs LLaVA-1.5-7B (CLIP)", variable: "llm", a: { model_id: "llava-more-phi4-mini-3.8b-clip", label: "Phi-4-mini-3.8B" }, b: LLAVA_15, finding: 2 },
  { id: "gemma2_vs_llama31", title: "Gemma-2-9B vs LLaMA-3.1-8B (CLIP)", variable: "llm", a: { model_id: "llava-more-gemma2-9b-clip", label: "Gemma-2-9B" }, b: LLAMA31_CLIP, finding: 3 },
  { id: "siglip_vs_clip", title: "SigLIP vs CLIP (LLaMA-3.1-8B)", variable: "vision", a: { model_id: "llava-more-llama3.1-8b-siglip", label: "SigLIP" }, b: { ...LLAMA31_CLIP, label: "CLIP" }, finding: 4 },
  { id: "siglip2_vs_clip", title: "SigLIP2 vs CLIP (Gemma-2-9B)", variable: "vision", a: { model_id: "llava-more-gemma2-9b-siglip2", label: "SigLIP2" }, b: { ...GEMMA2_CLIP, label: "CLIP" }, finding: 5 },
  { id: "s2_vs_single_clip", title: "S2 vs single scale, CLIP (LLaMA-3.1-8B)", variable: "resolution", a: { model_id: "llava-more-llama3.1-8b-clip-s2", label: "CLIP + S2" }, b: { ...LLAMA31_CLIP, label: "CLIP" }, finding: 6 },
  { id: "s2_vs_single_siglip", title: "S2 vs single scale, SigLIP (LLaMA-3.1-8B)", variable: "resolution", a: { model_id: "llava-more-llama3.1-8b-siglip-s2", label: "SigLIP + S2" }, b: { ...LLAMA31_SIGLIP, label: "SigLIP" }, finding: 7 },
  { id: "r1distill_vs_llama31", title: "R1-Distill-LLaMA-8B vs LLaMA-3.1-8B (CLIP)", variable: "llm", a: { model_id: "llava-more-r1-distill-llama-8b-clip", label: "R1-Distill-8B" }, b: LLAMA31_CLIP, finding: 8 },
  { id: "llama31_vs_llama3", title: "LLaMA-3.1-8B vs LLaMA-3-8B (CLIP)", variable: "llm", a: LLAMA31_CLIP, b: { model_id: "llava-1.5-llama3-8b", label: "LLaMA-3-8B" }, finding: 9 },
];

export function comparisonById(id: string): Comparison {
  const c = PAPER_COMPARISONS.find((x) => x.id === id);
  if (!c) throw new Error(`unknown comparison "${id}"; expected one of ${PAPER_COMPARISONS.map((x) => x.id).join(", ")}`);
  return c;
}

/** One row of `comparisonDeltas`. */
export interface BenchmarkDelta {
  benchmark: BenchmarkName;
  score_a: number;
  score_b: number;
  score_text_a: string;
  score_text_b: string;
  /** a − b in the benchmark's own units. */
  delta: number;
  /** a − b in percentage points of the benchmark's maximum (MME-P / 2000, MME-C / 800). */
  normalised_delta: number;
}

const benchmarkTable = (): ColumnTable =>
  aq.from(PUBLISHED_BENCHMARKS.map((b, order) => ({ benchmark: b.name, max_score: b.maxScore, order })));

function scoresOf(scores: ColumnTable, side: ComparisonSide, suffix: "a" | "b"): ColumnTable {
  const picked = scores
    .params({ id: side.model_id })
    .filter("(d, $) => d.model_id === $.id")
    .select({ benchmark: "benchmark", score: `score_${suffix}`, score_text: `score_text_${suffix}` });
  if (picked.numRows() === 0) {
    throw new Error(`comparison side "${side.label}": model "${side.model_id}" has no published scores`);
  }
  return picked;
}

/** Per-benchmark deltas a − b over the benchmarks both models report, in README column order. */
export function comparisonDeltas(scores: ColumnTable, comparison: Comparison): ColumnTable {
  return scoresOf(scores, comparison.a, "a")
    .join(scoresOf(scores, comparison.b, "b"), "benchmark")
    .join(benchmarkTable(), "benchmark")
    .derive({
      // Rounded to kill binary noise such as 76.3 − 69.0 = 7.299999999999997.
      delta: "d => op.round((d.score_a - d.score_b) * 1e6) / 1e6",
      normalised_delta: "d => op.round(100 * (d.score_a - d.score_b) / d.max_score * 1e6) / 1e6",
    })
    .orderby("order")
    .select("benchmark", "score_a", "score_b", "score_text_a", "score_text_b", "delta", "normalised_delta");
}

export function deltaRows(deltas: ColumnTable): BenchmarkDelta[] {
  return deltas.objects() as unknown as BenchmarkDelta[];
}

export interface ComparisonSummary {
  wins: number;
  losses: number;
  ties: number;
  total: number;
  /** Largest gain and largest loss, by normalised delta. */
  largestGain: BenchmarkDelta | undefined;
  largestLoss: BenchmarkDelta | undefined;
}

export function summariseDeltas(rows: readonly BenchmarkDelta[]): ComparisonSummary {
  const byNormalised = [...rows].sort((x, y) => y.normalised_delta - x.normalised_delta);
  const first = byNormalised[0];
  const last = byNormalised[byNormalised.length - 1];
  return {
    wins: rows.filter((r) => r.delta > 0).length,
    losses: rows.filter((r) => r.delta < 0).length,
    ties: rows.filter((r) => r.delta === 0).length,
    total: rows.length,
    largestGain: first && first.delta > 0 ? first : undefined,
    largestLoss: last && last.delta < 0 ? last : undefined,
  };
}

export const formatDelta = (delta: number, decimals = 1): string => {
  const text = Math.abs(delta).toFixed(decimals);
  if (Number(text) === 0) return `±${text}`;
  return `${delta > 0 ? "+" : "−"}${text}`;
};

/** One sentence per comparison, with the numbers it rests on. */
export function describeComparison(comparison: Comparison, rows: readonly BenchmarkDelta[]): string {
  const s = summariseDeltas(rows);
  const parts = [
    `**${comparison.title}**: ${comparison.a.label} is ahead on ${s.wins} of ${s.total} benchmarks, behind on ${s.losses}` +
      (s.ties > 0 ? `, tied on ${s.ties}` : "") +
      ".",
  ];
  const detail = (r: BenchmarkDelta) => `${r.benchmark} (${r.score_text_a} vs ${r.score_text_b}, ${formatDelta(r.delta)})`;
  if (s.largestGain) parts.push(`Largest gain: ${detail(s.largestGain)}.`);
  if (s.largestLoss) parts.push(`Largest loss: ${detail(s.largestLoss)}.`);
  return parts.join(" ");
}
