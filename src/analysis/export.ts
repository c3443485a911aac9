/**
 * Figure export: self-contained interactive HTML sharing one plotly bundle, and static PNG / SVG
 * rendered by Plotly.toImage in one reused headless Chromium page.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { writeFileAtomic } from "../util/fs.js";
import { projectPath } from "../util/paths.js";
import type { PlotlyFigure } from "./figures.js";
import { escapeHtml } from "./render.js";

export const PLOTLY_BUNDLE = "plotly.min.js";

export const plotlyBundlePath = (): string => projectPath("node_modules", "plotly.js-dist-min", "plotly.min.js");

const PLOTLY_CONFIG = { responsive: true, displaylogo: false };

/** The `<div>` + `<script>` that draws a figure, assuming Plotly is loaded in the page, and its caption below it. */
export function figureSnippet(figure: PlotlyFigure, id: string): string {
  const json = JSON.stringify({ data: figure.data, layout: figure.layout }).replaceAll("</", "<\\/");
  const caption = figure.caption ? `\n<p style="max-width:${figure.size.width}px;font-size:14px;color:#333">${escapeHtml(figure.caption)}</p>` : "";
  return (
    `<div id="${id}" style="width:100%;max-width:${figure.size.width}px;height:${figure.size.height}px"></div>\n` +
    `<script>(function(){var f=${json};Plotly.newPlot(${JSON.stringify(id)},f.data,f.layout,${JSON.stringify(PLOTLY_CONFIG)});})();</script>` +
    caption
  );
}

/** A standalone page for one figure that loads the plotly bundle from `bundleHref`. */
export function figurePage(figure: PlotlyFigure, bundleHref: string = PLOTLY_BUNDLE): string {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHtml(figure.title)}</title>
<script src="${bundleHref}"></script></head>
<body style="font-family:DejaVu Sans,Arial,sans-serif">
${figureSnippet(figure, "figure")}
</body></html>
`;
}

/** Writes `<dir>/<name>.html` and, once per folder, the shared plotly bundle beside it. */
export function writeFigureHtml(figure: PlotlyFigure, dir: string): string[] {
  const written: string[] = [];
  const bundle = join(dir, PLOTLY_BUNDLE);
  mkdirSync(dir, { recursive: true });
  const source = plotlyBundlePath();
  if (!existsSync(bundle) || statSync(bundle).size !== statSync(source).size) {
    copyFileSync(source, bundle);
    written.push(bundle);
  }
  const page = join(dir, `${figure.name}.html`);
  writeFileAtomic(page, figurePage(figure));
  written.push(page);
  return written;
}

const CHROMIUM_CANDIDATES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/** The Chromium executable: `CHROMIUM_PATH`, else the first of the usual names on PATH. */
export function findChromium(): string | undefined {
  const fromEnv = process.env["CHROMIUM_PATH"];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const dirs = (process.env["PATH"] ?? "").split(delimiter).filter(Boolean);
  for (const name of CHROMIUM_CANDIDATES) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

export const CHROMIUM_HINT =
  "static PNG/SVG export needs Chromium: on Debian `apt-get install -y chromium fonts-dejavu-core`, or set CHROMIUM_PATH to a Chrome/Chromium executable";

export type StaticFormat = "png" | "svg";

/** One headless Chromium page with plotly loaded, reused for every figure. */
export class FigureRenderer {
  private constructor(
    private readonly browser: Browser,
    private readonly page: Page,
  ) {}

  static async open(executablePath: string | undefined = findChromium()): Promise<FigureRenderer> {
    if (!executablePath) throw new Error(CHROMIUM_HINT);
    // playwright gives the browser a fresh temporary profile of its own.
    // Loaded here, not at the top: playwright is a large module graph (see normalised.ts for why that matters).
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const page = await browser.newPage();
      await page.setContent("<!DOCTYPE html><html><body></body></html>");
      await page.addScriptTag({ path: plotlyBundlePath() });
      return new FigureRenderer(browser, page);
    } catch (err) {
      await browser.close();
      throw err;
    }
  }

  /** PNG bytes (at 2× scale) or SVG text of one figure. */
  async render(figure: PlotlyFigure, format: StaticFormat): Promise<Uint8Array> {
    const url = await this.page.evaluate(
      async ({ spec, format, size }) => {
        const Plotly = (globalThis as unknown as { Plotly: { toImage(f: unknown, o: unknown): Promise<string> } }).Plotly;
        return Plotly.toImage(spec, { format, width: size.width, height: size.height, scale: format === "png" ? 2 : 1 });
      },
      // A trace without a uid gets a random one, written into the SVG's class names.
      { spec: { data: figure.data.map((trace, i) => ({ uid: `trace-${i}`, ...trace })), layout: figure.layout }, format, size: figure.size },
    );
    const bytes = decodeDataUrl(url);
    return format === "svg" ? new Uint8Array(Buffer.from(stableSvgIds(Buffer.from(bytes).toString("utf8"), figure.name), "utf8")) : bytes;
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

/**
 * The SVG with plotly's random per-render id (in `defs-<uid>`, `clip<uid>xy`, `legend<uid>`…) replaced
 * by one derived from the figure's name, so that exporting the same figure twice writes the same file.
 */
export function stableSvgIds(svg: string, name: string): string {
  const uid = /<defs id="defs-([0-9a-z]+)"/.exec(svg)?.[1];
  if (uid === undefined) return svg;
  const stable = createHash("sha256").update(name).digest("hex").slice(0, uid.length);
  // Only where an id is built from it (after a letter or hyphen), never inside a colour such as #7aab56.
  return sortedAttributes(svg.replace(new RegExp(`(?<=[A-Za-z-])${uid}`, "g"), stable));
}

/** Every tag's attributes in name order: plotly sets some in a different order on a page's first render than on later ones. */
function sortedAttributes(svg: string): string {
  return svg.replace(/<([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")+)(\s*\/?)>/g, (_tag, name: string, attributes: string, end: string) => {
    const pairs = attributes.match(/[\w:.-]+="[^"]*"/g)!;
    pairs.sort((a, b) => (a.slice(0, a.indexOf("=")) < b.slice(0, b.indexOf("=")) ? -1 : 1));
    return `<${name} ${pairs.join(" ")}${end.trim()}>`;
  });
}

/** Decodes the `data:` URL that Plotly.toImage returns (base64 for PNG, percent-encoded for SVG). */
export function decodeDataUrl(url: string): Uint8Array {
  const comma = url.indexOf(",");
  if (!url.startsWith("data:") || comma < 0) throw new Error(`expected a data: URL from Plotly.toImage, got "${url.slice(0, 40)}…"`);
  const meta = url.slice(5, comma);
  const payload = url.slice(comma + 1);
  return meta.endsWith(";base64") ? new Uint8Array(Buffer.from(payload, "base64")) : new Uint8Array(Buffer.from(decodeURIComponent(payload), "utf8"));
}

/** Writes `<dir>/<name>.<format>` for each figure and format through one renderer. */
export async function writeFiguresStatic(
  renderer: FigureRenderer,
  figures: readonly PlotlyFigure[],
  dir: string,
  formats: readonly StaticFormat[] = ["png", "svg"],
): Promise<string[]> {
  const written: string[] = [];
  for (const figure of figures) {
    for (const format of formats) {
      const path = join(dir, `${figure.name}.${format}`);
      writeFileAtomic(path, await renderer.render(figure, format));
      written.push(path);
    }
  }
  return written;
}
