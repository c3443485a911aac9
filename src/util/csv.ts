/** A small RFC 4180 CSV reader that keeps the file line of every record, so errors can name it. */

export interface CsvRecord {
  /** 1-based line in the file where the record starts. */
  line: number;
  values: string[];
}

export interface CsvDocument {
  header: string[];
  records: CsvRecord[];
}

export class CsvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = "CsvError";
  }
}

export function parseCsv(text: string, file: string): CsvDocument {
  const rows: CsvRecord[] = [];
  let field = "";
  let values: string[] = [];
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let atFieldStart = true;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;

  const endRecord = () => {
    values.push(field);
    if (!(values.length === 1 && values[0] === "")) rows.push({ line: recordLine, values });
    values = [];
    field = "";
    atFieldStart = true;
  };

  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
    } else if (ch === ",") {
      values.push(field);
      field = "";
      atFieldStart = true;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && src[i + 1] === "\n") i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += ch;
      atFieldStart = false;
    }
  }
  if (quoted) throw new CsvError(file, recordLine, "unterminated quoted field");
  if (field !== "" || values.length > 0) endRecord();

  const [head, ...records] = rows;
  if (!head) throw new CsvError(file, 1, "the file is empty: expected a header row");
  for (const r of records) {
    if (r.values.length !== head.values.length) {
      throw new CsvError(
        file,
        r.line,
        `expected ${head.values.length} fields as in the header, found ${r.values.length}`,
      );
    }
  }
  return { header: head.values.map((h) => h.trim()), records };
}

function quoteField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function formatCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((r) => r.map(quoteField).join(",")).join("\n") + "\n";
}
