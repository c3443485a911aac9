import { test } from "node:test";
import assert from "node:assert/strict";
import { loadPublishedScores, readPublishedScores } from "../src/analysis/published.js";
import { BENCHMARK_NAMES } from "../src/analysis/benchmarks.js";
import {
  PAPER_COMPARISONS,
  comparisonById,
  comparisonDeltas,
  deltaRows,
  describeComparison,
  formatDelta,
  summariseDeltas,
} from "../src/analysis/comparisons.js";
import { averageRanks, averageRankTable, deltaOverviewTable, resultsTable } from "../src/analysis/tables.js";
import { normalisedTable } from "../src/analysis/normalised.js";
import { formatCell, markdownSection, tableToCsv, tableToHtml, tableToMarkdown } from "../src/analysis/render.js";

const scores = loadPublishedScores();
const deltasOf = (id: string) => new Map(deltaRows(comparisonDeltas(scores, comparisonById(id))).map((r) => [r.benchmark, r]));

test("README table: 10 models x 13 benchmarks as printed, bold where the README bolds", () => {
  const t = resultsTable(scores);
  assert.equal(t.rows.length, 10);
  assert.equal(t.columns.length, 14);
  assert.deepEqual(t.columns.slice(0, 4), ["Model Name", "GQA", "Science-QA", "Text-VQA*"]);
  assert.deepEqual(t.rows[0]?.slice(0, 3), ["LLaVA-v1.5-7B", "62.4", "69.0"]);
  // Our column-best marking must agree with the README's own bold, cell for cell.
  const rows = readPublishedScores();
  for (const r of rows) {
    const i = t.rows.findIndex((row) => row[0] === r.model_name);
    const j = 1 + BENCHMARK_NAMES.indexOf(r.benchmark);
    assert.equal(t.rows[i]?.[j], r.score_text, `${r.model_id} ${r.benchmark}`);
    assert.equal(t.bold?.[i]?.[j], r.bold_in_source, `${r.model_name} ${r.benchmark}`);
  }
  const md = tableToMarkdown(t);
  assert.match(md, /\| LLaVA-v1\.5-gemma_2-9B-siglip2 \| \*\*65\.6\*\* \| 76\.2 \| \*\*66\.7\*\* \|/);
});

test("deltas checked by hand", () => {
  const llm = deltasOf("llama31_vs_llava15");
  assert.equal(llm.get("ScienceQA")?.delta, 7.3); // 76.3 - 69.0
  assert.equal(llm.get("MMBench-Cn")?.delta, 11.7); // 68.2 - 56.5
  assert.equal(llm.get("POPE")?.delta, -0.5); // 85.1 - 85.6
  assert.equal(llm.get("MME-C")?.delta, 38.7); // 353.3 - 314.6
  assert.equal(llm.get("MME-C")?.normalised_delta, 4.8375); // 38.7 / 800 * 100
  assert.equal(deltasOf("phi4mini_vs_llava15").get("MME-P")?.delta, -102.1); // 1372.2 - 1474.3
  assert.equal(deltasOf("gemma2_vs_llama31").get("MME-C")?.delta, -45.8); // 307.5 - 353.3
  assert.equal(deltasOf("siglip_vs_clip").get("MMBench-Cn")?.delta, 0); // 68.2 - 68.2
  assert.equal(deltasOf("siglip2_vs_clip").get("TextVQA")?.delta, 6); // 66.7 - 60.7
  assert.equal(deltasOf("s2_vs_single_clip").get("MME-C")?.delta, -60.1); // 293.2 - 353.3
  assert.equal(deltasOf("s2_vs_single_siglip").get("MME-C")?.delta, 21); // 336.4 - 315.4
  assert.equal(deltasOf("r1distill_vs_llama31").get("MMBench-En")?.delta, -11.1); // 61.3 - 72.4
  assert.equal(deltasOf("llama31_vs_llama3").get("MME-P")?.delta, -12.9); // 1531.5 - 1544.4
  assert.equal(deltasOf("llama31_vs_llava15").size, 13);
});

test("comparison summaries match data/paper/PROTOCOL.md §7b", () => {
  const summary = (id: string) => summariseDeltas([...deltasOf(id).values()]);
  assert.deepEqual((({ wins, losses, ties }) => ({ wins, losses, ties }))(summary("siglip_vs_clip")), { wins: 10, losses: 2, ties: 1 });
  assert.deepEqual((({ wins, losses, ties }) => ({ wins, losses, ties }))(summary("r1distill_vs_llama31")), { wins: 1, losses: 11, ties: 1 });
  assert.equal(summary("r1distill_vs_llama31").largestGain?.benchmark, "SEED-vid");
  assert.equal(summary("siglip2_vs_clip").largestGain?.benchmark, "TextVQA");
  assert.equal(summary("llama31_vs_llava15").wins, 12);
  // Finding 7: switching CLIP for SigLIP gains more than adding S2 to CLIP on 11 of 13, not on POPE and MME-P.
  const siglip = deltasOf("siglip_vs_clip");
  const s2 = deltasOf("s2_vs_single_clip");
  const s2Better = [...siglip.keys()].filter((b) => siglip.get(b)!.delta <= s2.get(b)!.delta);
  assert.deepEqual(s2Better, ["POPE", "MME-P"]);
  const text = describeComparison(comparisonById("siglip_vs_clip"), [...siglip.values()]);
  assert.match(text, /ahead on 10 of 13 benchmarks, behind on 2, tied on 1\. Largest gain: TextVQA \(62\.1 vs 58\.4, \+3\.7\)/);
});

