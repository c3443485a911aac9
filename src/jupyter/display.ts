/**
 * Rich output for notebooks run by the tslab kernel: tables as HTML, Plotly figures as interactive
 * HTML (the plotly bundle is sent once, on the first figure), Markdown as Markdown.
 */
import { readFileSync } from "node:fs";
import { display } from "tslab";
import { figureSnippet, plotlyBundlePath } from "../analysis/export.js";
import type { PlotlyFigure } from "../analysis/figures.js";
import { tableToHtml, type TableView } from "../analysis/render.js";

let plotlyLoaded = false;
let figureCount = 0;

export function showTable(table: TableView): void {
  display.html(tableToHtml(table));
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
