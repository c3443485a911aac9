import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { labTable, seedSummary, welchInterval, welchIntervalOf, meanSd, type LabScoreRow } from "../src/analysis/lab_stats.js";
import { EXPLORER_LAYOUT, sizeResolutionCells, sizeResolutionFigure, type SizeResolutionDesign } from "../src/analysis/size_resolution.js";
import { writeLabReport } from "../src/analysis/lab_report.js";
import { findChromium } from "../src/analysis/export.js";
import { expandGrid } from "../src/study/grid.js";
import { STUDY_GRIDS, parseStudyGrid, sizeResolutionDesign, studyGrid } from "../src/study/grids.js";
import { resolutionLabel } from "../src/models/vision/resolution.js";
import { ZOO_LLMS } from "../src/train/llm_recipes.js";
import { runId } from "../src/analysis/run_record.js";
import { spawnSync } from "node:child_process";
import { projectPath } from "../src/util/paths.js";
import { tempDir } from "./helpers.js";

/** The design in an order other than by size: the rows must still come out 2B, 8B, 9B. */
const DESIGN: SizeResolutionDesign = {
  preset: "small",
  llms: ["gemma2-9b", "llama3.1-8b", "gemma2-2b"],
  resolutions: [{ scale: 0.75 }, {}, { s2: true }],
  tower: "clip",
  captions: "short",
  reference: { llm: "llama3.1-8b", resolution: {} },
};

const PARAMS: Record<string, number> = { "gemma2-2b": 1.5e6, "llama3.1-8b": 4.5e6, "gemma2-9b": 5.3e6 };

function rows(llm: string, resolution: string, benchmark: string, scores: readonly number[]): LabScoreRow[] {
  return scores.map((score, seed) => ({
    run: `${llm}__clip-${resolution}__short__s${seed}`,
    llm,
    family: llm.replace(/-.*/, ""),
    size: llm.replace(/^.*-/, ""),
    llm_params: PARAMS[llm]!,
    tower: "clip",
    resolution,
    image_size: resolution === "0.75x" ? 48 : 64,
    s2: resolution.endsWith("+S2"),
    captions: "short",
    seed,
    benchmark,
    score,
  }));
}

/**
 * GQA: the reference, a 2B cell inside the noise, a 9B cell far above it, one seed of 8B at 0.75×,
 * and a SigLIP run that is no cell of the design. POPE: the reference only. Every other cell: not run.
 */
const summary = seedSummary(
  labTable([
    ...rows("llama3.1-8b", "1x", "GQA", [40, 41, 42]),
    ...rows("gemma2-2b", "1x", "GQA", [39, 42, 44]),
    ...rows("gemma2-9b", "1x", "GQA", [50, 51, 52]),
    ...rows("llama3.1-8b", "0.75x", "GQA", [38]),
    ...rows("llama3.1-8b", "1x", "POPE", [60, 61, 62]),
    ...rows("llama3.1-8b", "1x", "MME-P", [900, 1000, 1100]).map((r) => ({ ...r, tower: "siglip", run: r.run.replace("clip", "siglip") })),
  ]),
);

test("cells: the reference, differences inside and beyond the seed noise by Welch's interval, one seed, not run", () => {
  const cells = sizeResolutionCells(summary, DESIGN, "GQA");
  assert.deepEqual(cells.map((row) => row[0]!.llm), ["gemma2-2b", "llama3.1-8b", "gemma2-9b"]);
  assert.deepEqual(cells[0]!.map((c) => c.resolution), ["0.75x", "1x", "1x+S2"]);
  assert.deepEqual(cells.map((row) => row.map((c) => c.verdict)), [
    ["not run", "inside noise", "not run"],
    ["no interval", "reference", "not run"],
    ["not run", "beyond noise", "not run"],
  ]);
  const inside = cells[0]![1]!;
  assert.deepEqual(inside.vsReference, welchInterval([39, 42, 44], [40, 41, 42]));
  assert.ok(inside.vsReference!.low < 0 && inside.vsReference!.high > 0);
  assert.ok(cells[2]![1]!.vsReference!.low > 0);
  assert.equal(cells[1]![1]!.stats!.n, 3);
  // The interval from a summary row's n, mean and SD is the one from the scores.
  assert.deepEqual(welchIntervalOf(meanSd([1, 2, 4]), meanSd([0, 5])), welchInterval([1, 2, 4], [0, 5]));
  // Without the reference, nothing is compared.
  assert.deepEqual(sizeResolutionCells(summary, { ...DESIGN, reference: { llm: "gemma2-2b", resolution: { s2: true } } }, "GQA")[0]!.map((c) => c.verdict), ["not run", "no interval", "not run"]);
});

