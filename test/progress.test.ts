import { test } from "node:test";
import assert from "node:assert/strict";
import { progressBar, rateText } from "../src/util/progress.js";

test("rateText: items per second when fast, time per item when slow", () => {
  assert.equal(rateText(50, 2), "25/s");
  assert.equal(rateText(3, 2), "1.5/s");
  assert.equal(rateText(1, 10), "0.1/s");
  // One study run every 20 minutes read "0.0/s" before.
  assert.equal(rateText(1, 1200), "20 min each");
  assert.equal(rateText(2, 50), "25 s each");
  assert.equal(rateText(0, 30), "first item running");
  assert.equal(rateText(0, 0), "first item running");
});

test("progressBar: one line per decile on a non-terminal stream, the last one with the total time", () => {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => (lines.push(s), true) } as unknown as NodeJS.WriteStream;
  const bar = progressBar("work", 4, { stream });
  bar.tick();
  bar.tick();
  bar.done();
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^work \[======\s+\] 25% 1\/4 /);
  assert.match(lines[2]!, /100% 4\/4 .* in \d/);
  assert.ok(lines.every((l) => l.endsWith("\n") && !l.includes("NaN")));
});
