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
  assert.deepEqual((fig.layout["polar"] as { radialaxis: { range: number[] } }).radialaxis.range, [0, 100]);
});

test("relative radar: points of max behind the best model, one scale for every spoke (no stretching of small spreads)", () => {
  const fig = radarFigure(scores, { scale: "relative" });
  const at = (model: string, benchmark: string) => {
    const t = fig.data.find((x) => x.name === model)!;
    return (t["r"] as number[])[(t["theta"] as string[]).indexOf(benchmark)]!;
  };
  assert.equal(at("LLaVA-v1.5-gemma_2-9B-siglip2", "TextVQA"), 0);
  // TextVQA: 54.0 - 66.7, in points; GQA: 62.4 - 65.6.
  assert.ok(Math.abs(at("LLaVA-v1.5-Phi_4-4B", "TextVQA") - (54.0 - 66.7)) < 1e-9);
  assert.ok(Math.abs(at("LLaVA-v1.5-7B", "GQA") - (62.4 - 65.6)) < 1e-9);
  // POPE's 85.1 … 86.8 stays a 1.7-point spread, not the whole axis.
  const pope = fig.data.map((t) => (t["r"] as number[])[(t["theta"] as string[]).indexOf("POPE")]!);
  assert.ok(Math.abs(Math.min(...pope) + 1.7) < 1e-9, `POPE spans ${Math.min(...pope)} … 0`);
  const radial = (fig.layout["polar"] as { radialaxis: { range: number[] } }).radialaxis;
  assert.equal(radial.range[1], 0);
  assert.ok(radial.range[0]! <= Math.min(...fig.data.flatMap((t) => t["r"] as number[])));
  assert.match(fig.caption!, /POPE: 1\.7 points from worst to best/);
});

test("scale figure: one panel per benchmark, the six single-scale CLIP models at their LLM sizes, in points above LLaVA-1.5-7B", () => {
  const fig = scaleFigure(scores);
  assert.equal(fig.data.length, 13);
  const gqa = fig.data.find((t) => t.name === "GQA")!;
  assert.deepEqual(gqa["x"], [7, 8, 8, 3.8, 9, 8]);
  // 62.4, 63.5, 63.6, 62.1, 64.2, 63.0 against LLaVA-1.5-7B's 62.4.
  const y = gqa["y"] as number[];
  [0, 1.1, 1.2, -0.3, 1.8, 0.6].forEach((v, i) => assert.ok(Math.abs(y[i]! - v) < 1e-9, `GQA ${i}: ${y[i]}`));
  assert.deepEqual(gqa["customdata"], ["62.4", "63.5", "63.6", "62.1", "64.2", "63.0"]);
  assert.equal(fig.data[12]?.["xaxis"], "x13");
  assert.ok("xaxis13" in fig.layout && "yaxis13" in fig.layout);
  const ranges = new Set(Object.entries(fig.layout).filter(([k]) => /^yaxis\d*$/.test(k)).map(([, a]) => JSON.stringify((a as { range: number[] }).range)));
  assert.equal(ranges.size, 1, "every panel shares one y scale");
  assert.throws(() => scaleFigure(scores, { vision_encoder: "none", s2: false }), /no model uses none/);
});

test("backbone and S2 delta bars: one bar trace per comparison, 13 bars in points of max, labelled in the same units", () => {
  const backbone = backboneDeltaFigure(scores);
  assert.deepEqual(backbone.data.map((t) => t.name), ["SigLIP vs CLIP (LLaMA-3.1-8B)", "SigLIP2 vs CLIP (Gemma-2-9B)"]);
  const siglip = backbone.data[0]!;
  const x = siglip["x"] as string[];
  assert.equal(x.length, 13);
  assert.equal((siglip["y"] as number[])[x.indexOf("TextVQA")], 3.7);
  assert.equal((siglip["y"] as number[])[x.indexOf("MME-C")], -4.7375); // -37.9 / 800 * 100
  assert.equal((siglip["text"] as string[])[x.indexOf("MME-C")], "−4.7");
  assert.match((siglip["customdata"] as string[])[x.indexOf("MME-C")]!, /−37\.9 in benchmark units/);
  assert.match(backbone.caption!, /largest loss MME-C −4\.7 for SigLIP vs CLIP \(LLaMA-3\.1-8B\)\./);
  const s2 = resolutionDeltaFigure(scores);
  assert.deepEqual(s2.data.map((t) => t.name), ["S2 vs single scale, CLIP (LLaMA-3.1-8B)", "S2 vs single scale, SigLIP (LLaMA-3.1-8B)"]);
  assert.equal(((s2.data[0]!["text"]) as string[])[x.indexOf("TextVQA")], "+2.5");
  assert.equal(((s2.data[0]!["text"]) as string[])[x.indexOf("MME-C")], "−7.5"); // -60.1 / 800
});

test("heatmap: a 10 x 13 matrix coloured by points of max from each benchmark's median model, published scores as text", () => {
  const fig = heatmapFigure(scores);
  assert.equal(fig.data.length, 1);
  const z = fig.data[0]!["z"] as number[][];
  const text = fig.data[0]!["text"] as string[][];
  assert.equal(z.length, 10);
  assert.ok(z.every((row) => row.length === 13));
  assert.equal(text[0]![1], "69.0");
  // MME-P: LLaVA-1.5-7B's 1474.3 against the median of the ten, (1522.5 + 1531.0) / 2, in points of 2000.
  assert.ok(Math.abs(z[0]![5]! - (100 * (1474.3 - (1522.5 + 1531.0) / 2)) / 2000) < 1e-6);
  // Within each benchmark: every column's median is 0, and one colour scale centred on it.
  for (let c = 0; c < 13; c++) {
    const column = z.map((row) => row[c]!).sort((a, b) => a - b);
    assert.ok(Math.abs((column[4]! + column[5]!) / 2) < 1e-6, `column ${c} is not centred on its median`);
  }
  assert.equal(fig.data[0]!["zmid"], 0);
  assert.equal(fig.data[0]!["zmin"], -(fig.data[0]!["zmax"] as number));
});

test("the figure set has unique file names and serialises to JSON", () => {
  const figs = publishedFigures(scores);
  assert.equal(new Set(figs.map((f) => f.name)).size, figs.length);
  for (const f of figs) assert.doesNotThrow(() => JSON.parse(JSON.stringify({ data: f.data, layout: f.layout })));
});
