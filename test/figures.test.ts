import { test } from "node:test";
import assert from "node:assert/strict";
import { loadPublishedScores } from "../src/analysis/published.js";
import {
  backboneDeltaFigure,
  heatmapFigure,
  publishedFigures,
  radarFigure,
  resolutionDeltaFigure,
  scaleFigure,
} from "../src/analysis/figures.js";

const scores = loadPublishedScores();

test("radar: one closed trace per model over the 13 benchmarks, in % of maximum", () => {
  const fig = radarFigure(scores);
  assert.equal(fig.data.length, 10);
  for (const trace of fig.data) {
    assert.equal(trace.type, "scatterpolar");
    const r = trace["r"] as number[];
    const theta = trace["theta"] as string[];
    assert.equal(r.length, 14);
    assert.equal(theta[0], theta[13]);
    assert.equal(r[0], r[13]);
  }
  const llava = fig.data.find((t) => t.name === "LLaVA-v1.5-7B")!;
  const theta = llava["theta"] as string[];
  assert.equal((llava["r"] as number[])[theta.indexOf("MME-P")], 73.715);
  assert.equal((llava["customdata"] as string[])[theta.indexOf("ScienceQA")], "69.0");
});

test("relative radar: each axis runs from the worst model (0) to the best (100)", () => {
  const fig = radarFigure(scores, { scale: "relative" });
  const at = (model: string, benchmark: string) => {
    const t = fig.data.find((x) => x.name === model)!;
    return (t["r"] as number[])[(t["theta"] as string[]).indexOf(benchmark)];
  };
  assert.equal(at("LLaVA-v1.5-gemma_2-9B-siglip2", "TextVQA"), 100);
  assert.equal(at("LLaVA-v1.5-Phi_4-4B", "TextVQA"), 0);
  // GQA: (62.4 - 62.1) / (65.6 - 62.1) * 100
  assert.ok(Math.abs(at("LLaVA-v1.5-7B", "GQA")! - (0.3 / 3.5) * 100) < 1e-9);
});

test("scale figure: one panel per benchmark with the six single-scale CLIP models at their LLM sizes", () => {
  const fig = scaleFigure(scores);
  assert.equal(fig.data.length, 13);
  const gqa = fig.data.find((t) => t.name === "GQA")!;
  assert.deepEqual(gqa["x"], [7, 8, 8, 3.8, 9, 8]);
  assert.deepEqual(gqa["y"], [62.4, 63.5, 63.6, 62.1, 64.2, 63.0]);
  assert.equal(fig.data[12]?.["xaxis"], "x13");
  assert.ok("xaxis13" in fig.layout && "yaxis13" in fig.layout);
  assert.throws(() => scaleFigure(scores, { vision_encoder: "none", s2: false }), /no model uses none/);
});

test("backbone and S2 delta bars: one bar trace per comparison, 13 bars in % of max with raw labels", () => {
  const backbone = backboneDeltaFigure(scores);
  assert.deepEqual(backbone.data.map((t) => t.name), ["SigLIP vs CLIP (LLaMA-3.1-8B)", "SigLIP2 vs CLIP (Gemma-2-9B)"]);
  const siglip = backbone.data[0]!;
  const x = siglip["x"] as string[];
  assert.equal(x.length, 13);
  assert.equal((siglip["y"] as number[])[x.indexOf("TextVQA")], 3.7);
  assert.equal((siglip["y"] as number[])[x.indexOf("MME-C")], -4.7375); // -37.9 / 800 * 100
  assert.equal((siglip["text"] as string[])[x.indexOf("MME-C")], "−37.9");
  const s2 = resolutionDeltaFigure(scores);
  assert.deepEqual(s2.data.map((t) => t.name), ["S2 vs single scale, CLIP (LLaMA-3.1-8B)", "S2 vs single scale, SigLIP (LLaMA-3.1-8B)"]);
  assert.equal(((s2.data[0]!["text"]) as string[])[x.indexOf("TextVQA")], "+2.5");
});

test("heatmap: a 10 x 13 matrix of normalised scores with the printed scores as text", () => {
  const fig = heatmapFigure(scores);
  assert.equal(fig.data.length, 1);
  const z = fig.data[0]!["z"] as number[][];
  const text = fig.data[0]!["text"] as string[][];
  assert.equal(z.length, 10);
  assert.ok(z.every((row) => row.length === 13));
  assert.equal(text[0]![1], "69.0");
  assert.equal(z[0]![5], 73.715);
});

test("the figure set has unique file names and serialises to JSON", () => {
  const figs = publishedFigures(scores);
  assert.equal(new Set(figs.map((f) => f.name)).size, figs.length);
  for (const f of figs) assert.doesNotThrow(() => JSON.parse(JSON.stringify({ data: f.data, layout: f.layout })));
});