test("the explorer: one dropdown entry per benchmark, noise greyed and hatched, 'not run' cells, colour only beyond the noise", () => {
  const fig = sizeResolutionFigure(summary, DESIGN);
  assert.equal(fig.name, "size_resolution");
  assert.match(fig.caption ?? "", /^Look for coloured cells: only they differ from .* beyond the seed noise\. Over the 2 benchmarks, \d+ of \d+ compared cells do, and \d+ of the 9 pairings are not run yet\.$/);
  const menu = (fig.layout["updatemenus"] as { buttons: { label: string; args: [{ visible: boolean[] }, { shapes: { type: string }[] }] }[] }[])[0]!;
  assert.deepEqual(menu.buttons.map((b) => b.label), ["GQA", "POPE"]); // MME-P is SigLIP's only: no cell of the design
  for (const [i, b] of menu.buttons.entries()) {
    assert.equal(b.args[0].visible.length, fig.data.length);
    assert.deepEqual(b.args[0].visible, fig.data.map((t) => String(t.name).startsWith(`${menu.buttons[i]!.label}:`)));
  }
  assert.deepEqual(fig.data.map((t) => t.visible), menu.buttons[0]!.args[0].visible, "the first benchmark is shown");
  const gqa = (layer: string) => fig.data.find((t) => t.name === `GQA: ${layer}`)!;
  // Colour: only the 9B cell, beyond the noise; its scale centred on 0.
  assert.deepEqual(gqa("beyond the noise")["z"], [[null, null, null], [null, null, null], [null, 10, null]]);
  const colour = gqa("beyond the noise");
  assert.equal(colour["zmin"], -(colour["zmax"] as number));
  // Grey: the 2B cell inside the noise and the one-seed cell, each hatched (8 strokes); the reference outlined.
  assert.deepEqual(gqa("inside the noise")["z"], [[null, 0, null], [0, null, null], [null, null, null]]);
  assert.equal(gqa("inside the noise")["showscale"], false);
  const shapes = menu.buttons[0]!.args[1].shapes;
  assert.equal(shapes.filter((s) => s.type === "line").length, 2 * 8);
  assert.equal(shapes.filter((s) => s.type === "rect").length, 1);
  assert.deepEqual(fig.layout["shapes"], shapes);
  const text = gqa("inside the noise")["text"] as string[][];
  assert.match(text[0]![1]!, /n = 3 seeds<br>Δ \+0\.7 \[−\d+\.\d, \+\d+\.\d\]<br>inside noise/);
  assert.match(text[1]![0]!, /no interval \(1 seed\)/);
  assert.equal(text[0]![0], "", "a layer prints only its own cells");
  const notRun = gqa("not run")["text"] as string[][];
  assert.deepEqual(notRun.flat().filter((t) => t !== ""), Array(5).fill("<i>not run</i>"));
  assert.match((gqa("reference")["text"] as string[][])[1]![1]!, /^<b>41\.0 ± 2\.5<\/b><br>n = 3 seeds<br><b>reference<\/b>$/);
  // POPE has only the reference: no colour and no grey layer.
  assert.deepEqual(fig.data.filter((t) => String(t.name).startsWith("POPE")).map((t) => t.name), ["POPE: reference", "POPE: not run"]);
  // Labels: rows by size with the size, columns with the input side and tokens.
  assert.deepEqual(gqa("reference")["y"], ["<b>2B</b> · gemma2-2b<br>lab: 1.50 M params", "<b>8B</b> · llama3.1-8b<br>lab: 4.50 M params", "<b>9B</b> · gemma2-9b<br>lab: 5.30 M params"]);
  assert.deepEqual(gqa("reference")["x"], ["0.75×<br>48 px · 36 tokens", "1×<br>64 px · 64 tokens", "1×+S2<br>64 + 128 + 192 px · 64 tokens"]);
  assert.throws(() => sizeResolutionFigure(summary, { ...DESIGN, tower: "dinov2" }), /the summary holds no run of .* \+ dinov2/);
});

