/** The fault-injection suite (bench/faults.ts, `npm run faults`) at 3 kills: what `npm test` runs of it. */
import { test } from "node:test";
import { rmSync } from "node:fs";
import assert from "node:assert/strict";
import { planFaults, reportText, runFaults, TARGETS, withoutTiming } from "../bench/faults.js";
import { tempDir } from "./helpers.js";

test("fault plans are seeded, in run order, and cover every phase once there are enough kills", () => {
  assert.deepEqual(planFaults(20, 1), planFaults(20, 1));
  assert.notDeepEqual(planFaults(20, 1), planFaults(20, 2));
  const plan = planFaults(20, 1);
  assert.equal(plan.length, 20);
  assert.deepEqual(new Set(plan.map((p) => p.target)), new Set(TARGETS));
  assert.deepEqual(plan.map((p) => TARGETS.indexOf(p.target)), plan.map((p) => TARGETS.indexOf(p.target)).sort((a, b) => a - b));
  assert.ok(plan.every((p) => p.fraction >= 0.05 && p.fraction < 0.8));
  assert.equal(withoutTiming({ a: 1, seconds: 2, s: { tokensPerSecond: 3, finished: "x", b: [1] } }), '{"a":1,"s":{"b":[1]}}');
});

test("3 kills at seeded moments, then the corruption cases: the run ends byte-identical to an uninterrupted one, and damage ends in a clear error or a correct recovery", { timeout: 300_000 }, async () => {
  const work = tempDir("llava-more-faults-");
  const report = await runFaults({ faults: 3, seed: 1, workDir: work }).finally(() => rmSync(work, { recursive: true, force: true }));
  const text = reportText(report);
  console.log(text);
  assert.equal(report.faults.length, 3);
  assert.ok(report.faults.every((f) => f.ok && f.at >= 0), text);
  assert.ok(report.checks.some((c) => c.name === "model/model.safetensors" && c.ok), text);
  assert.equal(report.failed, 0, text);
  assert.match(text, /\n\d+ passed, 0 failed$/);
});
