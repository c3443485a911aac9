import { test } from "node:test";
import assert from "node:assert/strict";
import { CsvError, formatCsv, parseCsv } from "../src/util/csv.js";

test("parses quoted fields, doubled quotes, CRLF and keeps each record's starting line", () => {
  const doc = parseCsv('a,b,c\r\n1,"x, y",3\r\n"multi\nline","say ""hi""",\n', "t.csv");
  assert.deepEqual(doc.header, ["a", "b", "c"]);
  assert.deepEqual(doc.records, [
    { line: 2, values: ["1", "x, y", "3"] },
    { line: 3, values: ["multi\nline", 'say "hi"', ""] },
  ]);
});

test("a record with the wrong number of fields names file and line", () => {
  assert.throws(() => parseCsv("a,b\n1,2\n\n3\n", "bad.csv"), (err: unknown) => {
    assert.ok(err instanceof CsvError);
    assert.equal(err.message, "bad.csv:4: expected 2 fields as in the header, found 1");
    return true;
  });
});

test("an empty file and an unterminated quote are errors", () => {
  assert.throws(() => parseCsv("", "e.csv"), /e\.csv:1: the file is empty/);
  assert.throws(() => parseCsv('a\n"open\n', "q.csv"), /q\.csv:2: unterminated quoted field/);
});

test("formatCsv quotes only what needs quoting and round-trips", () => {
  const text = formatCsv(["name", "note"], [["plain", 'has "quotes", commas']]);
  assert.equal(text, 'name,note\nplain,"has ""quotes"", commas"\n');
  assert.deepEqual(parseCsv(text, "r.csv").records[0]?.values, ["plain", 'has "quotes", commas']);
});