test("the explorer's title, menu and legend sit in the margins, apart, at 1280 px", () => {
  const fig = sizeResolutionFigure(summary, DESIGN);
  const { height, width } = fig.size;
  assert.equal(width, 1280);
  const margin = fig.layout["margin"] as { t: number; b: number; l: number; r: number };
  const plot = height - margin.t - margin.b;
  const px = (paperY: number): number => margin.t - (paperY - 1) * plot; // from the figure's top
  const title = fig.layout["title"] as { y: number; yref: string; yanchor: string; font: { size: number }; text: string };
  assert.deepEqual([title.yref, title.yanchor], ["container", "top"]);
  const titleTop = (1 - title.y) * height;
  const titleBottom = titleTop + 1.5 * title.font.size;
  // At most ~9 px a character at 18 px: the title fits the width with room to spare (no clipping at either end).
  assert.ok(title.text.length * 0.55 * title.font.size < width - 40, `title of ${title.text.length} characters`);
  const menu = (fig.layout["updatemenus"] as { y: number; yanchor: string }[])[0]!;
  assert.equal(menu.yanchor, "top");
  const menuTop = px(menu.y);
  const menuBottom = menuTop + EXPLORER_LAYOUT.menuHeight;
  assert.ok(titleTop >= 0 && titleBottom <= menuTop, `title ${titleTop}–${titleBottom} px, menu from ${menuTop} px`);
  assert.ok(menuBottom <= margin.t - 8, `menu ends at ${menuBottom} px, the plot starts at ${margin.t} px`);
  const [label, legend] = fig.layout["annotations"] as { y: number; yanchor: string; text: string }[];
  assert.ok(Math.abs(px(label!.y) - (menuTop + EXPLORER_LAYOUT.menuHeight / 2)) < 1, "the 'benchmark' label beside the menu");
  assert.ok(px(legend!.y) >= height - margin.b + 60 && px(legend!.y) + 3 * 18 <= height, "the legend below the axis labels, inside the figure");
  assert.match(legend!.text, /Grey, hatched<\/b>: inside the seed noise/);
  assert.match(legend!.text, /"not run"/);
});

test("the sizeResolution grid: 3 LLMs × 3 resolutions with CLIP, three seeds; its tiny form keeps the reference", () => {
  const grid = STUDY_GRIDS.sizeResolution;
  const runs = expandGrid(grid);
  assert.equal(runs.length, 27);
  const pairings = new Set(runs.map((p) => `${p.llm} ${p.tower} ${resolutionLabel(p.resolution)} ${p.captions}`));
  assert.equal(pairings.size, 9);
  for (const llm of ["gemma2-2b", "llama3.1-8b", "gemma2-9b"]) for (const r of ["0.75x", "1x", "1x+S2"]) assert.ok(pairings.has(`${llm} clip ${r} short`), `${llm} ${r}`);
  for (const p of runs) assert.ok(ZOO_LLMS.some((z) => z.name === p.llm) && [0, 1, 2].includes(p.seed));
  // Valid as a grid file says it: the same checks as --grid-file.
  assert.deepEqual(expandGrid(parseStudyGrid(JSON.parse(JSON.stringify(grid)), "sizeResolution")).map(runId), runs.map(runId));
  assert.ok(runs.some((p) => runId(p) === "llama3.1-8b__clip-1x__short__s2"));
  const design = sizeResolutionDesign("small");
  assert.deepEqual([design.llms, design.resolutions.map(resolutionLabel), design.tower, design.captions], [["gemma2-2b", "llama3.1-8b", "gemma2-9b"], ["0.75x", "1x", "1x+S2"], "clip", "short"]);
  const tiny = sizeResolutionDesign("tiny");
  assert.ok(tiny.llms.includes(tiny.reference.llm) && tiny.resolutions.some((r) => resolutionLabel(r) === "1x"));
  assert.equal(expandGrid(studyGrid("sizeResolution", "tiny")).length, 8);
});

const chromium = findChromium();
test("the lab report writes the explorer as HTML and PNG and lists it", { timeout: 120_000 }, async () => {
  const root = tempDir();
  const table = labTable([...rows("llama3.1-8b", "1x", "GQA", [40, 41, 42]), ...rows("gemma2-2b", "1x", "GQA", [39, 42, 44])]);
  const explorer = sizeResolutionFigure(seedSummary(table), DESIGN);
  const report = await writeLabReport({ table, results: [], title: "explorer", preset: "small", outDir: join(root, "lab"), reportDir: root, staticImages: chromium !== undefined, extraFigures: [explorer] });
  assert.ok(report.written.includes(join(root, "lab", "size_resolution.html")));
  assert.match(readFileSync(join(root, "lab", "size_resolution.html"), "utf8"), /updatemenus/);
  if (chromium) assert.ok(existsSync(join(root, "lab", "size_resolution.png")) && existsSync(join(root, "lab", "size_resolution.svg")));
  assert.match(readFileSync(join(root, "report.md"), "utf8"), /\*\*size_resolution\*\* \(\[interactive\]\(lab\/size_resolution\.html\)/);
});

test("study --list names every grid with its runs, how many are finished and the time the rest take", () => {
  const env = { ...process.env, LLAVA_MORE_RESULTS: tempDir(), LLAVA_MORE_RUNS: tempDir() };
  const run = spawnSync(process.execPath, [projectPath("bin", "llava-more.js"), "study", "--list", "--workers", "2"], { encoding: "utf8", cwd: tempDir(), env });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^sizeResolution: 27 runs, 0 finished; the rest: no run finished yet to estimate 27 runs from\n  LLM size × image resolution, crossed/m);
  assert.equal((run.stdout.match(/^\w+: \d+ runs, \d+ finished/gm) ?? []).length, Object.keys(STUDY_GRIDS).length);
});