test("every comparison names models that have scores", () => {
  for (const c of PAPER_COMPARISONS) assert.equal(deltaRows(comparisonDeltas(scores, c)).length, 13, c.id);
  assert.throws(
    () => comparisonDeltas(scores, { ...PAPER_COMPARISONS[0]!, a: { model_id: "no-such-model", label: "X" } }),
    /model "no-such-model" has no published scores/,
  );
  assert.throws(() => comparisonById("nope"), /unknown comparison "nope"; expected one of llama31_vs_llava15/);
});

test("normalised table: MME divided by its maximum, mean over 13, column best in bold", () => {
  const t = normalisedTable(scores);
  const llava = t.rows.find((r) => r[0] === "LLaVA-v1.5-7B")!;
  const col = (name: string) => t.columns.indexOf(name);
  assert.ok(Math.abs((llava[col("MME-P")] as number) - 73.715) < 1e-9);
  assert.ok(Math.abs((llava[col("MME-C")] as number) - 39.325) < 1e-9);
  assert.ok(Math.abs((llava[col("GQA")] as number) - 62.4) < 1e-9);
  const raw = [62.4, 69.0, 58.2, 56.4, 85.6, 73.715, 39.325, 65.3, 56.5, 61.6, 66.8, 42.0, 34.2];
  assert.ok(Math.abs((llava[col("Mean")] as number) - raw.reduce((a, b) => a + b) / 13) < 1e-9);
  const best = t.rows.findIndex((r) => r[0] === "LLaVA-v1.5-gemma_2-9B-siglip2");
  assert.equal(t.bold?.[best]?.[col("Mean")], true);
});

test("average ranks: ties share the average rank; hand-checked", () => {
  const t = averageRankTable(scores);
  const rank = (model: string, benchmark: string) => t.rows.find((r) => r[0] === model)?.[t.columns.indexOf(benchmark)];
  // MMBench-Cn: 68.2 twice at the top -> both 1.5.
  assert.equal(rank("LLaVA-v1.5-LLaMA3_1-8B", "MMBench-Cn"), 1.5);
  assert.equal(rank("LLaVA-v1.5-LLaMA3_1-8B-siglip", "MMBench-Cn"), 1.5);
  // SEED-vid: 42.0 twice at the bottom of 10 -> both 9.5.
  assert.equal(rank("LLaVA-v1.5-7B", "SEED-vid"), 9.5);
  assert.equal(rank("LLaVA-v1.5-gemma_2-9B-siglip2", "GQA"), 1);
  const ranks = averageRanks(scores);
  assert.equal(ranks.length, 10);
  for (const r of ranks) assert.equal(r.benchmarks, 13);
  // Mean of all ranks over all models is (1 + 10) / 2.
  assert.ok(Math.abs(ranks.reduce((s, r) => s + r.mean_rank, 0) / 10 - 5.5) < 1e-9);
  assert.equal(ranks[0]?.model_id, "llava-more-llama3.1-8b-siglip");
  assert.equal(ranks.find((r) => r.model_id === "llava-more-gemma2-9b-siglip2")?.firsts, 5);
});

test("the delta overview has one row per comparison and the ahead/behind/tied counts", () => {
  const t = deltaOverviewTable(scores);
  assert.equal(t.rows.length, PAPER_COMPARISONS.length);
  assert.equal(t.rows.find((r) => r[0] === "SigLIP vs CLIP (LLaMA-3.1-8B)")?.at(-1), "10/2/1");
});

test("rendering: CSV, Markdown and HTML carry the same cells", () => {
  const view = {
    name: "t",
    title: "A <title>",
    columns: ["name", "value"],
    rows: [["a|b", 1.25], ['q"x', -0.0001], ["none", null]],
    decimals: [undefined, 1],
    bold: [[false, true]],
  };
  assert.equal(formatCell(view, 1, 1), "0.0"); // no "-0.0"
  assert.equal(tableToCsv(view), 'name,value\na|b,1.3\n"q""x",0.0\nnone,\n');
  assert.match(tableToMarkdown(view), /\| a\\\|b \| \*\*1\.3\*\* \|/);
  const html = tableToHtml(view);
  assert.match(html, /<h4>A &lt;title&gt;<\/h4>/);
  assert.match(html, /<td style="text-align:right"><b>1\.3<\/b><\/td>/);
  assert.equal(formatDelta(-0.5), "−0.5");
  assert.equal(formatDelta(7.3), "+7.3");
  assert.equal(formatDelta(0), "±0.0");
});

test("a Markdown section is its title, an introducing paragraph and a body, each followed by a blank line", () => {
  assert.equal(markdownSection("Costs", "What the runs took.", "| a |\n|---|").join("\n"), "## Costs\n\nWhat the runs took.\n\n| a |\n|---|\n");
});
