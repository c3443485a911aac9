/** JSON Lines and JSON files read with errors that name the file and line. */
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "./fs.js";

/** Line and column of a character offset, 1-based. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/** JSON.parse with the error located as `file:line:column`. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const position = /position (\d+)/.exec(message);
    const where = position ? lineColumn(text, Number(position[1])) : undefined;
    throw new Error(`${file}${where ? `:${where.line}:${where.column}` : ""}: malformed JSON (${message})`);
  }
}

export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`${file}: cannot read (${err instanceof Error ? err.message : String(err)})`);
  }
  return parseJson(text, file);
}

/** Each non-empty line parsed, with its 1-based line number. */
export function readJsonl(file: string): { line: number; value: unknown }[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`${file}: cannot read (${err instanceof Error ? err.message : String(err)})`);
  }
  const rows: { line: number; value: unknown }[] = [];
  text.split("\n").forEach((raw, i) => {
    if (raw.trim() === "") return;
    try {
      rows.push({ line: i + 1, value: JSON.parse(raw) });
    } catch (err) {
      throw new Error(`${file}:${i + 1}: malformed JSON line (${err instanceof Error ? err.message : String(err)})`);
    }
  });
  return rows;
}

export function writeJsonl(file: string, rows: readonly unknown[]): void {
  writeFileAtomic(file, rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length > 0 ? "\n" : ""));
}

export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");
}
