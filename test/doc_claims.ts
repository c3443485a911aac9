/**
 * Numbers stated in the README and docs/, checked against the files they cite. A claim names the doc,
 * the exact text in it, the number(s) within that text, and where the value is read in the source
 * file; the source value is rounded to the decimals the doc states before it is compared.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCsv } from "../src/util/csv.js";

/** Where a claimed value is read in its source file (paths relative to the project root). */
export type ClaimSource =
  /** The cell in `column` of the one row whose cells equal `row` (column → value). */
  | { kind: "csv"; file: string; row: Readonly<Record<string, string>>; column: string }
  /** The sum of `column` over every row of the file. */
  | { kind: "csvSum"; file: string; column: string }
  /** The number of data rows of the file. */
  | { kind: "csvCount"; file: string }
  /** "min–max" of `column` over every row of the file. */
  | { kind: "csvRange"; file: string; column: string }
  /** A cell of a Markdown table: the first table after the line containing `after` (or the file's
   * first table), the row whose first cell is `row`, the column headed `column`. */
  | { kind: "markdown"; file: string; after?: string; row: string; column: string }
  /** The value at `path` in a JSON file. */
  | { kind: "json"; file: string; path: readonly (string | number)[] }
  /** The first capture group of `pattern` in the file's text. */
  | { kind: "text"; file: string; pattern: RegExp };

export interface Claim {
  /** The doc stating the number, e.g. "docs/quick_study.md". */
  doc: string;
  /** Exact text that the doc contains (whitespace runs, line breaks included, count as one space). */
  text: string;
  /** The number(s) as the doc writes them, inside `text`; default: the whole `text`. */
  stated?: string;
  /** The doc states the magnitude (e.g. "|z| ≤ 1.0"): compare with the source's absolute value. */
  magnitude?: true;
  source: ClaimSource;
}

const NUMBER = /[-−]?\d[\d,]*(?:\.\d+)?/g;

/** Every number in a string, as written: "−6.2…−2.8" → ["−6.2", "−2.8"], "1,497.2" → ["1,497.2"]. */
export function numbersIn(text: string): string[] {
  return text.match(NUMBER) ?? [];
}

function numericValue(written: string): number {
  return Number(written.replace(/−/g, "-").replace(/,/g, ""));
}

function decimals(written: string): number {
  const dot = written.indexOf(".");
  return dot < 0 ? 0 : written.length - dot - 1;
}

const squash = (text: string): string => text.replace(/\s+/g, " ");

/** Cells of a Markdown table row, honouring `\|` inside a cell. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, "|"));
}

function markdownCell(text: string, file: string, source: Extract<ClaimSource, { kind: "markdown" }>): string {
  const lines = text.split("\n");
  let start = 0;
  if (source.after !== undefined) {
    start = lines.findIndex((line) => line.includes(source.after!));
    if (start < 0) throw new Error(`${file}: no line contains ${JSON.stringify(source.after)}`);
  }
  const header = lines.findIndex((line, i) => i >= start && line.trimStart().startsWith("|"));
  if (header < 0) throw new Error(`${file}: no table after line ${start + 1}`);
  const columns = cells(lines[header]!);
  const column = columns.indexOf(source.column);
  if (column < 0) throw new Error(`${file}:${header + 1}: no column ${JSON.stringify(source.column)}; columns: ${columns.join(", ")}`);
  for (let i = header + 2; i < lines.length && lines[i]!.trimStart().startsWith("|"); i++) {
    const row = cells(lines[i]!);
    if (row[0] === source.row) return row[column] ?? "";
  }
  throw new Error(`${file}: the table at line ${header + 1} has no row ${JSON.stringify(source.row)}`);
}

function csvRows(text: string, file: string): Record<string, string>[] {
  const { header, records } = parseCsv(text, file);
  return records.map((record) => Object.fromEntries(header.map((name, i) => [name, record.values[i] ?? ""])));
}

/** The source's value as text; `read` gives a file's content (relative path → text). */
export function sourceValue(source: ClaimSource, read: (file: string) => string): string {
  const text = read(source.file);
  switch (source.kind) {
    case "csv": {
      const rows = csvRows(text, source.file).filter((row) => Object.entries(source.row).every(([k, v]) => row[k] === v));
      if (rows.length !== 1) throw new Error(`${source.file}: ${rows.length} rows match ${JSON.stringify(source.row)}; expected one`);
      const value = rows[0]![source.column];
      if (value === undefined) throw new Error(`${source.file}: no column ${JSON.stringify(source.column)}`);
      return value;
    }
    case "csvSum":
      return String(csvRows(text, source.file).reduce((sum, row) => sum + numericValue(row[source.column] ?? "NaN"), 0));
    case "csvCount":
      return String(csvRows(text, source.file).length);
    case "csvRange": {
      const values = csvRows(text, source.file).map((row) => numericValue(row[source.column] ?? "NaN"));
      return `${Math.min(...values)}–${Math.max(...values)}`;
    }
    case "markdown":
      return markdownCell(text, source.file, source);
    case "json": {
      let value: unknown = JSON.parse(text);
      for (const key of source.path) value = (value as Record<string | number, unknown> | undefined)?.[key];
      if (value === undefined) throw new Error(`${source.file}: nothing at ${source.path.join(".")}`);
      return String(value);
    }
    case "text": {
      const match = source.pattern.exec(text);
      if (!match?.[1]) throw new Error(`${source.file}: ${source.pattern} does not match`);
      return match[1];
    }
  }
}

/**
 * Problems with one claim (empty when it holds): the text missing from the doc, the stated numbers not
 * in the text, or a source number that, rounded to the stated decimals, differs from the stated one.
 */
export function checkClaim(claim: Claim, read: (file: string) => string): string[] {
  const where = `${claim.doc}: "${claim.text}"`;
  if (!squash(read(claim.doc)).includes(squash(claim.text))) return [`${where}: text not found in the doc`];
  const stated = claim.stated ?? claim.text;
  if (!claim.text.includes(stated)) return [`${where}: the stated value "${stated}" is not part of the text`];
  const statedNumbers = numbersIn(stated);
  const raw = sourceValue(claim.source, read);
  const sourceNumbers = numbersIn(raw);
  if (statedNumbers.length === 0 || statedNumbers.length !== sourceNumbers.length) {
    return [`${where}: states ${statedNumbers.length} number(s) (${stated}), ${claim.source.file} gives ${sourceNumbers.length} (${raw})`];
  }
  const problems: string[] = [];
  statedNumbers.forEach((written, i) => {
    const places = decimals(written);
    const value = numericValue(sourceNumbers[i]!);
    const fromSource = claim.magnitude ? Math.abs(value) : value;
    const rounded = Math.round(fromSource * 10 ** places) / 10 ** places;
    if (Math.abs(rounded - numericValue(written)) > 1e-9) {
      problems.push(`${where}: states ${written}, ${claim.source.file} gives ${sourceNumbers[i]} (${raw})`);
    }
  });
  return problems;
}

/** Reads files relative to `root`. */
export const readFrom = (root: string) => (file: string): string => readFileSync(join(root, file), "utf8");
