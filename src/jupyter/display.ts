/**
 * Rich output for notebooks run by the tslab kernel: tables as HTML, Plotly figures as interactive
 * HTML (the plotly bundle is sent once, on the first figure), Markdown as Markdown.
 */
import { readFileSync } from "node:fs";
import { display } from "tslab";
import { figureSnippet, plotlyBundlePath } from "../analysis/export.js";
import type { PlotlyFigure } from "../analysis/figures.js";
import { escapeHtml, tableToHtml, type TableView } from "../analysis/render.js";
import type { Picture } from "../analysis/lab_gallery.js";
import { setProgressStream } from "../util/progress.js";

// In a notebook, progress bars are cell output (stdout); on stderr Jupyter would flag them as warnings.
setProgressStream(process.stdout);

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
