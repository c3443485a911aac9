/** A small table type that every published-tier table renders from: CSV, Markdown and HTML. */
import { formatCsv } from "../util/csv.js";

export type Cell = string | number | null;

export interface TableView {
  /** File stem under figures/, e.g. "readme_results". */
  name: string;
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Cells to emphasise (e.g. the best score of a column): `bold[row][column]`. */
  bold?: boolean[][];
  /** Decimal places for numeric cells, per column; numbers print as given when absent. */
  decimals?: (number | undefined)[];
  notes?: string[];
}

export function formatCell(view: TableView, row: number, col: number): string {
  const value = view.rows[row]?.[col];
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  const places = view.decimals?.[col];
  if (places === undefined) return String(value);
  const text = value.toFixed(places);
  return text === `-${(0).toFixed(places)}` ? (0).toFixed(places) : text;
}

const isBold = (view: TableView, r: number, c: number): boolean => view.bold?.[r]?.[c] === true;

export function tableToCsv(view: TableView): string {
  return formatCsv(
    view.columns,
    view.rows.map((row, r) => row.map((_, c) => formatCell(view, r, c))),
  );
}

const escapeMarkdown = (s: string): string => s.replaceAll("|", "\\|");

export function tableToMarkdown(view: TableView): string {
  const numeric = view.columns.map((_, c) => view.rows.some((row) => typeof row[c] === "number"));
  const header = `| ${view.columns.map(escapeMarkdown).join(" | ")} |`;
  const rule = `|${numeric.map((n) => (n ? "---:" : "---")).join("|")}|`;
  const body = view.rows.map((row, r) => {
    const cells = row.map((_, c) => {
      const text = escapeMarkdown(formatCell(view, r, c));
      return isBold(view, r, c) && text !== "" ? `**${text}**` : text;
    });
    return `| ${cells.join(" | ")} |`;
  });
  const notes = (view.notes ?? []).map((n) => `\n${n}`).join("\n");
  return `### ${view.title}\n\n${[header, rule, ...body].join("\n")}\n${notes ? `${notes}\n` : ""}`;
}

export const escapeHtml = (s: string): string =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

export function tableToHtml(view: TableView): string {
  const head = view.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = view.rows
    .map((row, r) => {
      const cells = row.map((value, c) => {
        const text = escapeHtml(formatCell(view, r, c));
        const align = typeof value === "number" ? ' style="text-align:right"' : "";
        return `<td${align}>${isBold(view, r, c) ? `<b>${text}</b>` : text}</td>`;
      });
      return `<tr>${cells.join("")}</tr>`;
    })
    .join("\n");
  const notes = (view.notes ?? []).map((n) => `<p style="font-size:smaller">${escapeHtml(n)}</p>`).join("");
  return `<div class="llava-more-table"><h4>${escapeHtml(view.title)}</h4><table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>${notes}</div>`;
}

/** The lines of a Markdown section: its `##` title, an introducing paragraph, then its body (a table). */
export const markdownSection = (title: string, intro: string, body: string): string[] => [`## ${title}`, "", intro, "", body, ""];
