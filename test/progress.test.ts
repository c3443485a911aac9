import { test } from "node:test";
import assert from "node:assert/strict";
import { progressBar, rateText, setStatusLines, taskLine, withinTaskLine, type StatusLine } from "../src/util/progress.js";

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

/** Status lines as a notebook would get them: each line's texts in the order shown (the last one stays). */
const recordLines = (): string[][] => {
  const lines: string[][] = [];
  setStatusLines((): StatusLine => {
    const texts: string[] = [];
    lines.push(texts);
    return { show: (text) => texts.push(text) };
  });
  return lines;
};

test("as status lines, a run's bars and messages update one line, whose last text says how it ended, and nothing is drawn as text", async () => {
  const text: string[] = [];
  const stream = { isTTY: false, write: (s: string) => (text.push(s), true) } as unknown as NodeJS.WriteStream;
  const lines = recordLines();
  try {
    for (const [i, id] of ["run-a", "run-b"].entries()) {
      const line = taskLine(id, `[${i + 1}/2] ${id}`);
      await withinTaskLine(line, async () => {
        for (const label of [`${id} stage 1`, "pope", "gqa"]) {
          const bar = progressBar(label, 50, { stream });
          for (let step = 0; step < 50; step++) bar.tick();
          bar.done();
        }
        line!.note(`${id}: stage 1 50 steps, loss 5.954 → 4.381`);
      });
    }
    const worker = taskLine("run-w", "[1/1] run-w")!;
    worker.show("running in a worker process; follow it with: tail -f w.log");
    worker.end("finished", "its log: w.log");
    const failing = taskLine("run-c", "[3/3] run-c");
    const diverge = async (): Promise<void> => {
      progressBar("run-c stage 2", 10, { stream }).tick();
      throw new Error("out of memory");
    };
    await assert.rejects(withinTaskLine(failing, diverge), /out of memory/);
  } finally {
    setStatusLines(undefined);
  }
  assert.deepEqual(text, [], "no bar drawn as text");
  assert.equal(lines.length, 4, "one line per run, not one per bar");
  // A run in a worker process: what it does now is shown but not listed on its last text.
  assert.match(lines[2]![1]!, /^\[1\/1\] run-w: running in a worker process; follow it with: tail -f w\.log · \d/);
  assert.match(lines[2]!.at(-1)!, /^\[1\/1\] run-w: finished in \d+(\.\d)? s: its log: w\.log$/);
  assert.match(lines[0]![0]!, /^\[1\/2\] run-a: starting · \d/);
  // The run's name is left out of its bars' labels and messages: the line names it.
  assert.ok(lines[0]!.some((t) => /^\[1\/2\] run-a: stage 1 100% 50\/50 · /.test(t)), lines[0]!.join("\n"));
  assert.ok(lines[0]!.some((t) => /^\[1\/2\] run-a: pope 100% 50\/50 · /.test(t)));
  assert.match(lines[0]!.at(-1)!, /^\[1\/2\] run-a: finished in \d+(\.\d)? s \(stage 1 50 steps, loss 5\.954 → 4\.381\)$/);
  assert.ok(lines[0]!.length < 20, `updates are throttled (${lines[0]!.length} for 150 ticks)`);
  assert.match(lines[1]!.at(-1)!, /^\[2\/2\] run-b: finished in /);
  assert.match(lines[3]!.at(-1)!, /^\[3\/3\] run-c: failed after \d+(\.\d)? s: out of memory$/);
});

test("as status lines, a bar outside any run is one line of its own, updated in place, ending with its total time", () => {
  const lines = recordLines();
  try {
    const bar = progressBar("features clip 64px train", 400);
    for (let i = 0; i < 400; i++) bar.tick();
    bar.done();
    progressBar("silent", 3, { silent: true }).done();
  } finally {
    setStatusLines(undefined);
  }
  assert.equal(lines.length, 1, "a silent bar shows nothing");
  assert.match(lines[0]!.at(-1)!, /^features clip 64px train \[=+\] 100% 400\/400 .* in \d/);
  assert.ok(lines[0]!.length <= 3, `throttled: ${lines[0]!.length} texts`);
});

test("on the CLI there are no task lines: bars draw as before", async () => {
  assert.equal(taskLine("run-a"), undefined);
  const text: string[] = [];
  const stream = { isTTY: false, write: (s: string) => (text.push(s), true) } as unknown as NodeJS.WriteStream;
  assert.equal(await withinTaskLine(undefined, async () => (progressBar("x", 2, { stream }).done(), 7)), 7);
  assert.equal(text.length, 1);
});
