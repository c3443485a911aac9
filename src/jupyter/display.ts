/**
 * Rich output for notebooks run by the tslab kernel: tables as HTML, Plotly figures as interactive
 * HTML (the plotly bundle is sent once, on the first figure), Markdown as Markdown.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { display, newDisplay } from "tslab";
import { figureSnippet, plotlyBundlePath } from "../analysis/export.js";
import type { PlotlyFigure } from "../analysis/figures.js";
import { escapeHtml, tableToHtml, type TableView } from "../analysis/render.js";
import type { Picture } from "../analysis/lab_gallery.js";
import { setProgressStream, setStatusLines, type StatusLine } from "../util/progress.js";
import { notebookPreset } from "../data/presets.js";
import type { Preset } from "../presets.js";

/** Whether this process is the tslab kernel (`tslab kernel …`, as the kernelspec starts it), not a test or a script importing this module. */
export const inNotebookKernel = (argv: readonly string[] = process.argv): boolean => basename(argv[1] ?? "") === "tslab" && argv[2] === "kernel";

/** A line of cell output that is replaced in place: a Jupyter display, updated (update_display_data). */
export function displayLine(): StatusLine {
  const line = newDisplay();
  return { show: (text) => line.text(text) };
}

if (inNotebookKernel()) {
  // One updating line per run, or per bar outside a run, instead of a bar per training stage and benchmark.
  setStatusLines(displayLine);
  // Anything still drawn as text goes to stdout: on stderr Jupyter would flag it as a warning.
  setProgressStream(process.stdout);
}

let plotlyLoaded = false;
let figureCount = 0;

export function showTable(table: TableView): void {
  display.html(tableToHtml(table));
}

/** Images side by side with captions, in one output. */
export function showImages(pictures: readonly Picture[]): void {
  const cells = pictures.map((p) => {
    const src = `data:image/png;base64,${Buffer.from(p.png).toString("base64")}`;
    const width = p.width !== undefined ? ` width="${p.width}"` : "";
    return `<figure style="display:inline-block;margin:4px;vertical-align:top;max-width:320px"><img src="${src}"${width} style="image-rendering:pixelated;border:1px solid #ccc"/><figcaption style="font-size:11px;white-space:pre-wrap">${escapeHtml(p.caption)}</figcaption></figure>`;
  });
  display.html(`<div>${cells.join("")}</div>`);
}

export function showMarkdown(markdown: string): void {
  display.markdown(markdown);
}

export function showFigure(figure: PlotlyFigure): void {
  if (!plotlyLoaded) {
    display.html(`<script>${readFileSync(plotlyBundlePath(), "utf8").replaceAll("</script", "<\\/script")}</script>`);
    plotlyLoaded = true;
  }
  display.html(figureSnippet(figure, `llava-more-figure-${++figureCount}`));
}

/** The banner's words on the `tiny` preset (tests' pipeline checks): its numbers mean nothing. */
export const TINY_BANNER = "pipeline test: these numbers are not results";

/**
 * A banner on the `tiny` preset, which trains a toy zoo for a few steps to test the pipeline; nothing
 * at the others. Lab notebooks show it above their first output.
 */
export function showPresetBanner(preset: Preset = notebookPreset()): void {
  if (preset !== "tiny") return;
  const detail = "LLAVA_MORE_PRESET=tiny: a toy dataset and zoo trained for a few steps, to check that every cell runs. Unset LLAVA_MORE_PRESET for the small preset and its results archive.";
  display.html(
    `<div style="border:2px solid #c00;background:#fee;color:#900;padding:8px 12px;margin:4px 0;font-weight:bold">⚠ ${escapeHtml(TINY_BANNER)}<div style="font-weight:normal;font-size:90%">${escapeHtml(detail)}</div></div>`,
  );
}
