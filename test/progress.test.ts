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

test("progressBar: a caller's estimate replaces the bar's own rate until the last item", () => {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => (lines.push(s), true) } as unknown as NodeJS.WriteStream;
  // Two resumed runs finishing at once would read as "0.0 s each" by the bar's clock; the runs' own wall time says 20 min.
  const bar = progressBar("study", 4, { stream, estimate: (done) => (done === 0 ? undefined : { secondsEach: 1200, secondsLeft: (4 - done) * 600 }) });
  bar.tick(0);
  bar.tick(2);
  bar.done();
  assert.match(lines[0]!, /0% 0\/4 first item running\n$/);
  assert.match(lines[1]!, /50% 2\/4 20 min each eta 20 min\n$/);
  assert.match(lines[2]!, /100% 4\/4 .* in \d/);
});

test("progressBar: steps resumed from a checkpoint are drawn as done but left out of the rate", () => {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => (lines.push(s), true) } as unknown as NodeJS.WriteStream;
  // A run resumed at step 400 of 998 read "400000/s eta 0.0 s": the 400 steps counted as done in no time.
  const bar = progressBar("stage 2", 998, { stream, resumedAt: 400 });
  bar.tick(0);
  assert.match(lines[0]!, /40% 400\/998 first item running\n$/);
  bar.done();
  assert.match(lines[1]!, /100% 998\/998 /);
  const cleared = progressBar("x", 10, { stream, resumedAt: 25 });
  cleared.tick(0);
  assert.match(lines[2]!, /100% 10\/10 /);
});
