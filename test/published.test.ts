import { test } from "node:test";
import assert from "node:assert/strict";
import { loadPublishedScores, readModelConfigs, readPublishedScores } from "../src/analysis/published.js";
import { BENCHMARK_NAMES, normaliseScore } from "../src/analysis/benchmarks.js";
import { editedScoresFile } from "./helpers.js";

test("the loader yields the 130 published numbers: 10 models x 13 benchmarks", () => {
  const scores = loadPublishedScores();
  assert.equal(scores.numRows(), 130);
  assert.equal(new Set(scores.array("model_id") as Iterable<string>).size, 10);
  assert.deepEqual([...new Set(scores.array("benchmark") as Iterable<string>)].sort(), [...BENCHMARK_NAMES].sort());
  for (const score of scores.array("score") as Iterable<number>) assert.ok(Number.isFinite(score));
});

test("hand-picked cells match the README", () => {
  const rows = readPublishedScores();
  const cell = (model: string, benchmark: string) => rows.find((r) => r.model_id === model && r.benchmark === benchmark);
  assert.equal(cell("llava-1.5-7b", "ScienceQA")?.score_text, "69.0");
  assert.equal(cell("llava-1.5-7b", "MME-P")?.score, 1474.3);
  assert.equal(cell("llava-more-gemma2-9b-siglip2", "TextVQA")?.score, 66.7);
  assert.equal(cell("llava-more-llama3.1-8b-siglip-s2", "MMMU")?.score, 40.0);
  assert.equal(cell("llava-more-r1-distill-llama-8b-clip", "MMBench-Cn")?.score, 66.8);
  assert.equal(cell("llava-more-phi4-mini-3.8b-clip", "MME-C")?.llm_params_b, 3.8);
  assert.equal(cell("llava-more-llama3.1-8b-clip-s2", "GQA")?.s2, true);
  assert.equal(cell("llava-1.5-llama3-8b", "POPE")?.is_llava_more, false);
});

test("normalised scores: MME-P / 2000 and MME-C / 800 as percentages, others unchanged", () => {
  assert.equal(normaliseScore("MME-P", 1474.3), 73.715);
  assert.equal(normaliseScore("MME-C", 314.6), 39.325);
  assert.equal(normaliseScore("GQA", 62.4), 62.4);
});

test("an unknown benchmark names the file and line", () => {
  const file = editedScoresFile((lines) => lines.map((l, i) => (i === 4 ? l.replace(",AI2D,", ",AI3D,") : l)));
  assert.throws(() => readPublishedScores(file), (err: Error) => {
    assert.match(err.message, new RegExp(`^${file.replaceAll(".", "\\.")}:5: unknown benchmark "AI3D"; expected one of GQA`));
    return true;
  });
});

test("a non-numeric score names the file, line and column", () => {
  const file = editedScoresFile((lines) => lines.map((l, i) => (i === 2 ? l.replace(",69.0,", ",n/a,") : l)));
  assert.throws(() => readPublishedScores(file), new RegExp(`${file.replaceAll(".", "\\.")}:3: column "score": expected a number, found "n/a"`));
});

test("a duplicate (model, benchmark) names both lines", () => {
  const file = editedScoresFile((lines) => [...lines, lines[7]!]);
  assert.throws(() => readPublishedScores(file), /:132: duplicate score for model "llava-1\.5-7b" on .* \(first given on line 8\)/);
});

test("a missing column is reported against the header line", () => {
  const file = editedScoresFile((lines) => lines.map((l) => l.replace(/^table,model_id,/, "table,model,")));
  assert.throws(() => readPublishedScores(file), /scores\.csv:1: missing column "model_id" in the header/);
});

test("a missing file is a clear error", () => {
  assert.throws(() => readPublishedScores("/nonexistent/scores.csv"), /cannot read \/nonexistent\/scores\.csv/);
});

test("model configurations: 11 configs, the 10 README rows plus Gemma-2-9B + DINOv2", () => {
  const configs = readModelConfigs();
  assert.equal(configs.length, 11);
  assert.equal(configs.filter((c) => c.in_readme_table).length, 10);
  const dino = configs.find((c) => c.model_id === "llava-more-gemma2-9b-dinov2");
  assert.equal(dino?.visual_tokens_per_image, "256");
  assert.equal(dino?.in_readme_table, false);
  assert.ok(configs.every((c) => c.mm_vision_select_layer === -2 && c.mm_projector === "mlp2x_gelu"));
});
