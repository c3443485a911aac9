import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadPublishedScores } from "../src/analysis/published.js";
import { heatmapFigure, scaleFigure } from "../src/analysis/figures.js";
import { FigureRenderer, decodeDataUrl, figurePage, findChromium, stableSvgIds, writeFigureHtml, writeFiguresStatic } from "../src/analysis/export.js";
import { requireTool, tempDir } from "./helpers.js";

const scores = loadPublishedScores();

test("HTML export: one shared plotly bundle per folder, figure JSON inline", () => {
  const dir = tempDir();
  const first = writeFigureHtml(heatmapFigure(scores), dir);
  const second = writeFigureHtml(scaleFigure(scores), dir);
  assert.deepEqual(first.map((p) => p.slice(dir.length + 1)), ["plotly.min.js", "heatmap.html"]);
  assert.deepEqual(second.map((p) => p.slice(dir.length + 1)), ["llm_scale.html"]);
  const html = readFileSync(join(dir, "heatmap.html"), "utf8");
  assert.match(html, /<script src="plotly\.min\.js"><\/script>/);
  assert.match(html, /"type":"heatmap"/);
  assert.ok(statSync(join(dir, "heatmap.html")).size < 20_000, "the page must not inline plotly");
  assert.doesNotMatch(figurePage({ ...heatmapFigure(scores), title: "x" }), /<\/script><\/script>/);
});

test("data URLs from Plotly.toImage decode to bytes", () => {
  assert.deepEqual([...decodeDataUrl("data:image/png;base64,iVBORw0=")].slice(0, 4), [0x89, 0x50, 0x4e, 0x47]);
  assert.equal(Buffer.from(decodeDataUrl("data:image/svg+xml,%3Csvg%3E%3C%2Fsvg%3E")).toString(), "<svg></svg>");
  assert.throws(() => decodeDataUrl("nope"), /expected a data: URL/);
});

test("SVG ids: plotly's random uid becomes one derived from the figure's name, colours untouched, attributes in name order", () => {
  const svg = (uid: string) => `<svg width="4" class="main-svg"><defs id="defs-${uid}"><clipPath id="clip${uid}xy"/></defs><g fill="#7aab56" clip-path="url(#clip${uid}xy)"/></svg>`;
  const a = stableSvgIds(svg("7aab56"), "heatmap");
  assert.equal(a, stableSvgIds(svg("bda6e2"), "heatmap"));
  const uid = /defs-([0-9a-f]+)/.exec(a)![1]!;
  assert.notEqual(uid, "7aab56");
  assert.equal(a, `<svg class="main-svg" width="4"><defs id="defs-${uid}"><clipPath id="clip${uid}xy"/></defs><g clip-path="url(#clip${uid}xy)" fill="#7aab56"/></svg>`);
  assert.notEqual(stableSvgIds(svg("7aab56"), "llm_scale"), a);
  assert.equal(stableSvgIds("<svg/>", "x"), "<svg/>");
});

const chromium = findChromium();
test(
  "static export through headless Chromium writes valid PNG and SVG",
  { skip: requireTool(chromium !== undefined, "Chromium not found (apt-get install chromium)"), timeout: 120_000 },
  async () => {
    const dir = tempDir();
    const figure = heatmapFigure(scores);
    const renderer = await FigureRenderer.open(chromium);
    let written: string[];
    try {
      written = await writeFiguresStatic(renderer, [figure], dir);
    } finally {
      await renderer.close();
    }
    assert.deepEqual(written.map((p) => p.slice(dir.length + 1)), ["heatmap.png", "heatmap.svg"]);
    const png = readFileSync(join(dir, "heatmap.png"));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(png.subarray(12, 16).toString("ascii"), "IHDR");
    assert.equal(png.readUInt32BE(16), figure.size.width * 2);
    assert.equal(png.readUInt32BE(20), figure.size.height * 2);
    assert.ok(png.length > 50_000, `PNG only ${png.length} bytes`);
    const svg = readFileSync(join(dir, "heatmap.svg"), "utf8");
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\s*$/);
    // The cell text of the heatmap carries the published scores.
    assert.match(svg, />69\.0</);
    assert.match(svg, />1563\.8</);
    assert.deepEqual(readdirSync(dir).sort(), ["heatmap.png", "heatmap.svg"]);
    // Exporting again (in a fresh browser, and a second time in its page) writes the same SVG.
    const again = await FigureRenderer.open(chromium);
    try {
      for (let i = 0; i < 2; i++) assert.equal(Buffer.from(await again.render(figure, "svg")).toString("utf8"), svg);
    } finally {
      await again.close();
    }
  },
);
