import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectPath } from "../src/util/paths.js";
import { tempDir } from "./helpers.js";

const BIN = projectPath("bin", "llava-more.js");
const cli = (args: string[], cwd = tempDir()) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd, env: { ...process.env } });

test("generate-data writes a dataset with a size report, then reuses it; baselines score it", () => {
  const out = join(tempDir(), "tiny");
  const first = cli(["generate-data", "--preset", "tiny", "--out", out]);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /\| stage2\/mixture \| 300 \|/);
  assert.match(first.stdout, /On disk: images [\d.]+ MB/);
  assert.match(first.stdout, /wrote .*tiny in [\d.]+ s/);
  assert.match(first.stderr, /images \[=+\] 100% 360\/360/);
  assert.ok(existsSync(join(out, "benchmarks", "mmmu_val.jsonl")));
  const again = cli(["generate-data", "--preset", "tiny", "--out", out]);
  assert.match(again.stdout, /already generated with these settings \(cached/);
  const baselines = cli(["baselines", "--data", out]);
  assert.equal(baselines.status, 0, baselines.stderr);
  assert.match(baselines.stdout, /\| POPE \| 66\.7 \|/);
  const bad = cli(["generate-data", "--preset", "huge"]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--preset: expected one of tiny, small, base, got "huge"/);
});

test("score reads real predictions in lmms-eval's layout and writes lmms-eval-like results", () => {
  const out = tempDir();
  const run = cli(["score", "--task", "pope", "--predictions", projectPath("test", "fixtures", "predictions", "pope.jsonl"), "--out", out]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /pope pope_f1_score = /);
  assert.match(run.stdout, /README column POPE: /);
  const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { results: Record<string, Record<string, number>> };
  assert.ok("pope_accuracy,none" in results.results["pope"]!);
  assert.ok(existsSync(join(out, "samples_pope.jsonl")));
  const unknown = cli(["score", "--task", "vizwiz", "--predictions", "x.jsonl"]);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /unknown task "vizwiz"/);
});

test("score --lmms-eval picks the scoring profile and records it; --compare-profiles reports the drift; bad flags and bytes are refused", () => {
  const file = projectPath("test", "fixtures", "drift", "mmmu_val.jsonl");
  const out = tempDir();
  const vendored = cli(["score", "--task", "mmmu_val", "--predictions", file]);
  assert.equal(vendored.status, 0, vendored.stderr);
  assert.match(vendored.stdout, /scoring profile: vendored .*\nmmmu_val mmmu_acc = 0\.5 \(n = 6\)/);
  const current = cli(["score", "--task", "mmmu_val", "--predictions", file, "--lmms-eval", "current", "--out", out]);
  assert.equal(current.status, 0, current.stderr);
  assert.match(current.stdout, /mmmu_val mmmu_acc = 0\.33333 \(n = 6\)/);
  const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { config: Record<string, string> };
  assert.equal(results.config["lmms_eval"], "current");
  const official = cli(["score", "--task", "mmmu_val", "--predictions", file, "--lmms-eval", "current", "--mmmu-open", "official"]);
  assert.match(official.stdout, /scoring profile: current --mmmu-open official .*\nmmmu_val mmmu_acc = 0\.66667/);
  const drift = cli(["score", "--task", "mmmu_val", "--predictions", file, "--compare-profiles", "--out", out]);
  assert.equal(drift.status, 0, drift.stderr);
  assert.match(drift.stdout, /\| mmmu_acc \| 0\.5 \| 0\.33333 \| -0\.16667 \| 3 \| tag \(tag\) \+0\.167; open \(parse\) -0\.334; rounding \(rounding\) \+0\.00033 \|/);
  assert.match(drift.stdout, /open \(parse\) moved 2 items:\n- .*mmmu_val\.jsonl:3: "12" scored 1 → 0/);
  assert.ok(existsSync(join(out, "drift_mmmu_val.md")) && existsSync(join(out, "drift_mmmu_val.json")));
  const badProfile = cli(["score", "--task", "pope", "--predictions", file, "--lmms-eval", "2024"]);
  assert.equal(badProfile.status, 1);
  assert.match(badProfile.stderr, /--lmms-eval: expected one of vendored, current, got "2024"/);
  assert.match(cli(["score", "--task", "pope", "--predictions", file, "--mmmu-open", "official"]).stderr, /--mmmu-open: applies to mmmu_val only, not pope/);
  const latin1 = join(tempDir(), "latin1.jsonl");
  writeFileSync(latin1, Buffer.concat([Buffer.from('{"question_id": "1", "prediction": "Yes'), Buffer.from([0xe9]), Buffer.from('"}\n')]));
  const refused = cli(["score", "--task", "pope", "--predictions", latin1]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /latin1\.jsonl:1: not valid UTF-8 at byte offset 39 \(byte 39 of the line: e9 22 7d 0a\)/);
});
