/**
 * Binding beside the benchmarks: per pairing and question family, the runs' accuracy on multi-object
 * validation scenes (mean ± seed SD) against the shortcut a binding-free strategy reaches on the same
 * questions and the text-only prior (src/probes/binding.ts). Runs from before the measurement carry
 * none and are left out.
 */
import { pairingId, type RunResult } from "./run_record.js";
import { mean } from "../util/stats.js";

/** Sample standard deviation (n − 1). */
const sampleSd = (xs: readonly number[]): number => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

/** A markdown table, or undefined when no run measured binding. */
export function bindingMarkdown(results: readonly RunResult[]): string | undefined {
  const measured = results.filter((r) => r.binding !== undefined);
  if (measured.length === 0) return undefined;
  const byPairing = new Map<string, RunResult[]>();
  for (const r of measured) byPairing.set(pairingId(r.spec), [...(byPairing.get(pairingId(r.spec)) ?? []), r]);
  const pct = (x: number): string => (100 * x).toFixed(1);
  const rows: string[] = [];
  for (const [pairing, runs] of byPairing) {
    const families = [...new Set(runs.flatMap((r) => r.binding!.families.map((f) => f.family)))];
    for (const family of families) {
      const scores = runs.flatMap((r) => r.binding!.families.filter((f) => f.family === family));
      const acc = scores.map((f) => f.accuracy);
      const shortcut = mean(scores.map((f) => f.shortcut));
      const priors = scores.flatMap((f) => (f.prior === null ? [] : [f.prior]));
      const sd = acc.length > 1 ? ` ± ${pct(sampleSd(acc))}` : "";
      const over = mean(acc) - shortcut;
      rows.push(`| ${pairing} | ${family} | ${scores.length} | ${scores[0]!.n} | ${pct(mean(acc))}${sd} | ${pct(shortcut)} (${scores[0]!.shortcutStrategy}) | ${priors.length > 0 ? pct(mean(priors)) : "–"} | ${over >= 0 ? "+" : ""}${pct(over)} |`);
    }
  }
  return [
    "| pairing | family | runs | questions | accuracy (%, mean ± seed SD) | shortcut (%) | text-only prior (%) | over the shortcut (points) |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `${measured.length} of ${results.length} runs measured binding (runs before the measurement carry none).`,
  ].join("\n");
}
